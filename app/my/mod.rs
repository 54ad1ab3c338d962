//! お客さまの連携サービス (`/t/<slug>/my`): the customer signs in the same ways as on the
//! consent page, sees every service they linked (operations, accounts, consent date, expiry,
//! and when the partner last read what), and ends a link after confirming.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, Event};
use crate::bank::CoreBanking as _;
use crate::bank::CustomerId;
use crate::certs::ClientCertificates;
use crate::consent::certificate::{self, Outcome};
use crate::consent::signin::{self, SignIn};
use crate::consent::signin_page::SignInPage;
use crate::db::{Db, TenantConn};
use crate::error::AppError;
use crate::format::{jst, jst_date, long_date};
use crate::grants;
use crate::oauth::params::Params;
use crate::oauth::scopes::Scope;
use crate::sessions::{self, Kind, Session, Stage};
use crate::tenancy::CurrentTenant;
use crate::tenancy::Tenant;
use crate::web::respond::{html, see_other};

use crate::i18n::Lang;
use crate::web::{Pages, is_https as https, peer_ip as ip};

mod session;
mod store;

use session::{CustomerSession, SignedIn};

fn base(tenant: &CurrentTenant) -> String {
    format!("/t/{}/my", tenant.slug)
}

fn bad_request() -> AppError {
    AppError::Page(StatusCode::BAD_REQUEST, "page-bad-request")
}

fn form(body: &[u8]) -> Result<Params, AppError> {
    Params::parse(body, &[]).map_err(|_| bad_request())
}

fn login_page(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    error: Option<&str>,
    login_id: &str,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = sessions::login_csrf(Kind::Customer, &tenant.slug, https(req));
    let ctx = pages.context(lang, req.path(), req.query_string(), Some(tenant));
    let res = SignInPage {
        template: "my/login.html",
        action: format!("{}/login", base(tenant)),
        csrf: &csrf,
        login_id,
        certificate_url: format!("{}/certificate", base(tenant)),
        bank_action: format!("{}/login/bank", base(tenant)),
        error,
        status,
    }
    .render(pages, tenant, ctx)?;
    sessions::with_cookie(res, &cookie)
}

/// Signs the customer in: a fresh session token, whatever cookie they had before.
pub(crate) async fn start(
    req: &HttpRequest,
    conn: &mut TenantConn,
    tenant: &CurrentTenant,
    customer: CustomerId,
    method: &str,
) -> Result<HttpResponse, AppError> {
    let token = sessions::create(conn, Kind::Customer, customer.0, Stage::Active).await?;
    audit::record(
        conn,
        Event::LoginOk,
        &format!("customer:{}", customer.0),
        None,
        ip(req).as_deref(),
        serde_json::json!({"method": method, "at": "my"}),
    )
    .await?;
    sessions::with_cookie(
        see_other(&base(tenant)),
        &sessions::cookie(Kind::Customer, &tenant.slug, Some(&token), https(req)),
    )
}

#[derive(Serialize)]
struct Link {
    id: String,
    partner: String,
    operations: Vec<String>,
    accounts: Vec<String>,
    consented: String,
    expires: String,
    active: bool,
    ended: Option<String>,
    last_balance: Option<String>,
    last_transactions: Option<String>,
}

fn at(t: DateTime<Utc>, lang: Lang) -> String {
    format!(
        "{} {}",
        long_date(jst_date(t), lang),
        t.with_timezone(&jst()).format("%H:%M")
    )
}

/// The customer's links: live ones first, then those that ended in the last 90 days.
async fn links(
    db: &Db,
    tenant: &Tenant,
    customer: Uuid,
    lang: Lang,
    only: Option<Uuid>,
) -> Result<Vec<Link>, AppError> {
    let rows = store::links(&mut db.tenant(&tenant.slug).await?, customer, only).await?;
    let held: std::collections::HashMap<String, String> = tenant
        .core
        .accounts(db, &tenant.slug, CustomerId(customer))
        .await?
        .iter()
        .map(|a| {
            let label = match a.as_of {
                Some(day) => crate::i18n::t_args(
                    lang,
                    "my-account-as-of",
                    &[("account", &a.label(lang)), ("date", &long_date(day, lang))],
                ),
                None => a.label(lang),
            };
            (a.account_id.to_string(), label)
        })
        .collect();
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|r| {
            let active = r.revoked_at.is_none() && r.expires_at > now;
            Link {
                id: r.id.to_string(),
                partner: if lang == Lang::Ja {
                    r.partner_ja
                } else {
                    r.partner_en
                },
                operations: r
                    .scopes
                    .iter()
                    .filter_map(|s| Scope::parse(s))
                    .map(|s| lang.t(s.label_key()))
                    .collect(),
                accounts: r
                    .accounts
                    .into_iter()
                    .map(|id| held.get(&id).cloned().unwrap_or(id))
                    .collect(),
                consented: at(r.created_at, lang),
                expires: long_date(jst_date(r.expires_at), lang),
                active,
                ended: r
                    .revoked_at
                    .or((!active).then_some(r.expires_at))
                    .map(|t| at(t, lang)),
                last_balance: r.last_balance.map(|t| at(t, lang)),
                last_transactions: r.last_transactions.map(|t| at(t, lang)),
            }
        })
        .collect())
}

pub async fn home(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    SignedIn(session): SignedIn,
) -> Result<HttpResponse, AppError> {
    let Some(session) = session else {
        return login_page(&req, &pages, &tenant, lang, None, "", StatusCode::OK);
    };
    let links = links(&db, &tenant, session.principal, lang, None).await?;
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(&tenant));
    ctx.insert("links", &links);
    ctx.insert("csrf", &session.csrf);
    ctx.insert("base", &base(&tenant));
    ctx.insert("revoked", &req.query_string().contains("revoked=1"));
    Ok(html(pages.render("my/home.html", &ctx)?))
}

fn login_csrf_ok(req: &HttpRequest, p: &Params) -> bool {
    sessions::login_csrf_ok(req, Kind::Customer, p.get("csrf"))
}

#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn login(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    settings: web::Data<crate::config::Settings>,
) -> Result<HttpResponse, AppError> {
    let p = Params::parse_marking_nul(&body, &[]).map_err(|_| bad_request())?;
    if !login_csrf_ok(&req, &p) {
        return Err(AppError::Page(StatusCode::FORBIDDEN, "page-csrf"));
    }
    if !tenant.settings.bank.password_form() {
        return Err(AppError::Page(StatusCode::FORBIDDEN, "oidc-password-off"));
    }
    let login_id = p.get("login_id").unwrap_or_default().trim().to_owned();
    let password = p.get("password").unwrap_or_default().to_owned();
    let again =
        |error, status| login_page(&req, &pages, &tenant, lang, Some(error), &login_id, status);
    if p.nul().is_some() {
        return again("login-error-characters", StatusCode::BAD_REQUEST);
    }
    let from = ip(&req);
    let attempt = signin::Attempt {
        login_id: &login_id,
        password: &password,
        ip: from.as_deref(),
        context: serde_json::json!({"at": "my"}),
    };
    match signin::password(&db, &tenant, &settings.limits, attempt).await? {
        SignIn::Verified(customer) => {
            let mut conn = db.tenant(&tenant.slug).await?;
            start(&req, &mut conn, &tenant, customer, "password").await
        }
        SignIn::Refused {
            error,
            status,
            retry_after,
        } => {
            let mut res = again(error, status)?;
            if let Some(secs) = retry_after {
                crate::web::respond::too_many(&mut res, secs);
            }
            Ok(res)
        }
    }
}

pub async fn certificate_confirm(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    certs: web::Data<ClientCertificates>,
) -> Result<HttpResponse, AppError> {
    match certificate::identify(&req, &tenant, &db, &certs, "my").await? {
        Outcome::ToHttps(url) => Ok(see_other(&url)),
        Outcome::Refused(status, key) => {
            certificate::refused(&req, &pages, &tenant, lang, status, key, &base(&tenant))
        }
        Outcome::Customer(_, presented) => {
            let (csrf, cookie) = sessions::login_csrf(Kind::Customer, &tenant.slug, https(&req));
            let mut ctx = certificate::confirmation(&req, &pages, &tenant, lang, &presented);
            ctx.insert("csrf", &csrf);
            ctx.insert("action", &format!("{}/certificate", base(&tenant)));
            ctx.insert("login_url", &base(&tenant));
            sessions::with_cookie(html(pages.render("certificate.html", &ctx)?), &cookie)
        }
    }
}

pub async fn certificate_login(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    certs: web::Data<ClientCertificates>,
) -> Result<HttpResponse, AppError> {
    let p = form(&body)?;
    if !login_csrf_ok(&req, &p) {
        return Err(AppError::Page(StatusCode::FORBIDDEN, "page-csrf"));
    }
    if p.get("action") == Some("cancel") {
        return Ok(see_other(&base(&tenant)));
    }
    match certificate::identify(&req, &tenant, &db, &certs, "my").await? {
        Outcome::ToHttps(url) => Ok(see_other(&url)),
        Outcome::Refused(status, key) => {
            certificate::refused(&req, &pages, &tenant, lang, status, key, &base(&tenant))
        }
        Outcome::Customer(customer, _) => {
            let mut conn = db.tenant(&tenant.slug).await?;
            start(&req, &mut conn, &tenant, customer, "certificate").await
        }
    }
}

/// A session and the one grant of this customer named in the path.
/// The one link of this customer named in the path.
async fn own_link(
    db: &Db,
    tenant: &CurrentTenant,
    session: &Session,
    id: &str,
    lang: Lang,
) -> Result<Link, AppError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    links(db, tenant, session.principal, lang, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)
}

pub async fn revoke_confirm(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    CustomerSession(session): CustomerSession,
) -> Result<HttpResponse, AppError> {
    let link = own_link(&db, &tenant, &session, &path.1, lang).await?;
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(&tenant));
    ctx.insert("link", &link);
    ctx.insert("csrf", &session.csrf);
    ctx.insert("base", &base(&tenant));
    Ok(html(pages.render("my/revoke.html", &ctx)?))
}

pub async fn revoke(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    CustomerSession(session): CustomerSession,
) -> Result<HttpResponse, AppError> {
    let p = form(&body)?;
    let link = own_link(&db, &tenant, &session, &path.1, lang).await?;
    if !sessions::csrf_ok(&session, p.get("csrf")) {
        return Err(AppError::Page(StatusCode::FORBIDDEN, "page-csrf"));
    }
    let mut conn = db.tenant(&tenant.slug).await?;
    let id = Uuid::parse_str(&link.id).map_err(|_| AppError::NotFound)?;
    if grants::revoke(&mut conn, id, "customer_revoked", Utc::now()).await? {
        audit::record(
            &mut conn,
            Event::GrantRevoked,
            &format!("customer:{}", session.principal),
            Some(&link.id),
            ip(&req).as_deref(),
            serde_json::json!({"via": "my"}),
        )
        .await?;
    }
    Ok(see_other(&format!("{}?revoked=1", base(&tenant))))
}

pub async fn logout(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    SignedIn(session): SignedIn,
) -> Result<HttpResponse, AppError> {
    let p = form(&body)?;
    if let Some(session) = session {
        // A logout another site posted: the session and its cookie stay.
        if !sessions::csrf_ok(&session, p.get("csrf")) {
            return Err(AppError::Page(StatusCode::FORBIDDEN, "page-csrf"));
        }
        sessions::end(&mut db.tenant(&tenant.slug).await?, &session.token_hash).await?;
    }
    sessions::with_cookie(
        see_other(&base(&tenant)),
        &sessions::cookie(Kind::Customer, &tenant.slug, None, https(&req)),
    )
}

/// The sign-in form posts to `/my/login`; asked for with GET, that is `/my`.
async fn login_get(req: HttpRequest, tenant: CurrentTenant) -> HttpResponse {
    crate::web::to_form_page(&req, &base(&tenant))
}

/// Routes under `/t/{tenant}`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/my", web::get().to(home))
        .route("/my/login", web::post().to(login))
        .route("/my/login", web::get().to(login_get))
        .route("/my/certificate", web::get().to(certificate_confirm))
        .route("/my/certificate", web::post().to(certificate_login))
        .route("/my/links/{id}/revoke", web::get().to(revoke_confirm))
        .route("/my/links/{id}/revoke", web::post().to(revoke))
        .route("/my/logout", web::post().to(logout))
        .route("/partners", web::get().to(crate::tenancy::pages::partners));
}
