//! The console's grants: the search, one grant with its audit trail and access ledger.

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;

use crate::db::TenantConn;
use crate::i18n::Lang;

#[derive(diesel::QueryableByName)]
pub(crate) struct GrantRow {
    #[diesel(sql_type = SqlUuid)]
    pub(crate) id: Uuid,
    #[diesel(sql_type = Text)]
    pub(crate) login_id: String,
    #[diesel(sql_type = Text)]
    pub(crate) customer_name: String,
    #[diesel(sql_type = Text)]
    pub(crate) partner_ja: String,
    #[diesel(sql_type = Text)]
    pub(crate) partner_en: String,
    #[diesel(sql_type = Array<Text>)]
    pub(crate) scopes: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    pub(crate) created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub(crate) expires_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub(crate) revoked_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(crate) revoked_reason: Option<String>,
    #[diesel(sql_type = Text)]
    pub(crate) terms_version: String,
    #[diesel(sql_type = Array<Text>)]
    pub(crate) accounts: Vec<String>,
}

const SELECT: &str = "SELECT g.id, c.login_id, c.name AS customer_name, p.name_ja AS partner_ja,
        p.name_en AS partner_en, g.scopes, g.created_at, g.expires_at, g.revoked_at, g.revoked_reason,
        g.terms_version,
        ARRAY(SELECT ga.account_id FROM grant_accounts ga WHERE ga.grant_id = g.id ORDER BY 1) AS accounts
   FROM grants g JOIN customers c ON c.id = g.customer_id JOIN partners p ON p.id = g.partner_id";

/// The search form: a customer ID (exact, or empty for all), a partner, and `status`, one of
/// `active`, `revoked`, `expired` or `all`.
pub(crate) struct Search<'a> {
    pub(crate) customer: &'a str,
    pub(crate) partner: Option<Uuid>,
    pub(crate) status: &'a str,
}

/// The newest 200 grants the search finds.
pub(crate) async fn search(conn: &mut TenantConn, s: &Search<'_>) -> QueryResult<Vec<GrantRow>> {
    diesel::sql_query(format!(
        "{SELECT}
          WHERE ($1 = '' OR c.login_id = $1)
            AND ($2::uuid IS NULL OR g.partner_id = $2)
            AND CASE $3 WHEN 'active' THEN {LIVE}
                        WHEN 'revoked' THEN g.revoked_at IS NOT NULL
                        WHEN 'expired' THEN g.revoked_at IS NULL AND g.expires_at <= now()
                        ELSE true END
          ORDER BY g.created_at DESC LIMIT 200",
        LIVE = crate::live_grant!("g", "now()")
    ))
    .bind::<Text, _>(s.customer)
    .bind::<Nullable<SqlUuid>, _>(s.partner)
    .bind::<Text, _>(s.status)
    .load(conn)
    .await
}

pub(crate) async fn one(conn: &mut TenantConn, id: Uuid) -> QueryResult<GrantRow> {
    diesel::sql_query(format!("{SELECT} WHERE g.id = $1"))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await
}

#[derive(diesel::QueryableByName, Serialize)]
pub(crate) struct PartnerOption {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
}

/// Every partner, named in `lang`, for the search form.
pub(crate) async fn partner_options(
    conn: &mut TenantConn,
    lang: Lang,
) -> QueryResult<Vec<PartnerOption>> {
    diesel::sql_query(format!(
        "SELECT id::text AS id, {} AS name FROM partners ORDER BY name_en",
        if lang == Lang::Ja {
            "name_ja"
        } else {
            "name_en"
        }
    ))
    .load(conn)
    .await
}

#[derive(diesel::QueryableByName)]
pub(crate) struct HistoryRow {
    #[diesel(sql_type = Timestamptz)]
    pub(crate) at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub(crate) event: String,
    #[diesel(sql_type = Text)]
    pub(crate) actor: String,
    #[diesel(sql_type = Text)]
    pub(crate) detail: String,
}

/// The grant's audit trail, oldest first.
pub(crate) async fn history(conn: &mut TenantConn, id: Uuid) -> QueryResult<Vec<HistoryRow>> {
    diesel::sql_query(
        "SELECT at, event, actor, detail::text AS detail FROM audit_log WHERE subject = $1 ORDER BY id",
    )
    .bind::<Text, _>(id.to_string())
    .load(conn)
    .await
}

#[derive(diesel::QueryableByName)]
pub(crate) struct LedgerRow {
    #[diesel(sql_type = Timestamptz)]
    pub(crate) at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub(crate) endpoint: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub(crate) account_id: Option<String>,
    #[diesel(sql_type = Integer)]
    pub(crate) rows_returned: i32,
}

/// The partner's last 100 reads under the grant, newest first.
pub(crate) async fn ledger(conn: &mut TenantConn, id: Uuid) -> QueryResult<Vec<LedgerRow>> {
    diesel::sql_query(
        "SELECT at, endpoint, account_id, rows_returned FROM access_ledger WHERE grant_id = $1
          ORDER BY at DESC LIMIT 100",
    )
    .bind::<SqlUuid, _>(id)
    .load(conn)
    .await
}

#[derive(diesel::QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many times the partner read under the grant.
pub(crate) async fn reads(conn: &mut TenantConn, id: Uuid) -> QueryResult<i64> {
    diesel::sql_query("SELECT count(*) AS n FROM access_ledger WHERE grant_id = $1")
        .bind::<SqlUuid, _>(id)
        .get_result::<Total>(conn)
        .await
        .map(|t| t.n)
}

pub(crate) async fn exists(conn: &mut TenantConn, id: Uuid) -> QueryResult<bool> {
    diesel::sql_query("SELECT count(*) AS n FROM grants WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .get_result::<Total>(conn)
        .await
        .map(|t| t.n > 0)
}
