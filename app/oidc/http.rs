//! The OpenID Connect client's HTTP: one shared client that follows no redirect, every call
//! bounded by the tenant's `bank.oidc.timeout_ms`, answers read up to a size.

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;
use std::time::Duration;

/// Larger answers (a discovery document, a JWKS, a token response) are refused.
const MAX_BODY: usize = 256 * 1024;

static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("renkei/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client's settings are fixed")
});

/// Why the provider gave no answer to read.
#[derive(Debug, thiserror::Error)]
pub enum HttpFailure {
    #[error("no answer within {0} ms")]
    Timeout(u128),
    #[error("cannot reach the provider: {0}")]
    Unreachable(String),
    #[error("the answer is over {MAX_BODY} bytes")]
    TooLarge,
    #[error("{0}")]
    Request(String),
}

/// Calls to one provider, each bounded by `timeout`.
#[derive(Clone)]
pub struct Http {
    timeout: Duration,
}

impl Http {
    pub fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = HttpFailure;
    type Future =
        Pin<Box<dyn Future<Output = Result<openidconnect::HttpResponse, HttpFailure>> + Send + 'c>>;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let ms = self.timeout.as_millis();
            let classify = |e: reqwest::Error| {
                if e.is_timeout() {
                    HttpFailure::Timeout(ms)
                } else if e.is_connect() {
                    HttpFailure::Unreachable(e.to_string())
                } else {
                    HttpFailure::Request(e.to_string())
                }
            };
            let mut request = reqwest::Request::try_from(request)
                .map_err(|e| HttpFailure::Request(e.to_string()))?;
            // From connecting until the answer's body is read (reqwest's request timeout).
            *request.timeout_mut() = Some(self.timeout);
            let mut res = CLIENT.execute(request).await.map_err(classify)?;
            let mut out = http::Response::builder().status(res.status());
            for (name, value) in res.headers() {
                out = out.header(name, value);
            }
            let mut body = Vec::new();
            while let Some(chunk) = res.chunk().await.map_err(classify)? {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(HttpFailure::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            out.body(body)
                .map_err(|e| HttpFailure::Request(e.to_string()))
        })
    }
}
