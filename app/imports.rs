//! The bank's files brought into a hosted core: checked, written and audited in one
//! transaction, so that a refused file leaves no trace but its refusal.

use diesel_async::AsyncConnection as _;

use crate::audit::{self, Event};
use crate::db::TenantConn;
use crate::sandbox::import::{self, Refusal, Report, Reverted, Upload};
use crate::zengin::Statement;

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
        audit::record(
            conn,
            Event::CoreImported,
            upload.actor,
            Some(&id.to_string()),
            None,
            serde_json::json!({
                "file": upload.file_name,
                "sha256": report.sha256,
                "format": report.format,
                "rows_added": report.rows_added,
                "rows_present": report.rows_present,
            }),
        )
        .await?;
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
