//! Structured logs with `tracing`. Secrets never reach a log line: handlers skip them in
//! `#[tracing::instrument]` and settings redact the database password.

use actix_web::HttpMessage as _;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::{Level, Span};
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};
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

/// Each request's span, made only when the log filter records spans of its level: method,
/// route, scheme, the client's address and the target with its query values redacted (a refused
/// `?access_token=…` must not reach the log). The address is the peer's, or a trusted proxy's
/// report of it (`tls.trusted_proxies`); `X-Forwarded-For` from anyone else is not believed, and
/// neither is a `Host` header.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        if !tracing::span_enabled!(Level::INFO) {
            return Span::none();
        }
        let req = request.request();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "default".to_owned());
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let scheme = if crate::web::is_https(req) {
            "https"
        } else {
            "http"
        };
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.scheme = %scheme,
            http.client_ip = %crate::web::peer_ip(req).unwrap_or_default(),
            http.target = %redacted_target(req.path(), req.query_string()),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
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

/// The path with every query value replaced by `_`: which parameters came is kept, what they
/// held (a token, a code, a customer's ID) is not.
pub fn redacted_target(path: &str, query: &str) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let keys: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            // The key as sent, cut short and kept to visible ASCII.
            let key: String = key
                .chars()
                .take(64)
                .map(|c| if c.is_ascii_graphic() { c } else { '?' })
                .collect();
            format!("{key}=_")
        })
        .collect();
    format!("{path}?{}", keys.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_never_reach_the_log() {
        assert_eq!(redacted_target("/healthz", ""), "/healthz");
        assert_eq!(
            redacted_target(
                "/t/kitami/api/v1/accounts/balances",
                "access_token=eyJ.secret&accountId=301010000001"
            ),
            "/t/kitami/api/v1/accounts/balances?access_token=_&accountId=_"
        );
        assert_eq!(
            redacted_target("/t/kitami/oauth/authorize", "code=abc&&state"),
            "/t/kitami/oauth/authorize?code=_&state=_"
        );
        assert!(!redacted_target("/x", "a%0A=1").contains('\n'));
    }

    /// The request's span as the log writes it: the peer's address, not a forwarded one sent by
    /// anyone, and no query value.
    #[actix_web::test]
    async fn the_request_span_holds_the_peer_and_no_query_value() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::registry().with(
            fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false),
        );
        let req = actix_web::test::TestRequest::get()
            .uri("/t/kitami/api/v1/accounts/balances?access_token=leaked-token")
            .peer_addr("198.51.100.7:40000".parse().unwrap())
            .insert_header(("x-forwarded-for", "203.0.113.66"))
            .insert_header(("forwarded", "for=203.0.113.67;proto=https"))
            .to_srv_request();
        tracing::subscriber::with_default(subscriber, || {
            let span = RequestSpan::on_request_start(&req);
            let _entered = span.enter();
            tracing::info!("answered");
        });
        let line = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(line.contains("198.51.100.7"), "{line}");
        assert!(!line.contains("203.0.113"), "{line}");
        assert!(!line.contains("leaked-token"), "{line}");
        assert!(line.contains("access_token=_"), "{line}");
        assert!(line.contains("http.scheme=http"), "{line}");
    }
}
