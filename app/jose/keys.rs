//! Keys: a signing key Renkei generated (its private JWK stays with the key store), and the
//! public keys a token may be verified with, as a JWK Set.

use std::collections::BTreeMap;

use base64::Engine as _;
use josekit::jwk::{Ed25519, Jwk, JwkSet, P_256};
use josekit::jws::{ES256, EdDSA, JwsSigner, JwsVerifier, PS256};

use super::alg::Alg;

/// Bits of the RSA keys Renkei generates (RFC 7518 §3.5 asks for 2048 at least).
const RSA_BITS: u32 = 2048;
/// JWK members that hold a private part, of any key type (RFC 7518 §6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A key pair with its private part, named by its RFC 7638 thumbprint (`kid`).
#[derive(Clone)]
pub struct SigningKey {
    alg: Alg,
    kid: String,
    private: Jwk,
}

impl std::fmt::Debug for SigningKey {
    /// Never the private part.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new key pair for `alg`: RSA of 2048 bits, P-256 or Ed25519.
    pub fn generate(alg: Alg) -> anyhow::Result<Self> {
        let jwk = match alg {
            Alg::Ps256 => Jwk::generate_rsa_key(RSA_BITS)?,
            Alg::Es256 => Jwk::generate_ec_key(P_256)?,
            Alg::Ed25519 => Jwk::generate_ed_key(Ed25519)?,
        };
        Self::of(alg, jwk)
    }

    /// The key a private JWK holds (as [`SigningKey::private_jwk`] wrote it).
    pub fn from_private_jwk(bytes: &[u8]) -> anyhow::Result<Self> {
        let jwk = Jwk::from_bytes(bytes)?;
        let alg = alg_of(&jwk).map_err(|why| anyhow::anyhow!("a signing key: {why}"))?;
        anyhow::ensure!(
            jwk.parameter("d").is_some(),
            "a signing key needs its private part"
        );
        Self::of(alg, jwk)
    }

    fn of(alg: Alg, mut jwk: Jwk) -> anyhow::Result<Self> {
        let kid = thumbprint(&jwk)?;
        jwk.set_key_id(&kid);
        jwk.set_algorithm(alg.name());
        jwk.set_key_use("sig");
        Ok(Self {
            alg,
            kid,
            private: jwk,
        })
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The private JWK, for the key store to encrypt. Nothing else may hold it.
    pub fn private_jwk(&self) -> Vec<u8> {
        self.private.to_string().into_bytes()
    }

    /// The public key: its key members, `kid`, `alg` and `use`, nothing private.
    pub fn public_jwk(&self) -> anyhow::Result<Jwk> {
        let mut public = self.private.to_public_key()?;
        public.set_key_id(&self.kid);
        public.set_algorithm(self.alg.name());
        public.set_key_use("sig");
        Ok(public)
    }

    pub(super) fn signer(&self) -> anyhow::Result<Box<dyn JwsSigner>> {
        Ok(match self.alg {
            Alg::Ps256 => Box::new(PS256.signer_from_jwk(&self.private)?),
            Alg::Es256 => Box::new(ES256.signer_from_jwk(&self.private)?),
            Alg::Ed25519 => Box::new(EdDSA.signer_from_jwk(&self.private)?),
        })
    }
}

/// The algorithm a JWK is for: its `alg` when it names one, else what its key type and curve
/// allow. Ed448 and every other kind of key are refused.
fn alg_of(jwk: &Jwk) -> Result<Alg, &'static str> {
    let by_key = match (jwk.key_type(), jwk.curve()) {
        ("RSA", _) => Alg::Ps256,
        ("EC", Some("P-256")) => Alg::Es256,
        ("OKP", Some("Ed25519")) => Alg::Ed25519,
        ("oct", _) => return Err("alg-symmetric"),
        _ => return Err("alg-unsupported"),
    };
    match jwk.algorithm() {
        None => Ok(by_key),
        Some(named) => match Alg::of_header(named)? {
            alg if alg == by_key => Ok(alg),
            _ => Err("alg-unsupported"),
        },
    }
}

/// The RFC 7638 thumbprint of a JWK (SHA-256, base64url): the hash of its required members, in
/// lexicographic order, as JSON without white space.
pub fn thumbprint(jwk: &Jwk) -> anyhow::Result<String> {
    let required: &[&str] = match jwk.key_type() {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        other => anyhow::bail!("no thumbprint for a key of type '{other}'"),
    };
    let mut members = BTreeMap::new();
    for name in required {
        let value = match *name {
            "kty" => jwk.key_type(),
            other => jwk
                .parameter(other)
                .and_then(|v| v.as_str())
                .ok_or_else(|| anyhow::anyhow!("the key has no '{other}'"))?,
        };
        members.insert(*name, value);
    }
    let canonical = serde_json::to_string(&members)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::secrets::sha256(&canonical)))
}

/// The public keys a token may be verified with, each with its algorithm.
#[derive(Debug, Clone, Default)]
pub struct VerifyingKeys {
    keys: Vec<(Alg, Jwk)>,
}

impl VerifyingKeys {
    /// The signature keys of a JWK Set (another's, say a bank's). Keys for encryption, of kinds
    /// not spoken here (Ed448, symmetric), or carrying a private part are left out, as RFC 7517
    /// §5 lets a reader ignore what it does not understand.
    pub fn from_jwks(bytes: &[u8]) -> anyhow::Result<Self> {
        let set = JwkSet::from_bytes(bytes)?;
        let keys = set
            .keys()
            .into_iter()
            .filter(|k| k.key_use().is_none_or(|u| u == "sig"))
            .filter(|k| PRIVATE_MEMBERS.iter().all(|m| k.parameter(m).is_none()))
            .filter_map(|k| Some((alg_of(k).ok()?, k.clone())))
            .collect();
        Ok(Self { keys })
    }

    /// The public halves of these signing keys.
    pub fn of(signing: &[&SigningKey]) -> anyhow::Result<Self> {
        let keys = signing
            .iter()
            .map(|k| Ok((k.alg, k.public_jwk()?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { keys })
    }

    /// The JWK Set to publish: public members, `kid`, `alg` and `use` only.
    pub fn to_jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .keys
            .iter()
            .map(|(_, k)| {
                let mut map: serde_json::Map<String, serde_json::Value> = k.as_ref().clone();
                for m in PRIVATE_MEMBERS {
                    map.remove(m);
                }
                serde_json::Value::Object(map)
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// The verifier for a header's `kid` (which may be left out when one key of the algorithm
    /// is all there is) and algorithm.
    pub(super) fn verifier(
        &self,
        kid: Option<&str>,
        alg: Alg,
    ) -> Option<anyhow::Result<Box<dyn JwsVerifier>>> {
        let mut candidates = self
            .keys
            .iter()
            .filter(|(a, k)| *a == alg && kid.is_none_or(|kid| k.key_id() == Some(kid)));
        let (_, jwk) = candidates.next()?;
        if kid.is_none() && candidates.next().is_some() {
            return None;
        }
        Some((|| -> anyhow::Result<Box<dyn JwsVerifier>> {
            let mut map = jwk.as_ref().clone();
            if kid.is_none() {
                // josekit asks the header for the key's `kid` when the key has one.
                map.remove("kid");
            }
            let jwk = Jwk::from_map(map)?;
            Ok(match alg {
                Alg::Ps256 => Box::new(PS256.verifier_from_jwk(&jwk)?),
                Alg::Es256 => Box::new(ES256.verifier_from_jwk(&jwk)?),
                Alg::Ed25519 => Box::new(EdDSA.verifier_from_jwk(&jwk)?),
            })
        })())
    }
}
