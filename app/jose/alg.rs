//! The signature algorithms Renkei signs and verifies with, and every other `alg` refused.

/// An asymmetric signature algorithm of a JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// RSASSA-PSS with SHA-256 (RSA keys of 2048 bits or more).
    Ps256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// EdDSA on Ed25519; the header may name it `EdDSA` or, fully specified, `Ed25519`.
    Ed25519,
}

impl Alg {
    /// The `alg` a token Renkei signs carries, and a JWK's `alg`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
            Self::Ed25519 => "EdDSA",
        }
    }

    /// The algorithm a header's `alg` names, or why it is refused: `none` signs nothing, `HS*`
    /// would take a public key as a shared secret, and no other algorithm is spoken here (Ed448
    /// among them).
    pub fn of_header(alg: &str) -> Result<Self, &'static str> {
        match alg {
            "PS256" => Ok(Self::Ps256),
            "ES256" => Ok(Self::Es256),
            "EdDSA" | "Ed25519" => Ok(Self::Ed25519),
            "none" => Err("alg-none"),
            a if a.starts_with("HS") => Err("alg-symmetric"),
            _ => Err("alg-unsupported"),
        }
    }
}
