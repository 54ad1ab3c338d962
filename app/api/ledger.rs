//! The access ledger: one row per API call (partner, grant, endpoint, account, rows returned).
//! Calls hand their row to a writer task and return at once; the writer inserts in batches, and on
//! shutdown writes what is still queued before the process exits.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Integer, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid};
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::db::Db;
use crate::statement;
use crate::tenancy::TenantSlug;

const BATCH: usize = 500;
const QUEUE: usize = 50_000;
/// Tenants written at once (the background pool has at most four connections).
const WRITERS: usize = 3;

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
        // A statement a tenant; a few tenants at once, each on a connection of its own.
        futures_util::stream::iter(by_tenant)
            .for_each_concurrent(WRITERS, |(tenant, entries)| {
                let db = &db;
                async move { write_with_retry(db, &tenant, &entries).await }
            })
            .await;
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

statement!(
    /// A batch of one tenant's rows, as one array per column: one statement, whatever the count.
    InsertLedgerSql,
    "INSERT INTO {schema}.access_ledger (at, grant_id, partner_id, endpoint, account_id, rows_returned, status)
     SELECT * FROM unnest(?::timestamptz[], ?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::int4[], ?::int2[])"
);

async fn write(db: &Db, tenant: &TenantSlug, entries: &[Entry]) -> anyhow::Result<()> {
    let mut conn = db.tenant_statements(tenant).await?;
    conn.query::<InsertLedgerSql>()
        .bind::<Array<Timestamptz>, _>(entries.iter().map(|e| e.at).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(entries.iter().map(|e| e.grant_id).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(entries.iter().map(|e| e.partner_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(entries.iter().map(|e| e.endpoint).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(
            entries
                .iter()
                .map(|e| e.account_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Integer>, _>(entries.iter().map(|e| e.rows).collect::<Vec<_>>())
        .bind::<Array<SmallInt>, _>(entries.iter().map(|e| e.status).collect::<Vec<_>>())
        .execute()
        .await?;
    Ok(())
}
