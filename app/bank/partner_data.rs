//! What the partner API reads of the bank, as one seam. Every read takes the SHA-256 of the
//! partner's access token and answers with who is asking (the token's grant and partner, or
//! nobody) beside what that grant covers, so that a core may check token and data together: the
//! hosted core answers each read in one statement, token, grant and data at once; a core kept by
//! the bank would check the token in PostgreSQL first and then ask the bank only for accounts
//! the grant covers. The API decides what the caller may see of the answer ([`Caller`]).

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Account, AccountId};
use crate::db::Db;
use crate::db::batch::{Answers, Batches};
use crate::error::AppError;
use crate::tenancy::TenantSlug;

/// Who is asking: a live access token's grant and partner.
#[derive(Debug, Clone)]
pub struct Caller {
    pub grant_id: Uuid,
    pub partner_id: Uuid,
    /// The token's scopes, or its grant's when the token has none of its own.
    pub scopes: Vec<String>,
    pub partner_active: bool,
    /// SHA-256 of the certificate a bound token must come with (RFC 8705 §3).
    pub cnf_x5t_s256: Option<Vec<u8>>,
}

/// The answer to a read: who asked (`None`: the token is not live), and the items the grant
/// covers. The items are unordered.
#[derive(Debug)]
pub struct Answer<T> {
    pub caller: Option<Caller>,
    pub items: Vec<T>,
}

/// An account's balance, in whole yen.
#[derive(Debug, Clone)]
pub struct Balance {
    pub account_id: AccountId,
    /// Imported from the bank's files: as of when.
    pub as_of: Option<AsOf>,
    pub account_type_code: String,
    pub account_type_name: String,
    pub currency_code: String,
    pub balance: i64,
    /// At the end of yesterday and of last month (JST); `None` before the account's first movement.
    pub previous_day_balance: Option<i64>,
    pub previous_month_balance: Option<i64>,
}

/// How fresh an account's data is when the bank's files bring it: the latest 勘定日 imported,
/// and when the import that brought it ran. An account no file has brought has none (its data is
/// as of now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf {
    pub day: NaiveDate,
    pub imported_at: chrono::DateTime<chrono::Utc>,
}

impl AsOf {
    pub fn of(
        day: Option<NaiveDate>,
        imported_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Option<Self> {
        Some(Self {
            day: day?,
            imported_at: imported_at?,
        })
    }
}

/// One balance inquiry: the SHA-256 of its access token, and one account or every account of
/// the grant.
pub struct BalanceAsk {
    pub token_hash: Vec<u8>,
    pub account: Option<AccountId>,
}

/// One row of the answer to a batch of balance inquiries ([`crate::db::batch`]): the ask it
/// answers (from 0), its caller, and one of the balances (none when the grant covers no such
/// account).
pub struct BalanceAnswer {
    pub ask: i64,
    pub caller: Caller,
    pub balance: Option<Balance>,
}

impl Answers for BalanceAnswer {
    fn ask(&self) -> i64 {
        self.ask
    }
}

/// The balance inquiries of one tenant made at the same moment, asked together (one per HTTP
/// worker).
pub type BalanceBatches = Batches<BalanceAsk, BalanceAnswer>;

/// A movement on an account, as the API lists it.
#[derive(Debug, Clone)]
pub struct Transaction {
    /// The position in the account's history: stable, increasing with time.
    pub id: i64,
    pub transaction_date: NaiveDate,
    pub value_date: NaiveDate,
    /// 1 deposit, 2 withdrawal.
    pub transaction_type: i16,
    pub amount: i64,
    pub remarks: String,
    pub balance: i64,
}

/// One page of an account's transactions.
#[derive(Debug)]
pub struct Page {
    /// `None` when the grant does not cover the account.
    pub account: Option<PagedAccount>,
    pub transactions: Vec<Transaction>,
}

#[derive(Debug)]
pub struct PagedAccount {
    pub currency_code: String,
    pub as_of: Option<AsOf>,
    /// The date of the account's first movement, if it has one.
    pub first_date: Option<NaiveDate>,
}

/// A page to read: the account's movements dated `lower..=to`, after `after` (date, id), at most
/// `limit`. Read only when the grant covers the account with `transactions:read`.
pub struct PageQuery {
    pub token_hash: Vec<u8>,
    pub account: AccountId,
    pub lower: NaiveDate,
    pub to: NaiveDate,
    pub after: (NaiveDate, i64),
    pub limit: i32,
}

pub trait PartnerData: Send + Sync {
    /// The accounts the token's grant covers.
    fn granted_accounts(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        token_hash: Vec<u8>,
    ) -> impl Future<Output = Result<Answer<Account>, AppError>> + Send;

    /// Balances on `today` (JST) of the account asked for, or of every granted account;
    /// `batches` gathers the worker's inquiries that come together.
    fn balances(
        &self,
        db: &Db,
        batches: &BalanceBatches,
        tenant: &TenantSlug,
        ask: BalanceAsk,
        today: NaiveDate,
    ) -> impl Future<Output = Result<Answer<Balance>, AppError>> + Send;

    fn transactions(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        q: PageQuery,
    ) -> impl Future<Output = Result<(Option<Caller>, Page), AppError>> + Send;
}
