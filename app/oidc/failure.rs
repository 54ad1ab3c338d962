//! Why a sign-in at the bank did not end with a customer, and what the log may say of it.

use openidconnect::DiscoveryError;

use super::http::HttpFailure;

/// Why a sign-in at the bank did not end with a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The provider did not answer in time, could not be reached, or answered 5xx.
    Unavailable,
    /// The provider's answer was not one to accept (a malformed document, a refused code).
    Provider,
    /// The callback is not this browser's sign-in (wrong, used or expired `state`).
    State,
    /// The response named another issuer (RFC 9207), or none where the provider promises one.
    Issuer,
    /// The ID token failed a check: signature, issuer, audience, expiry, nonce.
    Token,
    /// The ID token's `acr` is not one of `bank.oidc.acr_values`.
    Acr,
    /// The customer signed in at the bank longer ago than `bank.oidc.max_age`.
    AuthTime,
    /// The claim names no customer of this institution.
    Unknown,
    /// The bank's directory locked the customer.
    Locked,
    /// The customer cancelled at the bank, or the bank refused the request.
    Cancelled,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Provider => "provider",
            Self::State => "state",
            Self::Issuer => "issuer",
            Self::Token => "token",
            Self::Acr => "acr",
            Self::AuthTime => "auth_time",
            Self::Unknown => "unknown",
            Self::Locked => "locked",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A sign-in refused, with what the log may say of it (never a secret, code or token).
#[derive(Debug)]
pub struct Failure {
    pub why: Why,
    pub detail: String,
}

impl Failure {
    pub fn new(why: Why, detail: impl std::fmt::Display) -> Self {
        Self {
            why,
            detail: detail.to_string(),
        }
    }

    /// A transport failure is the provider not answering; anything else is its answer refused.
    pub(super) fn of_http(e: &HttpFailure) -> Self {
        let why = match e {
            HttpFailure::Timeout(_) | HttpFailure::Unreachable(_) => Why::Unavailable,
            HttpFailure::TooLarge | HttpFailure::Request(_) => Why::Provider,
        };
        Self::new(why, e)
    }

    pub(super) fn of_discovery(e: &DiscoveryError<HttpFailure>) -> Self {
        match e {
            DiscoveryError::Request(e) => Self::of_http(e),
            DiscoveryError::Response(status, _, _) if status.is_server_error() => {
                Self::new(Why::Unavailable, format!("discovery answered {status}"))
            }
            other => Self::new(Why::Provider, format!("discovery: {other}")),
        }
    }
}
