//! The bank's files brought into a hosted core: checked, written and audited in one
//! transaction, so that a refused file leaves no trace but its refusal.

use diesel_async::AsyncConnection as _;

use crate::audit::{self, Event};
use crate::db::TenantConn;
use crate::grants;
use crate::sandbox::import;
pub use crate::sandbox::import::{Refusal, Report, Reverted, Upload};
use crate::zengin::directory::{self, AccountRow, CustomerRow};
use crate::zengin::{self, Statement};

/// Imports a 入出金取引明細 (03) that [`crate::zengin::statement::parse`] read; with
/// `upload.check`, only reports.
pub async fn statement(
    conn: &mut TenantConn,
    statement: &Statement,
    upload: &Upload<'_>,
) -> Result<Report, Refusal> {
    conn.transaction::<_, Refusal, _>(async |conn| {
        let plan = import::plan(&mut *conn, statement, upload).await?;
        let mut report = plan.report(statement, upload);
        if upload.check {
            return Ok(report);
        }
        let id = import::write(&mut *conn, &plan, &report, upload).await?;
        report.id = Some(id);
        audited(conn, upload, &report, serde_json::json!({})).await?;
        Ok(report)
    })
    .await
}

/// Undoes import `id` of this tenant: its movements removed, its accounts as they were before
/// it. Refused when a later import touched the same accounts.
pub async fn revert(
    conn: &mut TenantConn,
    id: i64,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Reverted, Refusal> {
    conn.transaction::<_, Refusal, _>(async |conn| {
        let done = import::revert(&mut *conn, id, actor, now).await?;
        audit::record(
            conn,
            Event::CoreImportReverted,
            actor,
            Some(&id.to_string()),
            None,
            serde_json::json!({"rows_removed": done.rows_removed, "accounts": done.accounts}),
        )
        .await?;
        Ok(done)
    })
    .await
}

/// Brings in the bank's customers file: customers added or brought up to date by login ID.
/// A customer now `closed` has every grant ended; one `locked` has its grants held (the partner
/// API answers 401) until it is `active` again.
pub async fn customers(
    conn: &mut TenantConn,
    rows: &[CustomerRow],
    upload: &Upload<'_>,
) -> Result<Report, Refusal> {
    conn.transaction::<_, Refusal, _>(async |conn| {
        let written = import::directory::customers(&mut *conn, rows).await?;
        let added = written.iter().filter(|w| w.was.is_none()).count();
        let with = |s: &str| {
            written
                .iter()
                .filter(|w| w.status == s)
                .map(|w| w.id)
                .collect::<Vec<_>>()
        };
        let closed: Vec<uuid::Uuid> = written
            .iter()
            .filter(|w| w.status == "closed" && w.was.as_deref() != Some("closed"))
            .map(|w| w.id)
            .collect();
        let ended =
            grants::revoke_of_customers(conn, &closed, "customer.closed", upload.now).await?;
        for grant in &ended {
            audit::record(
                conn,
                Event::GrantRevoked,
                upload.actor,
                Some(&grant.to_string()),
                None,
                serde_json::json!({"reason": "customer.closed"}),
            )
            .await?;
        }
        grants::hold_of_customers(conn, &with("locked"), &with("active")).await?;
        let report = directory_report(upload, "customers", added, written.len() - added);
        recorded(
            conn,
            upload,
            None,
            report,
            serde_json::json!({"grants_ended": ended.len()}),
        )
        .await
    })
    .await
    .or_else(checked)
}

/// A check's report, whose transaction was rolled back.
fn checked(e: Refusal) -> Result<Report, Refusal> {
    match e {
        Refusal::Checked(report) => Ok(*report),
        other => Err(other),
    }
}

/// Brings in a 振込入金通知 (01): each transfer kept once, a cancellation marking the transfer it
/// names. Shown in the console; the partner API serves the day's 入出金取引明細 only.
pub async fn notices(
    conn: &mut TenantConn,
    notice: &zengin::notice::Notice,
    upload: &Upload<'_>,
) -> Result<Report, Refusal> {
    conn.transaction::<_, Refusal, _>(async |conn| {
        let id = import::next_id(&mut *conn).await?;
        let stored = import::notices::store(&mut *conn, notice, upload, id).await?;
        let mut report = directory_report(upload, "zengin-01", stored.added, stored.present);
        report.created = notice.created;
        let detail = serde_json::json!({"cancelled": stored.cancelled, "cancels_unmatched": stored.unmatched});
        recorded(conn, upload, Some(id), report, detail).await
    })
    .await
    .or_else(checked)
}

/// Brings in the bank's accounts file: accounts added or brought up to date, each under its
/// customer's login ID.
pub async fn accounts(
    conn: &mut TenantConn,
    rows: &[AccountRow],
    upload: &Upload<'_>,
) -> Result<Report, Refusal> {
    conn.transaction::<_, Refusal, _>(async |conn| {
        let today = crate::format::jst_date(upload.now);
        let (added, present) = import::directory::accounts(&mut *conn, rows, today).await?;
        let report = directory_report(upload, "accounts", added, present);
        recorded(conn, upload, None, report, serde_json::json!({})).await
    })
    .await
    .or_else(checked)
}

fn directory_report(
    upload: &Upload<'_>,
    format: &'static str,
    added: usize,
    present: usize,
) -> Report {
    Report {
        id: None,
        file_name: upload.file_name.to_owned(),
        // Set by `recorded`, which hashes the file once.
        sha256: String::new(),
        format,
        created: crate::format::jst_date(upload.now),
        accounts: Vec::new(),
        rows_added: added,
        rows_present: present,
    }
}

/// Records the import and audits it; only checking, hands the report back as
/// [`Refusal::Checked`], so that the transaction rolls back what the check wrote.
async fn recorded(
    conn: &mut TenantConn,
    upload: &Upload<'_>,
    id: Option<i64>,
    mut report: Report,
    detail: serde_json::Value,
) -> Result<Report, Refusal> {
    let sha = crate::secrets::sha256_bytes(upload.bytes);
    report.sha256 = crate::secrets::hex(&sha);
    if upload.check {
        return Err(Refusal::Checked(Box::new(report)));
    }
    let id = match id {
        Some(id) => id,
        None => import::next_id(&mut *conn).await?,
    };
    import::record(&mut *conn, id, upload, &sha, &report, serde_json::json!([])).await?;
    report.id = Some(id);
    audited(conn, upload, &report, detail).await?;
    Ok(report)
}

/// The audit row of an import: the file, what it did, and `detail`.
async fn audited(
    conn: &mut TenantConn,
    upload: &Upload<'_>,
    report: &Report,
    detail: serde_json::Value,
) -> diesel::QueryResult<()> {
    audit::record(
        conn,
        Event::CoreImported,
        upload.actor,
        report.id.map(|id| id.to_string()).as_deref(),
        None,
        serde_json::json!({
            "file": upload.file_name,
            "sha256": report.sha256,
            "format": report.format,
            "rows_added": report.rows_added,
            "rows_present": report.rows_present,
            "detail": detail,
        }),
    )
    .await
}

/// A file read and checked on its own, before anything is written.
pub enum Parsed {
    Statement(zengin::Statement),
    Notice(zengin::notice::Notice),
    Customers(Vec<directory::CustomerRow>),
    Accounts(Vec<directory::AccountRow>),
}

/// What a file is: its first record (a 全銀協 header) or its CSV header row says.
pub fn recognise(bytes: &[u8]) -> anyhow::Result<&'static str> {
    match bytes.get(..3) {
        Some(b"103") => return Ok("zengin-03"),
        Some(b"101") => return Ok("zengin-01"),
        _ => {}
    }
    directory::decode(bytes)
        .ok()
        .and_then(|text| directory::kind_of(&text))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "neither a 全銀協 入出金取引明細 (03) or 振込入金通知 (01) nor a customers or accounts CSV (give --format \
                 to be told what is wrong with it as one)"
            )
        })
}

pub fn parse(
    format: &str,
    bytes: &[u8],
    today: chrono::NaiveDate,
) -> Result<Parsed, zengin::Problem> {
    Ok(match format {
        "customers" => Parsed::Customers(directory::customers(&directory::decode(bytes)?)?),
        "accounts" => Parsed::Accounts(directory::accounts(&directory::decode(bytes)?)?),
        "zengin-01" => Parsed::Notice(zengin::notice::parse(bytes, today)?),
        _ => Parsed::Statement(zengin::statement::parse(bytes, today)?),
    })
}

/// Imports a file [`parse`] read.
pub async fn import(
    conn: &mut TenantConn,
    parsed: &Parsed,
    upload: &Upload<'_>,
) -> Result<Report, Refusal> {
    match parsed {
        Parsed::Statement(s) => statement(conn, s, upload).await,
        Parsed::Notice(n) => notices(conn, n, upload).await,
        Parsed::Customers(rows) => customers(conn, rows, upload).await,
        Parsed::Accounts(rows) => accounts(conn, rows, upload).await,
    }
}
