//! `GET /t/<slug>/.well-known/jwks.json`: the tenant's public signing keys (the active, the
//! next and the recently retired), for whoever verifies what the tenant signs.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;

use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::keys::{Keyring, tenant};
use crate::tenancy::CurrentTenant;

pub async fn jwks(
    tenant: CurrentTenant,
    db: web::Data<Db>,
    keyring: web::Data<Keyring>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let keys = tenant::published(
        &db,
        &keyring,
        &tenant.slug,
        Utc::now(),
        settings.keys.retire_after(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", tenant::JWKS_MAX_AGE_SECS),
        ))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(tenant::jwks(&keys)?.to_string()))
}
