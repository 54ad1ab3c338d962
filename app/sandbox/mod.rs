//! The built-in sandbox of the bank's systems: customers (the `CustomerDirectory` side) and
//! accounts with their movements (the `CoreBanking` side), kept in the tenant's own schema.
//! `renkei customers add` and `renkei demo seed` fill it.

mod core;
mod directory;
pub mod partner_data;
mod records;
mod seam;

pub use crate::bank::{AccountId, CustomerId, Email, LoginId};
pub use directory::bind_certificate;
pub use records::{
    Certificate, Direction, Movement, NewAccount, NewCustomer, Profile, add_customer, certificates,
    find_customer, login_id_of, next_account_number, open_account, post, profile,
    revoke_certificate,
};
pub use seam::Sandbox;
