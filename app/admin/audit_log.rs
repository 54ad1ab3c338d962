//! The audit log in the console: every admin action and security event, filtered by event,
//! actor and date, 50 a page, and the same selection as CSV (UTF-8 with a BOM, so Excel opens
//! the Japanese correctly).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde::Serialize;

use super::Console;
use super::customers::urlencode;
use super::grants::when;
use super::{context, query, render};
use crate::audit::Event;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::oauth::params::Params;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;

pub const PAGE: i64 = 50;
/// The most rows one CSV export carries.
pub const CSV_MAX: i64 = 100_000;

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    event: String,
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Nullable<Text>)]
    subject: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ip: Option<String>,
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(Serialize)]
struct Line {
    id: i64,
    at: String,
    event: String,
    /// The event as the console names it, in the admin's language.
    label: String,
    actor: String,
    subject: String,
    ip: String,
    detail: String,
}

/// The filters, as typed.
struct Filter {
    event: String,
    actor: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl Filter {
    fn of(q: &Params) -> Self {
        let date = |k: &str| {
            q.get(k)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        };
        Self {
            event: q.get("event").unwrap_or_default().trim().to_owned(),
            actor: q.get("actor").unwrap_or_default().trim().to_owned(),
            from: date("from"),
            to: date("to"),
        }
    }

    fn query_string(&self) -> String {
        format!(
            "event={}&actor={}&from={}&to={}",
            urlencode(&self.event),
            urlencode(&self.actor),
            self.from.map(|d| d.to_string()).unwrap_or_default(),
            self.to.map(|d| d.to_string()).unwrap_or_default()
        )
    }
}

async fn rows(
    conn: &mut crate::db::TenantConn,
    f: &Filter,
    offset: i64,
    limit: i64,
) -> Result<Vec<Row>, AppError> {
    // Dates are days in Japan.
    Ok(diesel::sql_query(
        "SELECT id, at, event, actor, subject, ip, detail::text AS detail FROM audit_log
          WHERE ($1 = '' OR event = $1)
            AND ($2 = '' OR strpos(actor, $2) > 0)
            AND ($3::date IS NULL OR (at AT TIME ZONE 'Asia/Tokyo')::date >= $3)
            AND ($4::date IS NULL OR (at AT TIME ZONE 'Asia/Tokyo')::date <= $4)
          ORDER BY id DESC OFFSET $5 LIMIT $6",
    )
    .bind::<Text, _>(&f.event)
    .bind::<Text, _>(&f.actor)
    .bind::<Nullable<Date>, _>(f.from)
    .bind::<Nullable<Date>, _>(f.to)
    .bind::<BigInt, _>(offset)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

#[derive(diesel::QueryableByName)]
struct EventName {
    #[diesel(sql_type = Text)]
    event: String,
}

/// An event the filter offers: its stored name and what the console calls it.
#[derive(Serialize)]
struct EventChoice {
    event: String,
    label: String,
}

pub async fn list(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
    mut c: Console,
) -> Result<HttpResponse, AppError> {
    let q = super::search_query(&req)?;
    let f = Filter::of(&q);
    let page: i64 = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1 && *p <= 10_000)
        .unwrap_or(1);
    // A filter that cannot be searched for finds nothing, and the page says why.
    let mut found = if q.nul().is_some() {
        vec![]
    } else {
        rows(&mut c.conn, &f, (page - 1) * PAGE, PAGE + 1).await?
    };
    let has_next = found.len() as i64 > PAGE;
    found.truncate(PAGE as usize);
    let events: Vec<EventName> =
        diesel::sql_query("SELECT DISTINCT event FROM audit_log ORDER BY event")
            .load(&mut c.conn)
            .await?;
    let mut ctx = context(&req, &pages, &tenant, lang, &c, "audit");
    ctx.insert(
        "lines",
        &found
            .into_iter()
            .map(|r| Line {
                id: r.id,
                at: when(r.at),
                label: Event::label(&r.event, lang),
                event: r.event,
                actor: r.actor,
                subject: r.subject.unwrap_or_default(),
                ip: r.ip.unwrap_or_default(),
                detail: r.detail,
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "events",
        &events
            .into_iter()
            .map(|e| EventChoice {
                label: Event::label(&e.event, lang),
                event: e.event,
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert("event", &f.event);
    ctx.insert("actor", &f.actor);
    ctx.insert("from", &f.from.map(|d| d.to_string()).unwrap_or_default());
    ctx.insert("to", &f.to.map(|d| d.to_string()).unwrap_or_default());
    ctx.insert("page", &page);
    ctx.insert("has_next", &has_next);
    ctx.insert("filter_query", &f.query_string());
    if q.nul().is_some() {
        ctx.insert("search_error", super::SEARCH_CHARACTERS);
    }
    render(&pages, "admin/audit.html", &ctx)
}

/// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A leading
/// `= + - @` is prefixed with `'` so a spreadsheet never runs it as a formula.
pub fn csv_field(raw: &str) -> String {
    let safe = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

pub const CSV_HEADER: &str = "id,at_jst,event,actor,subject,ip,detail";

pub async fn csv(
    req: HttpRequest,
    tenant: CurrentTenant,
    mut c: Console,
) -> Result<HttpResponse, AppError> {
    let f = Filter::of(&query(&req)?);
    let found = rows(&mut c.conn, &f, 0, CSV_MAX).await?;
    let mut out = String::from("\u{feff}");
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for r in found {
        let fields = [
            r.id.to_string(),
            when(r.at),
            r.event,
            r.actor,
            r.subject.unwrap_or_default(),
            r.ip.unwrap_or_default(),
            r.detail,
        ];
        out.push_str(
            &fields
                .iter()
                .map(|x| csv_field(x))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    let name = format!("audit-{}-{}.csv", tenant.slug, Utc::now().format("%Y%m%d"));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("山田商店"), "山田商店");
    }
}
