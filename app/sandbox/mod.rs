//! The built-in sandbox of the bank's systems: customers (the `CustomerDirectory` side) and
//! accounts with their movements (the `CoreBanking` side), kept in the tenant's own schema.
//! `renkei customers add` and `renkei demo seed` fill it. It implements the bank's traits for
//! [`crate::bank::Hosted`], through which everything else reaches it.

mod core;
mod directory;
pub mod import;
pub mod partner_data;
mod records;

pub use crate::bank::{AccountId, CustomerId, Email, LoginId};
pub use directory::bind_certificate;
pub use records::{
    Direction, Movement, NewAccount, NewCustomer, add_customer, find_customer, next_account_number,
    open_account, post, set_password,
};
