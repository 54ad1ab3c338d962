//! The institution's admin console, `/t/<slug>/admin`: who can see the customers' data, and
//! acting on it. Admins sign in with a password and a TOTP code; viewers read, admins change.
//! Sessions, like everything else of the tenant, live in the tenant's schema: a session of one
//! institution means nothing at another's URL.

pub mod accounts;
mod audit_log;
mod auth;
mod bank_data;
mod chart;
mod console;
mod customer_crl;
mod customers;
mod dashboard;
mod grants;
mod keys;
mod partner;
mod partner_certificate;
mod partners;
mod settings;
mod store;
mod upload;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;
use crate::tenancy::CurrentTenant;

pub use accounts::{AdminUser, Role};
use console::base;
pub use console::{
    Change, Console, SEARCH_CHARACTERS, WithScopes, console, context, form, form_marking_nul,
    query, render, search_query, see_other,
};

/// A partner's secret is rotated from its page; asked for with GET, the path is that page.
async fn secret_get(
    req: HttpRequest,
    tenant: CurrentTenant,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = uuid::Uuid::parse_str(&path.1).map_err(|_| AppError::NotFound)?;
    Ok(crate::web::to_form_page(
        &req,
        &format!("{}/partners/{id}", base(&tenant)),
    ))
}

/// The logo is uploaded from the settings page; asked for with GET, the path is that page.
async fn logo_get(req: HttpRequest, tenant: CurrentTenant) -> HttpResponse {
    crate::web::to_form_page(&req, &format!("{}/settings", base(&tenant)))
}

/// Routes under `/t/{tenant}`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(dashboard::show))
        .route("/admin/", web::get().to(dashboard::show))
        .route("/admin/login", web::get().to(auth::login_form))
        .route("/admin/login", web::post().to(auth::login_submit))
        .route("/admin/totp", web::get().to(auth::totp_form))
        .route("/admin/totp", web::post().to(auth::totp_submit))
        .route("/admin/logout", web::post().to(auth::logout))
        .route("/admin/partners", web::get().to(partners::list))
        .route("/admin/partners", web::post().to(partners::create))
        .route("/admin/partners/{id}", web::get().to(partner::show))
        .route("/admin/partners/{id}", web::post().to(partner::update))
        .route(
            "/admin/partners/{id}/secret",
            web::post().to(partner::rotate),
        )
        .route("/admin/partners/{id}/secret", web::get().to(secret_get))
        .route(
            "/admin/partners/{id}/status",
            web::post().to(partner::set_status),
        )
        .route(
            "/admin/partners/{id}/certificate",
            web::post().to(partner_certificate::rollover),
        )
        .route("/admin/keys", web::get().to(keys::show))
        .route("/admin/bank-data", web::get().to(bank_data::show))
        .route("/admin/bank-data", web::post().to(bank_data::upload))
        .route("/admin/grants", web::get().to(grants::search))
        .route("/admin/grants/{id}", web::get().to(grants::show))
        .route("/admin/grants/{id}/revoke", web::post().to(grants::revoke))
        .route("/admin/customers", web::get().to(customers::search))
        .route(
            "/admin/customers/{id}/unlock",
            web::post().to(customers::unlock),
        )
        .route(
            "/admin/certificates/{fingerprint}/revoke",
            web::post().to(customers::revoke_certificate),
        )
        .route("/admin/settings", web::get().to(settings::show))
        .route("/admin/settings", web::post().to(settings::update))
        .route("/admin/settings/logo", web::get().to(logo_get))
        .route("/admin/settings/logo", web::post().to(settings::logo))
        .route("/admin/settings/crl", web::post().to(settings::crl))
        .route("/admin/audit", web::get().to(audit_log::list))
        .route("/admin/audit.csv", web::get().to(audit_log::csv));
}
