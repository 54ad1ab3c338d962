//! Errors, in one place. Domain and database code returns `QueryResult` or `anyhow::Result`;
//! handlers return [`AppError`], which decides the status and what the user is told. The cause
//! goes to the log; the user sees a clear message in their language, never a stack trace.
//!
//! Page errors are rendered as branded HTML by [`crate::web::error_pages`], which knows the
//! request's tenant and language; `error_response` here only marks the response with its kind.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::db::DbUnavailable;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Unknown tenant, page or record: the same answer for all, so nothing is revealed.
    #[error("not found")]
    NotFound,
    /// The database (or another dependency) cannot answer now; try again shortly.
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
    /// A refusal with its own page: the status and the locale key prefix of its title and message.
    #[error("refused: {1}")]
    Page(StatusCode, &'static str),
    /// Not signed in (or the session ended): 303 to the sign-in page.
    #[error("sign in first")]
    SignIn(String),
}

/// Which page an error response should become (the locale key prefix of its title and
/// message); stored in the response's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorPage(pub &'static str);

impl ErrorPage {
    pub fn key(self) -> &'static str {
        self.0
    }
}

impl From<DbUnavailable> for AppError {
    fn from(e: DbUnavailable) -> Self {
        Self::Unavailable(e.into())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => Self::NotFound,
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection
                | diesel::result::DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Self::Unavailable(e.into()),
            diesel::result::Error::DatabaseError(_, ref info) if is_transient(info.message()) => {
                Self::Unavailable(e.into())
            }
            other => Self::Internal(other.into()),
        }
    }
}

/// PostgreSQL's words for "not now" (the SQLSTATE does not survive diesel-async): the server
/// shutting down or starting up (57P01, 57P03), a statement or lock timeout (57014, 55P03). The
/// request gets 503 and may be retried; nothing about the request itself was wrong.
fn is_transient(message: &str) -> bool {
    const NOT_NOW: [&str; 5] = [
        "terminating connection",
        "the database system is",
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "server closed the connection",
    ];
    NOT_NOW.iter().any(|m| message.starts_with(m))
}

impl AppError {
    fn page(&self) -> ErrorPage {
        ErrorPage(match self {
            Self::NotFound => "error-not-found",
            Self::Unavailable(_) => "error-unavailable",
            Self::Internal(_) => "error-internal",
            Self::Page(_, key) => key,
            Self::SignIn(_) => "error-not-found",
        })
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Page(status, _) => *status,
            Self::SignIn(_) => StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unavailable(cause) => tracing::warn!(error = format!("{cause:#}"), "unavailable"),
            Self::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal error")
            }
            Self::NotFound | Self::Page(..) => {}
            Self::SignIn(to) => {
                return HttpResponse::SeeOther()
                    .insert_header((actix_web::http::header::LOCATION, to.as_str()))
                    .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                    .finish();
            }
        }
        let mut res = HttpResponse::build(self.status_code());
        if matches!(self, Self::Unavailable(_)) {
            res.insert_header(("Retry-After", "5"));
        }
        let mut res = res
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string());
        res.extensions_mut().insert(self.page());
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgresql_saying_not_now_is_503_and_a_real_error_is_500() {
        let db = |kind, msg: &str| {
            AppError::from(diesel::result::Error::DatabaseError(
                kind,
                Box::new(msg.to_owned()),
            ))
        };
        use diesel::result::DatabaseErrorKind::{UniqueViolation, Unknown};
        for m in [
            "terminating connection due to administrator command",
            "the database system is shutting down",
            "canceling statement due to statement timeout",
        ] {
            assert!(matches!(db(Unknown, m), AppError::Unavailable(_)), "{m}");
        }
        assert!(matches!(
            db(UniqueViolation, "duplicate key"),
            AppError::Internal(_)
        ));
        assert!(matches!(
            db(Unknown, "syntax error at or near"),
            AppError::Internal(_)
        ));
    }
}
