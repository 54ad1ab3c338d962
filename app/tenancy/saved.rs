//! A tenant's settings and logo as the console changes them, stored for every replica (each
//! sees the change once its copy's time is up, [`super::registry`]).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::settings::TenantSettings;
use super::{Logo, TenantSlug};
use crate::db::Db;
use crate::db::schema::platform::tenants;
use crate::error::AppError;

/// Stores checked settings; returns them as stored (JSON), for the audit log.
pub async fn settings(
    db: &Db,
    slug: &TenantSlug,
    settings: &TenantSettings,
    at: DateTime<Utc>,
) -> Result<serde_json::Value, AppError> {
    let json = serde_json::to_value(settings).map_err(|e| AppError::Internal(e.into()))?;
    diesel::update(tenants::table.find(slug.as_str()))
        .set((tenants::settings.eq(&json), tenants::updated_at.eq(at)))
        .execute(&mut *db.platform().await?)
        .await?;
    Ok(json)
}

/// Stores a checked logo.
pub async fn logo(
    db: &Db,
    slug: &TenantSlug,
    logo: &Logo,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(tenants::table.find(slug.as_str()))
        .set((
            tenants::logo.eq(&logo.bytes),
            tenants::logo_content_type.eq(logo.content_type),
            tenants::updated_at.eq(at),
        ))
        .execute(&mut *db.platform().await?)
        .await?;
    Ok(())
}
