//! What several commands read alike.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::Db;
use crate::db::schema::platform::tenants;
use crate::tenancy::TenantSlug;

/// `--tenant`'s slug, or why it is not one.
pub(super) fn tenant(raw: &str) -> anyhow::Result<TenantSlug> {
    TenantSlug::parse(raw).map_err(|e| anyhow::anyhow!("--tenant '{raw}' {e}"))
}

/// Every tenant, by slug.
pub(super) async fn all_tenants(db: &Db) -> anyhow::Result<Vec<TenantSlug>> {
    let raw: Vec<String> = tenants::table
        .select(tenants::slug)
        .order(tenants::slug)
        .load(&mut *db.platform().await?)
        .await?;
    raw.iter()
        .map(|s| TenantSlug::parse(s).map_err(|e| anyhow::anyhow!("tenant '{s}': {e}")))
        .collect()
}
