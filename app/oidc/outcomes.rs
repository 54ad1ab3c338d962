//! Sign-ins at the bank counted by tenant and outcome, for `/metrics`.

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};

/// Sign-ins at the bank by tenant and outcome (`ok`, or a [`Why`]), for `/metrics`.
static OUTCOMES: LazyLock<Mutex<BTreeMap<(String, &'static str), u64>>> =
    LazyLock::new(Default::default);

pub fn count(tenant: &str, outcome: &'static str) {
    *OUTCOMES
        .lock()
        .expect("sign-in outcomes")
        .entry((tenant.to_owned(), outcome))
        .or_default() += 1;
}

/// What [`count`] counted so far.
pub fn outcomes() -> Vec<((String, &'static str), u64)> {
    OUTCOMES
        .lock()
        .expect("sign-in outcomes")
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}
