//! What a 03 file would change, worked out against the accounts' state (locked until the
//! transaction ends): for each block, the movements already imported (which must be the same),
//! the new ones with their running balances, and the balance chain.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::sql_types::{Array, Bytea, Date, Int2, Int8, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::report::{AccountReport, Report, Upload};
use crate::zengin::statement::signed;
use crate::zengin::{Block, Movement, Statement};

/// Why an import was refused: one line, naming the record and field where it can.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// Not a refusal: a checked directory file, whose writes are rolled back.
    #[error("checked only")]
    Checked(Box<super::report::Report>),
}

fn refuse<T>(message: String) -> Result<T, Refusal> {
    Err(Refusal::File(message))
}

#[derive(diesel::QueryableByName)]
struct AccountState {
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = Int8)]
    balance: i64,
    #[diesel(sql_type = Nullable<Date>)]
    imported_through: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    last_transaction_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    imported_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An account as it was before the import: what reverting the import puts back.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Before {
    pub account_id: String,
    pub balance: i64,
    pub imported_through: Option<NaiveDate>,
    pub imported_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(diesel::QueryableByName)]
struct Imported {
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = Date)]
    transaction_date: NaiveDate,
    #[diesel(sql_type = Nullable<Bytea>)]
    record: Option<Vec<u8>>,
    #[diesel(sql_type = Int8)]
    balance: i64,
    #[diesel(sql_type = Int2)]
    transaction_type: i16,
    #[diesel(sql_type = Int8)]
    amount: i64,
}

/// One block's part of the plan.
pub struct AccountPlan<'s> {
    pub block: &'s Block,
    /// `None`: the block is skipped (see `note`).
    pub account_id: Option<String>,
    /// New movements and the balance after each.
    pub new: Vec<(&'s Movement, i64)>,
    pub present: usize,
    pub balance: Option<i64>,
    pub through: Option<NaiveDate>,
    pub note: String,
    /// The account before the import (`None` for a skipped block).
    pub before: Option<Before>,
}

pub struct Plan<'s> {
    pub sha256: Vec<u8>,
    pub accounts: Vec<AccountPlan<'s>>,
}

impl Plan<'_> {
    pub fn report(&self, statement: &Statement, upload: &Upload<'_>) -> Report {
        let accounts: Vec<AccountReport> = self
            .accounts
            .iter()
            .map(|a| AccountReport {
                record: a.block.record,
                account_id: a.account_id.clone().unwrap_or_else(|| block_id(a.block)),
                from: a.block.from,
                to: a.block.to,
                rows_added: a.new.len(),
                rows_present: a.present,
                balance: a.balance,
                note: a.note.clone(),
            })
            .collect();
        Report {
            id: None,
            file_name: upload.file_name.to_owned(),
            sha256: crate::secrets::hex(&self.sha256),
            format: "zengin-03",
            created: statement.created,
            rows_added: accounts.iter().map(|a| a.rows_added).sum(),
            rows_present: accounts.iter().map(|a| a.rows_present).sum(),
            accounts,
        }
    }
}

/// The account a block is for, as the partner API names accounts (branch, type, number).
fn block_id(b: &Block) -> String {
    format!(
        "{}{}{}",
        b.branch_code,
        b.account_type_code()
            .map_or_else(|| format!("0{}", b.deposit_type), str::to_owned),
        b.account_number
    )
}

pub async fn plan<'s>(
    conn: &mut AsyncPgConnection,
    statement: &'s Statement,
    upload: &Upload<'_>,
) -> Result<Plan<'s>, Refusal> {
    for b in &statement.blocks {
        if b.bank_code != upload.bank_code {
            return refuse(format!(
                "record {}, 銀行コード: {} is not this institution's bank_code {}",
                b.record, b.bank_code, upload.bank_code
            ));
        }
    }
    let ids: Vec<String> = statement
        .blocks
        .iter()
        .filter(|b| b.account_type_code().is_some())
        .map(block_id)
        .collect();
    let mut seen = HashSet::new();
    for (b, id) in statement
        .blocks
        .iter()
        .filter(|b| b.account_type_code().is_some())
        .zip(&ids)
    {
        if !seen.insert(id) {
            return refuse(format!(
                "record {}: account {id} has a second block in the file",
                b.record
            ));
        }
    }
    let states: HashMap<String, AccountState> = diesel::sql_query(
        "SELECT account_id, balance, imported_through, last_transaction_date, imported_at FROM accounts \
          WHERE account_id = ANY($1) ORDER BY account_id FOR UPDATE",
    )
    .bind::<Array<Text>, _>(&ids)
    .load::<AccountState>(conn)
    .await?
    .into_iter()
    .map(|s| (s.account_id.clone(), s))
    .collect();
    let since = statement.blocks.iter().map(|b| b.from).min();
    let mut imported: HashMap<String, Vec<Imported>> = HashMap::new();
    if let Some(since) = since {
        let rows: Vec<Imported> = diesel::sql_query(
            "SELECT account_id, transaction_date, record, balance, transaction_type, amount \
               FROM transactions \
              WHERE import_id IS NOT NULL AND account_id = ANY($1) AND transaction_date >= $2 \
              ORDER BY account_id, transaction_date, id",
        )
        .bind::<Array<Text>, _>(&ids)
        .bind::<Date, _>(since)
        .load(conn)
        .await?;
        for r in rows {
            imported.entry(r.account_id.clone()).or_default().push(r);
        }
    }
    let mut accounts = Vec::with_capacity(statement.blocks.len());
    for block in &statement.blocks {
        let skipped = |note: String| AccountPlan {
            block,
            account_id: None,
            new: Vec::new(),
            present: 0,
            balance: None,
            through: None,
            note,
            before: None,
        };
        let Some(_) = block.account_type_code() else {
            accounts.push(skipped(format!(
                "skipped: 預金種目 {} (定期性) is not read",
                block.deposit_type
            )));
            continue;
        };
        let id = block_id(block);
        let Some(state) = states.get(&id) else {
            if upload.skip_unknown_accounts {
                accounts.push(skipped("skipped: no such account in the core".into()));
                continue;
            }
            return refuse(format!(
                "record {}: account {} {}-{} (branch, 預金種目, number) is not in the core; \
                 add it first, or import with --skip-unknown-accounts",
                block.record, block.branch_code, block.deposit_type, block.account_number
            ));
        };
        let before = imported.remove(&id).unwrap_or_default();
        accounts.push(account(block, id, state, &before)?);
    }
    Ok(Plan {
        sha256: crate::secrets::sha256_bytes(upload.bytes),
        accounts,
    })
}

fn account<'s>(
    block: &'s Block,
    id: String,
    state: &AccountState,
    imported: &[Imported],
) -> Result<AccountPlan<'s>, Refusal> {
    let latest = state.imported_through;
    if let Some(latest) = latest
        && block.to < latest
    {
        return refuse(format!(
            "record {}, 勘定日(至): {} is before {latest}, the latest 勘定日 imported for account {id}",
            block.record, block.to
        ));
    }
    // Days already imported must come again exactly as they were.
    let old: Vec<&Movement> = block
        .movements
        .iter()
        .filter(|m| latest.is_some_and(|l| m.booked_on <= l))
        .collect();
    let stored: Vec<&Imported> = imported
        .iter()
        .filter(|r| r.transaction_date >= block.from && r.transaction_date <= block.to)
        .collect();
    let mut days: BTreeMap<NaiveDate, (Vec<&Movement>, Vec<&Imported>)> = BTreeMap::new();
    for m in &old {
        days.entry(m.booked_on).or_default().0.push(m);
    }
    for r in &stored {
        days.entry(r.transaction_date).or_default().1.push(r);
    }
    for (day, (file, db)) in &days {
        let same = file.len() == db.len()
            && file
                .iter()
                .zip(db)
                .all(|(m, r)| r.record.as_deref() == Some(&m.raw[..]));
        if !same {
            let known: HashSet<&[u8]> = db.iter().filter_map(|r| r.record.as_deref()).collect();
            return match file.iter().find(|m| !known.contains(&m.raw[..])) {
                Some(m) => refuse(format!(
                    "record {}, 照会番号: {} is not among the movements imported for 勘定日 {day}",
                    m.record, m.reference
                )),
                None => refuse(format!(
                    "record {}: 勘定日 {day} was imported with other movements (or in another order)",
                    block.record
                )),
            };
        }
    }
    // The balance before the file's first movement.
    let known = match (<[&Movement]>::first(&old), <[&Imported]>::first(&stored)) {
        (Some(_), Some(first)) => {
            let effect = if first.transaction_type == 1 {
                first.amount
            } else {
                -first.amount
            };
            first.balance - effect
        }
        _ => state.balance,
    };
    if let Some(opening) = block.opening
        && opening != known
    {
        return refuse(format!(
            "record {}, 取引前残高: {opening} yen does not meet {known} yen, the balance known for \
             account {id}: a file before this one is missing, or this is not the next one",
            block.record
        ));
    }
    let fresh: Vec<&Movement> = block.movements.iter().skip(old.len()).collect();
    if let (Some(first), Some(last)) = (<[&Movement]>::first(&fresh), state.last_transaction_date)
        && last > first.booked_on
    {
        return refuse(format!(
            "record {}: account {id} has movements up to {last}, after this file's {}, that no \
             import brought",
            first.record, first.booked_on
        ));
    }
    let mut balance = state.balance;
    let new: Vec<(&Movement, i64)> = fresh
        .into_iter()
        .map(|m| {
            balance += signed(m);
            (m, balance)
        })
        .collect();
    Ok(AccountPlan {
        block,
        account_id: Some(id.clone()),
        present: old.len(),
        balance: Some(balance),
        through: Some(latest.map_or(block.to, |l| l.max(block.to))),
        before: Some(Before {
            account_id: id.clone(),
            balance: state.balance,
            imported_through: state.imported_through,
            imported_at: state.imported_at,
        }),
        note: if block.chain_checked() {
            "checked".into()
        } else {
            "balance chain not checked".into()
        },
        new,
    })
}
