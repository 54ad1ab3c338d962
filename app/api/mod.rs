//! The partner API: accounts, 残高照会 and 入出金明細照会, behind the tokens of the consent flow.

mod caller;
pub mod cursor;
pub mod dates;
pub mod error;
pub mod handlers;
pub mod ledger;
pub mod model;
pub mod openapi;
mod respond;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::config::Settings;
use crate::db::Db;
use crate::db::schema::platform::platform_keys;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;
use crate::web::respond::html;

pub use cursor::CursorKey;
pub use ledger::Ledger;

/// The key that signs paging cursors, shared by every replica through the database.
pub async fn cursor_key(db: &Db) -> anyhow::Result<CursorKey> {
    let mut conn = db.platform().await?;
    let mut fresh = [0u8; 32];
    rand::fill(&mut fresh);
    diesel::insert_into(platform_keys::table)
        .values((
            platform_keys::name.eq("cursor"),
            platform_keys::key.eq(fresh.to_vec()),
        ))
        .on_conflict_do_nothing()
        .execute(&mut *conn)
        .await?;
    let key: Vec<u8> = platform_keys::table
        .find("cursor")
        .select(platform_keys::key)
        .first(&mut *conn)
        .await?;
    Ok(CursorKey::new(key))
}

async fn openapi(tenant: CurrentTenant, settings: web::Data<Settings>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(openapi::json(Some(&settings.issuer(&tenant.slug))))
}

/// `/t/<slug>/developers`: how a partner integrates, in Japanese and English.
async fn developers(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(&tenant));
    ctx.insert("issuer", &settings.issuer(&tenant.slug));
    Ok(html(pages.render("developers.html", &ctx)?))
}

/// Routes under `/t/{tenant}`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/accounts", web::get().to(handlers::accounts))
        .route(
            "/api/v1/accounts/balances",
            web::get().to(handlers::balances),
        )
        .route(
            "/api/v1/accounts/transactions",
            web::get().to(handlers::transactions),
        )
        .route("/api/v1/openapi.json", web::get().to(openapi))
        .route("/developers", web::get().to(developers));
}
