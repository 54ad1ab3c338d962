//! Database access. [`Db::tenant`] hands out a [`TenantConn`], the only door to a tenant's data;
//! [`Db::platform`] reaches the platform tables in `public`, which are always schema-qualified.

pub mod migrate;
mod pool;
pub mod prepared;
pub mod schema;

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use diesel_async::pooled_connection::PoolableConnection;
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
    /// Idle connections kept by the tenant they are pinned to (per-worker pools only).
    parked: Option<Arc<Parked>>,
}

/// Idle connections by pinned schema. A checkout for a tenant takes one already pinned to it,
/// so switching `search_path` (a round trip, and a re-plan of every cached statement) happens
/// only when no such connection is idle. A preference, not a partition: when the pool is full,
/// a connection idle for another tenant is taken and re-pinned.
#[derive(Default)]
struct Parked(Mutex<HashMap<SchemaName, Vec<Pooled>>>);

impl Parked {
    fn take(&self, schema: &SchemaName) -> Option<Pooled> {
        let mut idle = self.0.lock().expect("parked");
        let list = idle.get_mut(schema)?;
        let obj = list.pop();
        if list.is_empty() {
            // Keep the map as small as the idle set, however many tenants pass through.
            idle.remove(schema);
        }
        obj
    }

    fn take_any(&self) -> Option<Pooled> {
        let busiest = {
            let idle = self.0.lock().expect("parked");
            idle.iter()
                .max_by_key(|(_, v)| v.len())
                .map(|(k, _)| k.clone())?
        };
        self.take(&busiest)
    }

    fn put(&self, schema: SchemaName, obj: Pooled) {
        self.0
            .lock()
            .expect("parked")
            .entry(schema)
            .or_default()
            .push(obj);
    }
}

impl Db {
    pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        Ok(Self {
            pool: pool::build(settings)?,
            parked: None,
        })
    }

    /// A pool that prefers, for each tenant, a connection already pinned to it. For a pool used
    /// by one thread (an HTTP worker's): a connection is parked only while nobody waits.
    pub fn connect_tenant_affine(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        Ok(Self {
            pool: pool::build(settings)?,
            parked: Some(Arc::default()),
        })
    }

    /// A pooled connection without waiting when one is parked and the pool is full.
    async fn checkout(&self, schema: Option<&SchemaName>) -> Result<Pooled, DbUnavailable> {
        if let Some(parked) = &self.parked {
            if let Some(obj) = schema.and_then(|s| parked.take(s)) {
                return Ok(obj);
            }
            let status = self.pool.status();
            if status.available == 0
                && status.size >= status.max_size
                && let Some(obj) = parked.take_any()
            {
                return Ok(obj);
            }
        }
        Ok(self.pool.get().await?)
    }

    /// A connection whose `search_path` is exactly the tenant's schema. Tenant tables are written
    /// unqualified, so nothing reached through it can belong to another tenant.
    #[tracing::instrument(level = "debug", skip(self), fields(tenant = %slug))]
    pub async fn tenant(&self, slug: &TenantSlug) -> Result<TenantConn, DbUnavailable> {
        let schema = slug.schema();
        let mut obj = self.checkout(Some(&schema)).await?;
        if obj.schema.as_ref() != Some(&schema) {
            pin(&mut obj, &schema).await?;
        }
        Ok(TenantConn {
            obj: Some(obj),
            slug: slug.clone(),
            parked: self.parked.clone().map(|p| (p, self.pool.clone())),
        })
    }

    /// A connection for the platform tables (`public.*`, always written schema-qualified).
    pub async fn platform(&self) -> Result<PlatformConn, DbUnavailable> {
        Ok(PlatformConn(self.checkout(None).await?))
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
    /// Always `Some` until dropped.
    obj: Option<Pooled>,
    slug: TenantSlug,
    parked: Option<(Arc<Parked>, Pool)>,
}

impl TenantConn {
    pub fn slug(&self) -> &TenantSlug {
        &self.slug
    }
}

impl Drop for TenantConn {
    /// Back to the tenant's idle list when the pool is tenant-affine, healthy and nobody waits;
    /// otherwise back to the pool.
    fn drop(&mut self) {
        let (Some(mut obj), Some((parked, pool))) = (self.obj.take(), self.parked.take()) else {
            return;
        };
        if pool.status().waiting == 0
            && !obj.conn.is_broken()
            && !std::thread::panicking()
            && let Some(schema) = obj.schema.clone()
        {
            parked.put(schema, obj);
        }
    }
}

impl Deref for TenantConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.obj.as_ref().expect("live connection").conn
    }
}

impl DerefMut for TenantConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.obj.as_mut().expect("live connection").conn
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
