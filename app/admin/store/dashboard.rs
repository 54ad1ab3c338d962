//! What the dashboard counts.

use chrono::NaiveDate;
use diesel::QueryResult;
use diesel::sql_types::{BigInt, Date, Text};
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::db::TenantConn;

#[derive(diesel::QueryableByName)]
pub(crate) struct Counts {
    #[diesel(sql_type = BigInt)]
    pub(crate) active: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) expiring: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) customers: i64,
}

#[derive(diesel::QueryableByName, Serialize)]
pub(crate) struct ByPartner {
    #[diesel(sql_type = Text)]
    pub(crate) id: String,
    #[diesel(sql_type = Text)]
    pub(crate) name_ja: String,
    #[diesel(sql_type = Text)]
    pub(crate) name_en: String,
    #[diesel(sql_type = Text)]
    pub(crate) status: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) active: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) expiring: i64,
}

#[derive(diesel::QueryableByName)]
pub(crate) struct DayRow {
    #[diesel(sql_type = Date)]
    pub(crate) day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub(crate) created: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) revoked: i64,
}

#[derive(diesel::QueryableByName, Serialize)]
pub(crate) struct NoticeCount {
    #[diesel(sql_type = Text)]
    pub(crate) status: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
}

/// Live grants, those of them ending within 30 days, and the customers they belong to.
pub(crate) async fn counts(conn: &mut TenantConn) -> QueryResult<Counts> {
    diesel::sql_query(concat!(
        "SELECT count(*) FILTER (WHERE ",
        crate::live_grant!("g", "now()"),
        ") AS active,
                count(*) FILTER (WHERE ",
        crate::live_grant!("g", "now()"),
        "
                                   AND g.expires_at <= now() + interval '30 days') AS expiring,
                count(DISTINCT g.customer_id) FILTER (WHERE ",
        crate::live_grant!("g", "now()"),
        ") AS customers
           FROM grants g",
    ))
    .get_result(conn)
    .await
}

/// Each partner's live grants and those ending within 30 days, most first.
pub(crate) async fn by_partner(conn: &mut TenantConn) -> QueryResult<Vec<ByPartner>> {
    diesel::sql_query(concat!(
        "SELECT p.id::text AS id, p.name_ja, p.name_en, p.status,
                count(g.id) FILTER (WHERE ",
        crate::live_grant!("g", "now()"),
        ") AS active,
                count(g.id) FILTER (WHERE ",
        crate::live_grant!("g", "now()"),
        "
                                      AND g.expires_at <= now() + interval '30 days') AS expiring
           FROM partners p LEFT JOIN grants g ON g.partner_id = p.id
          GROUP BY p.id ORDER BY active DESC, p.name_en",
    ))
    .load(conn)
    .await
}

/// Grants made and revoked on each of the last 90 days in Japan, where the institution works.
pub(crate) async fn days(conn: &mut TenantConn) -> QueryResult<Vec<DayRow>> {
    diesel::sql_query(
        "WITH days AS (
           SELECT generate_series((now() AT TIME ZONE 'Asia/Tokyo')::date - 89,
                                  (now() AT TIME ZONE 'Asia/Tokyo')::date, interval '1 day')::date AS day)
         SELECT d.day,
                (SELECT count(*) FROM grants g WHERE (g.created_at AT TIME ZONE 'Asia/Tokyo')::date = d.day) AS created,
                (SELECT count(*) FROM grants g WHERE (g.revoked_at AT TIME ZONE 'Asia/Tokyo')::date = d.day) AS revoked
           FROM days d ORDER BY d.day",
    )
    .load(conn)
    .await
}

/// Notices by status.
pub(crate) async fn notices(conn: &mut TenantConn) -> QueryResult<Vec<NoticeCount>> {
    diesel::sql_query("SELECT status, count(*) AS n FROM notices GROUP BY status ORDER BY status")
        .load(conn)
        .await
}
