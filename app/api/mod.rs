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

use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;
use crate::web::respond::html;

pub use cursor::CursorKey;
pub use ledger::Ledger;

/// The key that signs paging cursors, shared by every replica through the database (sealed
/// under the key-encryption key).
pub async fn cursor_key(db: &Db, keyring: &crate::keys::Keyring) -> anyhow::Result<CursorKey> {
    let key = crate::keys::platform_secret(db, keyring, "cursor").await?;
    Ok(CursorKey::new(key.to_vec()))
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
