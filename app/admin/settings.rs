//! The tenant's settings in the console: names, colours, terms (name, URL, version), the
//! password-help URL, notice days and grant days (the logo here too, the customer CA's CRL in
//! [`super::customer_crl`]). Checked by the same rules as `tenant.toml`
//! (the form is read as one), stored in `public.tenants`, and in effect on every replica within
//! `tenancy.cache_ttl_secs`, without a restart.

use std::path::Path;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{Change, Console};
use super::{context, customer_crl, render, see_other};
use crate::audit::{self, Event};
use crate::db::Db;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::i18n::Message;
use crate::oauth::params::Params;
use crate::tenancy::CurrentTenant;
use crate::tenancy::customer_ca::{self, CrlError};
use crate::tenancy::logo::{self, Logo};
use crate::tenancy::settings::TenantSettings;
use crate::tenancy::{manifest, saved};
use crate::web::Pages;

#[derive(Serialize)]
pub(super) struct Fields {
    name_ja: String,
    name_en: String,
    primary: String,
    accent: String,
    terms_name_ja: String,
    terms_name_en: String,
    terms_url: String,
    terms_version: String,
    password_help_url: String,
    notice_days: String,
    grant_days: String,
}

fn fields_of(s: &TenantSettings) -> Fields {
    Fields {
        name_ja: s.name.ja.clone(),
        name_en: s.name.en.clone(),
        primary: s.colors.primary.clone(),
        accent: s.colors.accent.clone(),
        terms_name_ja: s.terms.name.ja.clone(),
        terms_name_en: s.terms.name.en.clone(),
        terms_url: s.terms.url.clone(),
        terms_version: s.terms.version.clone(),
        password_help_url: s.password_help_url.clone(),
        notice_days: s
            .notice_days
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        grant_days: s.grant_days.to_string(),
    }
}

fn fields_from(f: &Params) -> Fields {
    let g = |k: &str| f.get(k).unwrap_or_default().trim().to_owned();
    Fields {
        name_ja: g("name_ja"),
        name_en: g("name_en"),
        primary: g("primary"),
        accent: g("accent"),
        terms_name_ja: g("terms_name_ja"),
        terms_name_en: g("terms_name_en"),
        terms_url: g("terms_url"),
        terms_version: g("terms_version"),
        password_help_url: g("password_help_url"),
        notice_days: g("notice_days"),
        grant_days: g("grant_days"),
    }
}

/// A refused value: the `tenant.toml` key it went to, and why.
type Refusal = (String, Message);

/// The form as a `tenant.toml` (what the form does not edit is kept), so one set of rules
/// checks both. Numbers that do not parse are reported by key.
fn as_manifest(slug: &str, f: &Fields, current: &TenantSettings) -> Result<String, Vec<Refusal>> {
    let mut errors = Vec::new();
    let grant_days = f.grant_days.parse::<i64>().map_err(|_| {
        errors.push((
            "grants.days".to_owned(),
            Message::new("check-number").with("value", &f.grant_days),
        ));
    });
    let notice_days: Result<Vec<i64>, _> = f
        .notice_days
        .split([',', ' ', '、'])
        .filter(|s| !s.is_empty())
        .map(str::parse::<i64>)
        .collect();
    let notice_days = notice_days.map_err(|_| {
        errors.push((
            "grants.notice_days".to_owned(),
            Message::new("check-numbers").with("value", &f.notice_days),
        ));
    });
    let (Ok(grant_days), Ok(notice_days)) = (grant_days, notice_days) else {
        return Err(errors);
    };
    let mut value = serde_json::json!({
        "slug": slug,
        "logo": "logo",
        "password_help_url": f.password_help_url,
        "name": {"ja": f.name_ja, "en": f.name_en},
        "colors": {"primary": f.primary, "accent": f.accent},
        "terms": {"url": f.terms_url, "version": f.terms_version,
                  "name": {"ja": f.terms_name_ja, "en": f.terms_name_en}},
        "mail": {"from": current.mail.from, "link_notice": current.mail.link_notice,
                 "links": current.mail.links},
        "contact": {"ja": current.contact.ja, "en": current.contact.en},
        "grants": {"days": grant_days, "notice_days": notice_days},
        "security": {"lockout_threshold": current.lockout_threshold},
        "certificates": {"revoked_serials": current.revoked_serials,
                         "stale_crl": current.stale_crl},
        "bank": current.bank,
    });
    if let Some(site_url) = &current.site_url {
        value["site_url"] = site_url.as_str().into();
    }
    if let Some(code) = &current.bank_code {
        value["bank_code"] = code.as_str().into();
    }
    if let Some(core) = &current.core {
        value["core"] = serde_json::json!({
            "client_ca": CORE_CA, "client_cert_subject": core.client_cert_subject,
        });
    }
    toml::to_string(&value).map_err(|e| {
        vec![(
            "-".to_owned(),
            Message::new("check-detail").with("detail", e),
        )]
    })
}

/// The name the form gives the core's CA it carries over (the stored PEM answers for it).
const CORE_CA: &str = "core-ca.pem";

/// The form field (its input's id) and label of a `tenant.toml` key the form edits.
fn field_of(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "name.ja" => ("name_ja", "admin-name-ja"),
        "name.en" => ("name_en", "admin-name-en"),
        "colors.primary" => ("primary", "admin-color-primary"),
        "colors.accent" => ("accent", "admin-color-accent"),
        "terms.name.ja" => ("terms_name_ja", "admin-terms-name-ja"),
        "terms.name.en" => ("terms_name_en", "admin-terms-name-en"),
        "terms.url" => ("terms_url", "admin-terms-url"),
        "terms.version" => ("terms_version", "admin-terms-version"),
        "password_help_url" => ("password_help_url", "admin-password-help-url"),
        "grants.notice_days" => ("notice_days", "admin-notice-days"),
        "grants.days" => ("grant_days", "admin-grant-days"),
        "logo" => ("logo", "admin-logo"),
        "crl" => ("crl", "admin-crl"),
        _ => return None,
    })
}

/// One line of the page's list of problems: the field's label and why, in the admin's
/// language, linked to the field.
#[derive(Serialize)]
struct Problem {
    field: Option<&'static str>,
    text: String,
}

fn problem((key, message): &Refusal, lang: Lang) -> Problem {
    match field_of(key) {
        Some((field, label)) => Problem {
            field: Some(field),
            text: format!("{}: {}", lang.t(label), message.text(lang)),
        },
        None => Problem {
            field: None,
            text: format!("{key}: {}", message.text(lang)),
        },
    }
}

/// The settings page: the form as stored (`fields` `None`) or as sent, with what was refused.
#[allow(clippy::too_many_arguments)]
pub(super) async fn page(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    db: &Db,
    c: &super::Console,
    fields: Option<&Fields>,
    errors: &[Refusal],
) -> Result<HttpResponse, AppError> {
    let mut ctx = context(req, pages, tenant, lang, c, "settings");
    match fields {
        Some(f) => ctx.insert("f", f),
        None => ctx.insert("f", &fields_of(&tenant.settings)),
    }
    ctx.insert("crl", &customer_crl::view(db, tenant, lang).await?);
    let problems: Vec<Problem> = errors.iter().map(|e| problem(e, lang)).collect();
    let invalid: Vec<&str> = problems.iter().filter_map(|p| p.field).collect();
    ctx.insert("errors", &problems);
    ctx.insert("invalid", &invalid);
    ctx.insert("saved", &req.query_string().contains("saved=1"));
    let mut res = render(pages, "admin/settings.html", &ctx)?;
    if !errors.is_empty() {
        *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(res)
}

pub async fn show(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    c: Console,
) -> Result<HttpResponse, AppError> {
    page(&req, &pages, &tenant, lang, &db, &c, None, &[]).await
}

pub async fn update(
    req: HttpRequest,
    change: Change,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let (mut c, f) = change.into_parts();
    let fields = fields_from(&f);
    let checked = as_manifest(tenant.slug.as_str(), &fields, &tenant.settings).and_then(|text| {
        let folder = Path::new("settings")
            .join(tenant.slug.as_str())
            .join("tenant.toml");
        manifest::parse(&folder, &text, |name| {
            Ok(match (name, &tenant.settings.core) {
                (CORE_CA, Some(core)) => core.client_ca_pem.clone().into_bytes(),
                _ => tenant.logo.bytes.clone(),
            })
        })
        .map_err(|errors| errors.into_iter().map(|e| (e.key, e.message)).collect())
    });
    let m = match checked {
        Ok(m) => m,
        Err(errors) => {
            return page(&req, &pages, &tenant, lang, &db, &c, Some(&fields), &errors).await;
        }
    };
    let settings = saved::settings(&db, &tenant.slug, &m.settings, chrono::Utc::now()).await?;
    saved(
        &mut c,
        &tenant,
        serde_json::json!({"what": "settings.updated", "settings": settings}),
    )
    .await
}

/// Records a change of the settings and goes back to the page, which says it was saved.
async fn saved(
    c: &mut super::Console,
    tenant: &CurrentTenant,
    detail: serde_json::Value,
) -> Result<HttpResponse, AppError> {
    let actor = c.actor();
    audit::record(
        &mut c.conn,
        Event::AdminChange,
        &actor,
        Some("settings"),
        None,
        detail,
    )
    .await?;
    Ok(see_other(&format!(
        "/t/{}/admin/settings?saved=1",
        tenant.slug
    )))
}

/// A new logo: PNG, or SVG without scripts, handlers or outside references, at most
/// `logo::MAX_LOGO_BYTES`. Read from a multipart form of at most a few fields.
pub async fn logo(
    req: HttpRequest,
    mut payload: actix_multipart::Multipart,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let (mut c, upload) = super::upload::admitted(
        &req,
        &tenant,
        &db,
        &mut payload,
        "logo",
        logo::MAX_LOGO_BYTES,
    )
    .await?;
    let logo = match (upload.too_big, upload.file) {
        (true, _) => Err(Message::new("check-logo-over").with("max", logo::MAX_LOGO_BYTES)),
        (false, Some(bytes)) => Logo::sniff(bytes),
        (false, None) => Err(Message::new("check-logo-choose")),
    };
    let logo = match logo {
        Ok(l) => l,
        Err(why) => {
            let errors = [("logo".to_owned(), why)];
            return page(&req, &pages, &tenant, lang, &db, &c, None, &errors).await;
        }
    };
    saved::logo(&db, &tenant.slug, &logo, chrono::Utc::now()).await?;
    saved(&mut c, &tenant, serde_json::json!({"what": "logo.updated", "content_type": logo.content_type, "bytes": logo.bytes.len()})).await
}

/// `POST /admin/settings/crl`: the CA's new CRL, PEM or DER.
pub async fn crl(
    req: HttpRequest,
    mut payload: actix_multipart::Multipart,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let (mut c, upload) = super::upload::admitted(
        &req,
        &tenant,
        &db,
        &mut payload,
        "crl",
        customer_crl::MAX_CRL_BYTES,
    )
    .await?;
    let replaced = match (upload.too_big, upload.file) {
        (true, _) => Err(CrlError::Refused(
            Message::new("check-crl-over").with("max", customer_crl::MAX_CRL_BYTES / (1024 * 1024)),
        )),
        (false, None) => Err(CrlError::Refused(Message::new("check-crl-choose"))),
        (false, Some(bytes)) => customer_ca::replace_crl(&db, &tenant.slug, &bytes).await,
    };
    let dates = match replaced {
        Ok(dates) => dates,
        Err(CrlError::Refused(why)) => {
            let errors = [("crl".to_owned(), why)];
            return page(&req, &pages, &tenant, lang, &db, &c, None, &errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    saved(
        &mut c,
        &tenant,
        serde_json::json!({"what": "customer_crl.replaced", "crl": dates}),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_checked_by_the_tenant_toml_rules() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tenants/kitami/tenant.toml"
        ))
        .unwrap();
        let current = manifest::parse(Path::new("tenants/kitami/tenant.toml"), &text, |_| {
            Ok(br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.to_vec())
        })
        .unwrap()
        .settings;
        let mut f = fields_of(&current);
        let ok = as_manifest("kitami", &f, &current).unwrap();
        let parsed = manifest::parse(Path::new("settings/kitami/tenant.toml"), &ok, |_| {
            Ok(br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.to_vec())
        })
        .unwrap();
        assert_eq!(
            parsed.settings, current,
            "an unchanged form changes nothing"
        );
        // What the form does not show survives it.
        let mut linked = current.clone();
        linked.mail.links = crate::tenancy::settings::MailLinks::Site;
        linked.site_url = Some("https://www.kitami.example.jp/".into());
        linked.stale_crl = crate::tenancy::settings::StaleCrl::Accept;
        let text = as_manifest("kitami", &fields_of(&linked), &linked).unwrap();
        let parsed = manifest::parse(Path::new("s/kitami/tenant.toml"), &text, |_| {
            Ok(br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.to_vec())
        })
        .unwrap();
        assert_eq!(parsed.settings, linked);

        f.primary = "green".into();
        f.grant_days = "120".into();
        let text = as_manifest("kitami", &f, &current).unwrap();
        let keys: Vec<String> = manifest::parse(Path::new("s/kitami/tenant.toml"), &text, |_| {
            Ok(br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.to_vec())
        })
        .unwrap_err()
        .into_iter()
        .map(|e| e.key)
        .collect();
        assert!(
            keys.contains(&"colors.primary".to_owned()) && keys.contains(&"grants.days".to_owned()),
            "{keys:?}"
        );

        f.notice_days = "30, x".into();
        let errors = as_manifest("kitami", &f, &current).unwrap_err();
        assert_eq!(errors[0].0, "grants.notice_days");
    }
}
