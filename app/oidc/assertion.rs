//! The client assertion of `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): a JWT the
//! tenant signs with its own key, published in its JWKS, which the bank's provider fetches.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::db::Db;
use crate::error::AppError;
use crate::jose::Alg;
use crate::keys::{KeyError, Keyring};
use crate::tenancy::TenantSlug;

/// How long the assertion may be used: one call.
const LIFETIME_SECS: i64 = 60;

/// ES256 unless the provider takes only PS256 (it lists what it takes, or takes anything).
fn alg(supported: Option<&[String]>) -> Alg {
    match supported {
        Some(algs) if !algs.iter().any(|a| a == "ES256") && algs.iter().any(|a| a == "PS256") => {
            Alg::Ps256
        }
        _ => Alg::Es256,
    }
}

pub struct Assertion<'a> {
    pub client_id: &'a str,
    /// The provider's token endpoint: the assertion's audience.
    pub audience: &'a str,
    pub supported: Option<&'a [String]>,
}

pub async fn sign(
    db: &Db,
    keyring: &Keyring,
    slug: &TenantSlug,
    retire_after: chrono::Duration,
    now: DateTime<Utc>,
    a: Assertion<'_>,
) -> Result<String, AppError> {
    let key =
        crate::keys::tenant::signing_key(db, keyring, slug, alg(a.supported), now, retire_after)
            .await
            .map_err(|e| match e {
                KeyError::Unavailable(e) => AppError::from(e),
                other => AppError::Internal(anyhow::anyhow!("the tenant's signing key: {other}")),
            })?;
    let claims = json!({
        "iss": a.client_id,
        "sub": a.client_id,
        "aud": a.audience,
        "jti": crate::secrets::random_token(),
        "iat": now.timestamp(),
        "exp": now.timestamp() + LIFETIME_SECS,
    });
    let Value::Object(claims) = claims else {
        unreachable!("a JSON object")
    };
    crate::jose::sign(&key, "JWT", claims as Map<String, Value>)
        .map_err(|e| AppError::Internal(e.context("signing the client assertion")))
}
