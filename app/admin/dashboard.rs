//! The console's first page: who can see the customers' data right now (and, when it is due,
//! that the customer CA's CRL needs renewing).

use actix_web::{HttpRequest, HttpResponse, web};

use super::Console;
use super::chart::{self, Day};
use super::store::dashboard as store;
use super::{context, render};
use crate::db::Db;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;

pub async fn show(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    mut c: Console,
) -> Result<HttpResponse, AppError> {
    let counts = store::counts(&mut c.conn).await?;
    let by_partner = store::by_partner(&mut c.conn).await?;
    let days = store::days(&mut c.conn).await?;
    let notices = store::notices(&mut c.conn).await?;
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
