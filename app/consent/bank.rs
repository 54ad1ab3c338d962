//! インターネットバンキングのIDでログイン: the sign-in at the bank's own OpenID provider, from the
//! consent flow's sign-in page (`POST …/oauth/login/bank`) and from `/my`'s (`POST
//! …/my/login/bank`), back at `GET /t/<slug>/login/oidc/callback`. The protocol is `oidc/`'s;
//! here are the browser's cookies, the pages and the counts.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;

use super::pages::{bad_form, check_csrf, current, expired, ip};
use crate::audit::{self, Event};
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::keys::Keyring;
use crate::limits::{self, Verdict};
use crate::oauth::authorize::with_flow_cookie;
use crate::oauth::flow;
use crate::oauth::params::Params;
use crate::oidc::{self, Failure, Why};
use crate::sessions::{self, Kind};
use crate::tenancy::CurrentTenant;
use crate::tenancy::settings::BankOidc;
use crate::web::is_https;
use crate::web::respond::see_other;

/// Carries the sign-in's `state` to the callback: the answer is this browser's only if its
/// cookie holds the same (a sign-in started by someone else cannot be finished here).
const STATE_COOKIE: &str = "renkei_oidc";

fn oidc_of(tenant: &CurrentTenant) -> Result<&BankOidc, AppError> {
    tenant.settings.bank.oidc.as_ref().ok_or(AppError::NotFound)
}

fn state_cookie(req: &HttpRequest, tenant: &CurrentTenant, state: Option<&str>) -> Cookie<'static> {
    let mut cookie = Cookie::build(STATE_COOKIE, state.unwrap_or_default().to_owned())
        .path(format!("/t/{}/login/oidc", tenant.slug))
        .http_only(true)
        .secure(is_https(req))
        // The provider sends the browser back with a top-level GET from its own site.
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            oidc::PENDING_TTL_SECS,
        ))
        .finish();
    if state.is_none() {
        cookie.make_removal();
    }
    cookie
}

/// The page of a sign-in the bank's side refused: its status, the locale key of its page.
fn page_of(why: Why) -> (StatusCode, &'static str) {
    match why {
        Why::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "oidc-unavailable"),
        Why::State => (StatusCode::BAD_REQUEST, "oidc-state"),
        Why::Provider | Why::Issuer | Why::Token | Why::AuthTime => {
            (StatusCode::BAD_REQUEST, "oidc-refused")
        }
        Why::Acr => (StatusCode::FORBIDDEN, "oidc-acr"),
        Why::Unknown => (StatusCode::FORBIDDEN, "oidc-unknown"),
        Why::Locked => (StatusCode::FORBIDDEN, "oidc-locked"),
        Why::Cancelled => (StatusCode::BAD_REQUEST, "oidc-cancelled"),
    }
}

/// The refusal's page, counted and logged (never with the code, token or state).
fn refused(tenant: &CurrentTenant, f: &Failure) -> HttpResponse {
    oidc::count(tenant.slug.as_str(), f.why.as_str());
    tracing::warn!(tenant = %tenant.slug, why = f.why.as_str(), detail = %f.detail, "bank sign-in refused");
    let (status, key) = page_of(f.why);
    let mut res = actix_web::ResponseError::error_response(&AppError::Page(status, key));
    if f.why == Why::Unavailable {
        res.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static("30"),
        );
    }
    res
}

/// The 429 page when this address made too many sign-ins lately (`limits.login_per_ip`):
/// `sign_in` counts the answers coming back, as password sign-ins are counted, `bank_sign_in`
/// the sign-ins started (each one a row until it is used or expires).
async fn limited(
    req: &HttpRequest,
    tenant: &CurrentTenant,
    db: &Db,
    settings: &Settings,
    what: &str,
) -> Result<Option<HttpResponse>, AppError> {
    let Some(ip) = ip(req) else {
        return Ok(None);
    };
    let mut conn = db.tenant(&tenant.slug).await?;
    let limit = settings.limits.login_per_ip;
    let Verdict::Limited { retry_after } =
        limits::from_address(conn.statements(), what, &ip, limit).await?
    else {
        return Ok(None);
    };
    let page = AppError::Page(StatusCode::TOO_MANY_REQUESTS, "oidc-rate");
    let mut res = actix_web::ResponseError::error_response(&page);
    crate::web::respond::too_many(&mut res, retry_after);
    Ok(Some(res))
}

/// 303 to the bank's provider, with the state cookie.
async fn send_to_bank(
    req: &HttpRequest,
    tenant: &CurrentTenant,
    db: &Db,
    settings: &Settings,
    lang: Lang,
    oidc: &BankOidc,
    flow_handle_hash: Option<Vec<u8>>,
) -> Result<HttpResponse, AppError> {
    if let Some(res) = limited(req, tenant, db, settings, "bank_sign_in").await? {
        return Ok(res);
    }
    let issuer = settings.issuer(&tenant.slug);
    match oidc::start(db, tenant, oidc, &issuer, flow_handle_hash, lang).await? {
        Ok(started) => sessions::with_cookie(
            see_other(&started.url),
            &state_cookie(req, tenant, Some(&started.state)),
        ),
        Err(f) => Ok(refused(tenant, &f)),
    }
}

/// `POST /t/<slug>/oauth/login/bank`: from the consent flow's sign-in page.
pub async fn from_flow(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let oidc = oidc_of(&tenant)?;
    let p = Params::parse(&body, &[]).map_err(|_| bad_form())?;
    let c = current(&req, &tenant, &db).await?;
    check_csrf(&p, &c.pending)?;
    let handle = Some(c.pending.handle_hash.clone());
    send_to_bank(&req, &tenant, &db, &settings, lang, oidc, handle).await
}

/// `POST /t/<slug>/my/login/bank`: from `/my`'s sign-in page.
pub async fn from_my(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let oidc = oidc_of(&tenant)?;
    let p = Params::parse(&body, &[]).map_err(|_| bad_form())?;
    if !sessions::login_csrf_ok(&req, Kind::Customer, p.get("csrf")) {
        return Err(AppError::Page(StatusCode::FORBIDDEN, "page-csrf"));
    }
    send_to_bank(&req, &tenant, &db, &settings, lang, oidc, None).await
}

/// `GET /t/<slug>/login/oidc/callback`: the provider's answer.
#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn callback(
    req: HttpRequest,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    keyring: web::Data<Keyring>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let oidc = oidc_of(&tenant)?;
    let from = ip(&req);
    if let Some(res) = limited(&req, &tenant, &db, &settings, "sign_in").await? {
        return Ok(res);
    }
    // A repeated key (two `state`s, say) is refused as a whole.
    let p = Params::parse(req.query_string().as_bytes(), &[]).map_err(|_| bad_form())?;
    let browser = req.cookie(STATE_COOKIE);
    let issuer = settings.issuer(&tenant.slug);
    let cx = oidc::Context {
        db: &db,
        keyring: &keyring,
        tenant: &tenant,
        oidc,
        issuer: &issuer,
        retire_after: settings.keys.retire_after(),
        now: Utc::now(),
    };
    let callback = oidc::Callback {
        state: p.get("state"),
        code: p.get("code"),
        iss: p.get("iss"),
        error: p.get("error"),
        browser_state: browser.as_ref().map(Cookie::value),
    };
    let finished = oidc::finish(&cx, callback).await?;
    let mut conn = db.tenant(&tenant.slug).await?;
    let mut res = match finished {
        Err(f) => {
            let detail = serde_json::json!({"method": "oidc", "why": f.why.as_str()});
            audit::record(
                &mut conn,
                Event::LoginFailed,
                "customer:-",
                None,
                from.as_deref(),
                detail,
            )
            .await?;
            refused(&tenant, &f)
        }
        Ok(done) => {
            oidc::count(tenant.slug.as_str(), "ok");
            match done.flow_handle_hash {
                Some(handle_hash) => {
                    let handle = flow::logged_in(&mut conn, &handle_hash, done.customer.0)
                        .await?
                        .ok_or_else(expired)?;
                    let detail = serde_json::json!({"method": "oidc", "bank_id": done.bank_id});
                    audit::record(
                        &mut conn,
                        Event::LoginOk,
                        &format!("customer:{}", done.customer.0),
                        None,
                        from.as_deref(),
                        detail,
                    )
                    .await?;
                    let to = format!("/t/{}/oauth/consent", tenant.slug);
                    with_flow_cookie(see_other(&to), &req, &tenant, &handle)?
                }
                None => crate::my::start(&req, &mut conn, &tenant, done.customer, "oidc").await?,
            }
        }
    };
    res.add_cookie(&state_cookie(&req, &tenant, None))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}
