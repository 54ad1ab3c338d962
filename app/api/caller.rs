//! Who is calling the partner API, checked the same way by every endpoint: the token where
//! RFC 6750 puts it, a live grant of an active partner, the certificate a token is bound to,
//! the scope.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use super::error::ApiError;
use crate::bank::AccountId;
use crate::bank::partner_data::Caller;
use crate::certs::ClientCertificates;
use crate::oauth::params::Params;
use crate::oauth::scopes::{Scope, Scopes};

/// The bearer token (RFC 6750 §2.1, scheme case-insensitive) or `x-access-token`. Never the
/// query string: URLs end up in logs and browser histories.
pub fn bearer_token(req: &HttpRequest, query: &Params) -> Result<String, ApiError> {
    if query.get("access_token").is_some() {
        return Err(ApiError::invalid_token().with_details(
            "access tokens are not accepted in the query string; send Authorization: Bearer",
        ));
    }
    let from_auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let from_header = req
        .headers()
        .get("x-access-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let token = from_auth
        .or(from_header)
        .ok_or_else(ApiError::invalid_token)?;
    let well_formed = (1..=256).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b));
    if well_formed {
        Ok(token.to_owned())
    } else {
        Err(ApiError::invalid_token())
    }
}

/// The request's access token ([`bearer_token`]) and its query, read once, as a handler's
/// argument.
pub struct BearerToken {
    pub token: String,
    pub query: Params,
}

impl FromRequest for BearerToken {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(query(req).and_then(|query| {
            Ok(Self {
                token: bearer_token(req, &query)?,
                query,
            })
        }))
    }
}

fn query(req: &HttpRequest) -> Result<Params, ApiError> {
    Params::parse(req.query_string().as_bytes(), &[])
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

pub(super) fn account_param(p: &Params) -> Result<Option<AccountId>, ApiError> {
    p.get("accountId")
        .map(|a| {
            AccountId::parse(a).map_err(|_| ApiError::bad_request("accountId must be 12 digits"))
        })
        .transpose()
}

/// The checks every endpoint makes, in order: a live token of an active partner (401), presented
/// with the certificate it is bound to, if it is (401), then the scope (403).
pub(super) fn admit(
    caller: Option<&Caller>,
    scope: Option<Scope>,
    req: &HttpRequest,
    certs: &ClientCertificates,
) -> Result<Caller, ApiError> {
    let caller = caller
        .filter(|c| c.partner_active)
        .ok_or_else(ApiError::invalid_token)?;
    if let Some(bound) = &caller.cnf_x5t_s256 {
        let presented = certs.presented(req).certificate();
        let Some(presented) = presented.filter(|p| openssl::memcmp::eq(&p.thumbprint, bound))
        else {
            return Err(ApiError::invalid_token().with_details(
                "this token is bound to a client certificate; present the same certificate over mutual TLS",
            ));
        };
        // A certificate revoked since the token was issued ends the token with it.
        if certs.partner_revoked(&presented) {
            return Err(ApiError::invalid_token().with_details(
                "the client certificate this token is bound to has been revoked by its CA",
            ));
        }
    }
    let granted = Scopes::from_stored(&caller.scopes);
    match scope {
        Some(s) if !granted.contains(s) => Err(ApiError::insufficient_scope(s.as_str())),
        _ => Ok(caller.clone()),
    }
}
