//! 振込入金通知 (01) kept beside the accounts: each transfer once, and a cancellation marking the
//! transfer it names.

use diesel::sql_types::{Array, Bytea, Date, Int8, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::plan::Refusal;
use super::report::Upload;
use crate::zengin::notice::{Notice, Transfer};

#[derive(diesel::QueryableByName)]
struct Known {
    #[diesel(sql_type = Text)]
    account_id: String,
}

/// What the file did: transfers added, already there, cancellations applied, and those that
/// named no transfer known.
#[derive(Debug, Default)]
pub struct Stored {
    pub added: usize,
    pub present: usize,
    pub cancelled: usize,
    pub unmatched: usize,
}

pub async fn store(
    conn: &mut AsyncPgConnection,
    notice: &Notice,
    upload: &Upload<'_>,
    import_id: i64,
) -> Result<Stored, Refusal> {
    let mut wanted = Vec::new();
    for b in &notice.blocks {
        if b.bank_code != upload.bank_code {
            return Err(Refusal::File(format!(
                "record {}, 銀行コード: {} is not this institution's bank_code {}",
                b.record, b.bank_code, upload.bank_code
            )));
        }
        let id = b.account_id().ok_or_else(|| {
            Refusal::File(format!(
                "record {}, 預金種目: '{}' is not 1, 2 or 4",
                b.record, b.deposit_type
            ))
        })?;
        wanted.push((b, id));
    }
    let ids: Vec<&str> = wanted.iter().map(|(_, id)| id.as_str()).collect();
    let known: Vec<Known> =
        diesel::sql_query("SELECT account_id FROM accounts WHERE account_id = ANY ($1)")
            .bind::<Array<Text>, _>(&ids)
            .load(&mut *conn)
            .await?;
    let mut rows: Vec<(&str, &Transfer)> = Vec::new();
    let mut cancels: Vec<(&str, &Transfer)> = Vec::new();
    for (b, id) in &wanted {
        if !known.iter().any(|k| &k.account_id == id) {
            if upload.skip_unknown_accounts {
                continue;
            }
            return Err(Refusal::File(format!(
                "record {}: account {id} is not in the core; add it first, or import with --skip-unknown-accounts",
                b.record
            )));
        }
        for t in &b.transfers {
            if t.cancels {
                cancels.push((id, t))
            } else {
                rows.push((id, t))
            }
        }
    }
    let col = |f: fn(&Transfer) -> String| rows.iter().map(|(_, t)| f(t)).collect::<Vec<_>>();
    let added = diesel::sql_query(
        "INSERT INTO transfer_notices (import_id, account_id, booked_on, value_date, reference, amount, \
           remitter, from_bank, from_branch, record) \
         SELECT $1, a, d, v, r, m, n, b, s, c \
           FROM unnest($2, $3, $4, $5, $6, $7, $8, $9, $10) AS u (a, d, v, r, m, n, b, s, c) \
         ON CONFLICT (account_id, booked_on, reference) DO NOTHING",
    )
    .bind::<Int8, _>(import_id)
    .bind::<Array<Text>, _>(rows.iter().map(|(id, _)| *id).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(rows.iter().map(|(_, t)| t.booked_on).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(rows.iter().map(|(_, t)| t.value_date).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(col(|t| t.reference.clone()))
    .bind::<Array<Int8>, _>(rows.iter().map(|(_, t)| t.amount).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(col(|t| t.remitter.clone()))
    .bind::<Array<Text>, _>(col(|t| t.from_bank.clone()))
    .bind::<Array<Text>, _>(col(|t| t.from_branch.clone()))
    .bind::<Array<Bytea>, _>(rows.iter().map(|(_, t)| t.raw.as_slice()).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    let cancelled = diesel::sql_query(
        "UPDATE transfer_notices n SET cancelled_at = $4 \
           FROM unnest($1, $2, $3) AS u (a, d, r) \
          WHERE n.account_id = u.a AND n.booked_on = u.d AND n.reference = u.r AND n.cancelled_at IS NULL",
    )
    .bind::<Array<Text>, _>(cancels.iter().map(|(id, _)| *id).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(cancels.iter().map(|(_, t)| t.booked_on).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(cancels.iter().map(|(_, t)| t.reference.as_str()).collect::<Vec<_>>())
    .bind::<Timestamptz, _>(upload.now)
    .execute(&mut *conn)
    .await?;
    Ok(Stored {
        added,
        present: rows.len() - added,
        cancelled,
        unmatched: cancels.len().saturating_sub(cancelled),
    })
}
