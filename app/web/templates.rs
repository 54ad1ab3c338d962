//! Tera templates (compiled into the binary) with fluent messages: `{{ fluent(key="…", lang=lang) }}`.

use fluent_templates::FluentLoader;
use serde::Serialize;
use tera::{Context, Tera};

use super::i18n::switch_url;
use crate::i18n::{LOCALES, Lang};
use crate::tenancy::Tenant;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("signin.html", include_str!("../../templates/signin.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("consent.html", include_str!("../../templates/consent.html")),
    (
        "admin/layout.html",
        include_str!("../../templates/admin/layout.html"),
    ),
    (
        "admin/login.html",
        include_str!("../../templates/admin/login.html"),
    ),
    (
        "admin/totp.html",
        include_str!("../../templates/admin/totp.html"),
    ),
    (
        "admin/crl_warning.html",
        include_str!("../../templates/admin/crl_warning.html"),
    ),
    (
        "admin/dashboard.html",
        include_str!("../../templates/admin/dashboard.html"),
    ),
    (
        "admin/partners.html",
        include_str!("../../templates/admin/partners.html"),
    ),
    (
        "admin/partner.html",
        include_str!("../../templates/admin/partner.html"),
    ),
    (
        "admin/grants.html",
        include_str!("../../templates/admin/grants.html"),
    ),
    (
        "admin/grant.html",
        include_str!("../../templates/admin/grant.html"),
    ),
    (
        "admin/customers.html",
        include_str!("../../templates/admin/customers.html"),
    ),
    (
        "admin/settings.html",
        include_str!("../../templates/admin/settings.html"),
    ),
    (
        "admin/keys.html",
        include_str!("../../templates/admin/keys.html"),
    ),
    (
        "admin/bank_data.html",
        include_str!("../../templates/admin/bank_data.html"),
    ),
    (
        "admin/audit.html",
        include_str!("../../templates/admin/audit.html"),
    ),
    (
        "my/login.html",
        include_str!("../../templates/my/login.html"),
    ),
    ("my/home.html", include_str!("../../templates/my/home.html")),
    (
        "my/revoke.html",
        include_str!("../../templates/my/revoke.html"),
    ),
    (
        "partners.html",
        include_str!("../../templates/partners.html"),
    ),
    (
        "certificate.html",
        include_str!("../../templates/certificate.html"),
    ),
    ("message.html", include_str!("../../templates/message.html")),
    (
        "developers.html",
        include_str!("../../templates/developers.html"),
    ),
    (
        "platform.html",
        include_str!("../../templates/platform.html"),
    ),
    (
        "mail/layout.html",
        include_str!("../../templates/mail/layout.html"),
    ),
    (
        "mail/expiry.html",
        include_str!("../../templates/mail/expiry.html"),
    ),
    (
        "mail/expiry.txt",
        include_str!("../../templates/mail/expiry.txt"),
    ),
    (
        "mail/linked.html",
        include_str!("../../templates/mail/linked.html"),
    ),
    (
        "mail/linked.txt",
        include_str!("../../templates/mail/linked.txt"),
    ),
];

pub struct Pages {
    tera: Tera,
}

/// What every page knows about its tenant.
#[derive(Serialize)]
struct TenantView<'a> {
    slug: &'a str,
    name: &'a str,
    contact: &'a str,
    home_url: String,
    logo_url: String,
    theme_url: String,
}

impl Pages {
    pub fn new() -> anyhow::Result<Self> {
        let mut tera = Tera::new();
        // Functions first: Tera 2 checks every call when a template is added.
        tera.register_function("fluent", FluentLoader::new(&*LOCALES));
        tera.add_raw_templates(TEMPLATES.iter().copied())
            .map_err(|e| anyhow::anyhow!("templates: {e:#}"))?;
        Ok(Self { tera })
    }

    /// The context shared by every page: language, its switch, and the tenant's branding.
    pub fn context(&self, lang: Lang, path: &str, query: &str, tenant: Option<&Tenant>) -> Context {
        let mut ctx = Context::new();
        ctx.insert("lang", lang.code());
        ctx.insert("other_lang", lang.other().code());
        ctx.insert("other_lang_name", &lang.other().t("lang-name"));
        ctx.insert("switch_url", &switch_url(path, query, lang.other()));
        ctx.insert("names_sep", lang.names_sep());
        ctx.insert("list_sep", lang.list_sep());
        if let Some(t) = tenant {
            let base = format!("/t/{}", t.slug);
            let version = t.updated_at.timestamp();
            ctx.insert(
                "tenant",
                &TenantView {
                    slug: t.slug.as_str(),
                    name: t.name(lang),
                    contact: match lang {
                        Lang::Ja => &t.settings.contact.ja,
                        Lang::En => &t.settings.contact.en,
                    },
                    home_url: format!("{base}/"),
                    logo_url: format!("{base}/logo?v={version}"),
                    theme_url: format!("{base}/theme.css?v={version}"),
                },
            );
        }
        ctx
    }

    pub fn render(&self, name: &str, ctx: &Context) -> anyhow::Result<String> {
        self.tera
            .render(name, ctx)
            .map_err(|e| anyhow::anyhow!("rendering {name}: {e:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expiry mail's lead, in the given language, `days` before the expiry.
    fn expiry_lead(lang: Lang, days: i16) -> String {
        let pages = Pages::new().unwrap();
        let mut ctx = Context::new();
        for (k, v) in [
            ("lang", lang.code()),
            ("bank", "Kitami Shinkin Bank"),
            ("partner", "Demo Kakeibo"),
            ("operations", "Balance inquiry"),
            ("expiry_date", "March 3, 2027"),
            ("revoke_key", "mail-revoke"),
            ("link_url", "https://renkei.example/t/kitami/my"),
            ("contact", "0157-00-0000"),
        ] {
            ctx.insert(k, v);
        }
        ctx.insert("no_signin_link", &false);
        ctx.insert("days", &days);
        let text = pages.render("mail/expiry.txt", &ctx).unwrap();
        text.lines().nth(2).unwrap().to_owned()
    }

    #[test]
    fn the_expiry_mail_counts_days_in_the_right_number() {
        assert!(
            expiry_lead(Lang::En, 1).ends_with("expires on March 3, 2027 (1 day from now)."),
            "{}",
            expiry_lead(Lang::En, 1)
        );
        assert!(expiry_lead(Lang::En, 7).ends_with("(7 days from now)."));
        assert!(expiry_lead(Lang::En, 30).ends_with("(30 days from now)."));
        assert!(
            expiry_lead(Lang::Ja, 1).contains("（あと1日）"),
            "{}",
            expiry_lead(Lang::Ja, 1)
        );
    }
}
