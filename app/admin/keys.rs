//! The tenant's signing keys in the console: which key signs, which is published to sign next,
//! which retired ones are still published, and when each leaves the JWKS. Never a private part.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Serialize;

use super::grants::when;
use super::{Console, context, render};
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::keys::{Keyring, tenant};
use crate::tenancy::CurrentTenant;
use crate::web::Pages;

#[derive(Serialize)]
struct Row {
    alg: String,
    state: &'static str,
    kid: String,
    created: String,
    activated: String,
    retired: String,
    dropped: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn show(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    keyring: web::Data<Keyring>,
    settings: web::Data<Settings>,
    pages: web::Data<Pages>,
    c: Console,
) -> Result<HttpResponse, AppError> {
    let keys = tenant::published(
        &db,
        &keyring,
        &tenant.slug,
        Utc::now(),
        settings.keys.retire_after(),
    )
    .await?;
    let at = |t: Option<chrono::DateTime<Utc>>| t.map(when).unwrap_or_default();
    let rows: Vec<Row> = keys
        .into_iter()
        .map(|k| Row {
            state: k.state.as_str(),
            created: when(k.created_at),
            activated: at(k.activated_at),
            retired: at(k.retired_at),
            dropped: at(k.dropped_at),
            alg: k.alg,
            kid: k.kid,
        })
        .collect();
    let mut ctx = context(&req, &pages, &tenant, lang, &c, "keys");
    ctx.insert("keys", &rows);
    ctx.insert(
        "jwks_url",
        &format!("{}/.well-known/jwks.json", settings.issuer(&tenant.slug)),
    );
    ctx.insert("retire_after_hours", &settings.keys.retire_after_hours);
    render(&pages, "admin/keys.html", &ctx)
}
