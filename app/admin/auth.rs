//! Signing in: e-mail and password, then a TOTP code (set up with an authenticator app at the
//! first sign-in). The session token is rotated when the code is accepted.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;

use super::accounts::{self, AdminUser};
use super::console::base;
use super::{form, see_other};
use crate::audit::{self, Event};
use crate::db::{Db, TenantConn};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::limits::{self, Verdict};
use crate::sessions::{self, Kind, Session, Stage};
use crate::tenancy::CurrentTenant;
use crate::web::respond::html;
use crate::web::{Pages, is_https as https, peer_ip as ip};

fn login_page(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    error: Option<&str>,
    email: &str,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = sessions::login_csrf(Kind::Admin, &tenant.slug, https(req));
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(tenant));
    ctx.insert("csrf", &csrf);
    ctx.insert("action", &format!("{}/login", base(tenant)));
    ctx.insert("email", email);
    if let Some(e) = error {
        ctx.insert("error", e);
    }
    let mut res = html(pages.render("admin/login.html", &ctx)?);
    *res.status_mut() = status;
    sessions::with_cookie(res, &cookie)
}

pub async fn login_form(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    login_page(&req, &pages, &tenant, lang, None, "", StatusCode::OK)
}

#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn login_submit(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    settings: web::Data<crate::config::Settings>,
) -> Result<HttpResponse, AppError> {
    let p = super::form_marking_nul(&body)?;
    if !sessions::login_csrf_ok(&req, Kind::Admin, p.get("csrf")) {
        return Err(AppError::Page(StatusCode::FORBIDDEN, "page-csrf"));
    }
    let email = p.get("email").unwrap_or_default().trim().to_owned();
    let password = p.get("password").unwrap_or_default().to_owned();
    let again =
        |error, status| login_page(&req, &pages, &tenant, lang, Some(error), &email, status);
    if p.nul().is_some() {
        return again("admin-login-characters", StatusCode::BAD_REQUEST);
    }
    if email.is_empty() || password.is_empty() {
        return again("admin-login-empty", StatusCode::BAD_REQUEST);
    }
    let _turn = crate::secrets::sign_in_turn().await;
    let actor = format!("admin:{}", email.to_ascii_lowercase());
    if let Verdict::Limited { retry_after } = limits::sign_in(
        db.tenant(&tenant.slug).await?.statements(),
        &settings.limits,
        ip(&req).as_deref(),
        &actor,
    )
    .await?
    {
        let mut res = again("admin-login-rate", StatusCode::TOO_MANY_REQUESTS)?;
        crate::web::respond::too_many(&mut res, retry_after);
        return Ok(res);
    }
    // No connection is held while the password is hashed.
    let verdict = accounts::verify_password(&db, &tenant.slug, &email, &password).await?;
    let mut conn = db.tenant(&tenant.slug).await?;
    match verdict {
        Ok(admin) if admin.locked => {
            audit::record(
                &mut conn,
                Event::AdminLoginFailed,
                &actor,
                None,
                ip(&req).as_deref(),
                serde_json::json!({"why": "locked"}),
            )
            .await?;
            again("admin-login-locked", StatusCode::FORBIDDEN)
        }
        Ok(admin) => {
            accounts::password_ok(&mut conn, admin.id).await?;
            let token = sessions::create(&mut conn, Kind::Admin, admin.id, Stage::Password).await?;
            sessions::with_cookie(
                see_other(&format!("{}/totp", base(&tenant))),
                &sessions::cookie(Kind::Admin, &tenant.slug, Some(&token), https(&req)),
            )
        }
        Err(id) => {
            let locked = match id {
                Some(id) => accounts::record_failure(&mut conn, id).await?,
                None => false,
            };
            audit::record(
                &mut conn,
                Event::AdminLoginFailed,
                &actor,
                None,
                ip(&req).as_deref(),
                serde_json::json!({"why": "password", "locked": locked}),
            )
            .await?;
            if locked {
                again("admin-login-locked", StatusCode::FORBIDDEN)
            } else {
                again("admin-login-wrong", StatusCode::UNAUTHORIZED)
            }
        }
    }
}

/// A session past the password step, its admin, and a connection.
struct HalfSignedIn {
    conn: TenantConn,
    session: Session,
    admin: AdminUser,
}

/// The session that passed the password step, with its admin.
async fn half_signed_in(
    req: &HttpRequest,
    tenant: &CurrentTenant,
    db: &Db,
) -> Result<HalfSignedIn, AppError> {
    let login = || AppError::SignIn(format!("{}/login", base(tenant)));
    let token = req.cookie(Kind::Admin.cookie_name()).ok_or_else(login)?;
    let mut conn = db.tenant(&tenant.slug).await?;
    let session = sessions::load(&mut conn, Kind::Admin, token.value())
        .await?
        .filter(|s| s.stage == Stage::Password)
        .ok_or_else(login)?;
    let admin = accounts::find(&mut conn, session.principal)
        .await?
        .filter(|a| !a.locked)
        .ok_or_else(login)?;
    Ok(HalfSignedIn {
        conn,
        session,
        admin,
    })
}

async fn totp_page(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    h: &mut HalfSignedIn,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(tenant));
    ctx.insert("csrf", &h.session.csrf);
    ctx.insert("action", &format!("{}/totp", base(tenant)));
    // Not yet confirmed: show the secret to add to an authenticator app.
    if h.admin.totp_last_step.is_none() {
        let secret = accounts::pending_secret(&mut h.conn, &h.admin).await?;
        let totp = accounts::totp(&secret, &h.admin.email, &issuer(tenant))?;
        let url = totp
            .to_url()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let svg = accounts::qr_svg(&url)?;
        ctx.insert("setup", &true);
        ctx.insert(
            "qr",
            &format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(svg)
            ),
        );
        ctx.insert("secret", &totp_rs::Secret::from(secret).to_base32());
    }
    let status = if let Some(e) = error {
        ctx.insert("error", e);
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut res = html(pages.render("admin/totp.html", &ctx)?);
    *res.status_mut() = status;
    Ok(res)
}

fn issuer(tenant: &CurrentTenant) -> String {
    format!("Renkei {}", tenant.settings.name.en)
}

pub async fn totp_form(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let mut h = half_signed_in(&req, &tenant, &db).await?;
    totp_page(&req, &pages, &tenant, lang, &mut h, None).await
}

#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn totp_submit(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let p = form(&body, &[])?;
    let mut h = half_signed_in(&req, &tenant, &db).await?;
    if !sessions::csrf_ok(&h.session, p.get("csrf")) {
        return Err(AppError::Page(StatusCode::FORBIDDEN, "page-csrf"));
    }
    let admin = h.admin.clone();
    let secret = accounts::pending_secret(&mut h.conn, &admin).await?;
    let totp = accounts::totp(&secret, &admin.email, &issuer(&tenant))?;
    let actor = format!("admin:{}", admin.email);
    let code = p.get("code").unwrap_or_default();
    if !accounts::accept_code(&mut h.conn, &admin, &totp, code).await? {
        let locked = accounts::record_failure(&mut h.conn, admin.id).await?;
        audit::record(
            &mut h.conn,
            Event::AdminLoginFailed,
            &actor,
            None,
            ip(&req).as_deref(),
            serde_json::json!({"why": "totp", "locked": locked}),
        )
        .await?;
        if locked {
            sessions::end(&mut h.conn, &h.session.token_hash).await?;
            return Err(AppError::SignIn(format!("{}/login", base(&tenant))));
        }
        return totp_page(
            &req,
            &pages,
            &tenant,
            lang,
            &mut h,
            Some("admin-totp-wrong"),
        )
        .await;
    }
    // A fresh token for the signed-in session: whatever was known of the old one is worthless.
    sessions::end(&mut h.conn, &h.session.token_hash).await?;
    let token = sessions::create(&mut h.conn, Kind::Admin, admin.id, Stage::Active).await?;
    audit::record(
        &mut h.conn,
        Event::AdminLogin,
        &actor,
        None,
        ip(&req).as_deref(),
        serde_json::json!({"totp_set_up": admin.totp_last_step.is_none()}),
    )
    .await?;
    sessions::with_cookie(
        see_other(&base(&tenant)),
        &sessions::cookie(Kind::Admin, &tenant.slug, Some(&token), https(&req)),
    )
}

pub async fn logout(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let p = form(&body, &[])?;
    if let Some(token) = req.cookie(Kind::Admin.cookie_name()) {
        let mut conn = db.tenant(&tenant.slug).await?;
        if let Some(session) = sessions::load(&mut conn, Kind::Admin, token.value()).await? {
            // A logout another site posted: the session and its cookie stay.
            if !sessions::csrf_ok(&session, p.get("csrf")) {
                return Err(AppError::Page(StatusCode::FORBIDDEN, "page-csrf"));
            }
            sessions::end(&mut conn, &session.token_hash).await?;
        }
    }
    sessions::with_cookie(
        see_other(&format!("{}/login", base(&tenant))),
        &sessions::cookie(Kind::Admin, &tenant.slug, None, https(&req)),
    )
}
