//! Database access. A tenant's data is reached only through a connection bound to that tenant:
//! [`Db::tenant_statements`] hands out a [`TenantStatements`], which runs statements naming the
//! tenant's schema before every table, and [`Db::tenant`] a [`TenantConn`], whose `search_path` is
//! the tenant's schema, for diesel's query builder. [`Db::platform`] reaches the platform tables in
//! `public`, which are always schema-qualified.

mod affinity;
pub mod batch;
pub mod migrate;
mod pool;
pub mod prepared;
pub mod schema;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use diesel::QueryResult;
use diesel::deserialize::{FromSqlRow, QueryableByName};
use diesel::expression::QueryMetadata;
use diesel::pg::Pg;
use diesel::query_dsl::CompatibleType;
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use affinity::{Affinity, Lease};
pub use pool::Pool;
use pool::Pooled;
use prepared::{Qualified, Sql};

use crate::config::DatabaseSettings;
use crate::tenancy::{SchemaName, TenantSlug};

/// Why no connection could be had: the request answers 503.
#[derive(Debug, thiserror::Error)]
pub enum DbUnavailable {
    #[error("database pool: {0}")]
    Pool(#[from] deadpool::managed::PoolError<pool::ConnError>),
    #[error("pinning the tenant schema: {0}")]
    Pin(#[from] diesel::result::Error),
    #[error("no database connection became free in time")]
    Busy,
}

#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// Slots that keep each tenant on the same few connections (per-worker pools only).
    affinity: Option<Arc<Affinity>>,
    wait: Duration,
}

impl Db {
    pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        Ok(Self {
            pool: pool::build(settings)?,
            affinity: None,
            wait: Duration::from_millis(settings.acquire_timeout_ms),
        })
    }

    /// A pool whose connections keep serving the same tenants ([`affinity`]), for the requests
    /// of one HTTP worker.
    pub fn connect_tenant_affine(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        Ok(Self {
            pool: pool::build(settings)?,
            affinity: Some(Affinity::new(settings.pool_size)),
            wait: Duration::from_millis(settings.acquire_timeout_ms),
        })
    }

    /// A pooled connection, from `key`'s slots when the pool has them.
    async fn checkout(&self, key: &str) -> Result<Lease, DbUnavailable> {
        match &self.affinity {
            Some(affinity) => {
                let lease = affinity
                    .lease(key, self.wait)
                    .await
                    .ok_or(DbUnavailable::Busy)?;
                Ok(lease.connected(&self.pool).await?)
            }
            None => Ok(Lease::plain(self.pool.get().await?)),
        }
    }

    /// A connection for the tenant's schema-qualified statements ([`TenantStatements::query`]).
    /// It prefers a connection that last served this tenant, whose backend has the tenant's
    /// statements prepared and its tables in its catalogue caches; it never sets `search_path`.
    #[tracing::instrument(level = "debug", skip(self), fields(tenant = %slug))]
    pub async fn tenant_statements(
        &self,
        slug: &TenantSlug,
    ) -> Result<TenantStatements, DbUnavailable> {
        let schema = slug.schema();
        let lease = self.checkout(schema.as_str()).await?;
        Ok(TenantStatements {
            lease,
            slug: slug.clone(),
            schema,
        })
    }

    /// A connection whose `search_path` is exactly the tenant's schema, for diesel's query
    /// builder. Tenant tables are written unqualified, so nothing reached through it can belong to
    /// another tenant.
    pub async fn tenant(&self, slug: &TenantSlug) -> Result<TenantConn, DbUnavailable> {
        self.tenant_statements(slug).await?.pin().await
    }

    /// A connection for the platform tables (`public.*`, always written schema-qualified).
    pub async fn platform(&self) -> Result<PlatformConn, DbUnavailable> {
        Ok(PlatformConn(self.checkout("").await?))
    }

    /// In-use and idle connections, for `/metrics`.
    pub fn status(&self) -> deadpool::Status {
        let mut status = self.pool.status();
        if let Some(affinity) = &self.affinity {
            // Connections resting in their slots are checked out of the pool, but idle.
            let c = affinity.counts();
            status.size = c.size;
            status.available = c.idle;
            status.waiting = c.waiting;
        }
        status
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

/// A pooled connection that runs one tenant's schema-qualified statements, and nothing else.
pub struct TenantStatements {
    lease: Lease,
    slug: TenantSlug,
    schema: SchemaName,
}

impl TenantStatements {
    pub fn slug(&self) -> &TenantSlug {
        &self.slug
    }

    /// `M`'s statement for this tenant, to bind and run. `M::SQL` writes `{schema}.` before every
    /// tenant table; a statement that forgets one panics on first use.
    pub fn query<M: Sql>(&mut self) -> TenantQuery<'_> {
        let q = Qualified::new::<M>(&self.schema);
        TenantQuery {
            conn: &mut self.lease.obj.as_mut().expect("connected").conn,
            q,
        }
    }

    /// The same connection with `search_path` set to the tenant's schema (a round trip only
    /// when it pointed elsewhere).
    pub async fn pin(mut self) -> Result<TenantConn, DbUnavailable> {
        let obj = self.lease.obj.as_mut().expect("connected");
        if obj.schema.as_ref() != Some(&self.schema) {
            pin(obj, &self.schema).await?;
        }
        Ok(TenantConn(self))
    }
}

/// One tenant statement being bound, on the connection that will run it.
pub struct TenantQuery<'c> {
    conn: &'c mut AsyncPgConnection,
    q: Qualified<'c>,
}

impl<'c> TenantQuery<'c> {
    pub fn bind<ST, V>(mut self, value: V) -> Self
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'c,
        ST: Send + 'c,
    {
        self.q.push::<ST, V>(value);
        self
    }

    pub async fn load<T>(self) -> QueryResult<Vec<T>>
    where
        T: QueryableByName<Pg> + Send + 'static,
    {
        RunQueryDsl::load(self.q, self.conn).await
    }

    /// Rows read by position: `ST` are the SQL types of the statement's columns in order, and
    /// `T` derives [`diesel::Queryable`] with its fields in the same order.
    pub async fn load_positional<ST, T>(self) -> QueryResult<Vec<T>>
    where
        ST: CompatibleType<T, Pg> + 'static,
        Pg: QueryMetadata<ST>,
        T: FromSqlRow<ST::SqlType, Pg> + Send + 'static,
    {
        RunQueryDsl::load(self.q.typed::<ST>(), self.conn).await
    }

    pub async fn get_result<T>(self) -> QueryResult<T>
    where
        T: QueryableByName<Pg> + Send + 'static,
    {
        RunQueryDsl::get_result(self.q, self.conn).await
    }

    pub async fn execute(self) -> QueryResult<usize> {
        RunQueryDsl::execute(self.q, self.conn).await
    }
}

/// A pooled connection pinned to one tenant's schema.
pub struct TenantConn(TenantStatements);

impl TenantConn {
    pub fn slug(&self) -> &TenantSlug {
        &self.0.slug
    }

    /// The tenant's schema-qualified statements, on this connection.
    pub fn statements(&mut self) -> &mut TenantStatements {
        &mut self.0
    }
}

impl Deref for TenantConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.0.lease.obj.as_ref().expect("connected").conn
    }
}

impl DerefMut for TenantConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.0.lease.obj.as_mut().expect("connected").conn
    }
}

/// A pooled connection for platform tables only.
pub struct PlatformConn(Lease);

impl Deref for PlatformConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.0.obj.as_ref().expect("connected").conn
    }
}

impl DerefMut for PlatformConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.0.obj.as_mut().expect("connected").conn
    }
}
