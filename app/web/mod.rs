//! The HTTP edge shared by every area: languages, templates, security headers, error pages,
//! metrics, static files.

pub mod headers;
pub mod i18n;
pub mod metrics;
pub mod respond;
pub mod templates;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};

pub use templates::Pages;

use crate::error::{AppError, ErrorPage};
use crate::i18n::Lang;
use crate::tenancy::CurrentTenant;

/// Chooses the request's language; `?lang=` is remembered in a cookie for a year.
pub async fn i18n(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let (lang, from_query) = Lang::of_request(req.request());
    req.extensions_mut().insert(lang);
    let mut res = next.call(req).await?;
    if from_query {
        let https = is_https(res.request());
        let cookie = actix_web::cookie::Cookie::build(crate::i18n::COOKIE, lang.code())
            .path("/")
            .secure(https)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .same_site(actix_web::cookie::SameSite::Lax)
            .http_only(true)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

/// Turns an [`AppError`] response into a branded page in the user's language.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(page) = res.response().extensions().get::<ErrorPage>().copied() else {
        return Ok(res);
    };
    let (req, res) = res.into_parts();
    let status = res.status();
    let headers = res.headers().clone();
    let pages = req
        .app_data::<web::Data<Pages>>()
        .expect("Pages registered");
    let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
    let tenant = req.extensions().get::<CurrentTenant>().cloned();
    // The language switch of a path no route matched leads to the tenant's home (or ours), never
    // to whatever was asked for: `//evil.example/` must not become a link off the site.
    let (path, query) = match (req.match_pattern(), &tenant) {
        (Some(_), _) => (req.path().to_owned(), req.query_string()),
        (None, Some(t)) => (format!("/t/{}/", t.slug), ""),
        (None, None) => ("/".to_owned(), ""),
    };
    let mut ctx = pages.context(lang, &path, query, tenant.as_ref().map(|t| &*t.0));
    ctx.insert("error_key", page.key());
    let body = match pages.render("error.html", &ctx) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "error page failed to render");
            lang.t(&format!("{}-message", page.key()))
        }
    };
    let mut out = HttpResponse::build(status);
    for (name, value) in headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.append_header((name.clone(), value.clone()));
        }
    }
    let out = out.content_type("text/html; charset=utf-8").body(body);
    Ok(ServiceResponse::new(req, out))
}

/// The worker's database pool, for an extractor that needs a connection before the handler runs.
pub fn pool_of(req: &actix_web::HttpRequest) -> Result<web::Data<crate::db::Db>, AppError> {
    req.app_data::<web::Data<crate::db::Db>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no database pool")))
}

/// The address the request came from, for the audit log and the rate limits: the peer's, or
/// the client's as a trusted proxy reports it (`tls.trusted_proxies`).
pub fn peer_ip(req: &actix_web::HttpRequest) -> Option<String> {
    match req.app_data::<web::Data<crate::certs::ClientCertificates>>() {
        Some(certs) => certs.client_ip(req),
        None => req.peer_addr().map(|a| a.ip()),
    }
    .map(|ip| ip.to_string())
}

/// Whether the request came over HTTPS (cookies are then `Secure`, and HSTS is sent): over our
/// TLS listener, or a trusted proxy's (`tls.trusted_proxies`) that says so.
pub fn is_https(req: &actix_web::HttpRequest) -> bool {
    match req.app_data::<web::Data<crate::certs::ClientCertificates>>() {
        Some(certs) => certs.is_https(req),
        None => req.conn_data::<crate::certs::PeerCertificate>().is_some(),
    }
}

/// Any path nothing else answers.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

const APP_CSS: &str = include_str!("../../static/app.css");

pub async fn app_css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ))
        .body(APP_CSS)
}

/// A path that only a form posts to, asked for with GET (the language switch of the page the
/// post answered, a reload): sent on to `page`, the page the form is on, with the query kept, so
/// `?lang=` still takes effect.
pub fn to_form_page(req: &actix_web::HttpRequest, page: &str) -> actix_web::HttpResponse {
    let location = match req.query_string() {
        "" => page.to_owned(),
        query => format!("{page}?{query}"),
    };
    respond::see_other(&location)
}

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/app.css", web::get().to(app_css));
}
