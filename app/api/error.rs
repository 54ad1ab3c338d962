//! API errors: `{errorCode, errorMessage, errorDetails?}`, with `WWW-Authenticate` on 401 and 403
//! (RFC 6750 §3), never cached.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Stable code: `invalid_token`, `insufficient_scope`, `not_found`, `invalid_request`,
    /// `temporarily_unavailable`, `server_error`.
    pub error_code: &'static str,
    /// What went wrong, for the partner's engineer.
    pub error_message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_details: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Option<String>,
    challenge: Option<String>,
    #[source]
    cause: Option<anyhow::Error>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            challenge: None,
            cause: None,
        }
    }

    /// Missing, malformed, expired or revoked token, or a suspended partner: all look alike.
    pub fn invalid_token() -> Self {
        Self {
            challenge: Some(
                "Bearer realm=\"renkei\", error=\"invalid_token\", error_description=\"the access token is missing, expired or revoked\""
                    .into(),
            ),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "The access token is missing, expired or revoked.",
            )
        }
    }

    pub fn insufficient_scope(scope: &str) -> Self {
        Self {
            challenge: Some(format!(
                "Bearer realm=\"renkei\", error=\"insufficient_scope\", scope=\"{scope}\""
            )),
            ..Self::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("The customer did not grant {scope}."),
            )
        }
    }

    /// An account outside the grant and one that does not exist get the same answer.
    pub fn account_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such account is covered by this grant.",
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unavailable(cause) => Self {
                cause: Some(cause),
                ..Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    "The service is temporarily unavailable. Retry shortly.",
                )
            },
            AppError::Internal(cause) => Self {
                cause: Some(cause),
                ..Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "Internal error.",
                )
            },
            AppError::NotFound | AppError::Page(..) | AppError::SignIn(_) => {
                Self::new(StatusCode::NOT_FOUND, "not_found", "Not found.")
            }
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::from(e).into()
    }
}

impl From<crate::db::DbUnavailable> for ApiError {
    fn from(e: crate::db::DbUnavailable) -> Self {
        AppError::from(e).into()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(
                error = format!("{cause:#}"),
                code = self.code,
                "api request failed"
            );
        }
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(challenge) = &self.challenge {
            res.insert_header((header::WWW_AUTHENTICATE, challenge.as_str()));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        res.json(ErrorBody {
            error_code: self.code,
            error_message: self.message.clone(),
            error_details: self.details.clone(),
        })
    }
}
