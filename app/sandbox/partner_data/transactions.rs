//! 入出金明細照会: one page of an account's transactions.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, Bool, Bytea, Date, Int2, Int8, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

use crate::bank::partner_data::{AsOf, Caller, Page, PageQuery, PagedAccount, Transaction};
use crate::db::{Db, TenantStatements};
use crate::error::AppError;
use crate::statement;
use crate::tenancy::TenantSlug;

/// The SQL types of [`TransactionsSql`]'s columns, in order.
type TransactionColumns = (
    Nullable<SqlUuid>,
    Nullable<SqlUuid>,
    Nullable<Array<Text>>,
    Nullable<Bool>,
    Nullable<Bytea>,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Date>,
    Nullable<Int8>,
    Nullable<Date>,
    Nullable<Date>,
    Nullable<Int2>,
    Nullable<Int8>,
    Nullable<Text>,
    Nullable<Int8>,
    Nullable<Date>,
    Nullable<Timestamptz>,
);

/// A row of a transactions page. The caller's row has the caller's columns and NULL
/// transaction columns; each transaction's row the other way round. The caller's columns, its
/// scopes array among them, come back once rather than on every row of the page.
///
/// Read by position, a page being about a hundred rows: the fields are in the order of
/// [`TransactionsSql`]'s columns, whose SQL types [`TransactionColumns`] lists.
#[derive(Debug, Queryable)]
struct TransactionRow {
    grant_id: Option<Uuid>,
    partner_id: Option<Uuid>,
    scopes: Option<Vec<String>>,
    partner_active: Option<bool>,
    cnf_x5t_s256: Option<Vec<u8>>,
    account_id: Option<String>,
    currency_code: Option<String>,
    first_date: Option<NaiveDate>,
    id: Option<i64>,
    transaction_date: Option<NaiveDate>,
    value_date: Option<NaiveDate>,
    transaction_type: Option<i16>,
    amount: Option<i64>,
    remarks: Option<String>,
    balance: Option<i64>,
    imported_through: Option<NaiveDate>,
    imported_at: Option<chrono::DateTime<chrono::Utc>>,
}

statement!(
    /// One page of an account's transactions after a position, oldest first, after the caller's
    /// row. The page is read only when the token's grant covers the account with
    /// `transactions:read`.
    TransactionsSql,
    concat!(
        "WITH caller AS MATERIALIZED (
           SELECT ", caller!(), ", a.account_id, a.currency_code, a.imported_through, a.imported_at,
                  (SELECT min(f.transaction_date) FROM {schema}.transactions f WHERE f.account_id = a.account_id) AS first_date ",
        token_and_grant!(),
        " LEFT JOIN {schema}.grant_accounts ga ON ga.grant_id = g.id AND ga.account_id = ?
          LEFT JOIN {schema}.accounts a ON a.account_id = ga.account_id ",
        live_token_where!(),
        ")
         SELECT c.grant_id, c.partner_id, c.scopes, c.partner_active, c.cnf_x5t_s256, c.account_id,
                c.currency_code, c.first_date, NULL::int8 AS id, NULL::date AS transaction_date,
                NULL::date AS value_date, NULL::int2 AS transaction_type, NULL::int8 AS amount,
                NULL::text AS remarks, NULL::int8 AS balance, c.imported_through, c.imported_at
           FROM caller c
         UNION ALL
         SELECT NULL::uuid, NULL::uuid, NULL::text[], NULL::bool, NULL::bytea, NULL::text, NULL::text, NULL::date,
                x.id, x.transaction_date, x.value_date, x.transaction_type, x.amount, x.remarks, x.balance,
                NULL::date, NULL::timestamptz
           FROM caller c
           CROSS JOIN LATERAL (
             SELECT tx.id, tx.transaction_date, tx.value_date, tx.transaction_type, tx.amount, tx.remarks, tx.balance
               FROM {schema}.transactions tx
              WHERE c.account_id IS NOT NULL AND c.partner_active AND 'transactions:read' = ANY (c.scopes)
                AND tx.account_id = c.account_id
                AND tx.transaction_date >= ? AND tx.transaction_date <= ?
                AND (tx.transaction_date, tx.id) > (?, ?)
              ORDER BY tx.transaction_date, tx.id
              LIMIT ?
           ) x"
    )
);

async fn transactions(
    conn: &mut TenantStatements,
    q: PageQuery,
) -> QueryResult<Vec<TransactionRow>> {
    conn.query::<TransactionsSql>()
        .bind::<Text, _>(q.account.into_string())
        .bind::<Bytea, _>(q.token_hash)
        .bind::<Date, _>(q.lower)
        .bind::<Date, _>(q.to)
        .bind::<Date, _>(q.after.0)
        .bind::<Int8, _>(q.after.1)
        .bind::<Integer, _>(q.limit)
        .load_positional::<TransactionColumns, _>()
        .await
}

pub(super) async fn read(
    db: &Db,
    tenant: &TenantSlug,
    q: PageQuery,
) -> Result<(Option<Caller>, Page), AppError> {
    let rows = transactions(&mut db.tenant_statements(tenant).await?, q).await?;
    let mut caller = None;
    let mut page = Page {
        account: None,
        transactions: Vec::with_capacity(rows.len()),
    };
    for r in rows {
        // The caller's row: the caller's columns, and the account's when the grant covers it.
        if let (Some(grant_id), Some(partner_id), Some(scopes), Some(partner_active)) =
            (r.grant_id, r.partner_id, r.scopes, r.partner_active)
        {
            caller = Some(Caller {
                grant_id,
                partner_id,
                scopes,
                partner_active,
                cnf_x5t_s256: r.cnf_x5t_s256,
            });
            if r.account_id.is_some() {
                page.account = Some(PagedAccount {
                    currency_code: r.currency_code.unwrap_or_else(|| "JPY".into()),
                    first_date: r.first_date,
                    as_of: AsOf::of(r.imported_through, r.imported_at),
                });
            }
            continue;
        }
        if let (
            Some(id),
            Some(date),
            Some(value_date),
            Some(kind),
            Some(amount),
            Some(remarks),
            Some(balance),
        ) = (
            r.id,
            r.transaction_date,
            r.value_date,
            r.transaction_type,
            r.amount,
            r.remarks,
            r.balance,
        ) {
            page.transactions.push(Transaction {
                id,
                transaction_date: date,
                value_date,
                transaction_type: kind,
                amount,
                remarks,
                balance,
            });
        }
    }
    Ok((caller, page))
}
