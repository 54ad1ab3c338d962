//! RFC 6749 §5.2 error responses for the token, revocation, introspection and PAR endpoints.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
}

impl OAuthCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// An error a partner's server reads: a code, a human description, and for `invalid_client`
/// on Basic authentication, the challenge.
#[derive(Debug, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: OAuthCode,
    pub description: String,
    pub basic_challenge: bool,
    /// Over a rate limit: 429 with this `Retry-After` (seconds).
    pub retry_after: Option<i64>,
    #[source]
    cause: Option<anyhow::Error>,
}

impl OAuthError {
    pub fn new(code: OAuthCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            basic_challenge: false,
            retry_after: None,
            cause: None,
        }
    }

    /// Too many requests from this partner: `temporarily_unavailable` with 429 and Retry-After.
    pub fn rate_limited(retry_after: i64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                OAuthCode::TemporarilyUnavailable,
                format!("too many requests; retry after {retry_after} s"),
            )
        }
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(OAuthCode::InvalidRequest, d)
    }

    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(OAuthCode::InvalidGrant, d)
    }

    pub fn invalid_client(basic: bool) -> Self {
        Self {
            basic_challenge: basic,
            ..Self::new(OAuthCode::InvalidClient, "client authentication failed")
        }
    }
}

impl From<AppError> for OAuthError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unavailable(cause) => Self {
                cause: Some(cause),
                ..Self::new(
                    OAuthCode::TemporarilyUnavailable,
                    "the service is temporarily unavailable; retry shortly",
                )
            },
            AppError::NotFound | AppError::Page(..) | AppError::SignIn(_) => {
                Self::invalid_request("not found")
            }
            AppError::Internal(cause) => Self {
                cause: Some(cause),
                ..Self::new(OAuthCode::ServerError, "internal error")
            },
        }
    }
}

impl From<diesel::result::Error> for OAuthError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::from(e).into()
    }
}

impl From<crate::db::DbUnavailable> for OAuthError {
    fn from(e: crate::db::DbUnavailable) -> Self {
        AppError::from(e).into()
    }
}

impl From<anyhow::Error> for OAuthError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e).into()
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        if self.retry_after.is_some() {
            return StatusCode::TOO_MANY_REQUESTS;
        }
        match self.code {
            OAuthCode::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(
                error = format!("{cause:#}"),
                code = self.code.as_str(),
                "oauth endpoint failed"
            );
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.basic_challenge {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                "Basic realm=\"renkei\", charset=\"UTF-8\"",
            ));
        }
        res.json(serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        }))
    }
}
