//! The console's データ連携 page: the bank's files uploaded (admins only), the imports and
//! their reports, the provisional 振込入金通知, and how fresh each imported account is, with a
//! warning for those no file has brought for `core.stale_after_days` business days.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Datelike as _, NaiveDate, Utc, Weekday};
use serde::Serialize;

use super::grants::when;
use super::store::bank_data as store;
use super::{Console, context, render};
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::imports::{self, Upload};
use crate::tenancy::CurrentTenant;
use crate::web::Pages;

/// Business days (Monday to Friday) after `day` up to `today`.
fn business_days(day: NaiveDate, today: NaiveDate) -> u32 {
    day.iter_days()
        .skip(1)
        .take_while(|d| *d <= today)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .count() as u32
}

#[derive(Serialize)]
struct FreshRow {
    account_id: String,
    account_name: String,
    through: String,
    imported_at: String,
    stale: bool,
}

/// What an upload did, for the page.
#[derive(Serialize, Default)]
struct Outcome {
    report: Option<imports::Report>,
    error: Option<String>,
}

async fn page(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    mut c: Console,
    settings: &Settings,
    outcome: Outcome,
) -> Result<HttpResponse, AppError> {
    let today = crate::format::jst_date(Utc::now());
    let imports: Vec<serde_json::Value> = store::imports(&mut c.conn, 50)
        .await?
        .into_iter()
        .map(|i| {
            serde_json::json!({
                "id": i.id, "at": when(i.at), "actor": i.actor, "file": i.file_name,
                "format": i.format, "added": i.rows_added, "present": i.rows_present,
                "reverted": i.reverted,
            })
        })
        .collect();
    let transfers: Vec<serde_json::Value> = store::transfers(&mut c.conn, 50)
        .await?
        .into_iter()
        .map(|t| {
            serde_json::json!({
                "day": t.booked_on.to_string(), "account_id": t.account_id,
                "amount": t.amount, "remitter": t.remitter,
                "cancelled": t.cancelled,
            })
        })
        .collect();
    let fresh: Vec<FreshRow> = store::freshness(&mut c.conn, 200)
        .await?
        .into_iter()
        .filter_map(|f| {
            let through = f.imported_through?;
            Some(FreshRow {
                stale: business_days(through, today) >= settings.core.stale_after_days,
                account_id: f.account_id,
                account_name: f.account_name,
                through: through.to_string(),
                imported_at: f.imported_at.map(when).unwrap_or_default(),
            })
        })
        .collect();
    let mut ctx = context(req, pages, tenant, lang, &c, "bank-data");
    ctx.insert("imports", &imports);
    ctx.insert("transfers", &transfers);
    ctx.insert("stale_count", &fresh.iter().filter(|f| f.stale).count());
    ctx.insert("fresh", &fresh);
    ctx.insert("stale_after_days", &settings.core.stale_after_days);
    ctx.insert("outcome", &outcome);
    render(pages, "admin/bank_data.html", &ctx)
}

pub async fn show(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
    settings: web::Data<Settings>,
    c: Console,
) -> Result<HttpResponse, AppError> {
    page(
        &req,
        &pages,
        &tenant,
        lang,
        c,
        &settings,
        Outcome::default(),
    )
    .await
}

/// A file uploaded by an admin: read and imported as `renkei core import` would, its report or
/// refusal shown on the page.
pub async fn upload(
    req: HttpRequest,
    mut payload: actix_multipart::Multipart,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let max = settings.core.max_upload_mb as usize * 1024 * 1024;
    let (mut c, file) =
        super::upload::admitted(&req, &tenant, &db, &mut payload, "file", max).await?;
    let outcome = match (file.too_big, file.file) {
        (true, _) => Outcome {
            error: Some(crate::i18n::t_args(
                lang,
                "admin-bank-data-too-big",
                &[("max", &settings.core.max_upload_mb.to_string())],
            )),
            ..Outcome::default()
        },
        (false, None) => Outcome {
            error: Some(lang.t("admin-bank-data-choose")),
            ..Outcome::default()
        },
        (false, Some(bytes)) => {
            let name = file.file_name.as_deref().unwrap_or("console upload");
            imported(&mut c, &tenant, name, &bytes).await
        }
    };
    page(&req, &pages, &tenant, lang, c, &settings, outcome).await
}

async fn imported(
    c: &mut Console,
    tenant: &CurrentTenant,
    file_name: &str,
    bytes: &[u8],
) -> Outcome {
    let Some(bank_code) = tenant.settings.bank_code.as_deref() else {
        return Outcome {
            error: Some("bank_code is not set in tenant.toml".into()),
            ..Outcome::default()
        };
    };
    let now = Utc::now();
    let actor = format!("admin:{}", c.admin.email);
    let result = async {
        let kind = imports::recognise(bytes).map_err(|e| e.to_string())?;
        let parsed = imports::parse(kind, bytes, crate::format::jst_date(now))
            .map_err(|p| format!("{p}; nothing was imported"))?;
        let upload = Upload {
            file_name,
            bytes,
            actor: &actor,
            now,
            bank_code,
            skip_unknown_accounts: false,
            check: false,
            progress: None,
        };
        imports::import(&mut c.conn, &parsed, &upload)
            .await
            .map_err(|e| format!("{e}; nothing of it was imported"))
    };
    match result.await {
        Ok(report) => Outcome {
            report: Some(report),
            error: None,
        },
        Err(why) => Outcome {
            report: None,
            error: Some(why),
        },
    }
}
