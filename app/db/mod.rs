//! Database access. [`Db::tenant`] hands out a [`TenantConn`], the only door to a tenant's data;
//! [`Db::platform`] reaches the platform tables in `public`, which are always schema-qualified.

pub mod migrate;
mod pool;
pub mod prepared;
pub mod schema;

use std::ops::{Deref, DerefMut};

use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};

pub use pool::Pool;
use pool::Pooled;

use crate::config::DatabaseSettings;
use crate::tenancy::{SchemaName, TenantSlug};

/// Why no connection could be had: the request answers 503.
#[derive(Debug, thiserror::Error)]
pub enum DbUnavailable {
    #[error("database pool: {0}")]
    Pool(#[from] deadpool::managed::PoolError<pool::ConnError>),
    #[error("pinning the tenant schema: {0}")]
    Pin(#[from] diesel::result::Error),
}

#[derive(Clone)]
pub struct Db {
    pool: Pool,
}

impl Db {
    pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        Ok(Self {
            pool: pool::build(settings)?,
        })
    }

    /// A connection whose `search_path` is exactly the tenant's schema. Tenant tables are written
    /// unqualified, so nothing reached through it can belong to another tenant.
    #[tracing::instrument(level = "debug", skip(self), fields(tenant = %slug))]
    pub async fn tenant(&self, slug: &TenantSlug) -> Result<TenantConn, DbUnavailable> {
        let mut obj = self.pool.get().await?;
        let schema = slug.schema();
        if obj.schema.as_ref() != Some(&schema) {
            pin(&mut obj, &schema).await?;
        }
        Ok(TenantConn {
            obj,
            slug: slug.clone(),
        })
    }

    /// A connection for the platform tables (`public.*`, always written schema-qualified).
    pub async fn platform(&self) -> Result<PlatformConn, DbUnavailable> {
        Ok(PlatformConn(self.pool.get().await?))
    }

    /// In-use and idle connections, for `/metrics`.
    pub fn status(&self) -> deadpool::Status {
        self.pool.status()
    }
}

/// Points the session at one schema. The tracked value is cleared first, so a failed `SET`
/// leaves a connection that the next checkout pins again instead of trusting.
async fn pin(obj: &mut Pooled, schema: &SchemaName) -> Result<(), diesel::result::Error> {
    obj.schema = None;
    obj.conn
        .batch_execute(&format!("SET search_path TO {}", schema.quoted()))
        .await?;
    obj.schema = Some(schema.clone());
    Ok(())
}

/// A pooled connection pinned to one tenant's schema.
pub struct TenantConn {
    obj: Pooled,
    slug: TenantSlug,
}

impl TenantConn {
    pub fn slug(&self) -> &TenantSlug {
        &self.slug
    }
}

impl Deref for TenantConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.obj.conn
    }
}

impl DerefMut for TenantConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.obj.conn
    }
}

/// A pooled connection for platform tables only.
pub struct PlatformConn(Pooled);

impl Deref for PlatformConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.0.conn
    }
}

impl DerefMut for PlatformConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.0.conn
    }
}
