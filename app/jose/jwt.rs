//! Signed JWTs: made with a [`SigningKey`], checked against [`VerifyingKeys`] with the type and
//! the times the caller expects. Every refusal says which check failed.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use josekit::jws::{JwsAlgorithm, JwsHeader, JwsVerifier};
use josekit::jwt::JwtPayload;
use serde_json::{Map, Value};

use super::alg::Alg;
use super::keys::{SigningKey, VerifyingKeys};

/// What a token must be to be accepted.
pub struct Expect<'a> {
    /// Its `typ` (compared without case, `application/` optional: RFC 7515 §4.1.9); `None`
    /// takes any.
    pub typ: Option<&'a str>,
    pub now: DateTime<Utc>,
    /// How far the signer's clock may be from ours, in seconds.
    pub skew_secs: i64,
    /// Whether a token without `exp` is refused.
    pub require_exp: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not a signed JWT in compact form")]
    Malformed,
    /// `alg-none`, `alg-symmetric` or `alg-unsupported`.
    #[error("algorithm refused: {0}")]
    Algorithm(&'static str),
    #[error("no key of this kid and algorithm")]
    UnknownKey,
    #[error("the signature does not verify")]
    Signature,
    #[error("typ is not the one expected")]
    Type,
    #[error("expired")]
    Expired,
    #[error("not yet valid")]
    NotYetValid,
    #[error("issued in the future")]
    IssuedInFuture,
    #[error("no exp")]
    NoExpiry,
}

/// A JWT of `claims`, signed with `key`, its header naming the key (`kid`) and `typ`.
pub fn sign(key: &SigningKey, typ: &str, claims: Map<String, Value>) -> anyhow::Result<String> {
    let mut header = JwsHeader::new();
    header.set_token_type(typ);
    header.set_key_id(key.kid());
    let payload = JwtPayload::from_map(claims)?;
    Ok(josekit::jwt::encode_with_signer(
        &payload,
        &header,
        key.signer()?.as_ref(),
    )?)
}

/// The claims of a token that `keys` signed and that is what `expect` asks for.
pub fn verify(
    token: &str,
    keys: &VerifyingKeys,
    expect: &Expect<'_>,
) -> Result<Map<String, Value>, Refusal> {
    let header = header_of(token)?;
    let named = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(Refusal::Malformed)?;
    let alg = Alg::of_header(named).map_err(Refusal::Algorithm)?;
    if let Some(wanted) = expect.typ {
        let typ = header
            .get("typ")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !same_type(typ, wanted) {
            return Err(Refusal::Type);
        }
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let verifier = keys
        .verifier(kid, alg)
        .ok_or(Refusal::UnknownKey)?
        .map_err(|_| Refusal::UnknownKey)?;
    let verifier: Box<dyn JwsVerifier> = if named == "Ed25519" {
        // The fully specified name (RFC 9864) of what josekit calls EdDSA.
        Box::new(Renamed {
            alg: Name("Ed25519"),
            inner: verifier,
        })
    } else {
        verifier
    };
    let (payload, _) = josekit::jwt::decode_with_verifier(token, verifier.as_ref())
        .map_err(|_| Refusal::Signature)?;
    let claims = payload.claims_set().clone();
    check_times(&claims, expect)?;
    Ok(claims)
}

/// The header of a compact JWS, read before anything is verified (to pick the key).
fn header_of(token: &str) -> Result<Map<String, Value>, Refusal> {
    let mut parts = token.split('.');
    let (Some(head), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Malformed);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head)
        .map_err(|_| Refusal::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| Refusal::Malformed)
}

fn same_type(typ: &str, wanted: &str) -> bool {
    let bare = |t: &str| {
        let t = t.to_ascii_lowercase();
        t.strip_prefix("application/")
            .map(str::to_owned)
            .unwrap_or(t)
    };
    bare(typ) == bare(wanted)
}

fn check_times(claims: &Map<String, Value>, e: &Expect<'_>) -> Result<(), Refusal> {
    let now = e.now.timestamp();
    let at = |name: &str| -> Result<Option<i64>, Refusal> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or(Refusal::Malformed),
        }
    };
    match at("exp")? {
        Some(exp) if now - e.skew_secs >= exp => return Err(Refusal::Expired),
        None if e.require_exp => return Err(Refusal::NoExpiry),
        _ => {}
    }
    if at("nbf")?.is_some_and(|nbf| now + e.skew_secs < nbf) {
        return Err(Refusal::NotYetValid);
    }
    if at("iat")?.is_some_and(|iat| now + e.skew_secs < iat) {
        return Err(Refusal::IssuedInFuture);
    }
    Ok(())
}

#[derive(Debug, Clone)]
struct Name(&'static str);

impl JwsAlgorithm for Name {
    fn name(&self) -> &str {
        self.0
    }

    fn box_clone(&self) -> Box<dyn JwsAlgorithm> {
        Box::new(self.clone())
    }
}

/// A verifier that answers to another name of its algorithm.
#[derive(Debug)]
struct Renamed {
    alg: Name,
    inner: Box<dyn JwsVerifier>,
}

impl JwsVerifier for Renamed {
    fn algorithm(&self) -> &dyn JwsAlgorithm {
        &self.alg
    }

    fn key_id(&self) -> Option<&str> {
        self.inner.key_id()
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), josekit::JoseError> {
        self.inner.verify(message, signature)
    }

    fn box_clone(&self) -> Box<dyn JwsVerifier> {
        Box::new(Self {
            alg: self.alg.clone(),
            inner: self.inner.box_clone(),
        })
    }
}
