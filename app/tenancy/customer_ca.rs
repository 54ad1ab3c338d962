//! The CA bundle and CRL a tenant's customers' certificates are checked against, kept in
//! `public.tenants` so every replica sees the same, and read only when a certificate is.

use diesel::PgExpressionMethods as _;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::TenantSlug;
use crate::certs::CertificateTrust;
use crate::db::schema::platform::tenants;
use crate::db::{Db, DbUnavailable};

/// The tenant's trust, or `None` when it has no CA bundle (certificate login is unavailable).
pub async fn load(
    db: &Db,
    slug: &TenantSlug,
    revoked_serials: &[String],
) -> Result<Option<CertificateTrust>, LoadError> {
    let mut conn = db.platform().await?;
    let row: Option<(Option<String>, Option<String>)> = tenants::table
        .find(slug.as_str())
        .select((tenants::customer_ca_pem, tenants::customer_crl_pem))
        .first(&mut *conn)
        .await
        .optional()?;
    let Some((Some(ca), crl)) = row else {
        return Ok(None);
    };
    CertificateTrust::new(
        ca.as_bytes(),
        crl.as_deref().map(str::as_bytes),
        revoked_serials,
    )
    .map(Some)
    .map_err(|why| LoadError::Invalid(format!("tenant '{slug}': stored customer CA: {why}")))
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Unavailable(#[from] DbUnavailable),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("{0}")]
    Invalid(String),
}

impl From<LoadError> for crate::error::AppError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Unavailable(e) => e.into(),
            LoadError::Query(e) => e.into(),
            invalid => Self::Internal(invalid.into()),
        }
    }
}

/// Replaces the tenant's CA bundle (and CRL); `false` when nothing changed (or there is no such
/// tenant).
pub async fn store(
    db: &Db,
    slug: &TenantSlug,
    ca_pem: &str,
    crl_pem: Option<&str>,
) -> anyhow::Result<bool> {
    CertificateTrust::new(ca_pem.as_bytes(), crl_pem.map(str::as_bytes), &[])
        .map_err(anyhow::Error::msg)?;
    let mut conn = db.platform().await?;
    let n = diesel::update(
        tenants::table.find(slug.as_str()).filter(
            tenants::customer_ca_pem
                .is_distinct_from(ca_pem)
                .or(tenants::customer_crl_pem.is_distinct_from(crl_pem)),
        ),
    )
    .set((
        tenants::customer_ca_pem.eq(ca_pem),
        tenants::customer_crl_pem.eq(crl_pem),
        tenants::updated_at.eq(chrono::Utc::now()),
    ))
    .execute(&mut *conn)
    .await?;
    Ok(n > 0)
}
