//! The rules of notices: when each is due, when a failed one is tried again, whether a due one
//! goes out, and the rows a new grant's notices start as.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::db::TenantConn;
use crate::db::schema::tenant::notices;

/// The expiry notices of a grant: `(days_before, due_at)`.
pub fn expiry_schedule(
    expires_at: DateTime<Utc>,
    notice_days: &[u16],
) -> Vec<(i16, DateTime<Utc>)> {
    notice_days
        .iter()
        .map(|d| (*d as i16, expires_at - Duration::days(i64::from(*d))))
        .collect()
}

/// The delay before retry number `attempts` (1-based): doubling from `base`, at most a day.
pub fn backoff(base_secs: i64, attempts: i32) -> Duration {
    let factor = 2_i64.saturating_pow(u32::try_from(attempts.max(1) - 1).unwrap_or(0).min(20));
    Duration::seconds(base_secs.saturating_mul(factor).min(86_400))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Send,
    Skip(&'static str),
}

/// Whether a due notice goes out. A revoked, expired or replaced grant gets none; an expiry
/// notice overtaken by a nearer one that is also due (the scheduler was stopped) is skipped, so
/// the customer gets the latest news, not a burst of stale ones.
pub fn decide(
    now: DateTime<Utc>,
    grant_expires: DateTime<Utc>,
    revoked: bool,
    superseded: bool,
) -> Decision {
    if revoked {
        Decision::Skip("grant_revoked")
    } else if grant_expires <= now {
        Decision::Skip("grant_expired")
    } else if superseded {
        Decision::Skip("superseded")
    } else {
        Decision::Send
    }
}

/// Schedules a new grant's notices (inside the consent transaction).
pub async fn schedule(
    conn: &mut TenantConn,
    grant: Uuid,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    notice_days: &[u16],
    link_notice: bool,
) -> QueryResult<()> {
    let mut rows: Vec<_> = expiry_schedule(expires_at, notice_days)
        .into_iter()
        .map(|(days, due)| {
            (
                notices::grant_id.eq(grant),
                notices::kind.eq("expiry"),
                notices::days_before.eq(days),
                notices::due_at.eq(due),
                notices::next_attempt_at.eq(due),
            )
        })
        .collect();
    if link_notice {
        rows.push((
            notices::grant_id.eq(grant),
            notices::kind.eq("linked"),
            notices::days_before.eq(0),
            notices::due_at.eq(created_at),
            notices::next_attempt_at.eq(created_at),
        ));
    }
    diesel::insert_into(notices::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn schedule_counts_back_from_expiry() {
        let exp = Utc.with_ymd_and_hms(2027, 2, 23, 3, 0, 0).unwrap();
        let s = expiry_schedule(exp, &[30, 7, 1]);
        assert_eq!(
            s[0],
            (30, Utc.with_ymd_and_hms(2027, 1, 24, 3, 0, 0).unwrap())
        );
        assert_eq!(
            s[2],
            (1, Utc.with_ymd_and_hms(2027, 2, 22, 3, 0, 0).unwrap())
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(60, 1), Duration::seconds(60));
        assert_eq!(backoff(60, 2), Duration::seconds(120));
        assert_eq!(backoff(60, 4), Duration::seconds(480));
        assert_eq!(backoff(60, 40), Duration::seconds(86_400));
    }

    #[test]
    fn decisions() {
        let now = Utc.with_ymd_and_hms(2027, 2, 1, 0, 0, 0).unwrap();
        let later = now + Duration::days(3);
        assert_eq!(decide(now, later, false, false), Decision::Send);
        assert_eq!(
            decide(now, later, true, false),
            Decision::Skip("grant_revoked")
        );
        assert_eq!(
            decide(now, now, false, false),
            Decision::Skip("grant_expired")
        );
        assert_eq!(
            decide(now, later, false, true),
            Decision::Skip("superseded")
        );
    }
}
