//! The message itself: in the customer's language, branded with the tenant's name, plain text and
//! HTML, with Date, Message-ID and an RFC 2047-encoded subject (lettre encodes non-ASCII headers).

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use serde::Serialize;

use crate::format::{jst_date, long_date};
use crate::i18n::Lang;
use crate::i18n::t_args;
use crate::oauth::scopes::Scopes;
use crate::tenancy::Tenant;
use crate::tenancy::settings::MailLinks;
use crate::web::Pages;

pub struct Notice<'a> {
    pub tenant: &'a Tenant,
    pub public_base: &'a str,
    pub lang: Lang,
    pub to: &'a str,
    pub partner: &'a str,
    pub scopes: &'a Scopes,
    pub expires_at: DateTime<Utc>,
    /// `None` for the new-link notice.
    pub days_before: Option<i16>,
    /// The time of the pass: the mail counts the days left from here.
    pub now: DateTime<Utc>,
}

#[derive(Serialize)]
struct View<'a> {
    lang: &'a str,
    bank: &'a str,
    partner: &'a str,
    operations: String,
    expiry_date: String,
    days: i16,
    /// The key of the line that says where the customer sees their links (`mail.links`).
    revoke_key: &'static str,
    /// The one link the mail carries, if any: `/my` (`signin`) or the institution's site (`site`).
    link_url: Option<String>,
    /// Whether to warn that the institution's mails never link to a sign-in page.
    no_signin_link: bool,
    contact: &'a str,
    primary: &'a str,
}

pub fn message(pages: &Pages, n: &Notice<'_>) -> anyhow::Result<Message> {
    let bank = n.tenant.name(n.lang);
    let expiry_date = long_date(jst_date(n.expires_at), n.lang);
    let base = format!("{}/t/{}", n.public_base, n.tenant.slug);
    let links = n.tenant.settings.mail.links;
    let view = View {
        lang: n.lang.code(),
        bank,
        partner: n.partner,
        operations: n
            .scopes
            .iter()
            .map(|s| n.lang.t(s.label_key()))
            .collect::<Vec<_>>()
            .join(n.lang.list_sep()),
        expiry_date: expiry_date.clone(),
        days: i16::try_from((jst_date(n.expires_at) - jst_date(n.now)).num_days().max(0))
            .unwrap_or(i16::MAX),
        revoke_key: match links {
            MailLinks::Signin => "mail-revoke",
            MailLinks::Site => "mail-revoke-site",
            MailLinks::None => "mail-revoke-none",
        },
        link_url: match links {
            MailLinks::Signin => Some(format!("{base}/my")),
            MailLinks::Site => n.tenant.settings.site_url.clone(),
            MailLinks::None => None,
        },
        no_signin_link: links != MailLinks::Signin,
        contact: match n.lang {
            Lang::Ja => &n.tenant.settings.contact.ja,
            Lang::En => &n.tenant.settings.contact.en,
        },
        primary: &n.tenant.settings.colors.primary,
    };
    let ctx = tera::Context::from_serialize(&view).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (template, subject_key) = match n.days_before {
        Some(_) => ("mail/expiry", "mail-expiry-subject"),
        None => ("mail/linked", "mail-linked-subject"),
    };
    let subject = t_args(
        n.lang,
        subject_key,
        &[
            ("bank", bank),
            ("partner", n.partner),
            ("date", &expiry_date),
        ],
    );
    let text = pages.render(&format!("{template}.txt"), &ctx)?;
    let html = pages.render(&format!("{template}.html"), &ctx)?;
    let from = Mailbox::new(
        Some(bank.to_owned()),
        n.tenant
            .settings
            .mail
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("tenant mail.from: {e}"))?,
    );
    let to: Mailbox =
        n.to.parse()
            .map_err(|e| anyhow::anyhow!("customer e-mail address: {e}"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .date_now()
        .message_id(None)
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| anyhow::anyhow!("building the message: {e}"))
}
