//! Response shapes of the partner API, after the Japanese bank open-API standard as GMO Aozora's
//! API uses them: camelCase, amounts as strings of whole yen, dates and times in JST.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Branch (3) + account type (2) + account number (7).
    #[schema(example = "001010123456", pattern = "^[0-9]{12}$")]
    pub account_id: String,
    #[schema(example = "001", pattern = "^[0-9]{3}$")]
    pub branch_code: String,
    #[schema(example = "本店営業部")]
    pub branch_name: String,
    /// `01` 普通預金, `02` 当座預金.
    #[schema(example = "01", pattern = "^[0-9]{2}$")]
    pub account_type_code: String,
    #[schema(example = "普通預金")]
    pub account_type_name: String,
    #[schema(example = "0123456", pattern = "^[0-9]{7}$")]
    pub account_number: String,
    #[schema(example = "山田商店")]
    pub account_name: String,
    #[schema(example = "ヤマダシヨウテン")]
    pub account_name_kana: String,
    #[schema(example = "JPY")]
    pub currency_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountsResponse {
    pub accounts: Vec<Account>,
    #[schema(example = "2026-11-25", format = Date)]
    pub base_date: String,
    #[schema(example = "10:15:00+09:00")]
    pub base_time: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    #[schema(example = "001010123456", pattern = "^[0-9]{12}$")]
    pub account_id: String,
    #[schema(example = "01")]
    pub account_type_code: String,
    #[schema(example = "普通預金")]
    pub account_type_name: String,
    /// Whole yen.
    #[schema(example = "2302760", pattern = "^-?[0-9]+$")]
    pub balance: String,
    #[schema(example = "2302760", pattern = "^-?[0-9]+$")]
    pub withdrawable_amount: String,
    /// At the end of the previous day (JST).
    #[schema(example = "2310760", pattern = "^-?[0-9]+$")]
    pub previous_day_balance: String,
    /// At the end of the previous month (JST).
    #[schema(example = "2188400", pattern = "^-?[0-9]+$")]
    pub previous_month_balance: String,
    #[schema(example = "2026-11-25", format = Date)]
    pub base_date: String,
    #[schema(example = "10:15:00+09:00")]
    pub base_time: String,
    #[schema(example = "JPY")]
    pub currency_code: String,
    #[schema(example = "円")]
    pub currency_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BalancesResponse {
    pub balances: Vec<Balance>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    #[schema(example = "2026-11-25", format = Date)]
    pub transaction_date: String,
    #[schema(example = "2026-11-25", format = Date)]
    pub value_date: String,
    /// `1` deposit (入金), `2` withdrawal (出金).
    #[schema(example = "1", pattern = "^[12]$")]
    pub transaction_type: String,
    #[schema(example = "284000", pattern = "^[0-9]+$")]
    pub amount: String,
    #[schema(example = "給与　カ）オホーツクシヨウジ")]
    pub remarks: String,
    /// The balance after this transaction.
    #[schema(example = "2302760", pattern = "^-?[0-9]+$")]
    pub balance: String,
    /// Identifies the transaction within the account.
    #[schema(example = "10423")]
    pub item_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionsResponse {
    #[schema(example = "001010123456")]
    pub account_id: String,
    #[schema(example = "JPY")]
    pub currency_code: String,
    #[schema(example = "円")]
    pub currency_name: String,
    #[schema(example = "2026-11-01", format = Date)]
    pub date_from: String,
    #[schema(example = "2026-11-25", format = Date)]
    pub date_to: String,
    #[schema(example = "2026-11-25", format = Date)]
    pub base_date: String,
    #[schema(example = "10:15:00+09:00")]
    pub base_time: String,
    /// True when another page follows: ask again with `nextItemKey`.
    pub has_next: bool,
    /// Opaque; pass it back unchanged with the same accountId, dateFrom and dateTo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_item_key: Option<String>,
    /// Rows on this page (at most 500).
    pub count: u32,
    /// Oldest first.
    pub transactions: Vec<Transaction>,
}
