//! The consent page (アクセス許可), and what the flow's pages share: the request this browser is
//! in, its CSRF check and キャンセル. Handlers are thin: the flow, grants and tokens live beside.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::approve;
use crate::audit::{self, Event};
use crate::bank::{Account, AccountId, CoreBanking, CustomerId};
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::oauth::authorize::{FLOW_COOKIE, error_redirect, flow_cookie};
use crate::oauth::clients::{self, Partner};
use crate::oauth::error::OAuthCode;
use crate::oauth::flow::{self, Pending, Stage};
use crate::oauth::params::Params;
use crate::oauth::request::redirect_to;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;
use crate::web::respond::{html, see_other};

/// The request this browser is in the middle of, with its partner. It holds no connection:
/// the bank's seams take their own.
pub(super) struct Current {
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
    Ok(Current { pending, partner })
}

pub(super) fn check_csrf(p: &Params, pending: &Pending) -> Result<(), AppError> {
    let sent = p.get("csrf").unwrap_or_default();
    if sent.len() == pending.csrf.len()
        && openssl::memcmp::eq(sent.as_bytes(), pending.csrf.as_bytes())
    {
        Ok(())
    } else {
        Err(AppError::Page(StatusCode::FORBIDDEN, "csrf"))
    }
}

pub(super) fn bad_form() -> AppError {
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
pub(super) async fn cancel(
    c: &Current,
    tenant: &CurrentTenant,
    db: &Db,
    settings: &Settings,
    req: &HttpRequest,
) -> Result<HttpResponse, AppError> {
    let mut conn = db.tenant(&tenant.slug).await?;
    flow::finish(&mut conn, &c.pending.handle_hash).await?;
    audit::record(
        &mut conn,
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

/// The page for the accounts the customer holds (`accounts`).
fn render_consent(
    req: &HttpRequest,
    pages: &Pages,
    tenant: &CurrentTenant,
    lang: Lang,
    c: &Current,
    accounts: &[Account],
    v: ConsentView<'_>,
) -> Result<HttpResponse, AppError> {
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(tenant));
    let terms = &tenant.settings.terms;
    let terms_name = match lang {
        Lang::Ja => &terms.name.ja,
        Lang::En => &terms.name.en,
    };
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
    ctx.insert(
        "expiry_date",
        &approve::expiry_shown(&tenant.settings, chrono::Utc::now(), lang),
    );
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
    let c = current(&req, &tenant, &db).await?;
    if c.pending.stage != Stage::Consent {
        return Ok(see_other(&format!("/t/{}/oauth/login", tenant.slug)));
    }
    let accounts = tenant
        .core
        .accounts(&db, &tenant.slug, customer(&c)?)
        .await?;
    render_consent(
        &req,
        &pages,
        &tenant,
        lang,
        &c,
        &accounts,
        ConsentView {
            error: None,
            chosen: None,
            agreed: false,
        },
    )
}

/// The customer signed in to this request.
fn customer(c: &Current) -> Result<CustomerId, AppError> {
    Ok(CustomerId(c.pending.customer_id.ok_or_else(expired)?))
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
    let c = current(&req, &tenant, &db).await?;
    check_csrf(&p, &c.pending)?;
    if c.pending.stage != Stage::Consent {
        return Err(expired());
    }
    if p.get("action") == Some("cancel") {
        return cancel(&c, &tenant, &db, &settings, &req).await;
    }
    let chosen = p.all("accounts");
    let customer = customer(&c)?;
    let owned = tenant.core.accounts(&db, &tenant.slug, customer).await?;
    let accounts: Vec<AccountId> = owned
        .iter()
        .filter(|a| chosen.iter().any(|x| x == a.account_id.as_str()))
        .map(|a| a.account_id.clone())
        .collect();
    // The terms box first, then the accounts: the page comes back with one clear message.
    let agreed = p.get("agree") == Some("yes");
    let refusal = if !agreed {
        let terms = &tenant.settings.terms.name;
        let terms_name = match lang {
            Lang::Ja => &terms.ja,
            Lang::En => &terms.en,
        };
        Some(crate::i18n::t_args(
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
            &c,
            &owned,
            ConsentView {
                error: Some(error),
                chosen: Some(chosen),
                agreed,
            },
        );
    }
    let from = ip(&req);
    let approval = approve::Approval {
        pending: &c.pending,
        partner: &c.partner,
        customer,
        accounts: &accounts,
        settings: &tenant.settings,
        lang,
        ip: from.as_deref(),
        at: chrono::Utc::now(),
    };
    let code = approve::approve(&mut db.tenant(&tenant.slug).await?, approval)
        .await?
        .ok_or_else(expired)?;
    let iss = settings.issuer(&tenant.slug);
    let mut res = see_other(&redirect_to(
        &c.pending.request.redirect_uri,
        &[
            ("code", &code),
            ("state", &c.pending.request.state),
            ("iss", &iss),
        ],
    ));
    clear_cookie(&mut res, &req, &tenant);
    Ok(res)
}
