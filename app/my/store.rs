//! What `/my` reads: the customer's links, each with its partner, accounts and last reads.

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel::sql_types::{Array, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::db::TenantConn;

#[derive(diesel::QueryableByName)]
pub(super) struct Row {
    #[diesel(sql_type = SqlUuid)]
    pub(super) id: Uuid,
    #[diesel(sql_type = Text)]
    pub(super) partner_ja: String,
    #[diesel(sql_type = Text)]
    pub(super) partner_en: String,
    #[diesel(sql_type = Array<Text>)]
    pub(super) scopes: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub(super) accounts: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    pub(super) created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub(super) expires_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub(super) revoked_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub(super) last_balance: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub(super) last_transactions: Option<DateTime<Utc>>,
}

/// Live links first, then those that ended in the last 90 days; `only`: that one link.
pub(super) async fn links(
    conn: &mut TenantConn,
    customer: Uuid,
    only: Option<Uuid>,
) -> QueryResult<Vec<Row>> {
    diesel::sql_query(concat!(
        "SELECT g.id, p.name_ja AS partner_ja, p.name_en AS partner_en, g.scopes,
                ARRAY(SELECT ga.account_id FROM grant_accounts ga WHERE ga.grant_id = g.id
                       ORDER BY ga.account_id) AS accounts,
                g.created_at, g.expires_at, g.revoked_at,
                (SELECT max(l.at) FROM access_ledger l WHERE l.grant_id = g.id AND l.endpoint LIKE '%balances%') AS last_balance,
                (SELECT max(l.at) FROM access_ledger l WHERE l.grant_id = g.id AND l.endpoint LIKE '%transactions%') AS last_transactions
           FROM grants g JOIN partners p ON p.id = g.partner_id
          WHERE g.customer_id = $1 AND ($2::uuid IS NULL OR g.id = $2)
            AND (g.revoked_at IS NULL OR g.revoked_at > now() - interval '90 days')
            AND (g.revoked_reason IS DISTINCT FROM 'replaced')
          ORDER BY ", crate::live_grant!("g", "now()"), " DESC, g.created_at DESC",
    ))
    .bind::<SqlUuid, _>(customer)
    .bind::<Nullable<SqlUuid>, _>(only)
    .load(conn)
    .await
}
