//! The partner API's answers: JSON, never stored, with the data's as-of time; and the access
//! ledger's line for each.

use actix_web::HttpResponse;
use actix_web::http::header;
use chrono::{Datelike, Timelike, Utc};

use super::ledger::{Entry, Ledger};
use crate::bank::partner_data::Caller;
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
