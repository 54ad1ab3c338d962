//! The customer's side of the flow: login at the institution's page, then アクセス許可.

pub mod approve;
mod bank;
pub(crate) mod certificate;

pub mod lockout;
mod login;
pub(crate) mod pages;
pub mod signin;
pub mod signin_page;

use actix_web::web;

/// Routes under `/t/{tenant}`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/login", web::get().to(login::login_form))
        .route("/oauth/login", web::post().to(login::login_submit))
        .route("/oauth/consent", web::get().to(pages::consent_form))
        .route("/oauth/consent", web::post().to(pages::consent_submit))
        .route("/oauth/certificate", web::get().to(certificate::confirm))
        .route("/oauth/certificate", web::post().to(certificate::submit))
        .route("/oauth/login/bank", web::post().to(bank::from_flow))
        .route("/my/login/bank", web::post().to(bank::from_my))
        .route("/login/oidc/callback", web::get().to(bank::callback));
}
