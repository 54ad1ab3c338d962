//! Customers in the console: find one by customer ID, unlock a locked ID, list and revoke the
//! electronic certificates registered to them.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
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
use crate::db::schema::tenant::{customer_certificates as cc, customers, login_guard};
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

/// (id, login ID, name, e-mail, locked at)
type CustomerRow = (Uuid, String, String, String, Option<DateTime<Utc>>);
type CertRow = (
    Vec<u8>,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

pub async fn search(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
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
        let found: Option<CustomerRow> = customers::table
            .filter(customers::login_id.eq(&login_id))
            .select((
                customers::id,
                customers::login_id,
                customers::name,
                customers::email,
                customers::locked_at,
            ))
            .first(&mut c.conn)
            .await
            .optional()?;
        let guard: Option<(i32, Option<DateTime<Utc>>)> = login_guard::table
            .find(&login_id)
            .select((login_guard::failures, login_guard::locked_at))
            .first(&mut c.conn)
            .await
            .optional()?;
        if let Some((id, login, name, email, locked_at)) = found {
            let certs: Vec<CertRow> = cc::table
                .filter(cc::customer_id.eq(id))
                .order(cc::created_at.desc())
                .select((
                    cc::fingerprint,
                    cc::subject,
                    cc::serial,
                    cc::not_after,
                    cc::revoked_at,
                ))
                .load(&mut c.conn)
                .await?;
            ctx.insert(
                "customer",
                &CustomerView {
                    id: id.to_string(),
                    login_id_q: urlencode(&login),
                    login_id: login,
                    name,
                    email,
                    locked: locked_at.is_some() || guard.is_some_and(|g| g.1.is_some()),
                    failures: guard.map_or(0, |g| g.0),
                },
            );
            ctx.insert(
                "certificates",
                &certs
                    .into_iter()
                    .map(|(fp, subject, serial, not_after, revoked)| CertView {
                        fingerprint: hex(&fp),
                        subject,
                        serial,
                        not_after: when(not_after),
                        revoked: revoked.map(when),
                    })
                    .collect::<Vec<_>>(),
            );
        } else {
            ctx.insert("not_found", &true);
        }
    }
    render(&pages, "admin/customers.html", &ctx)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn unlock(
    path: web::Path<(String, String)>,
    change: Change,
    tenant: CurrentTenant,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&path.1).map_err(|_| AppError::NotFound)?;
    let (mut c, _f) = change.into_parts();
    let login_id: String = customers::table
        .find(id)
        .select(customers::login_id)
        .first(&mut c.conn)
        .await?;
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
    let (mut c, _f) = change.into_parts();
    let login_id: String = cc::table
        .inner_join(customers::table)
        .filter(cc::fingerprint.eq(&fingerprint))
        .select(customers::login_id)
        .first(&mut c.conn)
        .await?;
    diesel::update(
        cc::table
            .find(&fingerprint)
            .filter(cc::revoked_at.is_null()),
    )
    .set(cc::revoked_at.eq(Utc::now()))
    .execute(&mut c.conn)
    .await?;
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
