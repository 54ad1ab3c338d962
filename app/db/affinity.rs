//! Connections that keep serving the same tenants.
//!
//! The first statements a PostgreSQL backend runs for a tenant cost it several milliseconds: it
//! loads the tenant's tables into its catalogue caches, then parses and plans each statement.
//! After that a call costs a tenth of a millisecond. With many tenants and any connection serving
//! any tenant, every backend would pay that for every tenant, and hold all their catalogues.
//!
//! So each tenant has its own order of preference over a worker's connection slots (rendezvous
//! hashing: stable, and different for each tenant), and uses only the first few, its prefix. The
//! prefix is as long as the tenant's share of the worker's recent requests asks: two slots for a
//! tenant among a thousand quiet ones, every slot for one of two busy tenants. Within its prefix a
//! request takes the free slot that served its tenant last, else one never used. A request whose
//! prefix is busy waits for one of its slots; after `PATIENCE` it takes any free slot instead,
//! so a free connection is never kept long from someone waiting.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use super::pool::{ConnError, Pool, Pooled};

/// How long a request waits for its own slots before it takes any free one. Long enough that a
/// busy moment does not spread a tenant over every connection; short beside a slow query.
const PATIENCE: Duration = Duration::from_millis(50);
/// Shares are counted over about this many recent requests (halved when the count reaches it).
const WINDOW: u64 = 4096;

/// The slots of one worker's pool.
pub struct Affinity {
    state: Mutex<State>,
}

struct State {
    slots: Vec<Slot>,
    /// The key each slot served last.
    last: Vec<Option<Arc<str>>>,
    /// By key: a tenant's schema, or "" for the platform tables.
    prefs: HashMap<Arc<str>, Preference>,
    waiters: VecDeque<Waiter>,
    hasher: std::hash::RandomState,
    /// Requests counted in the current window, over all keys.
    total: u64,
}

enum Slot {
    /// No connection yet, or the last one broke: the next user connects.
    Empty,
    Idle(Box<Pooled>),
    Busy,
}

struct Preference {
    order: Arc<[u16]>,
    /// This key's requests in the current window.
    hits: u64,
}

impl Preference {
    /// Two slots, and two more for each share of the window that one slot would serve.
    fn prefix(&self, total: u64) -> usize {
        let n = self.order.len() as u64;
        let k = 2 + 2 * n * self.hits / total.max(1);
        usize::try_from(k.min(n)).unwrap_or(self.order.len())
    }
}

struct Waiter {
    /// It waits for the first `k` slots of its order: its prefix, or all of them once its
    /// patience is over.
    order: Arc<[u16]>,
    k: usize,
    key: Arc<str>,
    tx: oneshot::Sender<Lease>,
}

/// A slot in use: its connection (`None` while it is still to be made) goes back to the slot
/// when the lease is dropped, whoever holds it then.
pub struct Lease {
    pub(super) obj: Option<Pooled>,
    home: Option<(Arc<Affinity>, usize)>,
}

impl Lease {
    /// A connection of a pool without slots.
    pub fn plain(obj: Pooled) -> Self {
        Self {
            obj: Some(obj),
            home: None,
        }
    }

    /// The connection, made now when the slot had none.
    pub async fn connected(
        mut self,
        pool: &Pool,
    ) -> Result<Self, deadpool::managed::PoolError<ConnError>> {
        if self.obj.is_none() {
            self.obj = Some(pool.get().await?);
        }
        Ok(self)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some((home, slot)) = self.home.take() {
            home.release(slot, self.obj.take());
        }
    }
}

/// What `/metrics` shows of a pool with slots.
pub struct Counts {
    pub size: usize,
    pub idle: usize,
    pub waiting: usize,
}

impl Affinity {
    pub fn new(slots: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State::new(slots)),
        })
    }

    /// A slot for `key`: a free one of its prefix, else the first of them released; after
    /// `PATIENCE`, the first free slot of its whole order, else the first released. At most
    /// `wait` in all.
    pub async fn lease(self: &Arc<Self>, key: &str, wait: Duration) -> Option<Lease> {
        let (order, rx) = {
            let mut st = self.state.lock().expect("affinity");
            let (order, k) = st.count(key);
            // Of the free slots of the prefix: the one that served this key last (already pinned
            // to it), else one never used, else the first.
            let free = order[..k]
                .iter()
                .map(|&i| usize::from(i))
                .filter(|&i| st.is_free(i));
            let pick = free
                .clone()
                .find(|&i| st.last[i].as_deref() == Some(key))
                .or_else(|| free.clone().find(|&i| matches!(st.slots[i], Slot::Empty)))
                .or_else(|| free.clone().next());
            if let Some(slot) = pick {
                return Some(self.take(&mut st, slot, key));
            }
            let rx = st.wait_for(order.clone(), k, key);
            (order, rx)
        };
        // Dropping a receiver drops a lease sent to it meanwhile, which frees its slot again.
        let rx = match tokio::time::timeout(PATIENCE.min(wait), rx).await {
            Ok(got) => return got.ok(),
            Err(_) => {
                // The tenant's next slots in its own order, so that even these visits keep to a
                // few connections; else the first slot released.
                let mut st = self.state.lock().expect("affinity");
                let next = order
                    .iter()
                    .map(|&i| usize::from(i))
                    .find(|&i| st.is_free(i));
                if let Some(slot) = next {
                    return Some(self.take(&mut st, slot, key));
                }
                let all = order.len();
                st.wait_for(order, all, key)
            }
        };
        tokio::time::timeout(wait.saturating_sub(PATIENCE), rx)
            .await
            .ok()?
            .ok()
    }

    fn take(self: &Arc<Self>, st: &mut State, slot: usize, key: &str) -> Lease {
        if st.last[slot].as_deref() != Some(key) {
            st.last[slot] = st.prefs.get_key_value(key).map(|(k, _)| k.clone());
        }
        let obj = match std::mem::replace(&mut st.slots[slot], Slot::Busy) {
            Slot::Idle(obj) => Some(*obj),
            _ => None,
        };
        Lease {
            obj,
            home: Some((self.clone(), slot)),
        }
    }

    fn release(self: &Arc<Self>, slot: usize, obj: Option<Pooled>) {
        use diesel_async::pooled_connection::PoolableConnection;
        let mut obj =
            obj.and_then(|mut o| (!o.conn.is_broken() && !std::thread::panicking()).then_some(o));
        let id = u16::try_from(slot).unwrap_or(u16::MAX);
        let mut st = self.state.lock().expect("affinity");
        loop {
            // The longest waiter of those that want this slot.
            let chosen = st
                .waiters
                .iter()
                .position(|w| !w.tx.is_closed() && w.order[..w.k].contains(&id));
            let Some(at) = chosen else {
                st.waiters.retain(|w| !w.tx.is_closed());
                st.slots[slot] = obj.map_or(Slot::Empty, |o| Slot::Idle(Box::new(o)));
                return;
            };
            let w = st.waiters.remove(at).expect("position is in range");
            st.last[slot] = Some(w.key.clone());
            let lease = Lease {
                obj: obj.take(),
                home: Some((self.clone(), slot)),
            };
            match w.tx.send(lease) {
                Ok(()) => return,
                // The waiter gave up: take the connection back without running `Lease::drop`,
                // which would lock the state again.
                Err(mut lease) => {
                    obj = lease.obj.take();
                    lease.home = None;
                }
            }
        }
    }

    pub fn counts(&self) -> Counts {
        let st = self.state.lock().expect("affinity");
        Counts {
            size: st
                .slots
                .iter()
                .filter(|s| !matches!(s, Slot::Empty))
                .count(),
            idle: st
                .slots
                .iter()
                .filter(|s| matches!(s, Slot::Idle(_)))
                .count(),
            waiting: st.waiters.iter().filter(|w| !w.tx.is_closed()).count(),
        }
    }
}

impl State {
    /// `slots` empty slots (at least one, at most what a `u16` numbers).
    fn new(slots: usize) -> Self {
        let n = slots.clamp(1, usize::from(u16::MAX));
        Self {
            slots: (0..n).map(|_| Slot::Empty).collect(),
            last: vec![None; n],
            prefs: HashMap::new(),
            waiters: VecDeque::new(),
            hasher: std::hash::RandomState::new(),
            total: 0,
        }
    }

    fn is_free(&self, slot: usize) -> bool {
        !matches!(self.slots[slot], Slot::Busy)
    }

    /// Counts a request of `key`; its order of preference and the length of its prefix.
    fn count(&mut self, key: &str) -> (Arc<[u16]>, usize) {
        if self.total >= WINDOW {
            self.total /= 2;
            self.prefs.retain(|_, p| {
                p.hits /= 2;
                p.hits > 0
            });
        }
        self.total += 1;
        if !self.prefs.contains_key(key) {
            let order = rendezvous(&self.hasher, key, self.slots.len());
            self.prefs.insert(key.into(), Preference { order, hits: 0 });
        }
        let pref = self.prefs.get_mut(key).expect("just inserted");
        pref.hits += 1;
        (pref.order.clone(), pref.prefix(self.total))
    }

    /// Queues a request for the first `k` slots of `order`.
    fn wait_for(&mut self, order: Arc<[u16]>, k: usize, key: &str) -> oneshot::Receiver<Lease> {
        let (tx, rx) = oneshot::channel();
        let key = self
            .prefs
            .get_key_value(key)
            .map_or_else(|| Arc::from(key), |(k, _)| k.clone());
        self.waiters.retain(|w| !w.tx.is_closed());
        self.waiters.push_back(Waiter { order, k, key, tx });
        rx
    }
}

/// The slots in `key`'s order of preference: highest hash of (key, slot) first.
fn rendezvous(hasher: &impl BuildHasher, key: &str, n: usize) -> Arc<[u16]> {
    let mut scored: Vec<(u64, u16)> = (0..n)
        .map(|i| {
            let slot = u16::try_from(i).unwrap_or(u16::MAX);
            (hasher.hash_one((key, slot)), slot)
        })
        .collect();
    scored.sort_unstable_by(|a, b| b.cmp(a));
    scored.into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_follow_the_share_of_requests() {
        let mut st = State::new(16);
        // Two tenants sharing the load: each may use every slot.
        for _ in 0..1000 {
            st.count("tenant_a");
            st.count("tenant_b");
        }
        assert_eq!(st.count("tenant_a").1, 16);
        // A thousand quiet tenants: two slots each, always the same two.
        for _ in 0..10 {
            for i in 0..1000 {
                st.count(&format!("tenant_{i}"));
            }
        }
        let (order, k) = st.count("tenant_7");
        assert_eq!(k, 2);
        assert_eq!(st.count("tenant_7"), (order, 2));
        // Different tenants prefer different slots.
        let spread: std::collections::HashSet<u16> = (0..100)
            .map(|i| st.count(&format!("tenant_{i}")).0[0])
            .collect();
        assert!(spread.len() > 8, "{spread:?}");
    }
}
