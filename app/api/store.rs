//! The API's reads. Each answers in one round trip: the token, its grant and partner, the granted
//! accounts and the data come back from one prepared statement.
//!
//! Rows come back unordered and the handlers sort them: a sort in the plan costs PostgreSQL more
//! to set up on every call than sorting a handful of rows costs here.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, Bool, Bytea, Date, Int2, Int8, Integer, Nullable, Text, Uuid as SqlUuid,
};
use uuid::Uuid;

use crate::db::TenantStatements;
use crate::db::batch::{Answers, Batches};
use crate::statement;

/// Who is asking, as every row of every API query repeats it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Caller {
    #[diesel(sql_type = SqlUuid)]
    pub grant_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub partner_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    pub scopes: Vec<String>,
    #[diesel(sql_type = Bool)]
    pub partner_active: bool,
    /// SHA-256 of the certificate a bound token must come with (RFC 8705 §3).
    #[diesel(sql_type = Nullable<Bytea>)]
    pub cnf_x5t_s256: Option<Vec<u8>>,
}

/// The caller's columns, shared by every statement below.
macro_rules! caller {
    () => {
        "g.id AS grant_id, g.partner_id, COALESCE(t.scopes, g.scopes) AS scopes, p.status = 'active' AS partner_active, t.cnf_x5t_s256"
    };
}
/// A live access token, its live grant and the partner.
macro_rules! token_and_grant {
    () => {
        concat!(
            " FROM {schema}.tokens t
          JOIN {schema}.grants g ON g.id = t.grant_id AND ",
            crate::live_grant!("g", "now()"),
            "
          JOIN {schema}.partners p ON p.id = g.partner_id "
        )
    };
}
macro_rules! live_token_where {
    () => {
        concat!(
            " WHERE t.token_hash = ? AND t.kind = 'access' AND ",
            crate::live_token!("t", "now()"),
            " "
        )
    };
}

#[derive(Debug, QueryableByName)]
pub struct AccountRow {
    #[diesel(embed)]
    pub caller: Caller,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub branch_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub branch_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_type_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_type_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_number: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_name_kana: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub currency_code: Option<String>,
}

statement!(
    /// The grant's accounts.
    AccountsSql,
    concat!(
        "SELECT ", caller!(), ", a.account_id, a.branch_code, a.branch_name, a.account_type_code,
                a.account_type_name, a.account_number, a.account_name, a.account_name_kana, a.currency_code ",
        token_and_grant!(),
        " LEFT JOIN {schema}.grant_accounts ga ON ga.grant_id = g.id
          LEFT JOIN {schema}.accounts a ON a.account_id = ga.account_id ",
        live_token_where!()
    )
);

pub async fn accounts(
    conn: &mut TenantStatements,
    token_hash: Vec<u8>,
) -> QueryResult<Vec<AccountRow>> {
    conn.query::<AccountsSql>()
        .bind::<Bytea, _>(token_hash)
        .load()
        .await
}

#[derive(Debug, QueryableByName)]
pub struct BalanceRow {
    /// Which of the batch's asks this row answers (from 0).
    #[diesel(sql_type = Int8)]
    pub ask: i64,
    #[diesel(embed)]
    pub caller: Caller,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_type_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub account_type_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub currency_code: Option<String>,
    #[diesel(sql_type = Nullable<Int8>)]
    pub balance: Option<i64>,
    #[diesel(sql_type = Nullable<Int8>)]
    pub previous_day_balance: Option<i64>,
    #[diesel(sql_type = Nullable<Int8>)]
    pub previous_month_balance: Option<i64>,
}

statement!(
    /// Balances for a batch of calls ([`crate::db::batch`]), each a token and one account or
    /// (NULL) every account of its grant. Each call's rows are those the same statement would
    /// give it alone: the subquery is run once per call (`OFFSET 0` keeps PostgreSQL from
    /// merging it into a join of the whole batch), each time with index lookups only.
    ///
    /// With the balances, the end-of-yesterday and end-of-last-month balances. The account keeps
    /// those of its last transaction's day and month (see the migration
    /// `balances_kept_by_accounts`); the history is read only when `today` comes before that day
    /// or `month_start` before its month, which a clock set back or a transaction dated ahead
    /// could make happen.
    BalancesSql,
    concat!(
        "SELECT (r.i - 1)::int8 AS ask, q.*
           FROM unnest(?::bytea[], ?::text[]) WITH ORDINALITY AS r(token_hash, account, i)
          CROSS JOIN (SELECT ?::date AS today, ?::date AS month_start, ?::date AS next_month_start) d
          CROSS JOIN LATERAL (
            SELECT ", caller!(), ", a.account_id, a.account_type_code, a.account_type_name, a.currency_code, a.balance,
               CASE WHEN a.last_transaction_date IS NULL THEN NULL
                    WHEN a.last_transaction_date < d.today THEN a.last_transaction_balance
                    WHEN a.last_transaction_date = d.today THEN a.balance_before_day
                    ELSE (SELECT x.balance FROM {schema}.transactions x
                           WHERE x.account_id = a.account_id AND x.transaction_date < d.today
                           ORDER BY x.transaction_date DESC, x.id DESC LIMIT 1) END AS previous_day_balance,
               CASE WHEN a.last_transaction_date IS NULL THEN NULL
                    WHEN a.last_transaction_date < d.month_start THEN a.last_transaction_balance
                    WHEN a.last_transaction_date < d.next_month_start THEN a.balance_before_month
                    ELSE (SELECT x.balance FROM {schema}.transactions x
                           WHERE x.account_id = a.account_id AND x.transaction_date < d.month_start
                           ORDER BY x.transaction_date DESC, x.id DESC LIMIT 1) END AS previous_month_balance ",
            token_and_grant!(),
            " LEFT JOIN {schema}.grant_accounts ga
                     ON ga.grant_id = g.id AND (r.account IS NULL OR ga.account_id = r.account)
              LEFT JOIN {schema}.accounts a ON a.account_id = ga.account_id
             WHERE t.token_hash = r.token_hash AND t.kind = 'access' AND ",
            crate::live_token!("t", "now()"),
            "
            OFFSET 0
          ) q"
    )
);

/// The days a balance inquiry reports on, in Japan: today, and the first days of this month and
/// the next.
pub struct Days {
    pub today: NaiveDate,
    pub month_start: NaiveDate,
    pub next_month_start: NaiveDate,
}

impl Days {
    pub fn of(today: NaiveDate) -> Self {
        let month_start = today.with_day(1).unwrap_or(today);
        let next_month_start = month_start
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
        Self {
            today,
            month_start,
            next_month_start,
        }
    }
}

/// One balance inquiry: the SHA-256 of its access token, and one account or every account of
/// the grant.
pub struct BalanceAsk {
    pub token_hash: Vec<u8>,
    pub account: Option<String>,
}

/// The balances inquiries of one tenant made at the same moment, asked together.
pub type BalanceBatches = Batches<BalanceAsk, BalanceRow>;

impl Answers for BalanceRow {
    fn ask(&self) -> i64 {
        self.ask
    }
}

/// Answers a batch of balance inquiries, on the days of `today`. Each row names the ask it
/// answers; an ask with no live token has no row.
pub async fn balances(
    mut conn: TenantStatements,
    asks: Vec<BalanceAsk>,
    today: NaiveDate,
) -> QueryResult<Vec<BalanceRow>> {
    let days = Days::of(today);
    let (hashes, accounts): (Vec<_>, Vec<_>) =
        asks.into_iter().map(|a| (a.token_hash, a.account)).unzip();
    conn.query::<BalancesSql>()
        .bind::<Array<Bytea>, _>(hashes)
        .bind::<Array<Nullable<Text>>, _>(accounts)
        .bind::<Date, _>(days.today)
        .bind::<Date, _>(days.month_start)
        .bind::<Date, _>(days.next_month_start)
        .load()
        .await
}

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
);

/// A row of a transactions page. The caller's row has the caller's columns and NULL
/// transaction columns; each transaction's row the other way round. The caller's columns, its
/// scopes array among them, come back once rather than on every row of the page.
///
/// Read by position, a page being about a hundred rows: the fields are in the order of
/// [`TransactionsSql`]'s columns, whose SQL types [`TransactionColumns`] lists.
#[derive(Debug, Queryable)]
pub struct TransactionRow {
    grant_id: Option<Uuid>,
    partner_id: Option<Uuid>,
    scopes: Option<Vec<String>>,
    partner_active: Option<bool>,
    cnf_x5t_s256: Option<Vec<u8>>,
    pub account_id: Option<String>,
    pub currency_code: Option<String>,
    pub first_date: Option<NaiveDate>,
    pub id: Option<i64>,
    pub transaction_date: Option<NaiveDate>,
    pub value_date: Option<NaiveDate>,
    pub transaction_type: Option<i16>,
    pub amount: Option<i64>,
    pub remarks: Option<String>,
    pub balance: Option<i64>,
}

impl TransactionRow {
    /// Who is asking, on the caller's row.
    pub fn caller(&self) -> Option<Caller> {
        Some(Caller {
            grant_id: self.grant_id?,
            partner_id: self.partner_id?,
            scopes: self.scopes.clone()?,
            partner_active: self.partner_active?,
            cnf_x5t_s256: self.cnf_x5t_s256.clone(),
        })
    }
}

statement!(
    /// One page of an account's transactions after a position, oldest first, after the caller's
    /// row. The page is read only when the token's grant covers the account with
    /// `transactions:read`.
    TransactionsSql,
    concat!(
        "WITH caller AS MATERIALIZED (
           SELECT ", caller!(), ", a.account_id, a.currency_code,
                  (SELECT min(f.transaction_date) FROM {schema}.transactions f WHERE f.account_id = a.account_id) AS first_date ",
        token_and_grant!(),
        " LEFT JOIN {schema}.grant_accounts ga ON ga.grant_id = g.id AND ga.account_id = ?
          LEFT JOIN {schema}.accounts a ON a.account_id = ga.account_id ",
        live_token_where!(),
        ")
         SELECT c.grant_id, c.partner_id, c.scopes, c.partner_active, c.cnf_x5t_s256, c.account_id,
                c.currency_code, c.first_date, NULL::int8 AS id, NULL::date AS transaction_date,
                NULL::date AS value_date, NULL::int2 AS transaction_type, NULL::int8 AS amount,
                NULL::text AS remarks, NULL::int8 AS balance
           FROM caller c
         UNION ALL
         SELECT NULL::uuid, NULL::uuid, NULL::text[], NULL::bool, NULL::bytea, NULL::text, NULL::text, NULL::date,
                x.id, x.transaction_date, x.value_date, x.transaction_type, x.amount, x.remarks, x.balance
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

pub struct PageQuery {
    pub token_hash: Vec<u8>,
    pub account: String,
    pub lower: NaiveDate,
    pub to: NaiveDate,
    pub after: (NaiveDate, i64),
    pub limit: i32,
}

pub async fn transactions(
    conn: &mut TenantStatements,
    q: PageQuery,
) -> QueryResult<Vec<TransactionRow>> {
    conn.query::<TransactionsSql>()
        .bind::<Text, _>(q.account)
        .bind::<Bytea, _>(q.token_hash)
        .bind::<Date, _>(q.lower)
        .bind::<Date, _>(q.to)
        .bind::<Date, _>(q.after.0)
        .bind::<Int8, _>(q.after.1)
        .bind::<Integer, _>(q.limit)
        .load_positional::<TransactionColumns, _>()
        .await
}
