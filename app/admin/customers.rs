//! Customers in the console: find one by customer ID, unlock a locked ID, list and revoke the
//! electronic certificates registered to them.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Serialize;
use uuid::Uuid;

use super::grants::when;
use super::{Change, Console};
use super::{context, render, see_other};
use crate::audit::{self, Event};
use crate::bank::CustomerDirectory;
use crate::bank::CustomerId;
use crate::consent::lockout;
use crate::db::Db;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;

#[derive(Serialize)]
struct CustomerView {
    id: String,
    login_id: String,
    /// The login ID as a query-string value.
    login_id_q: String,
    name: String,
    email: String,
    locked: bool,
    failures: i32,
}

#[derive(Serialize)]
struct CertView {
    fingerprint: String,
    subject: String,
    serial: String,
    not_after: String,
    revoked: Option<String>,
}

pub async fn search(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    mut c: Console,
) -> Result<HttpResponse, AppError> {
    let q = super::search_query(&req)?;
    let login_id = q
        .get("login_id")
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let mut ctx = context(&req, &pages, &tenant, lang, &c, "customers");
    ctx.insert("login_id", &login_id);
    if q.nul().is_some() {
        ctx.insert("search_error", super::SEARCH_CHARACTERS);
    } else if !login_id.is_empty() {
        let found = tenant.directory.find(&db, &tenant.slug, &login_id).await?;
        let guard = lockout::status(&mut c.conn, &login_id).await?;
        if let Some(p) = found {
            let certs = tenant
                .directory
                .certificates(&db, &tenant.slug, p.id)
                .await?;
            ctx.insert(
                "customer",
                &CustomerView {
                    id: p.id.0.to_string(),
                    login_id_q: urlencode(&p.login_id),
                    login_id: p.login_id,
                    name: p.name,
                    email: p.email,
                    locked: p.locked || guard.is_some_and(|(_, locked)| locked),
                    failures: guard.map_or(0, |(failures, _)| failures),
                },
            );
            ctx.insert(
                "certificates",
                &certs
                    .into_iter()
                    .map(|cert| CertView {
                        fingerprint: crate::secrets::hex(&cert.fingerprint),
                        subject: cert.subject,
                        serial: cert.serial,
                        not_after: when(cert.not_after),
                        revoked: cert.revoked_at.map(when),
                    })
                    .collect::<Vec<_>>(),
            );
        } else {
            ctx.insert("not_found", &true);
        }
    }
    render(&pages, "admin/customers.html", &ctx)
}

pub async fn unlock(
    path: web::Path<(String, String)>,
    change: Change,
    tenant: CurrentTenant,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&path.1).map_err(|_| AppError::NotFound)?;
    let mut c = change.console;
    let login_id = tenant
        .directory
        .login_id_of(&db, &tenant.slug, CustomerId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    tenant
        .directory
        .unlock(&db, &tenant.slug, CustomerId(id))
        .await?;
    lockout::clear(&mut c.conn, &login_id).await?;
    let actor = c.actor();
    audit::record(
        &mut c.conn,
        Event::CustomerUnlocked,
        &actor,
        Some(&format!("customer:{login_id}")),
        None,
        serde_json::json!({}),
    )
    .await?;
    Ok(see_other(&format!(
        "/t/{}/admin/customers?login_id={}",
        tenant.slug,
        urlencode(&login_id)
    )))
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn revoke_certificate(
    path: web::Path<(String, String)>,
    db: web::Data<Db>,
    change: Change,
    tenant: CurrentTenant,
) -> Result<HttpResponse, AppError> {
    let fingerprint: Vec<u8> = (0..path.1.len())
        .step_by(2)
        .map(|i| {
            path.1
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .filter(|f| f.len() == 32)
        .ok_or(AppError::NotFound)?;
    let mut c = change.console;
    let login_id = tenant
        .directory
        .revoke_certificate(&db, &tenant.slug, &fingerprint, Utc::now())
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = c.actor();
    audit::record(
        &mut c.conn,
        Event::CertificateRevoked,
        &actor,
        Some(&format!("customer:{login_id}")),
        None,
        serde_json::json!({"fingerprint": path.1}),
    )
    .await?;
    Ok(see_other(&format!(
        "/t/{}/admin/customers?login_id={}",
        tenant.slug,
        urlencode(&login_id)
    )))
}
