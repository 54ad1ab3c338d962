//! Writing a checked plan: the import's row, the new movements in chunks of set-based inserts,
//! and each account's balance and freshness.

use diesel::sql_types::{Array, Bytea, Date, Int2, Int4, Int8, Jsonb, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::plan::{Plan, Refusal};
use super::report::{Report, Upload};
use crate::zengin::Direction;

/// Movements a statement inserts (11 parameters each, well under PostgreSQL's 65,535).
const CHUNK: usize = 5_000;

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = Int8)]
    id: i64,
}

/// The number of the next import, unique across tenants.
pub async fn next_id(conn: &mut AsyncPgConnection) -> Result<i64, Refusal> {
    let Id { id } = diesel::sql_query("SELECT nextval('public.core_import_ids') AS id")
        .get_result(conn)
        .await?;
    Ok(id)
}

/// Records import `id` in `core_imports`: who, when, the file and what it did; `undo` is what
/// reverting it puts back.
pub async fn record(
    conn: &mut AsyncPgConnection,
    id: i64,
    upload: &Upload<'_>,
    sha256: &[u8],
    report: &Report,
    undo: serde_json::Value,
) -> Result<(), Refusal> {
    diesel::sql_query(
        "INSERT INTO core_imports \
           (at, actor, file_name, sha256, format, accounts, rows_added, rows_present, report, undo, id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind::<Timestamptz, _>(upload.now)
    .bind::<Text, _>(upload.actor)
    .bind::<Text, _>(upload.file_name)
    .bind::<Bytea, _>(sha256)
    .bind::<Text, _>(report.format)
    .bind::<Int4, _>(report.accounts.len() as i32)
    .bind::<Int4, _>(report.rows_added as i32)
    .bind::<Int4, _>(report.rows_present as i32)
    .bind::<Jsonb, _>(serde_json::to_value(&report.accounts).unwrap_or_default())
    .bind::<Jsonb, _>(undo)
    .bind::<Int8, _>(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn write(
    conn: &mut AsyncPgConnection,
    plan: &Plan<'_>,
    report: &Report,
    upload: &Upload<'_>,
) -> Result<i64, Refusal> {
    let undo = serde_json::to_value(
        plan.accounts
            .iter()
            .filter_map(|a| a.before.as_ref())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let id = next_id(&mut *conn).await?;
    record(&mut *conn, id, upload, &plan.sha256, report, undo).await?;
    let rows: Vec<(&str, &crate::zengin::Movement, i64)> = plan
        .accounts
        .iter()
        .filter_map(|a| a.account_id.as_deref().map(|id| (id, a)))
        .flat_map(|(id, a)| a.new.iter().map(move |(m, b)| (id, *m, *b)))
        .collect();
    let total = rows.len();
    for (i, chunk) in rows.chunks(CHUNK).enumerate() {
        diesel::sql_query(
            "INSERT INTO transactions (account_id, transaction_date, value_date, transaction_type, \
               amount, remarks, balance, import_id, reference, kind, record) \
             SELECT a, d, v, t, m, r, b, $8, f, k, c \
               FROM unnest($1, $2, $3, $4, $5, $6, $7, $9, $10, $11) \
                 AS u (a, d, v, t, m, r, b, f, k, c)",
        )
        .bind::<Array<Text>, _>(chunk.iter().map(|(id, _, _)| *id).collect::<Vec<_>>())
        .bind::<Array<Date>, _>(
            chunk
                .iter()
                .map(|(_, m, _)| m.booked_on)
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Date>, _>(
            chunk
                .iter()
                .map(|(_, m, _)| m.value_date)
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Int2>, _>(
            chunk
                .iter()
                .map(|(_, m, _)| match m.direction {
                    Direction::Deposit => 1i16,
                    Direction::Withdrawal => 2,
                })
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Int8>, _>(chunk.iter().map(|(_, m, _)| m.amount).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(
            chunk
                .iter()
                .map(|(_, m, _)| m.remarks.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Int8>, _>(chunk.iter().map(|(_, _, b)| *b).collect::<Vec<_>>())
        .bind::<Int8, _>(id)
        .bind::<Array<Text>, _>(
            chunk
                .iter()
                .map(|(_, m, _)| m.reference.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Text>, _>(
            chunk
                .iter()
                .map(|(_, m, _)| m.kind.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Bytea>, _>(
            chunk
                .iter()
                .map(|(_, m, _)| m.raw.as_slice())
                .collect::<Vec<_>>(),
        )
        .execute(conn)
        .await?;
        if let Some(progress) = upload.progress {
            progress((i * CHUNK + chunk.len()).min(total), total);
        }
    }
    // Balance and freshness, for the accounts the file moved on.
    let moved: Vec<_> = plan
        .accounts
        .iter()
        .filter_map(|a| {
            Some((
                a.account_id.as_deref()?,
                a.balance?,
                a.through?,
                !a.new.is_empty(),
            ))
        })
        .collect();
    diesel::sql_query(
        "UPDATE accounts a SET balance = u.b, \
                imported_at = CASE WHEN u.added OR a.imported_through IS DISTINCT FROM u.d \
                              THEN $4 ELSE a.imported_at END, \
                imported_through = u.d \
           FROM unnest($1, $2, $3, $5) AS u (id, b, d, added) WHERE a.account_id = u.id",
    )
    .bind::<Array<Text>, _>(moved.iter().map(|m| m.0).collect::<Vec<_>>())
    .bind::<Array<Int8>, _>(moved.iter().map(|m| m.1).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(moved.iter().map(|m| m.2).collect::<Vec<_>>())
    .bind::<Timestamptz, _>(upload.now)
    .bind::<Array<diesel::sql_types::Bool>, _>(moved.iter().map(|m| m.3).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(id)
}
