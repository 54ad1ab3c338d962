//! Each file the bank's systems send is a job: received, then imported in the background, its
//! report (or its refusal) kept for `GET …/core/v1/imports/{id}`.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Int8, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;

use crate::db::{Db, TenantConn};
use crate::imports::{self, Upload};
use crate::tenancy::TenantSlug;

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = Int8)]
    id: i64,
}

/// A job as `GET` shows it.
#[derive(Debug, diesel::QueryableByName, serde::Serialize)]
pub struct Job {
    #[diesel(sql_type = Int8)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub file_name: String,
    #[diesel(sql_type = Int8)]
    pub bytes: i64,
    #[diesel(sql_type = Timestamptz)]
    pub received_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Int8>)]
    pub import_id: Option<i64>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub report: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Text>)]
    pub error: Option<String>,
}

pub async fn create(
    conn: &mut TenantConn,
    actor: &str,
    file_name: &str,
    bytes: usize,
    at: DateTime<Utc>,
) -> diesel::QueryResult<i64> {
    let Id { id } = diesel::sql_query(
        "INSERT INTO core_ingests (received_at, actor, file_name, bytes, status) \
         VALUES ($1, $2, $3, $4, 'pending') RETURNING id",
    )
    .bind::<Timestamptz, _>(at)
    .bind::<Text, _>(actor)
    .bind::<Text, _>(file_name)
    .bind::<Int8, _>(bytes as i64)
    .get_result(&mut **conn)
    .await?;
    Ok(id)
}

pub async fn find(conn: &mut TenantConn, id: i64) -> diesel::QueryResult<Option<Job>> {
    let found: Vec<Job> = diesel::sql_query(
        "SELECT id, status, file_name, bytes, received_at, finished_at, import_id, report, error \
           FROM core_ingests WHERE id = $1",
    )
    .bind::<Int8, _>(id)
    .load(&mut **conn)
    .await?;
    Ok(found.into_iter().next())
}

/// What a job is given to run.
pub struct Work {
    pub db: Db,
    pub slug: TenantSlug,
    pub id: i64,
    pub actor: String,
    pub file_name: String,
    pub format: Option<String>,
    pub bank_code: String,
    pub bytes: Vec<u8>,
}

/// Reads and imports the file, then records how it went. A server stopped meanwhile leaves the
/// job pending and the file unimported (an import is all or nothing): the bank sends it again.
pub async fn run(w: Work) {
    let outcome = import(&w).await;
    let (status, import_id, report, error) = match outcome {
        Ok(report) => (
            "imported",
            report.id,
            serde_json::to_value(&report).ok(),
            None,
        ),
        Err(why) => ("refused", None, None, Some(why)),
    };
    let finished = async {
        diesel::sql_query(
            "UPDATE core_ingests SET status = $2, import_id = $3, report = $4, error = $5, \
                    finished_at = now() WHERE id = $1",
        )
        .bind::<Int8, _>(w.id)
        .bind::<Text, _>(status)
        .bind::<Nullable<Int8>, _>(import_id)
        .bind::<Nullable<Jsonb>, _>(report)
        .bind::<Nullable<Text>, _>(error)
        .execute(&mut *w.db.tenant(&w.slug).await?)
        .await?;
        anyhow::Ok(())
    };
    if let Err(e) = finished.await {
        tracing::error!(tenant = %w.slug, job = w.id, error = %e, "an ingest job's outcome was not recorded");
    }
}

async fn import(w: &Work) -> Result<imports::Report, String> {
    let kind = match &w.format {
        Some(f) => f.as_str(),
        None => imports::recognise(&w.bytes).map_err(|e| e.to_string())?,
    };
    let now = Utc::now();
    let parsed = imports::parse(kind, &w.bytes, crate::format::jst_date(now))
        .map_err(|p| format!("{p}; nothing was imported"))?;
    let upload = Upload {
        file_name: &w.file_name,
        bytes: &w.bytes,
        actor: &w.actor,
        now,
        bank_code: &w.bank_code,
        skip_unknown_accounts: false,
        check: false,
        progress: None,
    };
    let mut conn = w.db.tenant(&w.slug).await.map_err(|e| e.to_string())?;
    imports::import(&mut conn, &parsed, &upload)
        .await
        .map_err(|e| format!("{e}; nothing of it was imported"))
}
