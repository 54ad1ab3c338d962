//! Login and consent pages. Handlers are thin: the flow, lockout, grants and tokens live beside.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::Serialize;

use super::flow::{self, Pending, Stage};
use super::grants;
use super::signin::{self, SignIn};
use crate::audit::{self, Event};
use crate::bank::CoreBanking;
use crate::config::Settings;
use crate::db::{Db, TenantConn};
use crate::error::AppError;
use crate::oauth::authorize::{
    FLOW_COOKIE, error_redirect, flow_cookie, see_other, with_flow_cookie,
};
use crate::oauth::clients::{self, Partner};
use crate::oauth::error::OAuthCode;
use crate::oauth::params::Params;
use crate::oauth::request::redirect_to;
use crate::oauth::tokens;
use crate::sandbox::{AccountId, CustomerId, Sandbox};
use crate::tenancy::CurrentTenant;
use crate::tenancy::pages::html;
use crate::web::format::{jst_date, long_date};
use crate::web::limits;
use crate::web::{Lang, Pages};

/// The request this browser is in the middle of, with its partner.
pub(super) struct Current {
    pub(super) conn: TenantConn,
    pub(super) pending: Pending,
    pub(super) partner: Partner,
}

pub(super) fn expired() -> AppError {
    AppError::Page(StatusCode::BAD_REQUEST, "flow-expired")
}

pub(super) async fn current(
    req: &HttpRequest,
    tenant: &CurrentTenant,
    db: &Db,
) -> Result<Current, AppError> {
    let handle = req.cookie(FLOW_COOKIE).ok_or_else(expired)?;
    let mut conn = db.tenant(&tenant.slug).await?;
    let pending = flow::load(&mut conn, handle.value())
        .await?
        .ok_or_else(expired)?;
    let partner = clients::find_by_id(&mut conn, pending.partner_id).await?;
    if !partner.active {
        return Err(AppError::Page(
            StatusCode::BAD_REQUEST,
            "oauth-unknown-client",
        ));
    }
    Ok(Current {
        conn,
        pending,
        partner,
    })
}

fn check_csrf(p: &Params, pending: &Pending) -> Result<(), AppError> {
    let sent = p.get("csrf").unwrap_or_default();
    if sent.len() == pending.csrf.len()
        && openssl::memcmp::eq(sent.as_bytes(), pending.csrf.as_bytes())
    {
        Ok(())
    } else {
        Err(AppError::Page(StatusCode::FORBIDDEN, "csrf"))
    }
}

fn bad_form() -> AppError {
    AppError::Page(StatusCode::BAD_REQUEST, "oauth-bad-request")
}

fn form(body: &[u8]) -> Result<Params, AppError> {
    Params::parse(body, &["accounts"]).map_err(|_| bad_form())
}

pub(super) use crate::web::peer_ip as ip;

/// The flow cookie, expired: the request is over.
fn clear_cookie(res: &mut HttpResponse, req: &HttpRequest, tenant: &CurrentTenant) {
    let _ = res.add_cookie(&flow_cookie(req, tenant, None));
}

/// キャンセル: back to the partner with `access_denied`.
async fn cancel(
    c: &mut Current,
    tenant: &CurrentTenant,
    settings: &Settings,
    req: &HttpRequest,
) -> Result<HttpResponse, AppError> {
    flow::finish(&mut c.conn, &c.pending.handle_hash).await?;
    audit::record(
        &mut c.conn,
        Event::ConsentDenied,
        &format!("partner:{}", c.partner.client_id),
        None,
        ip(req).as_deref(),
        serde_json::json!({"stage": if c.pending.stage == Stage::Login { "login" } else { "consent" }}),
    )
    .await?;
    let mut res = error_redirect(
        &c.pending.request.redirect_uri,
        Some(&c.pending.request.state),
        &settings.issuer(&tenant.slug),
        OAuthCode::AccessDenied,
        "the customer cancelled",
    );
    clear_cookie(&mut res, req, tenant);
    Ok(res)
}

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
    ctx.insert("csrf", &c.pending.csrf);
    ctx.insert("action", &format!("/t/{}/oauth/login", tenant.slug));
    ctx.insert("login_id", v.login_id);
    ctx.insert("password_help_url", &tenant.settings.password_help_url);
    ctx.insert(
        "certificate_url",
        &format!("/t/{}/oauth/certificate", tenant.slug),
    );
    if let Some(error) = v.error {
        ctx.insert("error", error);
    }
    let mut res = html(pages.render("login.html", &ctx)?);
    *res.status_mut() = v.status;
    Ok(res)
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
    let mut c = current(req, tenant, db).await?;
    check_csrf(&p, &c.pending)?;
    if p.get("action") == Some("cancel") {
        return Ok(Posted::Cancelled(
            cancel(&mut c, tenant, settings, req).await?,
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
    let threshold = tenant.settings.lockout_threshold;
    // The flow's connection goes back to the pool while the sign-in waits for its turn and the
    // password is hashed.
    let Current {
        conn,
        pending,
        partner,
    } = c;
    drop(conn);
    let verdict = signin::password(&db, &tenant.slug, &settings.limits, threshold, attempt).await?;
    let mut c = Current {
        conn: db.tenant(&tenant.slug).await?,
        pending,
        partner,
    };
    match verdict {
        SignIn::Verified(customer) => {
            let handle = flow::logged_in(&mut c.conn, &c.pending.handle_hash, customer.0)
                .await?
                .ok_or_else(expired)?;
            audit::record(
                &mut c.conn,
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
                limits::too_many(&mut res, secs);
            }
            Ok(res)
        }
    }
}

#[derive(Serialize)]
struct Operation {
    label: String,
    help: String,
}

#[derive(Serialize)]
struct AccountChoice {
    id: String,
    label: String,
    checked: bool,
}

struct ConsentView<'a> {
    error: Option<String>,
    /// `None`: every account ticked (the first showing).
    chosen: Option<&'a [String]>,
    /// The terms box as the customer left it.
    agreed: bool,
}

async fn render_consent(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    c: &mut Current,
    v: ConsentView<'_>,
) -> Result<HttpResponse, AppError> {
    let customer = CustomerId(c.pending.customer_id.ok_or_else(expired)?);
    let accounts = Sandbox.accounts(&mut c.conn, customer).await?;
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(tenant));
    let terms = &tenant.settings.terms;
    let terms_name = match lang {
        Lang::Ja => &terms.name.ja,
        Lang::En => &terms.name.en,
    };
    let expires = grants::expiry(chrono::Utc::now(), tenant.settings.grant_days);
    ctx.insert("partner_name", c.partner.name(lang));
    ctx.insert("csrf", &c.pending.csrf);
    ctx.insert("action", &format!("/t/{}/oauth/consent", tenant.slug));
    ctx.insert(
        "operations",
        &c.pending
            .request
            .scopes
            .iter()
            .map(|s| Operation {
                label: lang.t(s.label_key()),
                help: lang.t(&format!("{}-help", s.label_key())),
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "accounts",
        &accounts
            .iter()
            .map(|a| AccountChoice {
                id: a.account_id.to_string(),
                label: a.label(lang),
                checked: v
                    .chosen
                    .is_none_or(|chosen| chosen.iter().any(|x| x == a.account_id.as_str())),
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert("grant_days", &tenant.settings.grant_days);
    ctx.insert("expiry_date", &long_date(jst_date(expires), lang));
    ctx.insert("terms_name", terms_name);
    ctx.insert("terms_url", &terms.url);
    ctx.insert("agreed", &v.agreed);
    let status = if v.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    if let Some(error) = v.error {
        ctx.insert("error", &error);
    }
    let mut res = html(pages.render("consent.html", &ctx)?);
    *res.status_mut() = status;
    Ok(res)
}

pub async fn consent_form(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let mut c = current(&req, &tenant, &db).await?;
    if c.pending.stage != Stage::Consent {
        return Ok(see_other(&format!("/t/{}/oauth/login", tenant.slug)));
    }
    render_consent(
        &req,
        &pages,
        &tenant,
        lang,
        &mut c,
        ConsentView {
            error: None,
            chosen: None,
            agreed: false,
        },
    )
    .await
}

#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn consent_submit(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let p = form(&body)?;
    let mut c = current(&req, &tenant, &db).await?;
    check_csrf(&p, &c.pending)?;
    if c.pending.stage != Stage::Consent {
        return Err(expired());
    }
    if p.get("action") == Some("cancel") {
        return cancel(&mut c, &tenant, &settings, &req).await;
    }
    let chosen = p.all("accounts");
    let terms_name = match lang {
        Lang::Ja => &tenant.settings.terms.name.ja,
        Lang::En => &tenant.settings.terms.name.en,
    };
    let customer = CustomerId(c.pending.customer_id.ok_or_else(expired)?);
    let owned = Sandbox.accounts(&mut c.conn, customer).await?;
    let accounts: Vec<AccountId> = owned
        .iter()
        .filter(|a| chosen.iter().any(|x| x == a.account_id.as_str()))
        .map(|a| a.account_id.clone())
        .collect();
    // The terms box first, then the accounts: the page comes back with one clear message.
    let agreed = p.get("agree") == Some("yes");
    let refusal = if !agreed {
        Some(crate::web::i18n::t_args(
            lang,
            "consent-error-agree",
            &[("terms", terms_name)],
        ))
    } else if accounts.is_empty() {
        Some(lang.t("consent-error-accounts"))
    } else {
        None
    };
    if let Some(error) = refusal {
        return render_consent(
            &req,
            &pages,
            &tenant,
            lang,
            &mut c,
            ConsentView {
                error: Some(error),
                chosen: Some(chosen),
                agreed,
            },
        )
        .await;
    }

    let pending = c.pending.clone();
    let partner = c.partner.clone();
    let terms = &tenant.settings.terms;
    let operations: Vec<String> = pending
        .request
        .scopes
        .iter()
        .map(|s| lang.t(s.label_key()))
        .collect();
    let receipt = grants::receipt(&grants::Shown {
        lang: lang.code(),
        partner: partner.name(lang),
        operations: &operations,
        accounts: &accounts,
        expiry_date: &long_date(
            jst_date(grants::expiry(
                chrono::Utc::now(),
                tenant.settings.grant_days,
            )),
            lang,
        ),
        terms_name,
        terms_url: &terms.url,
        terms_version: &terms.version,
    });
    let terms_version = tenant.settings.terms.version.clone();
    let grant_days = tenant.settings.grant_days;
    let notice_days = tenant.settings.notice_days.clone();
    let link_notice = tenant.settings.mail.link_notice;
    let from = ip(&req);
    let code = c
        .conn
        .transaction::<_, AppError, _>(async |conn| {
            // Consumed first: a double submit finds nothing and stores nothing.
            if !flow::finish(conn, &pending.handle_hash).await? {
                return Err(expired());
            }
            let created = grants::create(
                conn,
                grants::NewGrant {
                    customer: customer.0,
                    partner: partner.id,
                    scopes: &pending.request.scopes,
                    accounts: &accounts,
                    terms_version: &terms_version,
                    grant_days,
                    notice_days: &notice_days,
                    link_notice,
                    consent_text_hash: Some(receipt),
                },
            )
            .await?;
            let code = tokens::issue_code(
                conn,
                created.id,
                &pending.request.redirect_uri,
                &pending.request.code_challenge,
            )
            .await?;
            let actor = format!("customer:{}", customer.0);
            if let Some(old) = created.replaced {
                audit::record(
                    conn,
                    Event::GrantReplaced,
                    &actor,
                    Some(&old.to_string()),
                    from.as_deref(),
                    serde_json::json!({"by": created.id}),
                )
                .await?;
            }
            audit::record(
                conn,
                Event::ConsentGranted,
                &actor,
                Some(&created.id.to_string()),
                from.as_deref(),
                serde_json::json!({
                    "partner": partner.client_id,
                    "scopes": pending.request.scopes.to_vec(),
                    "accounts": accounts.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                    "expires_at": created.expires_at,
                    "terms_version": terms_version,
                }),
            )
            .await?;
            Ok(code)
        })
        .await?;
    let iss = settings.issuer(&tenant.slug);
    let mut res = see_other(&redirect_to(
        &pending.request.redirect_uri,
        &[
            ("code", &code),
            ("state", &pending.request.state),
            ("iss", &iss),
        ],
    ));
    clear_cookie(&mut res, &req, &tenant);
    Ok(res)
}
