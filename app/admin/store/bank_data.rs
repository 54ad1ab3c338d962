//! The console's データ連携 page: the imports of the bank's files, the provisional 振込入金通知,
//! and how fresh each imported account is.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryResult;
use diesel::sql_types::{BigInt, Bool, Date, Int4, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;

use crate::db::TenantConn;

#[derive(diesel::QueryableByName)]
pub(crate) struct Import {
    #[diesel(sql_type = BigInt)]
    pub(crate) id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub(crate) at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub(crate) actor: String,
    #[diesel(sql_type = Text)]
    pub(crate) file_name: String,
    #[diesel(sql_type = Text)]
    pub(crate) format: String,
    #[diesel(sql_type = Int4)]
    pub(crate) rows_added: i32,
    #[diesel(sql_type = Int4)]
    pub(crate) rows_present: i32,
    #[diesel(sql_type = Bool)]
    pub(crate) reverted: bool,
}

pub(crate) async fn imports(conn: &mut TenantConn, limit: i64) -> QueryResult<Vec<Import>> {
    diesel::sql_query(
        "SELECT id, at, actor, file_name, format, rows_added, rows_present, reverted_at IS NOT NULL AS reverted \
           FROM core_imports ORDER BY id DESC LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(&mut **conn)
    .await
}

#[derive(diesel::QueryableByName)]
pub(crate) struct Transfer {
    #[diesel(sql_type = Date)]
    pub(crate) booked_on: NaiveDate,
    #[diesel(sql_type = Text)]
    pub(crate) account_id: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) amount: i64,
    #[diesel(sql_type = Text)]
    pub(crate) remitter: String,
    #[diesel(sql_type = Bool)]
    pub(crate) cancelled: bool,
}

/// The latest 振込入金通知 transfers, newest day first.
pub(crate) async fn transfers(conn: &mut TenantConn, limit: i64) -> QueryResult<Vec<Transfer>> {
    diesel::sql_query(
        "SELECT booked_on, account_id, amount, remitter, cancelled_at IS NOT NULL AS cancelled \
           FROM transfer_notices ORDER BY booked_on DESC, id DESC LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(&mut **conn)
    .await
}

#[derive(diesel::QueryableByName)]
pub(crate) struct Fresh {
    #[diesel(sql_type = Text)]
    pub(crate) account_id: String,
    #[diesel(sql_type = Text)]
    pub(crate) account_name: String,
    #[diesel(sql_type = Nullable<Date>)]
    pub(crate) imported_through: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub(crate) imported_at: Option<DateTime<Utc>>,
}

/// Accounts the bank's files feed, the stalest first.
pub(crate) async fn freshness(conn: &mut TenantConn, limit: i64) -> QueryResult<Vec<Fresh>> {
    diesel::sql_query(
        "SELECT account_id, account_name, imported_through, imported_at FROM accounts \
          WHERE imported_through IS NOT NULL ORDER BY imported_through, account_id LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(&mut **conn)
    .await
}
