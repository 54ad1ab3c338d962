//! The console's reports: what its pages read that no floor below keeps (counts across grants,
//! searches, a grant's trail). The pages' handlers call these and run no SQL of their own.

pub mod audit_log;
pub mod bank_data;
pub mod dashboard;
pub mod grants;
