//! Partners in the console: the list, and registering one (the secret is shown once). One
//! partner's page is [`super::partner`], its certificate's rollover [`super::partner_certificate`]. A suspended partner gets no tokens and no API
//! data (both check `partners.status`), at once.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{Change, WithScopes};
use super::{Console, context, render};
use crate::audit::{self, Event};
use crate::certs::DistinguishedName;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::i18n::Message;
use crate::oauth::clients::{self, AuthMethod, NewPartner, Partner};
use crate::oauth::params::Params;
use crate::oauth::scopes::Scopes;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;

#[derive(Serialize)]
pub(super) struct Row {
    id: String,
    client_id: String,
    name: String,
    auth_method: &'static str,
    scopes: String,
    redirect_uris: Vec<String>,
    active: bool,
}

pub(super) fn row(partner: &Partner, lang: Lang) -> Row {
    Row {
        id: partner.id.to_string(),
        client_id: partner.client_id.clone(),
        name: partner.name(lang).to_owned(),
        auth_method: partner.auth_method.as_str(),
        scopes: partner.scopes.to_string(),
        redirect_uris: partner.redirect_uris.clone(),
        active: partner.active,
    }
}

async fn all(c: &mut Console) -> Result<Vec<Partner>, AppError> {
    Ok(clients::all(&mut c.conn).await?)
}

/// A partner form's fields as they are shown: the register form empty with both scopes ticked,
/// the edit form as stored, either as the admin sent it.
#[derive(Serialize)]
pub(super) struct Draft<'a> {
    name_ja: &'a str,
    name_en: &'a str,
    redirect_uris: Cow<'a, str>,
    scopes: Vec<&'a str>,
    auth_method: &'a str,
    cert_subject: &'a str,
}

impl<'a> Draft<'a> {
    fn new() -> Self {
        Self {
            name_ja: "",
            name_en: "",
            redirect_uris: Cow::Borrowed(""),
            scopes: vec!["balance:read", "transactions:read"],
            auth_method: AuthMethod::ClientSecretBasic.as_str(),
            cert_subject: "",
        }
    }

    pub(super) fn of(partner: &'a Partner) -> Self {
        Self {
            name_ja: &partner.name_ja,
            name_en: &partner.name_en,
            redirect_uris: Cow::Owned(partner.redirect_uris.join("\n")),
            scopes: partner.scopes.iter().map(|s| s.as_str()).collect(),
            auth_method: partner.auth_method.as_str(),
            cert_subject: partner.cert_subject.as_deref().unwrap_or_default(),
        }
    }

    pub(super) fn sent(f: &'a Params) -> Self {
        Self {
            name_ja: f.get("name_ja").unwrap_or_default(),
            name_en: f.get("name_en").unwrap_or_default(),
            redirect_uris: Cow::Borrowed(f.get("redirect_uris").unwrap_or_default()),
            scopes: f.all("scopes").iter().map(|s| s.as_str()).collect(),
            auth_method: f.get("auth_method").unwrap_or_default(),
            cert_subject: f.get("cert_subject").unwrap_or_default(),
        }
    }
}

async fn list_page(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    mut c: Console,
    error: Option<(Message, &Params)>,
    shown_secret: Option<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let partners: Vec<Row> = all(&mut c).await?.iter().map(|x| row(x, lang)).collect();
    let mut ctx = context(req, pages, tenant, lang, &c, "partners");
    ctx.insert("partners", &partners);
    ctx.insert(
        "draft",
        &error
            .as_ref()
            .map_or_else(Draft::new, |(_, f)| Draft::sent(f)),
    );
    let status = if let Some((e, _)) = &error {
        ctx.insert("error", &e.text(lang));
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    if let Some((client_id, secret)) = shown_secret {
        ctx.insert("new_client_id", &client_id);
        ctx.insert("new_secret", &secret);
    }
    let mut res = render(pages, "admin/partners.html", &ctx)?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn list(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
    c: Console,
) -> Result<HttpResponse, AppError> {
    list_page(&req, &pages, &tenant, lang, c, None, None).await
}

/// Names, redirect URIs (one a line) and scopes from a form.
pub(super) fn fields(f: &Params) -> Result<(String, String, Vec<String>, Scopes), Message> {
    let name_ja = f.get("name_ja").unwrap_or_default().trim().to_owned();
    let name_en = f.get("name_en").unwrap_or_default().trim().to_owned();
    if name_ja.is_empty()
        || name_en.is_empty()
        || name_ja.chars().count() > 100
        || name_en.chars().count() > 100
    {
        return Err(Message::new("check-partner-names").with("max", 100));
    }
    let uris: Vec<String> = f
        .get("redirect_uris")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if uris.is_empty() {
        return Err(Message::new("check-redirect-required"));
    }
    for u in &uris {
        clients::check_redirect_uri(u)?;
    }
    let scopes =
        Scopes::parse(&f.all("scopes").join(" ")).map_err(|_| Message::new("check-scopes"))?;
    Ok((name_ja, name_en, uris, scopes))
}

/// The subject DN a `tls_client_auth` partner's certificate must have: required for that
/// method, ignored for the others.
fn certificate_subject(f: &Params, method: AuthMethod) -> Result<Option<String>, Message> {
    if method != AuthMethod::TlsClientAuth {
        return Ok(None);
    }
    typed_subject(f).map(Some)
}

/// The subject DN typed in `cert_subject`, checked as RFC 4514.
pub(super) fn typed_subject(f: &Params) -> Result<String, Message> {
    let raw = f.get("cert_subject").unwrap_or_default().trim();
    if raw.is_empty() {
        return Err(Message::new("check-cert-subject-required"));
    }
    DistinguishedName::parse(raw).map_err(|e| {
        Message::new("check-cert-subject")
            .with("value", raw)
            .with("detail", e)
    })?;
    Ok(raw.to_owned())
}

pub async fn create(
    req: HttpRequest,
    change: Change<WithScopes>,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let (mut c, f) = change.into_parts();
    let (name_ja, name_en, redirect_uris, scopes) = match fields(&f) {
        Ok(x) => x,
        Err(e) => return list_page(&req, &pages, &tenant, lang, c, Some((e, &f)), None).await,
    };
    let auth_method = AuthMethod::parse(f.get("auth_method").unwrap_or("client_secret_basic"))
        .unwrap_or(AuthMethod::ClientSecretBasic);
    let cert_subject = match certificate_subject(&f, auth_method) {
        Ok(x) => x,
        Err(e) => return list_page(&req, &pages, &tenant, lang, c, Some((e, &f)), None).await,
    };
    let registered = clients::register(
        &mut c.conn,
        NewPartner {
            client_id: None,
            secret: None,
            name_ja,
            name_en,
            redirect_uris,
            scopes,
            auth_method,
            cert_subject,
            par_required: f.get("par_required") == Some("yes"),
        },
    )
    .await;
    let (client_id, secret) = match registered {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "a partner could not be registered");
            let error = Some((Message::new("check-partner-register"), &f));
            return list_page(&req, &pages, &tenant, lang, c, error, None).await;
        }
    };
    let actor = c.actor();
    audit::record(
        &mut c.conn,
        Event::PartnerRegistered,
        &actor,
        Some(&client_id),
        None,
        serde_json::json!({"auth_method": auth_method.as_str()}),
    )
    .await?;
    let shown = secret.map(|s| (client_id.clone(), s));
    list_page(&req, &pages, &tenant, lang, c, None, shown).await
}
