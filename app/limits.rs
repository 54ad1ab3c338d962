//! Rate limits kept in PostgreSQL, so every replica counts together: fixed windows, one upsert
//! per counted request. Over the limit a request gets 429 with `Retry-After`; it is not counted
//! as a failed sign-in, so it never brings a lockout closer.
//!
//! What an address may do is counted once for the whole platform (`public.address_limits`), so
//! trying 254 credit unions buys no more attempts than trying one; an IPv6 address counts as its
//! /64, the smallest network a household or a phone is given. What a typed ID or a partner may
//! do is counted in the tenant's own `rate_limits`.

use std::net::IpAddr;

use chrono::{DateTime, TimeZone, Utc};
use diesel::sql_types::{Integer, Text, Timestamptz};

pub use crate::config::Limit;
use crate::db::TenantStatements;
use crate::db::prepared::Sql;
use crate::statement;

/// Counter rows whose window ended this long ago go, now and then (no window is longer).
const FORGET_AFTER_SECS: i64 = 86_400;
/// About one counted request in this many clears the ended windows of its table.
const FORGET_ONE_IN: u32 = 1_000;

/// What a counted request learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Try again after this many seconds.
    Limited {
        retry_after: i64,
    },
}

/// The start of the window `now` falls in.
pub fn window_start(now: DateTime<Utc>, window_secs: i64) -> DateTime<Utc> {
    let w = window_secs.max(1);
    let t = now.timestamp().div_euclid(w) * w;
    Utc.timestamp_opt(t, 0).single().unwrap_or(now)
}

/// The verdict for the `hits`-th request of a window that started at `start`.
pub fn verdict(hits: i32, start: DateTime<Utc>, now: DateTime<Utc>, limit: Limit) -> Verdict {
    if hits <= limit.max {
        Verdict::Allowed
    } else {
        let end = start + chrono::Duration::seconds(limit.window_secs);
        Verdict::Limited {
            retry_after: (end - now).num_seconds().max(1),
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Hits {
    #[diesel(sql_type = Integer)]
    hits: i32,
}

statement!(
    /// Counts one request in the key's current window, starting a new window when it has moved.
    HitSql,
    "INSERT INTO {schema}.rate_limits AS r (key, window_start, hits) VALUES (?, ?, 1)
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN r.window_start = excluded.window_start THEN r.hits + 1 ELSE 1 END,
       window_start = excluded.window_start
     RETURNING hits"
);

statement!(
    /// [`HitSql`] for an address, counted for every tenant together.
    AddressHitSql,
    "INSERT INTO public.address_limits AS r (key, window_start, hits) VALUES (?, ?, 1)
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN r.window_start = excluded.window_start THEN r.hits + 1 ELSE 1 END,
       window_start = excluded.window_start
     RETURNING hits"
);

statement!(
    ForgetSql,
    "DELETE FROM {schema}.rate_limits WHERE window_start < ?"
);

statement!(
    ForgetAddressesSql,
    "DELETE FROM public.address_limits WHERE window_start < ?"
);

/// Counts one request under `key` in the table of `Hit`, and says whether it is within `limit`.
/// Now and then it also clears that table of windows long ended (`Forget`), so that keys typed
/// once (a made-up login ID, an address seen once) do not stay for ever.
async fn count<Hit: Sql, Forget: Sql>(
    conn: &mut TenantStatements,
    key: &str,
    limit: Limit,
) -> diesel::QueryResult<Verdict> {
    let now = Utc::now();
    let start = window_start(now, limit.window_secs);
    if rand::random_ratio(1, FORGET_ONE_IN) {
        conn.query::<Forget>()
            .bind::<Timestamptz, _>(now - chrono::Duration::seconds(FORGET_AFTER_SECS))
            .execute()
            .await?;
    }
    let row: Hits = conn
        .query::<Hit>()
        .bind::<Text, _>(key)
        .bind::<Timestamptz, _>(start)
        .get_result()
        .await?;
    Ok(verdict(row.hits, start, now, limit))
}

/// Counts one request under `key` in the tenant's counters.
pub async fn hit(
    conn: &mut TenantStatements,
    key: &str,
    limit: Limit,
) -> diesel::QueryResult<Verdict> {
    count::<HitSql, ForgetSql>(conn, key, limit).await
}

/// Counts one request of `what` (`sign_in`, `authorize`) from the address `ip`, for every
/// tenant together.
pub async fn from_address(
    conn: &mut TenantStatements,
    what: &str,
    ip: &str,
    limit: Limit,
) -> diesel::QueryResult<Verdict> {
    let key = format!("{what}:{}", address_key(ip));
    count::<AddressHitSql, ForgetAddressesSql>(conn, &key, limit).await
}

/// The network an address is counted as: an IPv4 address itself (also when written as
/// IPv4-mapped IPv6), an IPv6 address as its /64.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => {
            let net = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(net))
        }
        Err(_) => ip.to_owned(),
    }
}

/// A sign-in attempt: counted per address (across all tenants) and per typed ID (`who`, e.g.
/// `customer:Yamada01`). The address is checked first, so a sprayer is stopped without
/// touching the ID's count, and without a row for each ID it makes up.
pub async fn sign_in(
    conn: &mut TenantStatements,
    limits: &crate::config::LimitSettings,
    ip: Option<&str>,
    who: &str,
) -> diesel::QueryResult<Verdict> {
    if let Some(ip) = ip
        && let v @ Verdict::Limited { .. } =
            from_address(conn, "sign_in", ip, limits.login_per_ip).await?
    {
        return Ok(v);
    }
    hit(conn, &format!("id:{who}"), limits.login_per_id).await
}

/// Token requests of an authenticated partner, spread over a few rows so that one busy partner
/// does not queue its requests behind a single row lock; each row gets its share of the limit.
pub async fn token(
    conn: &mut TenantStatements,
    limits: &crate::config::LimitSettings,
    client_id: &str,
) -> diesel::QueryResult<Verdict> {
    const SHARDS: i32 = 8;
    let shard = rand::random_range(0..SHARDS);
    let l = limits.token_per_client;
    let share = Limit {
        max: (l.max + SHARDS - 1) / SHARDS,
        window_secs: l.window_secs,
    };
    hit(conn, &format!("token:{client_id}:{shard}"), share).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_address_counts_as_its_64_and_a_mapped_ipv4_as_itself() {
        assert_eq!(address_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(address_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(
            address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:2:ffff::")
        );
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
    }

    #[test]
    fn windows_and_verdicts() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 3, 4, 37).unwrap();
        let start = window_start(now, 300);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 26, 3, 0, 0).unwrap());
        let limit = Limit {
            max: 3,
            window_secs: 300,
        };
        assert_eq!(verdict(3, start, now, limit), Verdict::Allowed);
        assert_eq!(
            verdict(4, start, now, limit),
            Verdict::Limited { retry_after: 23 }
        );
    }
}
