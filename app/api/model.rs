//! Response shapes of the partner API, after the Japanese bank open-API standard as GMO Aozora's
//! API uses them: camelCase, amounts as strings of whole yen, dates and times in JST.

use chrono::NaiveDate;
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
    #[schema(value_type = String, example = "2026-11-25", format = Date)]
    #[serde(serialize_with = "text::date")]
    pub transaction_date: NaiveDate,
    #[schema(value_type = String, example = "2026-11-25", format = Date)]
    #[serde(serialize_with = "text::date")]
    pub value_date: NaiveDate,
    /// `1` deposit (入金), `2` withdrawal (出金).
    #[schema(value_type = String, example = "1", pattern = "^[12]$")]
    #[serde(serialize_with = "text::integer")]
    pub transaction_type: i16,
    #[schema(value_type = String, example = "284000", pattern = "^[0-9]+$")]
    #[serde(serialize_with = "text::integer")]
    pub amount: i64,
    #[schema(example = "給与　カ）オホーツクシヨウジ")]
    pub remarks: String,
    /// The balance after this transaction.
    #[schema(value_type = String, example = "2302760", pattern = "^-?[0-9]+$")]
    #[serde(serialize_with = "text::integer")]
    pub balance: i64,
    /// Identifies the transaction within the account.
    #[schema(value_type = String, example = "10423")]
    #[serde(serialize_with = "text::integer")]
    pub item_key: i64,
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

/// Numbers and dates written as JSON strings, as the standard wants them, straight from their
/// values: a page of transactions would otherwise allocate a `String` for each of six fields of
/// every item.
mod text {
    use chrono::{Datelike as _, NaiveDate};
    use serde::Serializer;

    pub fn integer<S: Serializer, T: itoa::Integer + Copy>(n: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(itoa::Buffer::new().format(*n))
    }

    /// `YYYY-MM-DD`.
    pub fn date<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        let (y, m, day) = (d.year(), d.month(), d.day());
        if !(0..=9999).contains(&y) {
            return s.collect_str(d);
        }
        let digit = |n: u32| b'0' + (n % 10) as u8;
        let y = y.unsigned_abs();
        let buf = [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(day / 10),
            digit(day),
        ];
        s.serialize_str(std::str::from_utf8(&buf).expect("ASCII digits"))
    }

    #[cfg(test)]
    mod tests {
        use chrono::NaiveDate;
        use proptest::prelude::*;

        fn json<F>(f: F) -> String
        where
            F: FnOnce(&mut serde_json::Serializer<&mut Vec<u8>>) -> Result<(), serde_json::Error>,
        {
            let mut out = Vec::new();
            f(&mut serde_json::Serializer::new(&mut out)).unwrap();
            String::from_utf8(out).unwrap()
        }

        proptest! {
            #[test]
            fn dates_read_as_chrono_writes_them(days in -800_000i32..3_000_000) {
                let d = NaiveDate::from_num_days_from_ce_opt(days).unwrap();
                prop_assert_eq!(json(|s| super::date(&d, s)), format!("\"{d}\""));
            }

            #[test]
            fn integers_read_as_their_decimal_text(n in any::<i64>(), t in any::<i16>()) {
                prop_assert_eq!(json(|s| super::integer(&n, s)), format!("\"{n}\""));
                prop_assert_eq!(json(|s| super::integer(&t, s)), format!("\"{t}\""));
            }
        }
    }
}
