//! The console's audit log: a search by event, actor and dates, and the events seen so far.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryResult;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;

use crate::db::TenantConn;

#[derive(diesel::QueryableByName)]
pub(crate) struct Row {
    #[diesel(sql_type = BigInt)]
    pub(crate) id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub(crate) at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub(crate) event: String,
    #[diesel(sql_type = Text)]
    pub(crate) actor: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub(crate) subject: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(crate) ip: Option<String>,
    #[diesel(sql_type = Text)]
    pub(crate) detail: String,
}

/// An event name (exact, or empty for all), part of the actor, and the first and last days
/// (in Japan).
pub(crate) struct Search<'a> {
    pub(crate) event: &'a str,
    pub(crate) actor: &'a str,
    pub(crate) from: Option<NaiveDate>,
    pub(crate) to: Option<NaiveDate>,
}

/// The rows the search finds, newest first, `limit` of them after the first `offset`.
pub(crate) async fn search(
    conn: &mut TenantConn,
    s: &Search<'_>,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Row>> {
    diesel::sql_query(
        "SELECT id, at, event, actor, subject, ip, detail::text AS detail FROM audit_log
          WHERE ($1 = '' OR event = $1)
            AND ($2 = '' OR strpos(actor, $2) > 0)
            AND ($3::date IS NULL OR (at AT TIME ZONE 'Asia/Tokyo')::date >= $3)
            AND ($4::date IS NULL OR (at AT TIME ZONE 'Asia/Tokyo')::date <= $4)
          ORDER BY id DESC OFFSET $5 LIMIT $6",
    )
    .bind::<Text, _>(s.event)
    .bind::<Text, _>(s.actor)
    .bind::<Nullable<Date>, _>(s.from)
    .bind::<Nullable<Date>, _>(s.to)
    .bind::<BigInt, _>(offset)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

#[derive(diesel::QueryableByName)]
struct EventName {
    #[diesel(sql_type = Text)]
    event: String,
}

/// Every event name the log holds, for the filter.
pub(crate) async fn events(conn: &mut TenantConn) -> QueryResult<Vec<String>> {
    diesel::sql_query("SELECT DISTINCT event FROM audit_log ORDER BY event")
        .load::<EventName>(conn)
        .await
        .map(|e| e.into_iter().map(|e| e.event).collect())
}
