//! The answers every page and form gives: a page of HTML, and "see the page over there".

use actix_web::HttpResponse;
use actix_web::http::header;

/// A page, never stored by the browser or a proxy (it may show a customer's accounts).
pub fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The page of a form over its rate limit gets this status and header.
pub fn too_many(res: &mut HttpResponse, retry_after: i64) {
    *res.status_mut() = actix_web::http::StatusCode::TOO_MANY_REQUESTS;
    if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// 303 to `location`, after a form or on the way through the consent flow.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
