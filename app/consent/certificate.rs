//! 電子証明書認証: the customer logs in with the electronic certificate the institution issued.
//! GET shows which certificate the browser sent (or, in the customer's language, why it cannot
//! be used and what to do); POST, with the CSRF token, logs in. Never a silent fallback to the
//! password, never a 500 for a bad certificate.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::login::{Posted, posted};
use super::pages::{current, expired, ip};
use crate::audit::{self, Event};
use crate::bank::CustomerId;
use crate::bank::{CertificateBinding, CustomerDirectory};
use crate::certs::{ClientCertificates, Presentation, Presented, Refusal};
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::format::{jst_date, long_date};
use crate::i18n::Lang;
use crate::oauth::flow;
use crate::tenancy::settings::StaleCrl;
use crate::tenancy::{CurrentTenant, customer_ca};
use crate::web::Pages;
use crate::web::respond::{html, see_other};

/// What the certificate on this request amounts to.
pub(crate) enum Outcome {
    /// Plain HTTP: go to the HTTPS listener, where certificates are asked for.
    ToHttps(String),
    /// A page that says why not (status, locale key prefix).
    Refused(StatusCode, &'static str),
    Customer(CustomerId, Box<Presented>),
}

/// Checks the request's certificate against the tenant's CA and the customer directory, and
/// audits every refusal of a certificate the CA issued (`context` says where: the partner, or
/// "my").
pub(crate) async fn identify(
    req: &HttpRequest,
    tenant: &CurrentTenant,
    db: &Db,
    certs: &ClientCertificates,
    context: &str,
) -> Result<Outcome, AppError> {
    let presented = match certs.presented(req) {
        Presentation::PlainHttp => {
            return Ok(match &certs.https_base {
                Some(base) => Outcome::ToHttps(format!("{base}{}", req.path())),
                None => Outcome::Refused(StatusCode::OK, "certificate-unavailable"),
            });
        }
        Presentation::None => {
            return Ok(Outcome::Refused(
                StatusCode::UNAUTHORIZED,
                "certificate-none",
            ));
        }
        Presentation::Certificate(p) => p,
    };
    let Some(trust) = customer_ca::load(db, &tenant.slug, &tenant.settings.revoked_serials).await?
    else {
        return Ok(Outcome::Refused(StatusCode::OK, "certificate-unavailable"));
    };
    if let Some(dates) = trust.crl_dates()
        && dates.is_stale(chrono::Utc::now())
    {
        let refuse = tenant.settings.stale_crl == StaleCrl::Refuse;
        tracing::warn!(
            tenant = %tenant.slug,
            next_update = ?dates.next_update,
            refused = refuse,
            "the customer CA's CRL is past its nextUpdate; upload the new one (console settings or `renkei tenants crl`)"
        );
        if refuse {
            return Ok(Outcome::Refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "certificate-stale-crl",
            ));
        }
    }
    // One ladder: the CA's verdict, then the bank's. Each refusal has its audit reason and page.
    let (reason, page) = match trust.check(&presented) {
        // Anyone can make a certificate that names any subject: one the CA did not sign is
        // refused without a row in the audit log, which would otherwise hold whatever the
        // sender wrote there, as often as they like.
        Err(Refusal::Untrusted) => {
            tracing::info!(
                context,
                "certificate refused: not issued by the tenant's CA (not audited)"
            );
            return Ok(Outcome::Refused(
                StatusCode::FORBIDDEN,
                "certificate-untrusted",
            ));
        }
        Err(Refusal::Expired) => (Refusal::Expired.as_str(), "certificate-expired"),
        Err(Refusal::NotYetValid) => (Refusal::NotYetValid.as_str(), "certificate-not-yet-valid"),
        Err(Refusal::Revoked) => (Refusal::Revoked.as_str(), "certificate-revoked"),
        Ok(()) => match tenant
            .directory
            .verify_certificate(db, &tenant.slug, &presented.thumbprint)
            .await?
        {
            CertificateBinding::Customer(customer) => {
                return Ok(Outcome::Customer(customer, presented));
            }
            CertificateBinding::Unbound => ("unbound", "certificate-unbound"),
            CertificateBinding::Revoked => ("revoked", "certificate-revoked"),
            CertificateBinding::Locked => ("locked", "certificate-locked"),
        },
    };
    audit::record(
        &mut db.tenant(&tenant.slug).await?,
        Event::CertificateRefused,
        &format!("certificate:{}", presented.x5t_s256()),
        None,
        ip(req).as_deref(),
        serde_json::json!({
            "reason": reason,
            "subject": presented.subject().to_string(),
            "issuer": presented.issuer().to_string(),
            "serial": presented.serial,
            "context": context,
        }),
    )
    .await?;
    Ok(Outcome::Refused(StatusCode::FORBIDDEN, page))
}

/// A refusal page with the way back to the password login at `login_url`.
pub(crate) fn refused(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    status: StatusCode,
    key: &str,
    login_url: &str,
) -> Result<HttpResponse, AppError> {
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(tenant));
    ctx.insert("message_key", key);
    ctx.insert("back_url", login_url);
    ctx.insert("back_key", "back-to-login");
    let mut res = html(pages.render("message.html", &ctx)?);
    *res.status_mut() = status;
    Ok(res)
}

pub async fn confirm(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    certs: web::Data<ClientCertificates>,
) -> Result<HttpResponse, AppError> {
    let c = current(&req, &tenant, &db).await?;
    let login = format!("/t/{}/oauth/login", tenant.slug);
    let context = format!("partner:{}", c.partner.client_id);
    match identify(&req, &tenant, &db, &certs, &context).await? {
        Outcome::ToHttps(url) => Ok(see_other(&url)),
        Outcome::Refused(status, key) => refused(&req, &pages, &tenant, lang, status, key, &login),
        Outcome::Customer(_, presented) => {
            let mut ctx = confirmation(&req, &pages, &tenant, lang, &presented);
            ctx.insert("partner_name", c.partner.name(lang));
            ctx.insert("csrf", &c.pending.csrf);
            ctx.insert("action", &format!("/t/{}/oauth/certificate", tenant.slug));
            ctx.insert("login_url", &login);
            Ok(html(pages.render("certificate.html", &ctx)?))
        }
    }
}

/// The confirmation page's context: whose certificate this is, who issued it, until when.
pub(crate) fn confirmation(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    presented: &Presented,
) -> tera::Context {
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(tenant));
    let subject = presented.subject();
    let issuer = presented.issuer();
    ctx.insert("holder", subject.get("CN").unwrap_or("-"));
    ctx.insert(
        "issuer",
        issuer.get("CN").or_else(|| issuer.get("O")).unwrap_or("-"),
    );
    ctx.insert(
        "valid_until",
        &long_date(jst_date(presented.not_after()), lang),
    );
    ctx.insert("serial", &presented.serial);
    ctx
}

#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    settings: web::Data<Settings>,
    certs: web::Data<ClientCertificates>,
) -> Result<HttpResponse, AppError> {
    let c = match posted(&req, &body, &tenant, &db, &settings).await? {
        Posted::Cancelled(res) => return Ok(res),
        Posted::Go(_, c) => *c,
    };
    let login = format!("/t/{}/oauth/login", tenant.slug);
    let context = format!("partner:{}", c.partner.client_id);
    match identify(&req, &tenant, &db, &certs, &context).await? {
        // A form posted over plain HTTP carries no certificate: show the confirmation again
        // where one can be asked for.
        Outcome::ToHttps(url) => Ok(see_other(&url)),
        Outcome::Refused(status, key) => refused(&req, &pages, &tenant, lang, status, key, &login),
        Outcome::Customer(customer, presented) => {
            // The new handle is set here, on the HTTPS listener where the consent page follows;
            // the handle of before is dead on both listeners.
            let mut conn = db.tenant(&tenant.slug).await?;
            let handle = flow::logged_in(&mut conn, &c.pending.handle_hash, customer.0)
                .await?
                .ok_or_else(expired)?;
            audit::record(
                &mut conn,
                Event::LoginOk,
                &format!("customer:{}", customer.0),
                None,
                ip(&req).as_deref(),
                serde_json::json!({
                    "method": "certificate",
                    "partner": c.partner.client_id,
                    "serial": presented.serial,
                }),
            )
            .await?;
            crate::oauth::authorize::with_flow_cookie(
                see_other(&format!("/t/{}/oauth/consent", tenant.slug)),
                &req,
                &tenant,
                &handle,
            )
        }
    }
}
