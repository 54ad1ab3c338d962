//! Structured logs with `tracing`. Secrets never reach a log line: handlers skip them in
//! `#[tracing::instrument]` and settings redact the database password.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::{Level, Span};
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder, root_span};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls are ignored (tests call it per app).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match settings.format {
        LogFormat::Json => registry
            .with(fmt::layer().json().with_current_span(false))
            .try_init(),
        LogFormat::Text => registry.with(fmt::layer().with_target(false)).try_init(),
    };
}

/// Each request's span, with the fields of `tracing-actix-web`'s own (method, route, client,
/// request id), made only when the log filter records spans of its level. Making one reads the
/// request's route again and its connection details, which a filter at `warn` would throw away.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        if tracing::span_enabled!(Level::INFO) {
            root_span!(level = Level::INFO, request)
        } else {
            Span::none()
        }
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        if !span.is_disabled() {
            DefaultRootSpanBuilder::on_request_end(span, outcome);
        }
    }
}
