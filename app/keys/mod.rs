//! Keys Renkei keeps: the key-encryption key that seals every stored secret (`kek`), the
//! platform's shared secrets (`platform`), each tenant's signing keys (`tenant`), the secrets a
//! bank gave a tenant (`bank`), and sealing everything again under a new KEK (`rekey`).

pub mod bank;
pub mod kek;
pub mod platform;
pub mod rekey;
pub mod tenant;

pub use kek::{Keyring, Sealed};
pub use platform::platform_secret;
pub use tenant::{KeyError, KeyState, PublishedKey};

#[cfg(test)]
mod tests;
