//! The OAuth 2.0 authorization server of each tenant.

pub mod authorize;
pub mod client_auth;
pub mod clients;
pub mod endpoints;
pub mod error;
pub mod flow;
pub mod jwks;
pub mod params;
pub mod pkce;
pub mod request;
pub mod scopes;
pub mod tokens;

use actix_web::web;

/// Routes under `/t/{tenant}`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/oauth-authorization-server",
        web::get().to(endpoints::metadata),
    )
    .route("/.well-known/jwks.json", web::get().to(jwks::jwks))
    .route("/oauth/authorize", web::get().to(authorize::authorize))
    .route("/oauth/par", web::post().to(authorize::par))
    .route("/oauth/token", web::post().to(endpoints::token))
    .route("/oauth/revoke", web::post().to(endpoints::revoke))
    .route("/oauth/introspect", web::post().to(endpoints::introspect));
}
