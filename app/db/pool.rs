//! The connection pool. Each pooled connection remembers which tenant schema its `search_path`
//! points at, so pinning costs a round trip only when a connection changes tenant, and a
//! checkout never pays for a health query (`/healthz` and failing queries find a dead database).

use std::time::Duration;

use diesel::ConnectionError;
use diesel_async::pooled_connection::PoolableConnection;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use crate::config::DatabaseSettings;
use crate::tenancy::SchemaName;

/// A pooled connection and the schema its session `search_path` is known to hold.
pub struct TrackedConn {
    pub(super) conn: AsyncPgConnection,
    /// `None` until a tenant pinned it, or after a failed `SET`: never trusted blindly.
    pub(super) schema: Option<SchemaName>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error("cannot connect: {0}")]
    Connect(#[from] ConnectionError),
    #[error("cannot configure a new connection: {0}")]
    Setup(#[from] diesel::result::Error),
}

pub struct Manager {
    url: String,
    statement_timeout_ms: u64,
}

impl deadpool::managed::Manager for Manager {
    type Type = TrackedConn;
    type Error = ConnError;

    async fn create(&self) -> Result<TrackedConn, ConnError> {
        let mut conn = AsyncPgConnection::establish(&self.url).await?;
        // Generic plans: a prepared statement is planned once per connection. PostgreSQL would
        // otherwise plan the first five calls for their values, and keep doing so for a statement
        // whose generic plan it judges dearer; every statement here has one good plan.
        conn.batch_execute(&format!(
            "SET statement_timeout = {}; SET application_name = 'renkei'; SET search_path = public; \
             SET plan_cache_mode = force_generic_plan",
            self.statement_timeout_ms
        ))
        .await?;
        Ok(TrackedConn { conn, schema: None })
    }

    async fn recycle(
        &self,
        obj: &mut TrackedConn,
        _: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<ConnError> {
        // A connection dropped mid-transaction, or whose last query failed at the protocol level,
        // is broken: discard it rather than hand out a session in an unknown state.
        if std::thread::panicking() || obj.conn.is_broken() {
            return Err(deadpool::managed::RecycleError::message(
                "broken connection",
            ));
        }
        Ok(())
    }
}

pub type Pool = deadpool::managed::Pool<Manager>;
pub type Pooled = deadpool::managed::Object<Manager>;

pub fn build(settings: &DatabaseSettings) -> anyhow::Result<Pool> {
    let manager = Manager {
        url: settings.url.clone(),
        statement_timeout_ms: settings.statement_timeout_ms,
    };
    let wait = Duration::from_millis(settings.acquire_timeout_ms);
    Ok(Pool::builder(manager)
        .max_size(settings.pool_size)
        // The connection used last goes out first: work done one call after another (the access
        // ledger, a pass over notices) stays on one backend, whose statements are prepared.
        .queue_mode(deadpool::managed::QueueMode::Lifo)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(wait))
        .create_timeout(Some(wait))
        .recycle_timeout(Some(wait))
        .build()?)
}
