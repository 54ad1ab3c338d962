//! What an import is given, and what it answers.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// The file as it came, and who brings it.
pub struct Upload<'a> {
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub actor: &'a str,
    pub now: DateTime<Utc>,
    /// The tenant's 統一金融機関番号 (`bank_code` in tenant.toml).
    pub bank_code: &'a str,
    /// Blocks of accounts the core does not hold are skipped, not refused.
    pub skip_unknown_accounts: bool,
    /// Check and report only.
    pub check: bool,
    /// Called after each chunk of movements written: (written, of).
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

/// What an import did (or, checked only, would do), account by account.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `None` when only checked.
    pub id: Option<i64>,
    pub file_name: String,
    pub sha256: String,
    pub format: &'static str,
    pub created: NaiveDate,
    pub accounts: Vec<AccountReport>,
    pub rows_added: usize,
    pub rows_present: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountReport {
    /// Header record of the account's block.
    pub record: usize,
    pub account_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows_added: usize,
    pub rows_present: usize,
    /// The balance after the file's last movement.
    pub balance: Option<i64>,
    /// `checked`, `balance chain not checked` (no balances in the header and trailer), or why
    /// the block was skipped.
    pub note: String,
}
