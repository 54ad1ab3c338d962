//! The consent page (アクセス許可), and what the flow's pages share: the request this browser is
//! in, its CSRF check and キャンセル. Handlers are thin: the flow, grants and tokens live beside.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::Serialize;

use crate::audit::{self, Event};
use crate::bank::CoreBanking;
use crate::bank::{AccountId, CustomerId};
use crate::config::Settings;
use crate::db::{Db, TenantConn};
use crate::error::AppError;
use crate::format::{jst_date, long_date};
use crate::grants;
use crate::i18n::Lang;
use crate::oauth::authorize::{FLOW_COOKIE, error_redirect, flow_cookie};
use crate::oauth::clients::{self, Partner};
use crate::oauth::error::OAuthCode;
use crate::oauth::flow::{self, Pending, Stage};
use crate::oauth::params::Params;
use crate::oauth::request::redirect_to;
use crate::oauth::tokens;
use crate::tenancy::CurrentTenant;
use crate::web::Pages;
use crate::web::respond::{html, see_other};

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
    let accounts = tenant.core.accounts(&mut c.conn, customer).await?;
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
    let owned = tenant.core.accounts(&mut c.conn, customer).await?;
    let accounts: Vec<AccountId> = owned
        .iter()
        .filter(|a| chosen.iter().any(|x| x == a.account_id.as_str()))
        .map(|a| a.account_id.clone())
        .collect();
    // The terms box first, then the accounts: the page comes back with one clear message.
    let agreed = p.get("agree") == Some("yes");
    let refusal = if !agreed {
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
                    at: chrono::Utc::now(),
                },
            )
            .await?;
            let code = tokens::issue_code(
                conn,
                created.id,
                &pending.request.redirect_uri,
                &pending.request.code_challenge,
                created.created_at,
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
