//! Bringing the bank's own files into the hosted core: a 入出金取引明細 (03) file checked whole
//! against what the tenant's schema holds (`plan`, with the accounts locked), then written with
//! set-based statements and recorded in `core_imports` (`write`). The transaction around both,
//! and the audit row, are `crate::imports`'s.

pub mod directory;
pub mod notices;
pub mod plan;
mod report;
pub mod revert;
pub mod write;

pub use plan::{Plan, Refusal, plan};
pub use report::{AccountReport, Report, Upload};
pub use revert::{Reverted, holds, revert};
pub use write::{next_id, record, write};
