//! The access ledger: one row per API call (partner, grant, endpoint, account, rows returned).
//! Calls hand their row to a writer task and return at once; the writer inserts in batches, and on
//! shutdown writes what is still queued before the process exits.
//!
//! A batch is one insert per tenant in it, so what an insert costs is paid per tenant, not per
//! row. Rows land within `QUIET` of a call when calls are few. Under steady traffic the writer
//! gathers for up to `GATHER`, and a tenant's rows wait until it has `CHUNK` of them or its oldest
//! has waited `HOLD`: with a thousand tenants, most inserts then carry tens of rows, not a few.
//! Each insert costs PostgreSQL about as much as a few dozen rows do, and otherwise a thousand
//! tenants would cost a thousand inserts a second.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Integer, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid};
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use uuid::Uuid;

use crate::db::Db;
use crate::statement;
use crate::tenancy::TenantSlug;

/// Most rows in one batch: about a second of calls at full speed.
const BATCH: usize = 20_000;
const QUEUE: usize = 50_000;
/// A batch is written once no row has come for this long...
const QUIET: Duration = Duration::from_millis(20);
/// ... or once it has gathered for this long.
const GATHER: Duration = Duration::from_secs(1);
/// Most rows in one insert: a big tenant's second of calls is written in a few short statements,
/// none of which holds a core for long.
const CHUNK: usize = 1_000;
/// Tenants written at once (the background pool has at most four connections).
const WRITERS: usize = 3;
/// Under steady traffic, how long a tenant's rows wait for more of its rows. Rows are looked at
/// once a gathering ends, so the oldest is written within `HOLD` + `GATHER` of its call.
const HOLD: Duration = Duration::from_secs(5);

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
    let mut batch = Vec::new();
    let mut held = Held::default();
    loop {
        // With rows held, `gather` below comes back within `QUIET` if no call comes.
        if held.is_empty() && rx.recv_many(&mut batch, BATCH).await == 0 {
            break;
        }
        // The batch's first rows came about now; the rest while it gathers.
        let came = Instant::now();
        let quiet = gather(&mut rx, &mut batch).await;
        held.add(batch.drain(..), came);
        let writes = held.take_due(quiet, Instant::now());
        // A statement a tenant (or a chunk of one); a few at once, each on a connection of its own.
        let writes: Vec<(&TenantSlug, &[Entry])> = writes
            .iter()
            .flat_map(|(tenant, entries)| entries.chunks(CHUNK).map(move |chunk| (tenant, chunk)))
            .collect();
        futures_util::stream::iter(writes)
            .for_each_concurrent(WRITERS, |(tenant, entries)| {
                let db = &db;
                async move { write_with_retry(db, tenant, entries).await }
            })
            .await;
        if rx.is_closed() && rx.is_empty() && held.is_empty() {
            break;
        }
    }
}

/// Rows waiting for more of their tenant's rows.
#[derive(Default)]
struct Held {
    by_tenant: HashMap<TenantSlug, Waiting>,
}

struct Waiting {
    /// When the oldest row came.
    since: Instant,
    entries: Vec<Entry>,
}

impl Held {
    fn is_empty(&self) -> bool {
        self.by_tenant.is_empty()
    }

    /// Holds rows that came from `came` on.
    fn add(&mut self, entries: impl Iterator<Item = Entry>, came: Instant) {
        for e in entries {
            self.by_tenant
                .entry(e.tenant.clone())
                .or_insert_with(|| Waiting {
                    since: came,
                    entries: Vec::new(),
                })
                .entries
                .push(e);
        }
    }

    /// The rows to write now: every tenant's once calls have gone quiet (or the queue has closed);
    /// else those of each tenant with `CHUNK` rows or whose oldest has waited `HOLD`.
    fn take_due(&mut self, quiet: bool, now: Instant) -> Vec<(TenantSlug, Vec<Entry>)> {
        self.by_tenant
            .extract_if(|_, w| {
                quiet || w.entries.len() >= CHUNK || now.duration_since(w.since) >= HOLD
            })
            .map(|(tenant, w)| (tenant, w.entries))
            .collect()
    }
}

/// Adds to `batch` what comes in `QUIET` steps, until a step brings nothing (then it answers
/// true: calls have gone quiet), `GATHER` has passed or the batch is full. A closed channel brings
/// nothing, so shutdown does not wait.
async fn gather(rx: &mut mpsc::Receiver<Entry>, batch: &mut Vec<Entry>) -> bool {
    let started = Instant::now();
    while batch.len() < BATCH && started.elapsed() < GATHER {
        tokio::time::sleep(QUIET).await;
        let before = batch.len();
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(entry) => batch.push(entry),
                Err(_) => break,
            }
        }
        if batch.len() == before {
            return true;
        }
    }
    false
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        entry_of("kitami")
    }

    fn entry_of(tenant: &str) -> Entry {
        Entry {
            tenant: TenantSlug::parse(tenant).unwrap(),
            at: Utc::now(),
            grant_id: Uuid::nil(),
            partner_id: Uuid::nil(),
            endpoint: "balances",
            account_id: None,
            rows: 1,
            status: 200,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_written_once_the_calls_stop() {
        let (tx, mut rx) = mpsc::channel(QUEUE);
        for _ in 0..3 {
            tx.send(entry()).await.unwrap();
        }
        let mut batch = Vec::new();
        rx.recv_many(&mut batch, BATCH).await;
        let started = Instant::now();
        let quiet = gather(&mut rx, &mut batch).await;
        assert_eq!((quiet, batch.len()), (true, 3));
        assert_eq!(started.elapsed(), QUIET);
    }

    #[tokio::test(start_paused = true)]
    async fn steady_calls_gather_for_at_most_a_second() {
        let (tx, mut rx) = mpsc::channel(QUEUE);
        tokio::spawn(async move {
            loop {
                if tx.send(entry()).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let mut batch = Vec::new();
        rx.recv_many(&mut batch, BATCH).await;
        let started = Instant::now();
        let quiet = gather(&mut rx, &mut batch).await;
        assert!(!quiet);
        let took = started.elapsed();
        assert!((GATHER..GATHER + QUIET).contains(&took), "{took:?}");
        assert!((95..=105).contains(&batch.len()), "{}", batch.len());
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_queue_is_not_waited_for() {
        let (tx, mut rx) = mpsc::channel(QUEUE);
        tx.send(entry()).await.unwrap();
        drop(tx);
        let mut batch = Vec::new();
        rx.recv_many(&mut batch, BATCH).await;
        let started = Instant::now();
        let quiet = gather(&mut rx, &mut batch).await;
        assert_eq!((quiet, batch.len(), started.elapsed()), (true, 1, QUIET));
        assert_eq!(rx.recv_many(&mut batch, BATCH).await, 0);
    }

    fn tenants(due: &[(TenantSlug, Vec<Entry>)]) -> Vec<(String, usize)> {
        let mut t: Vec<_> = due
            .iter()
            .map(|(tenant, rows)| (tenant.to_string(), rows.len()))
            .collect();
        t.sort();
        t
    }

    #[tokio::test(start_paused = true)]
    async fn under_steady_calls_a_small_tenant_waits_until_its_oldest_row_is_due() {
        let mut held = Held::default();
        let start = Instant::now();
        held.add([entry_of("kitami"), entry_of("hokuto")].into_iter(), start);
        held.add((0..CHUNK).map(|_| entry_of("hokuto")), start + GATHER);
        let due = held.take_due(false, start + GATHER);
        assert_eq!(tenants(&due), [("hokuto".to_owned(), CHUNK + 1)]);

        held.add([entry_of("kitami")].into_iter(), start + HOLD - GATHER);
        assert!(held.take_due(false, start + HOLD - GATHER).is_empty());
        let due = held.take_due(false, start + HOLD);
        assert_eq!(tenants(&due), [("kitami".to_owned(), 2)]);
        assert!(held.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn once_calls_go_quiet_every_held_row_is_due() {
        let mut held = Held::default();
        let now = Instant::now();
        held.add([entry_of("kitami"), entry_of("hokuto")].into_iter(), now);
        let due = held.take_due(true, now);
        assert_eq!(
            tenants(&due),
            [("hokuto".to_owned(), 1), ("kitami".to_owned(), 1)]
        );
        assert!(held.is_empty());
    }
}
