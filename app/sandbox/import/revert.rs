//! Undoing an import: its movements removed and its accounts put back as they were, when no
//! import after it touched those accounts.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension as _;
use diesel::sql_types::{Array, Bool, Date, Int8, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::plan::{Before, Refusal};

#[derive(diesel::QueryableByName)]
struct Stored {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    reverted_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Jsonb)]
    undo: serde_json::Value,
    #[diesel(sql_type = Text)]
    format: String,
}

#[derive(diesel::QueryableByName)]
struct Later {
    #[diesel(sql_type = Int8)]
    id: i64,
}

/// What a revert undid.
#[derive(Debug, serde::Serialize)]
pub struct Reverted {
    pub id: i64,
    pub accounts: usize,
    pub rows_removed: usize,
}

/// Whether this tenant holds import `id`.
pub async fn holds(conn: &mut AsyncPgConnection, id: i64) -> Result<bool, Refusal> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    let Found { found } =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM core_imports WHERE id = $1) AS found")
            .bind::<Int8, _>(id)
            .get_result(conn)
            .await?;
    Ok(found)
}

pub async fn revert(
    conn: &mut AsyncPgConnection,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Reverted, Refusal> {
    let stored: Option<Stored> = diesel::sql_query(
        "SELECT reverted_at, undo, format FROM core_imports WHERE id = $1 FOR UPDATE",
    )
    .bind::<Int8, _>(id)
    .get_result(conn)
    .await
    .optional()?;
    let Some(stored) = stored else {
        return Err(Refusal::File(format!("there is no import {id}")));
    };
    if stored.format != "zengin-03" {
        return Err(Refusal::File(format!(
            "import {id} is a {} file: only 入出金取引明細 (zengin-03) imports are reverted; \
             import the directory again as it should be",
            stored.format
        )));
    }
    if let Some(at) = stored.reverted_at {
        return Err(Refusal::File(format!(
            "import {id} was reverted already, at {at}"
        )));
    }
    let before: Vec<Before> = serde_json::from_value(stored.undo)
        .map_err(|e| Refusal::File(format!("import {id}: its record cannot be read ({e})")))?;
    let ids: Vec<&str> = before.iter().map(|b| b.account_id.as_str()).collect();
    let later: Option<Later> = diesel::sql_query(
        "SELECT id FROM core_imports \
          WHERE id > $1 AND reverted_at IS NULL \
            AND EXISTS (SELECT 1 FROM jsonb_array_elements(undo) e WHERE e->>'account_id' = ANY ($2)) \
          ORDER BY id LIMIT 1 FOR UPDATE",
    )
    .bind::<Int8, _>(id)
    .bind::<Array<Text>, _>(&ids)
    .get_result(conn)
    .await
    .optional()?;
    if let Some(Later { id: later }) = later {
        return Err(Refusal::File(format!(
            "import {later} came after import {id} to the same accounts: revert it first"
        )));
    }
    let rows_removed = diesel::sql_query("DELETE FROM transactions WHERE import_id = $1")
        .bind::<Int8, _>(id)
        .execute(conn)
        .await?;
    diesel::sql_query(
        "UPDATE accounts a SET balance = u.b, imported_through = u.d, imported_at = u.at \
           FROM unnest($1, $2, $3, $4) AS u (id, b, d, at) WHERE a.account_id = u.id",
    )
    .bind::<Array<Text>, _>(&ids)
    .bind::<Array<Int8>, _>(before.iter().map(|b| b.balance).collect::<Vec<_>>())
    .bind::<Array<Nullable<Date>>, _>(
        before
            .iter()
            .map(|b| b.imported_through)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Timestamptz>>, _>(
        before.iter().map(|b| b.imported_at).collect::<Vec<_>>(),
    )
    .execute(conn)
    .await?;
    diesel::sql_query("UPDATE core_imports SET reverted_at = $2, reverted_by = $3 WHERE id = $1")
        .bind::<Int8, _>(id)
        .bind::<Timestamptz, _>(now)
        .bind::<Text, _>(actor)
        .execute(conn)
        .await?;
    Ok(Reverted {
        id,
        accounts: before.len(),
        rows_removed,
    })
}
