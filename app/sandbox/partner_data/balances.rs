//! 残高照会: balances of a batch of inquiries.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Date, Int8, Nullable, Text, Timestamptz};

use super::caller::{CallerRow, account_id};
use crate::bank::AccountId;
use crate::bank::partner_data::{Answer, AsOf, Balance, BalanceAnswer, BalanceAsk, BalanceBatches};
use crate::db::{Db, TenantStatements};
use crate::error::AppError;
use crate::statement;
use crate::tenancy::TenantSlug;

#[derive(Debug, QueryableByName)]
struct BalanceRow {
    /// Which of the batch's asks this row answers (from 0).
    #[diesel(sql_type = Int8)]
    ask: i64,
    #[diesel(embed)]
    caller: CallerRow,
    #[diesel(sql_type = Nullable<Text>)]
    account_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    account_type_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    account_type_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    currency_code: Option<String>,
    #[diesel(sql_type = Nullable<Int8>)]
    balance: Option<i64>,
    #[diesel(sql_type = Nullable<Int8>)]
    previous_day_balance: Option<i64>,
    #[diesel(sql_type = Nullable<Int8>)]
    previous_month_balance: Option<i64>,
    #[diesel(sql_type = Nullable<Date>)]
    imported_through: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    imported_at: Option<chrono::DateTime<chrono::Utc>>,
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
                           ORDER BY x.transaction_date DESC, x.id DESC LIMIT 1) END AS previous_month_balance,
               a.imported_through, a.imported_at ",
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
struct Days {
    today: NaiveDate,
    month_start: NaiveDate,
    next_month_start: NaiveDate,
}

impl Days {
    fn of(today: NaiveDate) -> Self {
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

/// Answers a batch of balance inquiries, on the days of `today`. Each row names the ask it
/// answers; an ask with no live token has no row.
async fn balances(
    mut conn: TenantStatements,
    asks: Vec<BalanceAsk>,
    today: NaiveDate,
) -> QueryResult<Vec<BalanceRow>> {
    let days = Days::of(today);
    let (hashes, accounts): (Vec<_>, Vec<_>) = asks
        .into_iter()
        .map(|a| (a.token_hash, a.account.map(AccountId::into_string)))
        .unzip();
    conn.query::<BalancesSql>()
        .bind::<Array<Bytea>, _>(hashes)
        .bind::<Array<Nullable<Text>>, _>(accounts)
        .bind::<Date, _>(days.today)
        .bind::<Date, _>(days.month_start)
        .bind::<Date, _>(days.next_month_start)
        .load()
        .await
}

impl BalanceRow {
    fn answer(self) -> QueryResult<BalanceAnswer> {
        let balance = match (
            self.account_id,
            self.account_type_code,
            self.account_type_name,
            self.currency_code,
            self.balance,
        ) {
            (Some(id), Some(type_code), Some(type_name), Some(currency), Some(balance)) => {
                Some(Balance {
                    account_id: account_id(id)?,
                    as_of: AsOf::of(self.imported_through, self.imported_at),
                    account_type_code: type_code,
                    account_type_name: type_name,
                    currency_code: currency,
                    balance,
                    previous_day_balance: self.previous_day_balance,
                    previous_month_balance: self.previous_month_balance,
                })
            }
            _ => None,
        };
        Ok(BalanceAnswer {
            ask: self.ask,
            caller: self.caller.into(),
            balance,
        })
    }
}

pub(super) async fn read(
    db: &Db,
    batches: &BalanceBatches,
    tenant: &TenantSlug,
    ask: BalanceAsk,
    today: NaiveDate,
) -> Result<Answer<Balance>, AppError> {
    let answers = batches
        .ask(db, tenant, ask, move |conn, asks| async move {
            balances(conn, asks, today)
                .await?
                .into_iter()
                .map(BalanceRow::answer)
                .collect()
        })
        .await?;
    let caller = answers.first().map(|a| a.caller.clone());
    Ok(Answer {
        caller,
        items: answers.into_iter().filter_map(|a| a.balance).collect(),
    })
}
