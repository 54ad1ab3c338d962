//! The two halves of a sign-in at the bank: [`start`] sends the browser to the provider with a
//! fresh `state`, `nonce` and PKCE verifier kept in `oidc_sign_ins`; [`finish`] takes the
//! provider's answer at `/t/<slug>/login/oidc/callback`, uses the row once, exchanges the code
//! and checks the ID token, and names the customer. Each answers `Err(AppError)` for Renkei's own
//! faults (the database) and `Ok(Err(Failure))` for a sign-in the bank's side refused.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthenticationContextClass, AuthorizationCode,
    ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IdToken, IdTokenClaims,
    IdTokenVerifier, LanguageTag, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, SignatureVerificationError, TokenResponse as _,
};
use serde::{Deserialize, Serialize};

use super::assertion;
use super::failure::{Failure, Why};
use super::http::Http;
use super::provider::{self, Metadata};
use crate::bank::{CustomerDirectory as _, CustomerId, Verification};
use crate::db::Db;
use crate::db::schema::tenant::oidc_sign_ins;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::keys::Keyring;
use crate::secrets;
use crate::tenancy::Tenant;
use crate::tenancy::settings::{BankOidc, ClientAuth};

/// How long the customer may take at the bank's sign-in.
pub const PENDING_TTL_SECS: i64 = 600;

/// A clock skew allowed on `auth_time` against `max_age`.
const SKEW_SECS: i64 = 60;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Every claim of the ID token besides the standard ones.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct OtherClaims(HashMap<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

type BankIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Claims = IdTokenClaims<OtherClaims, CoreGenderClaim>;

fn http(oidc: &BankOidc) -> Http {
    Http::new(Duration::from_millis(u64::from(oidc.timeout_ms)))
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("bank sign-in: {e}"))
}

/// Where the provider's answer comes back: `<issuer>/login/oidc/callback`.
fn redirect_uri(issuer: &str) -> String {
    format!("{issuer}/login/oidc/callback")
}

/// The browser goes to `url`, carrying `state` in its cookie for the way back.
pub struct Started {
    pub url: String,
    pub state: String,
}

/// Sends the customer to the bank's provider. `flow_handle_hash`: the consent request to go on
/// with after, else `/my`.
pub async fn start(
    db: &Db,
    tenant: &Tenant,
    oidc: &BankOidc,
    issuer: &str,
    flow_handle_hash: Option<Vec<u8>>,
    lang: Lang,
) -> Result<Result<Started, Failure>, AppError> {
    let metadata = match provider::discover(&oidc.issuer, &http(oidc)).await {
        Ok(m) => m,
        Err(f) => return Ok(Err(f)),
    };
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(oidc.client_id.clone()), None)
            .set_redirect_uri(RedirectUrl::new(redirect_uri(issuer)).map_err(internal)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            || CsrfToken::new(secrets::random_token()),
            || Nonce::new(secrets::random_token()),
        )
        .set_pkce_challenge(challenge)
        .add_ui_locale(LanguageTag::new(lang.code().to_owned()));
    for acr in &oidc.acr_values {
        request = request.add_auth_context_value(AuthenticationContextClass::new(acr.clone()));
    }
    if let Some(age) = oidc.max_age {
        request = request.set_max_age(Duration::from_secs(u64::from(age)));
    }
    let (url, state, nonce) = request.url();
    let mut conn = db.tenant(&tenant.slug).await?;
    // Sign-ins never finished are dropped as new ones start.
    diesel::delete(oidc_sign_ins::table.filter(
        oidc_sign_ins::created_at.lt(Utc::now() - chrono::Duration::seconds(PENDING_TTL_SECS)),
    ))
    .execute(&mut *conn)
    .await?;
    diesel::insert_into(oidc_sign_ins::table)
        .values((
            oidc_sign_ins::state_hash.eq(secrets::sha256(state.secret())),
            oidc_sign_ins::nonce.eq(nonce.secret()),
            oidc_sign_ins::pkce_verifier.eq(verifier.secret()),
            oidc_sign_ins::flow_handle_hash.eq(flow_handle_hash),
        ))
        .execute(&mut *conn)
        .await?;
    Ok(Ok(Started {
        url: url.to_string(),
        state: state.secret().clone(),
    }))
}

/// The provider's answer as it reached the callback, and the `state` of the browser's cookie.
pub struct Callback<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub iss: Option<&'a str>,
    pub error: Option<&'a str>,
    pub browser_state: Option<&'a str>,
}

/// A customer the bank signed in.
pub struct Finished {
    pub customer: CustomerId,
    /// What the claim said (for the audit trail).
    pub bank_id: String,
    /// The consent request to go on with; `None`: `/my`.
    pub flow_handle_hash: Option<Vec<u8>>,
}

/// A sign-in row, as the callback takes it.
#[derive(Queryable)]
struct Pending {
    nonce: String,
    verifier: String,
    flow_handle_hash: Option<Vec<u8>>,
    created_at: DateTime<Utc>,
}

/// Uses the browser's sign-in row once: `None` when the answer's `state` is not the browser's
/// (the browser's sign-in is ended then too: it starts again), or the row is used or too old.
async fn take(
    db: &Db,
    tenant: &Tenant,
    cb: &Callback<'_>,
    now: DateTime<Utc>,
) -> Result<Option<Pending>, AppError> {
    let Some(browser) = cb.browser_state else {
        return Ok(None);
    };
    let same = cb.state.is_some_and(|state| {
        state.len() == browser.len() && openssl::memcmp::eq(state.as_bytes(), browser.as_bytes())
    });
    let mut conn = db.tenant(&tenant.slug).await?;
    let row: Option<Pending> = diesel::delete(oidc_sign_ins::table.find(secrets::sha256(browser)))
        .returning((
            oidc_sign_ins::nonce,
            oidc_sign_ins::pkce_verifier,
            oidc_sign_ins::flow_handle_hash,
            oidc_sign_ins::created_at,
        ))
        .get_result(&mut *conn)
        .await
        .optional()?;
    Ok(row.filter(|r| same && (now - r.created_at).num_seconds() <= PENDING_TTL_SECS))
}

/// What [`finish`] needs beside the callback.
pub struct Context<'a> {
    pub db: &'a Db,
    pub keyring: &'a Keyring,
    pub tenant: &'a Tenant,
    pub oidc: &'a BankOidc,
    pub issuer: &'a str,
    pub retire_after: chrono::Duration,
    pub now: DateTime<Utc>,
}

pub async fn finish(
    cx: &Context<'_>,
    cb: Callback<'_>,
) -> Result<Result<Finished, Failure>, AppError> {
    let Some(pending) = take(cx.db, cx.tenant, &cb, cx.now).await? else {
        return Ok(Err(Failure::new(
            Why::State,
            "no sign-in of this browser has this state",
        )));
    };
    if let Some(error) = cb.error {
        let error: String = error.chars().take(64).collect();
        return Ok(Err(Failure::new(
            Why::Cancelled,
            format!("the provider answered {error}"),
        )));
    }
    let http = http(cx.oidc);
    let metadata = match provider::discover(&cx.oidc.issuer, &http).await {
        Ok(m) => m,
        Err(f) => return Ok(Err(f)),
    };
    let issuer = metadata.issuer().as_str();
    match (
        cb.iss,
        metadata
            .additional_metadata()
            .authorization_response_iss_parameter_supported,
    ) {
        (Some(iss), _) if iss != issuer => {
            return Ok(Err(Failure::new(
                Why::Issuer,
                format!("iss {iss:?} is not {issuer}"),
            )));
        }
        (None, true) => {
            return Ok(Err(Failure::new(Why::Issuer, "the response has no iss")));
        }
        _ => {}
    }
    let Some(code) = cb.code else {
        return Ok(Err(Failure::new(Why::Provider, "the response has no code")));
    };
    let id_token = match exchange(cx, &metadata, &http, code, pending.verifier).await? {
        Ok(t) => t,
        Err(f) => return Ok(Err(f)),
    };
    let nonce = Nonce::new(pending.nonce);
    let claims = match verify(cx, &metadata, &id_token, &nonce) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => match provider::refetch_keys(&cx.oidc.issuer, &http).await {
            Ok(Some(fresh)) => verify(cx, &fresh, &id_token, &nonce),
            Ok(None) => Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )),
            Err(f) => return Ok(Err(f)),
        },
        other => other,
    };
    let claims = match claims {
        Ok(c) => c,
        Err(e) => {
            let why = match e {
                ClaimsVerificationError::InvalidAuthContext(_) => Why::Acr,
                ClaimsVerificationError::InvalidAuthTime(_) => Why::AuthTime,
                _ => Why::Token,
            };
            return Ok(Err(Failure::new(why, format!("ID token: {e}"))));
        }
    };
    let Some(bank_id) = claim(&claims, &cx.oidc.claim) else {
        let detail = format!("the ID token has no {} claim", cx.oidc.claim);
        return Ok(Err(Failure::new(Why::Token, detail)));
    };
    let verdict = cx
        .tenant
        .directory
        .identify(cx.db, &cx.tenant.slug, &bank_id)
        .await?;
    Ok(match verdict {
        Verification::Verified(customer) => Ok(Finished {
            customer,
            bank_id,
            flow_handle_hash: pending.flow_handle_hash,
        }),
        Verification::Locked => Err(Failure::new(Why::Locked, "the bank locked the customer")),
        Verification::Refused { .. } => Err(Failure::new(
            Why::Unknown,
            format!("{} names no customer", cx.oidc.claim),
        )),
    })
}

/// The code exchanged at the provider's token endpoint, authenticated as the tenant says; the
/// ID token it answers with.
async fn exchange(
    cx: &Context<'_>,
    metadata: &Metadata,
    http: &Http,
    code: &str,
    verifier: String,
) -> Result<Result<BankIdToken, Failure>, AppError> {
    let Some(token_endpoint) = metadata.token_endpoint().map(|u| u.to_string()) else {
        return Ok(Err(Failure::new(Why::Provider, "no token endpoint")));
    };
    let secret = match cx.oidc.client_auth {
        ClientAuth::ClientSecretBasic => {
            let name = crate::keys::bank::OIDC_CLIENT_SECRET;
            let secret = crate::keys::bank::open(cx.db, cx.keyring, &cx.tenant.slug, name)
                .await
                .map_err(AppError::Internal)?
                .ok_or_else(|| internal("no client secret is stored: run tenants apply"))?;
            Some(ClientSecret::new(
                String::from_utf8(secret.to_vec()).map_err(internal)?,
            ))
        }
        ClientAuth::PrivateKeyJwt => None,
    };
    let mut client = CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(cx.oidc.client_id.clone()),
        secret,
    )
    .set_redirect_uri(RedirectUrl::new(redirect_uri(cx.issuer)).map_err(internal)?);
    if cx.oidc.client_auth == ClientAuth::PrivateKeyJwt {
        client = client.set_auth_type(AuthType::RequestBody);
    }
    let mut request = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(internal)?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier));
    if cx.oidc.client_auth == ClientAuth::PrivateKeyJwt {
        let supported = metadata
            .additional_metadata()
            .token_endpoint_auth_signing_alg_values_supported
            .as_deref();
        let jwt = assertion::sign(
            cx.db,
            cx.keyring,
            &cx.tenant.slug,
            cx.retire_after,
            cx.now,
            assertion::Assertion {
                client_id: &cx.oidc.client_id,
                audience: &token_endpoint,
                supported,
            },
        )
        .await?;
        request = request
            .add_extra_param("client_assertion_type", JWT_BEARER)
            .add_extra_param("client_assertion", jwt);
    }
    let response = match request.request_async(http).await {
        Ok(r) => r,
        Err(RequestTokenError::Request(e)) => return Ok(Err(Failure::of_http(&e))),
        Err(RequestTokenError::ServerResponse(e)) => {
            let detail = format!(
                "the token endpoint answered {} ({})",
                e.error(),
                e.error_description().map_or("", String::as_str)
            );
            return Ok(Err(Failure::new(Why::Provider, detail)));
        }
        Err(e) => {
            return Ok(Err(Failure::new(
                Why::Provider,
                format!("token endpoint: {e}"),
            )));
        }
    };
    let Some(id_token) = response.id_token() else {
        return Ok(Err(Failure::new(
            Why::Token,
            "the token response has no ID token",
        )));
    };
    Ok(id_token
        .to_string()
        .parse::<BankIdToken>()
        .map_err(|e| Failure::new(Why::Token, format!("ID token: {e}"))))
}

/// The ID token's claims, checked against the provider's keys, this client, the nonce, the
/// time, and the tenant's `acr_values` and `max_age`.
fn verify(
    cx: &Context<'_>,
    metadata: &Metadata,
    token: &BankIdToken,
    nonce: &Nonce,
) -> Result<Claims, ClaimsVerificationError> {
    use CoreJwsSigningAlgorithm as A;
    let now = cx.now;
    let acr_values = cx.oidc.acr_values.clone();
    let max_age = cx.oidc.max_age;
    let verifier: IdTokenVerifier<'_, CoreJsonWebKey> = IdTokenVerifier::new_public_client(
        ClientId::new(cx.oidc.client_id.clone()),
        metadata.issuer().clone(),
        metadata.jwks().clone(),
    )
    // Asymmetric signatures only: a key the provider publishes, never a shared secret.
    .set_allowed_algs([
        A::RsaSsaPkcs1V15Sha256,
        A::RsaSsaPkcs1V15Sha384,
        A::RsaSsaPkcs1V15Sha512,
        A::RsaSsaPssSha256,
        A::RsaSsaPssSha384,
        A::RsaSsaPssSha512,
        A::EcdsaP256Sha256,
        A::EcdsaP384Sha384,
        A::EdDsa,
    ])
    .set_time_fn(move || now)
    .set_auth_context_verifier_fn(move |acr| {
        if acr_values.is_empty() {
            return Ok(());
        }
        match acr {
            Some(acr) if acr_values.iter().any(|a| a == acr.as_str()) => Ok(()),
            Some(acr) => Err(format!("acr {} is not one asked for", acr.as_str())),
            None => Err("no acr".to_owned()),
        }
    })
    .set_auth_time_verifier_fn(move |auth_time| match (max_age, auth_time) {
        (None, _) => Ok(()),
        (Some(_), None) => Err("no auth_time".to_owned()),
        (Some(age), Some(t)) if (now - t).num_seconds() <= i64::from(age) + SKEW_SECS => Ok(()),
        (Some(age), Some(t)) => Err(format!("signed in at {t}, more than {age} s ago")),
    });
    token.clone().into_claims(&verifier, nonce)
}

/// The value of the claim that names the customer: a string, or a number as its digits.
fn claim(claims: &Claims, name: &str) -> Option<String> {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match name {
        "sub" => Some(claims.subject().to_string()),
        "preferred_username" => claims.preferred_username().map(|u| u.to_string()),
        "email" => claims.email().map(|e| e.to_string()),
        other => claims.additional_claims().0.get(other).and_then(text),
    }
}
