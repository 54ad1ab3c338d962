//! JOSE, the one place Renkei signs and verifies: JWS and JWT with PS256, ES256 and EdDSA
//! (Ed25519), JWKs and JWK Sets, RFC 7638 thumbprints. The signatures are josekit's (on the
//! openssl the server already links); what is ours is which algorithms and keys are allowed,
//! and the checks of a token's type and times.
//!
//! A ground-floor module: it imports nothing of ours above `secrets`, and the token endpoints,
//! the metadata (JWKS) and the bank's sign-in call it from above.

mod alg;
mod jwt;
mod keys;

pub use alg::Alg;
pub use jwt::{Expect, Refusal, sign, verify};
pub use keys::{SigningKey, VerifyingKeys, thumbprint};

#[cfg(test)]
mod tests;
