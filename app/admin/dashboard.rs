//! The console's first page: who can see the customers' data right now (and, when it is due,
//! that the customer CA's CRL needs renewing).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use diesel::sql_types::{BigInt, Date, Text};
use diesel_async::RunQueryDsl;
use serde::Serialize;

use super::Console;
use super::chart::{self, Day};
use super::{context, render};
use crate::db::Db;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;

#[derive(diesel::QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    active: i64,
    #[diesel(sql_type = BigInt)]
    expiring: i64,
    #[diesel(sql_type = BigInt)]
    customers: i64,
}

#[derive(diesel::QueryableByName, Serialize)]
struct ByPartner {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name_ja: String,
    #[diesel(sql_type = Text)]
    name_en: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    active: i64,
    #[diesel(sql_type = BigInt)]
    expiring: i64,
}

#[derive(diesel::QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    created: i64,
    #[diesel(sql_type = BigInt)]
    revoked: i64,
}

#[derive(diesel::QueryableByName, Serialize)]
struct NoticeCount {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub async fn show(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    mut c: Console,
) -> Result<HttpResponse, AppError> {
    let counts: Counts = diesel::sql_query(concat!(
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
    .get_result(&mut c.conn)
    .await?;
    let by_partner: Vec<ByPartner> = diesel::sql_query(concat!(
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
    .load(&mut c.conn)
    .await?;
    // Days in Japan, where the institution works.
    let days: Vec<DayRow> = diesel::sql_query(
        "WITH days AS (
           SELECT generate_series((now() AT TIME ZONE 'Asia/Tokyo')::date - 89,
                                  (now() AT TIME ZONE 'Asia/Tokyo')::date, interval '1 day')::date AS day)
         SELECT d.day,
                (SELECT count(*) FROM grants g WHERE (g.created_at AT TIME ZONE 'Asia/Tokyo')::date = d.day) AS created,
                (SELECT count(*) FROM grants g WHERE (g.revoked_at AT TIME ZONE 'Asia/Tokyo')::date = d.day) AS revoked
           FROM days d ORDER BY d.day",
    )
    .load(&mut c.conn)
    .await?;
    let notices: Vec<NoticeCount> = diesel::sql_query(
        "SELECT status, count(*) AS n FROM notices GROUP BY status ORDER BY status",
    )
    .load(&mut c.conn)
    .await?;
    let days: Vec<Day> = days
        .into_iter()
        .map(|d| Day {
            date: d.day,
            created: d.created,
            revoked: d.revoked,
        })
        .collect();
    let mut ctx = context(&req, &pages, &tenant, lang, &c, "dashboard");
    ctx.insert("active", &counts.active);
    ctx.insert("expiring", &counts.expiring);
    ctx.insert("customers", &counts.customers);
    ctx.insert("by_partner", &by_partner);
    ctx.insert("created_90", &days.iter().map(|d| d.created).sum::<i64>());
    ctx.insert("revoked_90", &days.iter().map(|d| d.revoked).sum::<i64>());
    ctx.insert(
        "chart",
        &chart::svg(
            &days,
            &lang.t("admin-chart-title"),
            &lang.t("admin-chart-created"),
            &lang.t("admin-chart-revoked"),
        ),
    );
    ctx.insert("notices", &notices);
    ctx.insert("crl", &super::customer_crl::view(&db, &tenant, lang).await?);
    render(&pages, "admin/dashboard.html", &ctx)
}
