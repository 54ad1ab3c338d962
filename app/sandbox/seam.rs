//! The hosted core as the tenant's seams hold it: `directory.rs`, `core.rs` and `partner_data/`
//! implement the bank's traits for it.

/// The sandbox implementation of both bank seams.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sandbox;
