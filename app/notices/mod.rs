//! E-mail notices: before a grant expires (one per configured day count) and, if the tenant
//! wants it, when a new service is linked. Each is a row in the tenant's `notices` table, sent
//! exactly once even with several processes running: a pass claims due rows with
//! `FOR UPDATE SKIP LOCKED`, sends, and marks them in the same transaction.

mod compose;
pub mod mailer;
pub mod pass;
mod rules;

pub use mailer::Mailer;
pub use pass::{PassReport, Sender, run_pass, scheduler};
pub use rules::{Decision, backoff, decide, expiry_schedule, schedule};
