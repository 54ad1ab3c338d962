//! The access ledger: one row per API call (partner, grant, endpoint, account, rows returned).
//! Calls hand their row to a writer task and return at once; the writer inserts in batches, and on
//! shutdown writes what is still queued before the process exits.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::RunQueryDsl;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::db::Db;
use crate::db::schema::tenant::access_ledger as al;
use crate::tenancy::TenantSlug;

const BATCH: usize = 500;
const QUEUE: usize = 50_000;

#[derive(Debug, Clone)]
pub struct Entry {
    pub tenant: TenantSlug,
    pub at: DateTime<Utc>,
    pub grant_id: Uuid,
    pub partner_id: Uuid,
    pub endpoint: &'static str,
    pub account_id: Option<String>,
    pub rows: i32,
    pub status: i16,
}

#[derive(Clone)]
pub struct Ledger {
    tx: mpsc::Sender<Entry>,
}

impl Ledger {
    /// Starts the writer; it ends after every `Ledger` clone is dropped and the queue is written.
    pub fn start(db: Db) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (Self { tx }, tokio::spawn(write_loop(db, rx)))
    }

    /// Queues a row. Waits only when the queue is full, so rows are never dropped.
    pub async fn record(&self, entry: Entry) {
        if self.tx.send(entry).await.is_err() {
            tracing::error!("access ledger writer has stopped; a ledger row was not written");
        }
    }
}

async fn write_loop(db: Db, mut rx: mpsc::Receiver<Entry>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        // Let a burst gather into one insert.
        if batch.len() < BATCH {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let room = BATCH - batch.len();
            rx.recv_many(&mut batch, room).await;
        }
        let mut by_tenant: HashMap<TenantSlug, Vec<Entry>> = HashMap::new();
        for e in batch.drain(..) {
            by_tenant.entry(e.tenant.clone()).or_default().push(e);
        }
        for (tenant, entries) in by_tenant {
            write_with_retry(&db, &tenant, &entries).await;
        }
        if rx.is_closed() && rx.is_empty() {
            break;
        }
    }
}

async fn write_with_retry(db: &Db, tenant: &TenantSlug, entries: &[Entry]) {
    let mut delay = Duration::from_millis(100);
    for attempt in 1..=6 {
        match write(db, tenant, entries).await {
            Ok(()) => return,
            Err(e) if attempt < 6 => {
                tracing::warn!(tenant = %tenant, attempt, error = %e, "access ledger write failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(e) => {
                tracing::error!(tenant = %tenant, rows = entries.len(), error = %e, "access ledger rows could not be written");
            }
        }
    }
}

async fn write(db: &Db, tenant: &TenantSlug, entries: &[Entry]) -> anyhow::Result<()> {
    let mut conn = db.tenant(tenant).await?;
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            use diesel::ExpressionMethods;
            (
                al::at.eq(e.at),
                al::grant_id.eq(e.grant_id),
                al::partner_id.eq(e.partner_id),
                al::endpoint.eq(e.endpoint),
                al::account_id.eq(e.account_id.as_deref()),
                al::rows_returned.eq(e.rows),
                al::status.eq(e.status),
            )
        })
        .collect();
    diesel::insert_into(al::table)
        .values(rows)
        .execute(&mut conn)
        .await?;
    Ok(())
}
