//! The partner API handlers: read the token, ask one prepared statement, shape the answer,
//! queue a ledger row.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use utoipa::IntoParams;

use super::caller::{BearerToken, account_param, admit};
use super::cursor::{CursorKey, Position};
use super::dates;
use super::error::{ApiError, ErrorBody};
use super::ledger::Ledger;
use super::model::*;
use super::respond::{base, base_of, ok, ok_sized, record};
use crate::bank::partner_data::{BalanceAsk, BalanceBatches, PageQuery, PartnerData as _};
use crate::certs::ClientCertificates;
use crate::db::Db;
use crate::format::jst;
use crate::oauth::scopes::Scope;
use crate::secrets;
use crate::tenancy::CurrentTenant;

pub const PAGE_SIZE: usize = 500;

/// 口座一覧: the accounts the customer shared with this partner.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "accounts",
    operation_id = "listAccounts",
    security(("bearer" = []), ("x-access-token" = [])),
    responses(
        (status = 200, description = "The granted accounts", body = AccountsResponse),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, description = "Missing, expired or revoked token", body = ErrorBody),
        (status = 503, description = "Temporarily unavailable; retry", body = ErrorBody),
    )
)]
pub async fn accounts(
    req: HttpRequest,
    BearerToken { token, .. }: BearerToken,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    ledger: web::Data<Ledger>,
    certs: web::Data<ClientCertificates>,
) -> Result<HttpResponse, ApiError> {
    let answer = tenant
        .core
        .granted_accounts(&db, &tenant.slug, secrets::sha256(&token))
        .await?;
    let caller = admit(answer.caller.as_ref(), None, &req, &certs)?;
    let mut accounts: Vec<Account> = answer
        .items
        .into_iter()
        .map(|a| Account {
            account_id: a.account_id.into_string(),
            branch_code: a.branch_code,
            branch_name: a.branch_name,
            account_type_code: a.account_type_code,
            account_type_name: a.account_type_name,
            account_number: a.account_number,
            account_name: a.account_name,
            account_name_kana: a.account_name_kana,
            currency_code: a.currency_code,
        })
        .collect();
    accounts.sort_unstable_by(|a, b| a.account_id.cmp(&b.account_id));
    record(&ledger, &tenant, &caller, "accounts", None, accounts.len()).await;
    let (base_date, base_time) = base();
    Ok(ok(&AccountsResponse {
        accounts,
        base_date,
        base_time,
    }))
}

/// Documents the query; the handler reads it with [`Params`] (each parameter once).
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
struct BalancesQuery {
    /// One account (12 digits); omit for every granted account.
    #[param(pattern = "^[0-9]{12}$")]
    account_id: Option<String>,
}

/// 残高照会 (scope `balance:read`).
#[utoipa::path(
    get,
    path = "/api/v1/accounts/balances",
    tag = "accounts",
    operation_id = "getBalances",
    params(BalancesQuery),
    security(("bearer" = []), ("x-access-token" = [])),
    responses(
        (status = 200, description = "Balances", body = BalancesResponse),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, description = "Missing, expired or revoked token", body = ErrorBody),
        (status = 403, description = "The grant lacks balance:read", body = ErrorBody),
        (status = 404, description = "The account is not covered by the grant", body = ErrorBody),
        (status = 503, description = "Temporarily unavailable; retry", body = ErrorBody),
    )
)]
pub async fn balances(
    req: HttpRequest,
    BearerToken { token, query: p }: BearerToken,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    batches: web::Data<BalanceBatches>,
    ledger: web::Data<Ledger>,
    certs: web::Data<ClientCertificates>,
) -> Result<HttpResponse, ApiError> {
    let account = account_param(&p)?;
    let ask = BalanceAsk {
        token_hash: secrets::sha256(&token),
        account: account.clone(),
    };
    let today = Utc::now().with_timezone(&jst()).date_naive();
    let answer = tenant
        .core
        .balances(&db, &batches, &tenant.slug, ask, today)
        .await?;
    let caller = admit(
        answer.caller.as_ref(),
        Some(Scope::BalanceRead),
        &req,
        &certs,
    )?;
    let now = base();
    let mut balances: Vec<Balance> = answer
        .items
        .into_iter()
        .map(|b| {
            let (base_date, base_time) = base_of(b.as_of, &now);
            Balance {
                account_id: b.account_id.into_string(),
                account_type_code: b.account_type_code,
                account_type_name: b.account_type_name,
                balance: b.balance.to_string(),
                withdrawable_amount: b.balance.to_string(),
                previous_day_balance: b.previous_day_balance.unwrap_or(0).to_string(),
                previous_month_balance: b.previous_month_balance.unwrap_or(0).to_string(),
                base_date,
                base_time,
                currency_code: b.currency_code,
                currency_name: "円".into(),
            }
        })
        .collect();
    balances.sort_unstable_by(|a, b| a.account_id.cmp(&b.account_id));
    if balances.is_empty() && account.is_some() {
        return Err(ApiError::account_not_found());
    }
    record(
        &ledger,
        &tenant,
        &caller,
        "balances",
        account.map(|a| a.to_string()),
        balances.len(),
    )
    .await;
    Ok(ok(&BalancesResponse { balances }))
}

/// Documents the query; the handler reads it with [`Params`] (each parameter once).
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
struct TransactionsQuery {
    /// The account (12 digits).
    #[param(pattern = "^[0-9]{12}$")]
    account_id: String,
    /// First date (YYYY-MM-DD, JST). Omitted: today, or with only dateTo, the first transaction
    /// (at most one year before dateTo).
    #[param(value_type = Option<String>, format = Date)]
    date_from: Option<String>,
    /// Last date (YYYY-MM-DD, JST). Omitted: today. The period may not exceed one year.
    #[param(value_type = Option<String>, format = Date)]
    date_to: Option<String>,
    /// From the previous page's `nextItemKey`, with the same accountId, dateFrom and dateTo.
    next_item_key: Option<String>,
}

/// 入出金明細照会 (scope `transactions:read`): oldest first, at most 500 a page.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/transactions",
    tag = "accounts",
    operation_id = "getTransactions",
    params(TransactionsQuery),
    security(("bearer" = []), ("x-access-token" = [])),
    responses(
        (status = 200, description = "One page of transactions", body = TransactionsResponse),
        (status = 400, description = "A missing or malformed parameter, a bad period, or a nextItemKey that does not belong to this request", body = ErrorBody),
        (status = 401, description = "Missing, expired or revoked token", body = ErrorBody),
        (status = 403, description = "The grant lacks transactions:read", body = ErrorBody),
        (status = 404, description = "The account is not covered by the grant", body = ErrorBody),
        (status = 503, description = "Temporarily unavailable; retry", body = ErrorBody),
    )
)]
pub async fn transactions(
    req: HttpRequest,
    BearerToken { token, query: p }: BearerToken,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    ledger: web::Data<Ledger>,
    certs: web::Data<ClientCertificates>,
    key: web::Data<CursorKey>,
) -> Result<HttpResponse, ApiError> {
    let account =
        account_param(&p)?.ok_or_else(|| ApiError::bad_request("accountId is required"))?;
    let today = Utc::now().with_timezone(&jst()).date_naive();
    let range = dates::resolve(p.get("dateFrom"), p.get("dateTo"), today)?;
    let after = match p.get("nextItemKey") {
        Some(raw) => {
            let at = key.decode(raw, account.as_str(), &range).ok_or_else(|| {
                ApiError::bad_request(
                    "nextItemKey is not valid for this accountId, dateFrom and dateTo",
                )
            })?;
            (at.date, at.id)
        }
        // Before any business date: the first page.
        None => (
            chrono::NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date"),
            0,
        ),
    };
    let q = PageQuery {
        token_hash: secrets::sha256(&token),
        account: account.clone(),
        lower: range.lower,
        to: range.to,
        after,
        limit: i32::try_from(PAGE_SIZE + 1).unwrap_or(i32::MAX),
    };
    let (caller, page) = tenant.core.transactions(&db, &tenant.slug, q).await?;
    let caller = admit(caller.as_ref(), Some(Scope::TransactionsRead), &req, &certs)?;
    let Some(head) = page.account else {
        return Err(ApiError::account_not_found());
    };
    let currency = head.currency_code;
    let as_of = head.as_of;
    let date_from = range
        .from
        .unwrap_or_else(|| head.first_date.map_or(range.lower, |f| f.max(range.lower)));
    let mut transactions: Vec<Transaction> = page
        .transactions
        .into_iter()
        .map(|t| Transaction {
            transaction_date: t.transaction_date,
            value_date: t.value_date,
            transaction_type: t.transaction_type,
            amount: t.amount,
            remarks: t.remarks,
            balance: t.balance,
            item_key: t.id,
        })
        .collect();
    transactions.sort_unstable_by_key(|t| (t.transaction_date, t.item_key));
    let has_next = transactions.len() > PAGE_SIZE;
    transactions.truncate(PAGE_SIZE);
    let next_item_key = has_next.then(|| {
        let last = transactions.last().expect("a full page");
        key.encode(
            account.as_str(),
            &range,
            Position {
                date: last.transaction_date,
                id: last.item_key,
            },
        )
    });
    record(
        &ledger,
        &tenant,
        &caller,
        "transactions",
        Some(account.to_string()),
        transactions.len(),
    )
    .await;
    let (base_date, base_time) = base_of(as_of, &base());
    // About 160 bytes an item, and the page's head.
    let capacity = 512 + 160 * transactions.len();
    Ok(ok_sized(
        &TransactionsResponse {
            account_id: account.to_string(),
            currency_code: currency,
            currency_name: "円".into(),
            date_from: date_from.to_string(),
            date_to: range.to.to_string(),
            base_date,
            base_time,
            has_next,
            next_item_key,
            count: u32::try_from(transactions.len()).unwrap_or(u32::MAX),
            transactions,
        },
        capacity,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base_date_and_time_are_zero_padded_japan_time() {
        let (date, time) = super::base();
        assert_eq!(date.len(), 10, "{date}");
        assert!(
            chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_ok(),
            "{date}"
        );
        assert_eq!(time.len(), 14, "{time}");
        assert!(
            chrono::NaiveTime::parse_from_str(&time, "%H:%M:%S+09:00").is_ok(),
            "{time}"
        );
    }
}
