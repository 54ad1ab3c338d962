//! The audit log in the console: every admin action and security event, filtered by event,
//! actor and date, 50 a page, and the same selection as CSV (UTF-8 with a BOM, so Excel opens
//! the Japanese correctly).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::Console;
use super::customers::urlencode;
use super::grants::when;
use super::store::audit_log as store;
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

fn rows_of<'a>(f: &'a Filter) -> store::Search<'a> {
    store::Search {
        event: &f.event,
        actor: &f.actor,
        from: f.from,
        to: f.to,
    }
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
        store::search(&mut c.conn, &rows_of(&f), (page - 1) * PAGE, PAGE + 1).await?
    };
    let has_next = found.len() as i64 > PAGE;
    found.truncate(PAGE as usize);
    let events = store::events(&mut c.conn).await?;
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
            .map(|event| EventChoice {
                label: Event::label(&event, lang),
                event,
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
    let found = store::search(&mut c.conn, &rows_of(&f), 0, CSV_MAX).await?;
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
