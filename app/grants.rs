//! Grants: a customer's consent that one partner may read some accounts, for a limited time:
//! created at consent, replaced by a new consent, revoked by the customer, the partner or an
//! admin, ended by time. Below the consent flow, the token endpoints, `/my` and the console,
//! which all act on them.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::bank::AccountId;
use crate::db::TenantConn;
use crate::db::schema::tenant::{customers, grant_accounts, grants};
use crate::oauth::scopes::Scopes;
use crate::tenancy::manifest::MAX_GRANT_DAYS;

/// A grant is live while nobody revoked it and its end has not come. [`live_grant!`] is the same
/// rule in SQL; a test runs both over the same rows.
pub fn is_live(
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> bool {
    revoked_at.is_none() && expires_at > at
}

/// [`is_live`] in SQL, for the grant aliased `$g` at the time `$at` (`now()`, or a parameter):
/// a literal, for `concat!` into a statement's text.
#[macro_export]
macro_rules! live_grant {
    ($g:literal, $at:literal) => {
        concat!(
            "(",
            $g,
            ".revoked_at IS NULL AND ",
            $g,
            ".expires_at > ",
            $at,
            ")"
        )
    };
}

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
    /// The consent receipt: SHA-256 of what the consent page showed (see [`receipt`]).
    pub consent_text_hash: Option<Vec<u8>>,
    /// When the customer allowed: the grant's start.
    pub at: DateTime<Utc>,
}

/// What the customer was shown when they allowed, as one canonical text, for the receipt.
pub struct Shown<'a> {
    pub lang: &'a str,
    pub partner: &'a str,
    pub operations: &'a [String],
    pub accounts: &'a [AccountId],
    pub expiry_date: &'a str,
    pub terms_name: &'a str,
    pub terms_url: &'a str,
    pub terms_version: &'a str,
}

/// SHA-256 of the consent as shown: the same page gives the same hash, and any change of
/// partner, operations, accounts, expiry or terms (name, URL, version) gives another.
pub fn receipt(s: &Shown<'_>) -> Vec<u8> {
    let text = serde_json::json!({
        "lang": s.lang,
        "partner": s.partner,
        "operations": s.operations,
        "accounts": s.accounts.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "expiry": s.expiry_date,
        "terms": {"name": s.terms_name, "url": s.terms_url, "version": s.terms_version},
    })
    .to_string();
    crate::secrets::sha256(&text)
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
    // One consent of a customer at a time: a second one (another tab, a double submit on two
    // replicas) waits here, then replaces the first instead of tripping over it.
    customers::table
        .find(g.customer)
        .select(customers::id)
        .for_no_key_update()
        .first::<Uuid>(conn)
        .await?;
    let now = g.at;
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
            grants::consent_text_hash.eq(&g.consent_text_hash),
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

/// Ends a grant at `at`; every token it issued stops working. False when it had already ended.
pub async fn revoke(
    conn: &mut TenantConn,
    id: Uuid,
    reason: &str,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(grants::table.find(id).filter(grants::revoked_at.is_null()))
        .set((grants::revoked_at.eq(at), grants::revoked_reason.eq(reason)))
        .execute(conn)
        .await
        .map(|n| n > 0)
}

/// Ends every live grant of these customers at `at` (their contracts were closed); answers
/// the grants ended.
pub async fn revoke_of_customers(
    conn: &mut TenantConn,
    customers: &[Uuid],
    reason: &str,
    at: DateTime<Utc>,
) -> QueryResult<Vec<Uuid>> {
    diesel::update(
        grants::table
            .filter(grants::customer_id.eq_any(customers))
            .filter(grants::revoked_at.is_null()),
    )
    .set((grants::revoked_at.eq(at), grants::revoked_reason.eq(reason)))
    .returning(grants::id)
    .get_results(conn)
    .await
}

/// Holds the grants of customers the bank has locked (the partner API reads nothing through
/// them), and lets go of those of customers active again.
pub async fn hold_of_customers(
    conn: &mut TenantConn,
    locked: &[Uuid],
    active: &[Uuid],
) -> QueryResult<usize> {
    let held = diesel::update(
        grants::table
            .filter(grants::customer_id.eq_any(locked))
            .filter(grants::held.eq(false)),
    )
    .set(grants::held.eq(true))
    .execute(conn)
    .await?;
    let released = diesel::update(
        grants::table
            .filter(grants::customer_id.eq_any(active))
            .filter(grants::held.eq(true)),
    )
    .set(grants::held.eq(false))
    .execute(conn)
    .await?;
    Ok(held + released)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn receipts_change_with_what_was_shown() {
        let ops = vec!["残高照会".to_owned()];
        let accounts = vec![AccountId::parse("001010123456").unwrap()];
        let shown = Shown {
            lang: "ja",
            partner: "デモ家計簿",
            operations: &ops,
            accounts: &accounts,
            expiry_date: "2027年2月23日",
            terms_name: "しんきんAPIサービス利用規約",
            terms_url: "https://kitami.example.jp/api/terms.html",
            terms_version: "2026-04-01",
        };
        let a = receipt(&shown);
        assert_eq!(a, receipt(&shown));
        assert_eq!(a.len(), 32);
        assert_ne!(
            a,
            receipt(&Shown {
                terms_version: "2026-10-01",
                ..shown
            })
        );
    }

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
