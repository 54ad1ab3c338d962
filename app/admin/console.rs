//! What every console page starts with: the signed-in admin (or a redirect to sign in), the
//! page's context, and the forms read once for all. Handlers take [`Console`] (a page) or
//! [`Change`] (a form that changes something) as extractors.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Serialize;
use tera::Context;

use super::accounts::{self, AdminUser, Role};
use crate::db::{Db, TenantConn};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::oauth::params::Params;
use crate::sessions::{self, Kind, Session, Stage};
use crate::tenancy::CurrentTenant;
use crate::web::Pages;
use crate::web::respond::html;

/// A signed-in admin with a connection to the tenant.
pub struct Console {
    pub conn: TenantConn,
    pub admin: AdminUser,
    pub session: Session,
}

pub(super) fn base(tenant: &CurrentTenant) -> String {
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

impl FromRequest for Console {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let tenant = CurrentTenant::extract(&req).await?;
            let db = crate::web::pool_of(&req)?;
            console(&req, &tenant, &db).await
        })
    }
}

/// Which fields a form may repeat ([`Params::parse`]); any other repeated field is refused.
pub trait FormShape {
    const REPEATED: &'static [&'static str];
}

/// A form whose fields each come once.
pub struct Plain;

impl FormShape for Plain {
    const REPEATED: &'static [&'static str] = &[];
}

/// A partner's form, with a box per scope.
pub struct WithScopes;

impl FormShape for WithScopes {
    const REPEATED: &'static [&'static str] = &["scopes"];
}

/// A console form that changes something: read, then the admin signed in (or a redirect to
/// sign in), then allowed to change it (the admin role and the session's CSRF token).
pub struct Change<S: FormShape = Plain> {
    pub console: Console,
    pub form: Params,
    shape: PhantomData<S>,
}

impl<S: FormShape> Change<S> {
    pub fn into_parts(self) -> (Console, Params) {
        (self.console, self.form)
    }
}

impl<S: FormShape + 'static> FromRequest for Change<S> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let form = form(&body.await?, S::REPEATED)?;
            let console = Console::extract(&req).await?;
            console.may_change(&form)?;
            Ok(Self {
                console,
                form,
                shape: PhantomData,
            })
        })
    }
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

pub use crate::web::respond::see_other;
