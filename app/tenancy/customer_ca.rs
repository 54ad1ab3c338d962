//! The CA bundle and CRL a tenant's customers' certificates are checked against, kept in
//! `public.tenants` so every replica sees the same, and read only when a certificate is.
//!
//! A CA publishes a new CRL before its `nextUpdate`; the admin brings it in from the console or
//! with `renkei tenants crl`, and `tenants apply` never puts an older one back.

use diesel::PgExpressionMethods as _;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use openssl::x509::X509Crl;

use super::TenantSlug;
use crate::certs::CertificateTrust;
use crate::certs::trust::CrlDates;
use crate::db::schema::platform::tenants;
use crate::db::{Db, DbUnavailable};
use crate::format::jst;
use crate::i18n::Lang;
use crate::i18n::Message;

/// The stored CA bundle and CRL; `None`: no such tenant.
async fn stored(
    conn: &mut crate::db::PlatformConn,
    slug: &TenantSlug,
) -> QueryResult<Option<(Option<String>, Option<String>)>> {
    tenants::table
        .find(slug.as_str())
        .select((tenants::customer_ca_pem, tenants::customer_crl_pem))
        .first(&mut **conn)
        .await
        .optional()
}

/// The tenant's trust, or `None` when it has no CA bundle (certificate login is unavailable).
pub async fn load(
    db: &Db,
    slug: &TenantSlug,
    revoked_serials: &[String],
) -> Result<Option<CertificateTrust>, LoadError> {
    let mut conn = db.platform().await?;
    let Some((Some(ca), crl)) = stored(&mut conn, slug).await? else {
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

/// Why a new CRL was not taken, or could not be.
#[derive(Debug, thiserror::Error)]
pub enum CrlError {
    /// Said to the admin, in their language.
    #[error("{}", .0.text(Lang::En))]
    Refused(Message),
    #[error(transparent)]
    Unavailable(#[from] DbUnavailable),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<CrlError> for crate::error::AppError {
    fn from(e: CrlError) -> Self {
        match e {
            CrlError::Unavailable(e) => e.into(),
            CrlError::Query(e) => e.into(),
            CrlError::Refused(m) => Self::Internal(anyhow::anyhow!("{}", m.text(Lang::En))),
        }
    }
}

/// A CRL as uploaded (PEM or DER), as PEM with its dates.
fn parse_crl(bytes: &[u8]) -> Result<(String, CrlDates), CrlError> {
    let unreadable = || CrlError::Refused(Message::new("check-crl-unreadable"));
    let crl = X509Crl::from_pem(bytes)
        .or_else(|_| X509Crl::from_der(bytes))
        .map_err(|_| unreadable())?;
    let dates = CrlDates::of(&crl);
    let pem = crl
        .to_pem()
        .ok()
        .and_then(|p| String::from_utf8(p).ok())
        .ok_or_else(unreadable)?;
    Ok((pem, dates))
}

fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string()
}

/// Takes a new CRL for the tenant's customer CA: it must be signed by that CA and no older than
/// the one in force. Returns its dates.
pub async fn replace_crl(db: &Db, slug: &TenantSlug, bytes: &[u8]) -> Result<CrlDates, CrlError> {
    let (pem, given) = parse_crl(bytes)?;
    let mut conn = db.platform().await?;
    let Some((ca, stored)) = stored(&mut conn, slug).await? else {
        return Err(CrlError::Refused(
            Message::new("check-crl-no-tenant").with("slug", slug),
        ));
    };
    let Some(ca) = ca else {
        return Err(CrlError::Refused(Message::new("check-crl-no-ca")));
    };
    CertificateTrust::new(ca.as_bytes(), Some(pem.as_bytes()), &[])
        .map_err(|_| CrlError::Refused(Message::new("check-crl-not-signed")))?;
    if let Some(stored) = stored.as_deref().and_then(|s| parse_crl(s.as_bytes()).ok())
        && given.this_update < stored.1.this_update
    {
        return Err(CrlError::Refused(
            Message::new("check-crl-older")
                .with("given", day(given.this_update))
                .with("stored", day(stored.1.this_update)),
        ));
    }
    diesel::update(tenants::table.find(slug.as_str()))
        .set((
            tenants::customer_crl_pem.eq(&pem),
            tenants::updated_at.eq(chrono::Utc::now()),
        ))
        .execute(&mut *conn)
        .await?;
    Ok(given)
}

/// The CRL `tenants apply` stores: the folder's, unless the one stored is for the same CA
/// bundle and newer (brought in from the console or the CLI since the folder was written).
pub fn kept_crl<'a>(
    stored: (Option<&'a str>, Option<&'a str>),
    folder: (&str, Option<&'a str>),
) -> Option<&'a str> {
    let (Some(stored_ca), Some(stored_crl)) = stored else {
        return folder.1;
    };
    if stored_ca != folder.0 {
        return folder.1;
    }
    let issued = |crl: &str| parse_crl(crl.as_bytes()).ok().map(|(_, d)| d.this_update);
    match (issued(stored_crl), folder.1.map(issued)) {
        (Some(_), None) => Some(stored_crl),
        (Some(s), Some(Some(f))) if s > f => Some(stored_crl),
        _ => folder.1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::dev::{DevCa, crl};
    use chrono::{Duration, Utc};

    #[test]
    fn apply_keeps_a_newer_crl_for_the_same_ca() {
        let ca = DevCa::generate("Kitami Customer CA").unwrap();
        let now = Utc::now();
        let old = crl(&ca, &[], now - Duration::days(10), now + Duration::days(1)).unwrap();
        let new = crl(&ca, &[], now, now + Duration::days(7)).unwrap();
        let ca_pem = ca.cert_pem();
        let other = DevCa::generate("Another CA").unwrap().cert_pem();
        let stored = (Some(ca_pem.as_str()), Some(new.as_str()));
        assert_eq!(kept_crl(stored, (&ca_pem, Some(&old))), Some(new.as_str()));
        assert_eq!(kept_crl(stored, (&ca_pem, None)), Some(new.as_str()));
        assert_eq!(kept_crl(stored, (&other, Some(&old))), Some(old.as_str()));
        let stored_old = (Some(ca_pem.as_str()), Some(old.as_str()));
        assert_eq!(
            kept_crl(stored_old, (&ca_pem, Some(&new))),
            Some(new.as_str())
        );
        assert_eq!(
            kept_crl((None, None), (&ca_pem, Some(&old))),
            Some(old.as_str())
        );
    }
}
