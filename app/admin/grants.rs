//! Grants in the console: search by customer ID, partner and status; a grant's history (its
//! audit trail) and access ledger (what the partner read, when, how many rows); revocation with
//! a reason, after which the partner's tokens stop working at once.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::store::grants::{self as store, GrantRow};
use super::{Change, Console};
use super::{context, query, render, see_other};
use crate::audit::{self, Event};
use crate::error::AppError;
use crate::format::jst;
use crate::grants;
use crate::i18n::Lang;
use crate::i18n::t_args;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;

#[derive(Serialize)]
pub struct GrantView {
    id: String,
    login_id: String,
    customer_name: String,
    partner: String,
    scopes: Vec<String>,
    accounts: Vec<String>,
    created: String,
    expires: String,
    status: &'static str,
    /// The status in words, with when and why a revoked link ended.
    state: String,
    terms_version: String,
}

/// Why a link ended, in `lang`; a reason no version of this service writes is shown as stored.
fn ended_because(reason: &str, lang: Lang) -> String {
    match reason {
        "replaced" | "partner_revoked" | "admin_revoked" | "customer_revoked" | "code_reused"
        | "refresh_reused" => lang.t(&format!("revoked-{}", reason.replace('_', "-"))),
        other => other.to_owned(),
    }
}

/// What the ledger calls an endpoint: the operation's name where it has one.
fn operation(endpoint: &str, lang: Lang) -> String {
    match endpoint {
        "balances" => lang.t("scope-balance"),
        "transactions" => lang.t("scope-transactions"),
        other => other.to_owned(),
    }
}

pub fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string()
}

fn view(r: GrantRow, lang: Lang) -> GrantView {
    let status = if r.revoked_at.is_some() {
        "revoked"
    } else if r.expires_at <= Utc::now() {
        "expired"
    } else {
        "active"
    };
    GrantView {
        id: r.id.to_string(),
        login_id: r.login_id,
        customer_name: r.customer_name,
        partner: match lang {
            Lang::Ja => r.partner_ja,
            Lang::En => r.partner_en,
        },
        scopes: r
            .scopes
            .iter()
            .filter_map(|s| crate::oauth::scopes::Scope::parse(s))
            .map(|s| lang.t(s.label_key()))
            .collect(),
        accounts: r.accounts,
        created: when(r.created_at),
        expires: when(r.expires_at),
        status,
        state: match r.revoked_at {
            Some(at) => t_args(
                lang,
                "admin-grant-ended",
                &[
                    ("status", &lang.t("admin-grant-revoked")),
                    ("when", &when(at)),
                    (
                        "why",
                        &ended_because(r.revoked_reason.as_deref().unwrap_or_default(), lang),
                    ),
                ],
            ),
            None => lang.t(&format!("admin-grant-{status}")),
        },
        terms_version: r.terms_version,
    }
}

pub async fn search(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
    mut c: Console,
) -> Result<HttpResponse, AppError> {
    let q = super::search_query(&req)?;
    let customer = q
        .get("customer")
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let partner = q.get("partner").and_then(|p| Uuid::parse_str(p).ok());
    let status = q
        .get("status")
        .filter(|s| matches!(*s, "active" | "revoked" | "expired" | "all"))
        .unwrap_or("active");
    // A filter that cannot be searched for finds nothing, and the page says why.
    let rows: Vec<GrantRow> = if q.nul().is_some() {
        vec![]
    } else {
        let search = store::Search {
            customer: &customer,
            partner,
            status,
        };
        store::search(&mut c.conn, &search).await?
    };
    let partners = store::partner_options(&mut c.conn, lang).await?;
    let mut ctx = context(&req, &pages, &tenant, lang, &c, "grants");
    ctx.insert(
        "grants",
        &rows.into_iter().map(|r| view(r, lang)).collect::<Vec<_>>(),
    );
    ctx.insert("partners", &partners);
    ctx.insert("customer", &customer);
    ctx.insert(
        "partner",
        &partner.map(|p| p.to_string()).unwrap_or_default(),
    );
    ctx.insert("status", status);
    if q.nul().is_some() {
        ctx.insert("search_error", super::SEARCH_CHARACTERS);
    }
    render(&pages, "admin/grants.html", &ctx)
}

#[derive(Serialize)]
struct Line {
    at: String,
    what: String,
    who: String,
    detail: String,
}

pub async fn show(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
    mut c: Console,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&path.1).map_err(|_| AppError::NotFound)?;
    let grant = store::one(&mut c.conn, id).await?;
    let history = store::history(&mut c.conn, id).await?;
    let ledger = store::ledger(&mut c.conn, id).await?;
    let reads = store::reads(&mut c.conn, id).await?;
    let mut ctx = context(&req, &pages, &tenant, lang, &c, "grants");
    ctx.insert("grant", &view(grant, lang));
    ctx.insert(
        "history",
        &history
            .into_iter()
            .map(|h| Line {
                at: when(h.at),
                what: Event::label(&h.event, lang),
                who: h.actor,
                detail: h.detail,
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "ledger",
        &ledger
            .into_iter()
            .map(|l| Line {
                at: when(l.at),
                what: operation(&l.endpoint, lang),
                who: l.account_id.unwrap_or_default(),
                detail: l.rows_returned.to_string(),
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert("reads", &reads);
    if query(&req)?.get("error") == Some("reason") {
        ctx.insert("error", &lang.t("admin-revoke-reason-error"));
    }
    render(&pages, "admin/grant.html", &ctx)
}

pub async fn revoke(
    path: web::Path<(String, String)>,
    change: Change,
    tenant: CurrentTenant,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&path.1).map_err(|_| AppError::NotFound)?;
    let (mut c, f) = change.into_parts();
    let page = format!("/t/{}/admin/grants/{id}", tenant.slug);
    let reason = f.get("reason").map(str::trim).unwrap_or_default();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Ok(see_other(&format!("{page}?error=reason")));
    }
    if grants::revoke(&mut c.conn, id, "admin_revoked", chrono::Utc::now()).await? {
        let actor = c.actor();
        audit::record(
            &mut c.conn,
            Event::GrantRevoked,
            &actor,
            Some(&id.to_string()),
            None,
            serde_json::json!({"via": "admin_console", "reason": reason}),
        )
        .await?;
    } else if !store::exists(&mut c.conn, id).await? {
        return Err(AppError::Page(StatusCode::NOT_FOUND, "error-not-found"));
    }
    Ok(see_other(&page))
}
