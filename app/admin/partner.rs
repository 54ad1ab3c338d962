//! One partner's page in the console: edit names, redirect URIs and scopes, rotate the secret,
//! suspend and resume. A suspended partner gets no tokens and no API data (both check
//! `partners.status`), at once.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::{Change, WithScopes};
use super::{Console, context, render, see_other};
use crate::audit::{self, Event};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::i18n::Message;
use crate::oauth::clients::{self, AuthMethod, Partner};
use crate::oauth::params::Params;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;

use super::partners::{Draft, fields, row};

pub(super) async fn one(c: &mut Console, id: &str) -> Result<Partner, AppError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    Ok(clients::find_by_id(&mut c.conn, id).await?)
}

/// What the partner page says above its form.
pub(super) enum Note<'a> {
    Nothing,
    Error(Message),
    /// The form as the admin sent it, refused: shown again as sent, with why.
    Refused(Message, &'a Params),
    /// A new secret, shown this once.
    Secret(String),
}

pub(super) async fn edit_page(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    c: &Console,
    partner: &Partner,
    note: Note<'_>,
) -> Result<HttpResponse, AppError> {
    let mut ctx = context(req, pages, tenant, lang, c, "partners");
    ctx.insert("partner", &row(partner, lang));
    ctx.insert("cert_subject", &partner.cert_subject);
    ctx.insert("cert_subject_next", &partner.cert_subject_next);
    let draft = match &note {
        Note::Refused(_, sent) => Draft::sent(sent),
        _ => Draft::of(partner),
    };
    ctx.insert("draft", &draft);
    let status = match note {
        Note::Error(e) | Note::Refused(e, _) => {
            ctx.insert("error", &e.text(lang));
            StatusCode::BAD_REQUEST
        }
        Note::Secret(s) => {
            ctx.insert("new_secret", &s);
            StatusCode::OK
        }
        Note::Nothing => StatusCode::OK,
    };
    let mut res = render(pages, "admin/partner.html", &ctx)?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn show(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
    mut c: Console,
) -> Result<HttpResponse, AppError> {
    let partner = one(&mut c, &path.1).await?;
    edit_page(&req, &pages, &tenant, lang, &c, &partner, Note::Nothing).await
}

pub async fn update(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    change: Change<WithScopes>,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let (mut c, f) = change.into_parts();
    let partner = one(&mut c, &path.1).await?;
    let (name_ja, name_en, uris, scopes) = match fields(&f) {
        Ok(x) => x,
        Err(e) => {
            let note = Note::Refused(e, &f);
            return edit_page(&req, &pages, &tenant, lang, &c, &partner, note).await;
        }
    };
    clients::update_details(
        &mut c.conn,
        partner.id,
        (&name_ja, &name_en),
        &uris,
        &scopes,
    )
    .await?;
    let actor = c.actor();
    audit::record(&mut c.conn, Event::AdminChange, &actor, Some(&partner.client_id), None, serde_json::json!({"what": "partner.updated", "redirect_uris": uris, "scopes": scopes.to_vec()})).await?;
    Ok(see_other(&format!(
        "/t/{}/admin/partners/{}",
        tenant.slug, partner.id
    )))
}

pub async fn rotate(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    change: Change,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let mut c = change.console;
    let partner = one(&mut c, &path.1).await?;
    if partner.auth_method == AuthMethod::TlsClientAuth {
        return edit_page(
            &req,
            &pages,
            &tenant,
            lang,
            &c,
            &partner,
            Note::Error(Message::new("check-no-secret")),
        )
        .await;
    }
    let secret = clients::rotate_secret(&mut c.conn, partner.id).await?;
    let actor = c.actor();
    audit::record(
        &mut c.conn,
        Event::AdminChange,
        &actor,
        Some(&partner.client_id),
        None,
        serde_json::json!({"what": "partner.secret_rotated"}),
    )
    .await?;
    edit_page(
        &req,
        &pages,
        &tenant,
        lang,
        &c,
        &partner,
        Note::Secret(secret),
    )
    .await
}

pub async fn set_status(
    path: web::Path<(String, String)>,
    change: Change,
    tenant: CurrentTenant,
) -> Result<HttpResponse, AppError> {
    let (mut c, f) = change.into_parts();
    let partner = one(&mut c, &path.1).await?;
    let status = match f.get("status") {
        Some("active") => "active",
        Some("suspended") => "suspended",
        _ => return Err(AppError::Page(StatusCode::BAD_REQUEST, "page-bad-request")),
    };
    clients::set_active(&mut c.conn, partner.id, status == "active").await?;
    let actor = c.actor();
    audit::record(
        &mut c.conn,
        Event::AdminChange,
        &actor,
        Some(&partner.client_id),
        None,
        serde_json::json!({"what": format!("partner.{status}")}),
    )
    .await?;
    Ok(see_other(&format!(
        "/t/{}/admin/partners/{}",
        tenant.slug, partner.id
    )))
}
