//! The flow's sign-in page: お客様ID and ログインパスワード, with the way to 電子証明書認証 and
//! キャンセル. A sign-in moves the flow to a new handle ([`flow::logged_in`]).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::pages::{Current, bad_form, cancel, check_csrf, current, expired, ip};
use super::signin::{self, SignIn};
use super::signin_page::SignInPage;
use crate::audit::{self, Event};
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::oauth::authorize::with_flow_cookie;
use crate::oauth::flow;
use crate::oauth::params::Params;
use crate::tenancy::CurrentTenant;
use crate::web::respond::see_other;

use crate::i18n::Lang;
use crate::web::Pages;

struct LoginView<'a> {
    error: Option<&'static str>,
    login_id: &'a str,
    status: StatusCode,
}

fn render_login(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    c: &Current,
    v: LoginView<'_>,
) -> Result<HttpResponse, AppError> {
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(tenant));
    ctx.insert("partner_name", c.partner.name(lang));
    SignInPage {
        template: "login.html",
        action: format!("/t/{}/oauth/login", tenant.slug),
        csrf: &c.pending.csrf,
        login_id: v.login_id,
        certificate_url: format!("/t/{}/oauth/certificate", tenant.slug),
        bank_action: format!("/t/{}/oauth/login/bank", tenant.slug),
        error: v.error,
        status: v.status,
    }
    .render(pages, tenant, ctx)
}

pub async fn login_form(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let c = current(&req, &tenant, &db).await?;
    render_login(
        &req,
        &pages,
        &tenant,
        lang,
        &c,
        LoginView {
            error: None,
            login_id: "",
            status: StatusCode::OK,
        },
    )
}

/// A login form as it arrives: cancelled (the answer is ready), or to go on with.
pub(super) enum Posted {
    Cancelled(HttpResponse),
    Go(Params, Box<Current>),
}

/// What every login form starts with: the form, the browser's request, the CSRF check, and
/// キャンセル.
pub(super) async fn posted(
    req: &HttpRequest,
    body: &[u8],
    tenant: &CurrentTenant,
    db: &Db,
    settings: &Settings,
) -> Result<Posted, AppError> {
    // A NUL character in what was typed is the sign-in form's to explain (see `login_submit`).
    let p = Params::parse_marking_nul(body, &[]).map_err(|_| bad_form())?;
    let c = current(req, tenant, db).await?;
    check_csrf(&p, &c.pending)?;
    if p.get("action") == Some("cancel") {
        return Ok(Posted::Cancelled(
            cancel(&c, tenant, db, settings, req).await?,
        ));
    }
    Ok(Posted::Go(p, Box::new(c)))
}

#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn login_submit(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let (p, c) = match posted(&req, &body, &tenant, &db, &settings).await? {
        Posted::Cancelled(res) => return Ok(res),
        Posted::Go(p, c) => (p, *c),
    };
    if !tenant.settings.bank.password_form() {
        return Err(AppError::Page(StatusCode::FORBIDDEN, "oidc-password-off"));
    }
    let login_id = p.get("login_id").unwrap_or_default().trim().to_owned();
    let password = p.get("password").unwrap_or_default().to_owned();
    let again = |c: &Current, error, status| {
        render_login(
            &req,
            &pages,
            &tenant,
            lang,
            c,
            LoginView {
                error: Some(error),
                login_id: &login_id,
                status,
            },
        )
    };
    if p.nul().is_some() {
        return again(&c, "login-error-characters", StatusCode::BAD_REQUEST);
    }
    let from = ip(&req);
    let attempt = signin::Attempt {
        login_id: &login_id,
        password: &password,
        ip: from.as_deref(),
        context: serde_json::json!({"partner": c.partner.client_id}),
    };
    match signin::password(&db, &tenant, &settings.limits, attempt).await? {
        SignIn::Verified(customer) => {
            let mut conn = db.tenant(&tenant.slug).await?;
            let handle = flow::logged_in(&mut conn, &c.pending.handle_hash, customer.0)
                .await?
                .ok_or_else(expired)?;
            audit::record(
                &mut conn,
                Event::LoginOk,
                &format!("customer:{login_id}"),
                None,
                from.as_deref(),
                serde_json::json!({"partner": c.partner.client_id}),
            )
            .await?;
            with_flow_cookie(
                see_other(&format!("/t/{}/oauth/consent", tenant.slug)),
                &req,
                &tenant,
                &handle,
            )
        }
        SignIn::Refused {
            error,
            status,
            retry_after,
        } => {
            let mut res = again(&c, error, status)?;
            if let Some(secs) = retry_after {
                crate::web::respond::too_many(&mut res, secs);
            }
            Ok(res)
        }
    }
}
