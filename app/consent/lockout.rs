//! Consecutive failed logins per typed customer ID. Kept for every ID typed, existing or not,
//! so the lockout looks the same either way and reveals nothing.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::TenantConn;
use crate::db::schema::tenant::login_guard as lg;

pub async fn is_locked(conn: &mut TenantConn, login_id: &str) -> QueryResult<bool> {
    lg::table
        .find(login_id)
        .select(lg::locked_at.is_not_null())
        .first(conn)
        .await
        .optional()
        .map(|l| l.unwrap_or(false))
}

/// Counts a failure; true when this one reached the threshold and locked the ID.
pub async fn record_failure(
    conn: &mut TenantConn,
    login_id: &str,
    threshold: u16,
) -> QueryResult<bool> {
    let now = Utc::now();
    let failures: i32 = diesel::insert_into(lg::table)
        .values((
            lg::login_id.eq(login_id),
            lg::failures.eq(1),
            lg::last_failure_at.eq(now),
        ))
        .on_conflict(lg::login_id)
        .do_update()
        .set((
            lg::failures.eq(lg::failures + 1),
            lg::last_failure_at.eq(now),
        ))
        .returning(lg::failures)
        .get_result(conn)
        .await?;
    if failures >= i32::from(threshold) {
        diesel::update(lg::table.find(login_id).filter(lg::locked_at.is_null()))
            .set(lg::locked_at.eq(now))
            .execute(conn)
            .await?;
        return Ok(true);
    }
    Ok(false)
}

/// A successful login starts the count afresh.
pub async fn reset(conn: &mut TenantConn, login_id: &str) -> QueryResult<()> {
    diesel::delete(lg::table.find(login_id).filter(lg::locked_at.is_null()))
        .execute(conn)
        .await
        .map(|_| ())
}

/// An admin unlocked the ID: the count and the lock go.
pub async fn clear(conn: &mut TenantConn, login_id: &str) -> QueryResult<()> {
    diesel::delete(lg::table.find(login_id))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The failures counted for a typed ID and whether they locked it; `None` when none are.
pub async fn status(conn: &mut TenantConn, login_id: &str) -> QueryResult<Option<(i32, bool)>> {
    lg::table
        .find(login_id)
        .select((lg::failures, lg::locked_at.is_not_null()))
        .first(conn)
        .await
        .optional()
}
