//! The institution's admin console, `/t/<slug>/admin`: who can see the customers' data, and
//! acting on it. Admins sign in with a password and a TOTP code; viewers read, admins change.
//! Sessions, like everything else of the tenant, live in the tenant's schema: a session of one
//! institution means nothing at another's URL.

pub mod accounts;
mod audit_log;
mod auth;
mod chart;
mod customer_crl;
mod customers;
mod dashboard;
mod grants;
mod partner_certificate;
mod partners;
mod settings;
mod upload;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use tera::Context;

use crate::db::{Db, TenantConn};
use crate::error::AppError;
use crate::oauth::params::Params;
use crate::sessions::{self, Kind, Session, Stage};
use crate::tenancy::CurrentTenant;
use crate::tenancy::pages::html;
use crate::web::{Lang, Pages};

pub use accounts::{AdminUser, Role};

/// A signed-in admin with a connection to the tenant.
pub struct Console {
    pub conn: TenantConn,
    pub admin: AdminUser,
    pub session: Session,
}

fn base(tenant: &CurrentTenant) -> String {
    format!("/t/{}/admin", tenant.slug)
}

/// The admin of this request, or a redirect to sign in.
pub async fn console(
    req: &HttpRequest,
    tenant: &CurrentTenant,
    db: &Db,
) -> Result<Console, AppError> {
    let login = || AppError::SignIn(format!("{}/login", base(tenant)));
    let token = req.cookie(Kind::Admin.cookie_name()).ok_or_else(login)?;
    let mut conn = db.tenant(&tenant.slug).await?;
    let session = sessions::load(&mut conn, Kind::Admin, token.value())
        .await?
        .ok_or_else(login)?;
    if session.stage != Stage::Active {
        return Err(AppError::SignIn(format!("{}/totp", base(tenant))));
    }
    let admin = accounts::find(&mut conn, session.principal)
        .await?
        .filter(|a| !a.locked)
        .ok_or_else(login)?;
    Ok(Console {
        conn,
        admin,
        session,
    })
}

impl Console {
    /// Changes need the admin role and the session's CSRF token.
    pub fn may_change(&self, form: &Params) -> Result<(), AppError> {
        self.may_change_with(form.get("csrf"))
    }

    /// The admin role, checked before an upload is read.
    pub fn must_be_admin(&self) -> Result<(), AppError> {
        if self.admin.role != Role::Admin {
            return Err(AppError::Page(StatusCode::FORBIDDEN, "admin-forbidden"));
        }
        Ok(())
    }

    /// [`Console::may_change`] for a form that is not URL-encoded (an upload).
    pub fn may_change_with(&self, csrf: Option<&str>) -> Result<(), AppError> {
        self.must_be_admin()?;
        if !sessions::csrf_ok(&self.session, csrf) {
            return Err(AppError::Page(StatusCode::FORBIDDEN, "page-csrf"));
        }
        Ok(())
    }

    /// `actor` of the audit log.
    pub fn actor(&self) -> String {
        format!("admin:{}", self.admin.email)
    }
}

#[derive(Serialize)]
struct AdminView<'a> {
    email: &'a str,
    role: &'a str,
    may_change: bool,
    csrf: &'a str,
    base: String,
}

/// The page context every console page starts with.
pub fn context(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    c: &Console,
    nav: &str,
) -> Context {
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(tenant));
    ctx.insert(
        "admin",
        &AdminView {
            email: &c.admin.email,
            role: c.admin.role.as_str(),
            may_change: c.admin.role == Role::Admin,
            csrf: &c.session.csrf,
            base: base(tenant),
        },
    );
    ctx.insert("nav", nav);
    ctx
}

pub fn render(pages: &Pages, name: &str, ctx: &Context) -> Result<HttpResponse, AppError> {
    Ok(html(pages.render(name, ctx)?))
}

fn bad_request() -> AppError {
    AppError::Page(StatusCode::BAD_REQUEST, "page-bad-request")
}

pub fn form(body: &[u8], repeated: &[&str]) -> Result<Params, AppError> {
    Params::parse(body, repeated).map_err(|_| bad_request())
}

/// A form whose page says itself that a field held a NUL character ([`Params::nul`]).
pub fn form_marking_nul(body: &[u8]) -> Result<Params, AppError> {
    Params::parse_marking_nul(body, &[]).map_err(|_| bad_request())
}

pub fn query(req: &HttpRequest) -> Result<Params, AppError> {
    form(req.query_string().as_bytes(), &[])
}

/// A search form's query: a filter holding a NUL character is left out and named by
/// [`Params::nul`], for the page to say so ([`SEARCH_CHARACTERS`]) and search nothing.
pub fn search_query(req: &HttpRequest) -> Result<Params, AppError> {
    form_marking_nul(req.query_string().as_bytes())
}

/// The message of a search that held a character that cannot be searched for.
pub const SEARCH_CHARACTERS: &str = "admin-search-characters";

pub fn see_other(to: &str) -> HttpResponse {
    crate::oauth::authorize::see_other(to)
}

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
        .route("/admin/partners/{id}", web::get().to(partners::show))
        .route("/admin/partners/{id}", web::post().to(partners::update))
        .route(
            "/admin/partners/{id}/secret",
            web::post().to(partners::rotate),
        )
        .route("/admin/partners/{id}/secret", web::get().to(secret_get))
        .route(
            "/admin/partners/{id}/status",
            web::post().to(partners::set_status),
        )
        .route(
            "/admin/partners/{id}/certificate",
            web::post().to(partner_certificate::rollover),
        )
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
        .route("/admin/settings/crl", web::post().to(customer_crl::upload))
        .route("/admin/audit", web::get().to(audit_log::list))
        .route("/admin/audit.csv", web::get().to(audit_log::csv));
}
