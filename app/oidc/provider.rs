//! A bank's OpenID provider as discovered: its metadata and keys, kept per replica for an hour,
//! the keys fetched again when an ID token names one unknown (once, then at most every half
//! minute: a stream of tokens with made-up key IDs cannot make us hammer the bank).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{AdditionalProviderMetadata, IssuerUrl, JsonWebKeySet, ProviderMetadata};
use serde::{Deserialize, Serialize};

use super::failure::{Failure, Why};
use super::http::Http;

const METADATA_TTL: Duration = Duration::from_secs(3600);
const KEYS_AT_MOST_EVERY: Duration = Duration::from_secs(30);

/// What discovery says beyond the core: whether the provider names itself in its authorization
/// responses (RFC 9207), and how it takes client assertions.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Extra {
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    pub token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
}

impl AdditionalProviderMetadata for Extra {}

pub type Metadata = ProviderMetadata<
    Extra,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

struct Entry {
    metadata: Metadata,
    fetched: Instant,
    /// When the keys were last fetched again; `None` since discovery.
    keys_refetched: Option<Instant>,
}

static CACHE: LazyLock<Mutex<HashMap<String, Entry>>> = LazyLock::new(Default::default);

/// The provider of `issuer`, discovered now or within the hour.
pub async fn discover(issuer: &str, http: &Http) -> Result<Metadata, Failure> {
    if let Some(e) = CACHE.lock().expect("provider cache").get(issuer)
        && e.fetched.elapsed() < METADATA_TTL
    {
        return Ok(e.metadata.clone());
    }
    let url = IssuerUrl::new(issuer.to_owned()).map_err(|e| Failure::new(Why::Provider, e))?;
    // Discovery checks that the document names this issuer.
    let metadata = Metadata::discover_async(url, http)
        .await
        .map_err(|e| Failure::of_discovery(&e))?;
    CACHE.lock().expect("provider cache").insert(
        issuer.to_owned(),
        Entry {
            metadata: metadata.clone(),
            fetched: Instant::now(),
            keys_refetched: None,
        },
    );
    Ok(metadata)
}

/// The provider's keys fetched again, unless they were in the last half minute (`None`: the
/// unknown key stays unknown).
pub async fn refetch_keys(issuer: &str, http: &Http) -> Result<Option<Metadata>, Failure> {
    let metadata = {
        let cache = CACHE.lock().expect("provider cache");
        match cache.get(issuer) {
            Some(e)
                if e.keys_refetched
                    .is_none_or(|t| t.elapsed() >= KEYS_AT_MOST_EVERY) =>
            {
                e.metadata.clone()
            }
            _ => return Ok(None),
        }
    };
    let keys = JsonWebKeySet::fetch_async(metadata.jwks_uri(), http)
        .await
        .map_err(|e| Failure::of_discovery(&e))?;
    let metadata = metadata.set_jwks(keys);
    if let Some(e) = CACHE.lock().expect("provider cache").get_mut(issuer) {
        e.metadata = metadata.clone();
        e.keys_refetched = Some(Instant::now());
    }
    Ok(Some(metadata))
}
