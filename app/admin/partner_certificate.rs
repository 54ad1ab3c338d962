//! A `tls_client_auth` partner's certificate subject in the console. A partner renewing its
//! certificate cannot switch every server at the same second, so the change is a rollover:
//! the new subject is accepted beside the registered one until the admin finishes it (only the
//! new one is accepted then) or cancels it. A stolen certificate is withdrawn the same way, or
//! at once by the partner CA's CRL (`tls.partner_crl`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::Change;
use super::partner::{Note, edit_page, one};
use super::partners::typed_subject;
use super::see_other;
use crate::audit::{self, Event};
use crate::certs::DistinguishedName;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::i18n::Message;
use crate::oauth::clients::{self, AuthMethod};
use crate::tenancy::CurrentTenant;
use crate::web::Pages;

/// What a rollover step changes: the registered subject and the one accepted beside it.
enum Step {
    /// Accept this subject beside the registered one.
    Begin(String),
    /// Accept only the new subject from now on.
    Finish,
    /// Accept only the registered subject again.
    Cancel,
}

/// `POST /admin/partners/{id}/certificate` with `action` = `begin` (and `cert_subject`),
/// `finish` or `cancel`.
pub async fn rollover(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    change: Change,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let (mut c, f) = change.into_parts();
    let partner = one(&mut c, &path.1).await?;
    let refused =
        async |c, why| edit_page(&req, &pages, &tenant, lang, c, &partner, Note::Error(why)).await;
    if partner.auth_method != AuthMethod::TlsClientAuth {
        return refused(&c, Message::new("check-no-certificate")).await;
    }
    let step = match f.get("action") {
        Some("begin") => match typed_subject(&f) {
            Ok(dn) => Step::Begin(dn),
            Err(why) => return refused(&c, why).await,
        },
        Some("finish") => Step::Finish,
        Some("cancel") => Step::Cancel,
        _ => return Err(AppError::Page(StatusCode::BAD_REQUEST, "page-bad-request")),
    };
    let registered = partner.cert_subject.clone().unwrap_or_default();
    let same = |a: &str, b: &str| match (DistinguishedName::parse(a), DistinguishedName::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let (subject, next, what) = match (step, partner.cert_subject_next.clone()) {
        (Step::Begin(dn), _) if same(&dn, &registered) => {
            return refused(&c, Message::new("check-cert-subject-same")).await;
        }
        (Step::Begin(dn), _) => (registered, Some(dn), "partner.cert_rollover_begun"),
        (Step::Finish, Some(next)) => (next, None, "partner.cert_rollover_finished"),
        (Step::Cancel, Some(_)) => (registered, None, "partner.cert_rollover_cancelled"),
        (Step::Finish | Step::Cancel, None) => {
            return refused(&c, Message::new("check-no-rollover")).await;
        }
    };
    clients::set_cert_subjects(&mut c.conn, partner.id, &subject, next.as_deref()).await?;
    let actor = c.actor();
    audit::record(
        &mut c.conn,
        Event::AdminChange,
        &actor,
        Some(&partner.client_id),
        None,
        serde_json::json!({"what": what, "cert_subject": subject, "cert_subject_next": next}),
    )
    .await?;
    Ok(see_other(&format!(
        "/t/{}/admin/partners/{}",
        tenant.slug, partner.id
    )))
}
