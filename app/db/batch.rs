//! Calls that ask one tenant the same question at the same moment share one statement.
//!
//! A statement costs PostgreSQL far more to start, run and answer than the few rows it reads:
//! run as one statement over an array of eight callers' inputs, a balance inquiry costs it about
//! a quarter of what eight statements cost. So each worker keeps a lane per tenant: a call joins
//! the lane's open batch, and the batch goes to the database as soon as the lane's statement
//! before it has been answered. A call that finds the lane idle goes at once, alone; under load,
//! the calls that come while a statement runs wait together for the next one.
//!
//! A batch is run by a task of its own, not by any one call's future, so a call whose client
//! goes away takes nothing from the others.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{Semaphore, oneshot};

use super::{Db, TenantStatements};
use crate::error::AppError;
use crate::tenancy::{SchemaName, TenantSlug};

/// Statements of one lane in flight at once. With two, a statement could start while the one
/// before it was read back, but each gathered fewer calls: on 2 cores, balance inquiries went
/// 2.9 to a statement and 7 % slower, with a higher p99, than with one.
const WIDTH: usize = 1;
/// Most calls in one statement; a call that finds the open batch full starts the next.
const MOST: usize = 64;

/// By question: the statements run and the calls they answered, since the process started.
static SHARED: Mutex<BTreeMap<&'static str, (u64, u64)>> = Mutex::new(BTreeMap::new());

/// `(question, [statements, calls])` for each question asked so far, for `/metrics`.
pub fn shared_counts() -> Vec<(&'static str, [u64; 2])> {
    lock(&SHARED)
        .iter()
        .map(|(q, (statements, calls))| (*q, [*statements, *calls]))
        .collect()
}

/// A row of a shared statement: it says which of the batch's calls it answers, counted from 0
/// in the order the calls came (the statement's `WITH ORDINALITY`, less one).
pub trait Answers {
    fn ask(&self) -> i64;
}

/// One call's answer: its rows, or why the statement failed.
type Answer<R> = Result<Vec<R>, Failure>;

/// A failed batch, told to each of its calls.
#[derive(Clone)]
struct Failure {
    unavailable: bool,
    cause: Arc<str>,
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        let cause = match &e {
            AppError::Unavailable(c) | AppError::Internal(c) => format!("{c:#}"),
            other => other.to_string(),
        };
        Self {
            unavailable: matches!(e, AppError::Unavailable(_)),
            cause: cause.into(),
        }
    }
}

impl From<Failure> for AppError {
    fn from(f: Failure) -> Self {
        let cause = anyhow::anyhow!("{} (a statement shared by several calls)", f.cause);
        if f.unavailable {
            Self::Unavailable(cause)
        } else {
            Self::Internal(cause)
        }
    }
}

/// The calls gathered so far for one statement, in the order they came.
struct Open<A, R> {
    asks: Vec<A>,
    answers: Vec<oneshot::Sender<Answer<R>>>,
}

impl<A, R> Default for Open<A, R> {
    fn default() -> Self {
        Self {
            asks: Vec::new(),
            answers: Vec::new(),
        }
    }
}

type Shared<T> = Arc<Mutex<T>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Lane<A, R> {
    /// The batch that calls join, until its runner takes it.
    open: Option<Shared<Open<A, R>>>,
    places: Arc<Semaphore>,
}

type Lanes<A, R> = Shared<HashMap<SchemaName, Lane<A, R>>>;

/// One question's lanes, by tenant, for the calls of one worker.
pub struct Batches<A, R> {
    /// The question's name in `/metrics`.
    question: &'static str,
    lanes: Lanes<A, R>,
}

impl<A, R> Batches<A, R> {
    pub fn new(question: &'static str) -> Self {
        Self {
            question,
            lanes: Arc::default(),
        }
    }
}

impl<A, R> Batches<A, R>
where
    A: Send + 'static,
    R: Answers + Send + 'static,
{
    /// Asks the tenant `ask`, together with the calls that come with it, and gets back the rows
    /// that answer it.
    ///
    /// `run` answers a batch on a connection of the tenant's: it gets the asks in the order they
    /// came, and gives back rows that each name the ask they answer ([`Answers`]).
    pub async fn ask<F, Fut>(
        &self,
        db: &Db,
        slug: &TenantSlug,
        ask: A,
        run: F,
    ) -> Result<Vec<R>, AppError>
    where
        F: FnOnce(TenantStatements, Vec<A>) -> Fut + Send + 'static,
        Fut: Future<Output = diesel::QueryResult<Vec<R>>> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let schema = slug.schema();
        let started = {
            let mut lanes = lock(&self.lanes);
            let lane = lanes.entry(schema.clone()).or_insert_with(|| Lane {
                open: None,
                places: Arc::new(Semaphore::new(WIDTH)),
            });
            let full = match &lane.open {
                Some(open) => {
                    let mut open = lock(open);
                    if open.asks.len() < MOST {
                        open.asks.push(ask);
                        open.answers.push(tx);
                        None
                    } else {
                        Some((ask, tx))
                    }
                }
                None => Some((ask, tx)),
            };
            full.map(|(ask, tx)| {
                let open = Arc::new(Mutex::new(Open {
                    asks: vec![ask],
                    answers: vec![tx],
                }));
                lane.open = Some(open.clone());
                (open, lane.places.clone())
            })
        };
        if let Some((open, places)) = started {
            tokio::spawn(answer_batch(
                self.question,
                self.lanes.clone(),
                schema,
                db.clone(),
                slug.clone(),
                (open, places),
                run,
            ));
        }
        match rx.await {
            Ok(answer) => answer.map_err(AppError::from),
            Err(_) => Err(AppError::Internal(anyhow::anyhow!(
                "a shared statement ended without answering"
            ))),
        }
    }
}

/// Waits for a place in the lane, closes the batch to newcomers, runs it and answers each call.
async fn answer_batch<A, R, F, Fut>(
    question: &'static str,
    lanes: Lanes<A, R>,
    schema: SchemaName,
    db: Db,
    slug: TenantSlug,
    (open, places): (Shared<Open<A, R>>, Arc<Semaphore>),
    run: F,
) where
    F: FnOnce(TenantStatements, Vec<A>) -> Fut,
    Fut: Future<Output = diesel::QueryResult<Vec<R>>>,
    R: Answers,
{
    // The semaphore is never closed.
    let _place = places.acquire_owned().await;
    if let Some(lane) = lock(&lanes).get_mut(&schema)
        && lane.open.as_ref().is_some_and(|o| Arc::ptr_eq(o, &open))
    {
        lane.open = None;
    }
    let Open { asks, answers } = std::mem::take(&mut *lock(&open));
    {
        let mut shared = lock(&SHARED);
        let (statements, calls) = shared.entry(question).or_default();
        *statements += 1;
        *calls += asks.len() as u64;
    }
    let rows = match db.tenant_statements(&slug).await {
        Ok(conn) => run(conn, asks).await.map_err(AppError::from),
        Err(e) => Err(AppError::from(e)),
    };
    match rows {
        Ok(rows) => {
            let mut each: Vec<Vec<R>> = answers.iter().map(|_| Vec::new()).collect();
            for row in rows {
                let ask = usize::try_from(row.ask()).ok();
                if let Some(rows) = ask.and_then(|i| each.get_mut(i)) {
                    rows.push(row);
                }
            }
            for (tx, rows) in answers.into_iter().zip(each) {
                // A call whose client has gone no longer listens.
                let _ = tx.send(Ok(rows));
            }
        }
        Err(e) => {
            let failure = Failure::from(e);
            for tx in answers {
                let _ = tx.send(Err(failure.clone()));
            }
        }
    }
}
