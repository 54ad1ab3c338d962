//! The partner API's answers: JSON, never stored, with the data's as-of time; and the access
//! ledger's line for each.

use actix_web::HttpResponse;
use actix_web::http::header;
use chrono::{Datelike, Timelike, Utc};

use super::ledger::{Entry, Ledger};
use crate::bank::partner_data::{AsOf, Caller};
use crate::format::jst;
use crate::tenancy::CurrentTenant;

/// The answer's baseDate and baseTime, in Japan time. Written field by field: a `format`
/// pattern would be parsed again on every call.
pub(super) fn base() -> (String, String) {
    let now = Utc::now().with_timezone(&jst());
    (
        format!("{:04}-{:02}-{:02}", now.year(), now.month(), now.day()),
        format!(
            "{:02}:{:02}:{:02}+09:00",
            now.hour(),
            now.minute(),
            now.second()
        ),
    )
}

/// The baseDate and baseTime of an account's data: as of now, or, brought by the bank's files,
/// the latest 勘定日 imported, at the import's time when it ran on that day (an intraday file)
/// and at the day's end otherwise.
pub(super) fn base_of(as_of: Option<AsOf>, now: &(String, String)) -> (String, String) {
    let Some(as_of) = as_of else {
        return now.clone();
    };
    let day = as_of.day;
    let at = as_of.imported_at.with_timezone(&jst());
    let time = if at.date_naive() == day {
        format!(
            "{:02}:{:02}:{:02}+09:00",
            at.hour(),
            at.minute(),
            at.second()
        )
    } else {
        "23:59:59+09:00".to_owned()
    };
    (
        format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day()),
        time,
    )
}

pub(super) fn ok(body: &impl serde::Serialize) -> HttpResponse {
    ok_sized(body, 1024)
}

/// A 200 JSON answer, written into a buffer of about the size it will need.
pub(super) fn ok_sized(body: &impl serde::Serialize, capacity: usize) -> HttpResponse {
    let mut json = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut json, body) {
        Ok(()) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type(header::ContentType::json())
            .body(json),
        Err(e) => {
            tracing::error!(error = %e, "response did not serialise");
            HttpResponse::InternalServerError().finish()
        }
    }
}

pub(super) async fn record(
    ledger: &Ledger,
    tenant: &CurrentTenant,
    caller: &Caller,
    endpoint: &'static str,
    account: Option<String>,
    rows: usize,
) {
    ledger
        .record(Entry {
            tenant: tenant.slug.clone(),
            at: Utc::now(),
            grant_id: caller.grant_id,
            partner_id: caller.partner_id,
            endpoint,
            account_id: account,
            rows: i32::try_from(rows).unwrap_or(i32::MAX),
            status: 200,
        })
        .await;
}
