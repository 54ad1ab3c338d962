//! Grants: a customer's consent that one partner may read some accounts, for a limited time.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::db::TenantConn;
use crate::db::schema::tenant::{grant_accounts, grants};
use crate::oauth::scopes::Scopes;
use crate::sandbox::AccountId;
use crate::tenancy::manifest::MAX_GRANT_DAYS;

/// When a grant consented at `at` expires: the tenant's lifetime, never more than 90 days.
pub fn expiry(at: DateTime<Utc>, grant_days: u16) -> DateTime<Utc> {
    at + Duration::days(i64::from(grant_days.clamp(1, MAX_GRANT_DAYS)))
}

pub struct NewGrant<'a> {
    pub customer: Uuid,
    pub partner: Uuid,
    pub scopes: &'a Scopes,
    pub accounts: &'a [AccountId],
    pub terms_version: &'a str,
    pub grant_days: u16,
    /// Expiry notices to schedule (days before expiry).
    pub notice_days: &'a [u16],
    /// Whether to e-mail the customer that a new service is linked.
    pub link_notice: bool,
}

pub struct Created {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The live grant this one replaced, whose tokens stop working now.
    pub replaced: Option<Uuid>,
}

/// Records a grant with its e-mail notices, replacing (revoking) any live grant of the same
/// customer to the same partner. Runs inside the caller's transaction.
pub async fn create(conn: &mut TenantConn, g: NewGrant<'_>) -> QueryResult<Created> {
    let now = Utc::now();
    let replaced: Option<Uuid> = diesel::update(
        grants::table
            .filter(grants::customer_id.eq(g.customer))
            .filter(grants::partner_id.eq(g.partner))
            .filter(grants::revoked_at.is_null()),
    )
    .set((
        grants::revoked_at.eq(now),
        grants::revoked_reason.eq("replaced"),
    ))
    .returning(grants::id)
    .get_result(conn)
    .await
    .optional()?;
    let id = Uuid::now_v7();
    let expires_at = expiry(now, g.grant_days);
    diesel::insert_into(grants::table)
        .values((
            grants::id.eq(id),
            grants::customer_id.eq(g.customer),
            grants::partner_id.eq(g.partner),
            grants::scopes.eq(g.scopes.to_vec()),
            grants::created_at.eq(now),
            grants::expires_at.eq(expires_at),
            grants::terms_version.eq(g.terms_version),
        ))
        .execute(conn)
        .await?;
    let rows: Vec<_> = g
        .accounts
        .iter()
        .map(|a| {
            (
                grant_accounts::grant_id.eq(id),
                grant_accounts::account_id.eq(a.as_str()),
            )
        })
        .collect();
    diesel::insert_into(grant_accounts::table)
        .values(rows)
        .execute(conn)
        .await?;
    crate::notices::schedule(conn, id, now, expires_at, g.notice_days, g.link_notice).await?;
    Ok(Created {
        id,
        created_at: now,
        expires_at,
        replaced,
    })
}

/// Ends a grant now; every token it issued stops working. False when it had already ended.
pub async fn revoke(conn: &mut TenantConn, id: Uuid, reason: &str) -> QueryResult<bool> {
    diesel::update(grants::table.find(id).filter(grants::revoked_at.is_null()))
        .set((
            grants::revoked_at.eq(Utc::now()),
            grants::revoked_reason.eq(reason),
        ))
        .execute(conn)
        .await
        .map(|n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn expiry_is_consent_plus_days_capped_at_90() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 3, 0, 0).unwrap();
        assert_eq!(
            expiry(at, 90),
            Utc.with_ymd_and_hms(2027, 2, 23, 3, 0, 0).unwrap()
        );
        assert_eq!(
            expiry(at, 30),
            Utc.with_ymd_and_hms(2026, 12, 25, 3, 0, 0).unwrap()
        );
        assert_eq!(expiry(at, 365), expiry(at, 90));
    }
}
