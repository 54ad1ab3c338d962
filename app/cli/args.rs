//! What several commands read alike.

use crate::tenancy::TenantSlug;

/// `--tenant`'s slug, or why it is not one.
pub(super) fn tenant(raw: &str) -> anyhow::Result<TenantSlug> {
    TenantSlug::parse(raw).map_err(|e| anyhow::anyhow!("--tenant '{raw}' {e}"))
}
