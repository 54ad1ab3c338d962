//! `GET /oauth/authorize` and `POST /oauth/par` (RFC 9126).
//!
//! An unknown client or an unregistered redirect URI never redirects: the customer sees a page.
//! Every other problem goes back to the partner with `error`, `state` and `iss` (RFC 9207).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::clients::{self, Partner};
use super::error::{OAuthCode, OAuthError};
use super::flow::{self, Stage};
use super::params::Params;
use super::request::{self, AuthorizationRequest};
use crate::config::Settings;
use crate::db::{Db, TenantConn};
use crate::error::AppError;
use crate::limits::{self, Verdict};
use crate::tenancy::CurrentTenant;
use crate::web::respond::see_other;

pub const FLOW_COOKIE: &str = "renkei_flow";

/// 303 to the partner with the error, the request's state and our issuer.
pub fn error_redirect(
    redirect_uri: &str,
    state: Option<&str>,
    iss: &str,
    code: OAuthCode,
    description: &str,
) -> HttpResponse {
    let mut params = vec![("error", code.as_str()), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", iss));
    see_other(&request::redirect_to(redirect_uri, &params))
}

fn page(key: &'static str) -> AppError {
    AppError::Page(StatusCode::BAD_REQUEST, key)
}

async fn active_partner(
    conn: &mut TenantConn,
    client_id: Option<&str>,
) -> Result<Partner, AppError> {
    let client_id = client_id.ok_or(page("oauth-unknown-client"))?;
    match clients::find(conn.statements(), client_id).await? {
        Some(p) if p.active => Ok(p),
        _ => Err(page("oauth-unknown-client")),
    }
}

#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn authorize(
    req: HttpRequest,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    // Repeated or malformed parameters: we cannot tell which redirect URI is meant.
    let p = Params::parse_marking_nul(req.query_string().as_bytes(), &[])
        .map_err(|_| page("oauth-bad-request"))?;
    // A NUL character where the partner or its redirect URI is named: nowhere to send an error.
    match p.nul() {
        Some("client_id") => return Err(page("oauth-unknown-client")),
        Some("redirect_uri") => return Err(page("oauth-bad-redirect")),
        _ => {}
    }
    let mut conn = db.tenant(&tenant.slug).await?;
    let partner = active_partner(&mut conn, p.get("client_id")).await?;
    let iss = settings.issuer(&tenant.slug);
    // Anywhere else, the partner hears of it (without the broken value).
    if let Some(key) = p.nul()
        && let Some(redirect_uri) = p
            .get("redirect_uri")
            .filter(|r| partner.has_redirect_uri(r))
    {
        return Ok(error_redirect(
            redirect_uri,
            p.get("state"),
            &iss,
            OAuthCode::InvalidRequest,
            &super::params::ParamError::Nul(key.to_owned()).to_string(),
        ));
    }

    let request: AuthorizationRequest = if let Some(request_uri) = p.get("request_uri") {
        // A pushed request was stored by an authenticated partner: taking it stores no more.
        flow::take_par(&mut conn, request_uri, partner.id)
            .await?
            .ok_or(page("oauth-request-expired"))?
    } else {
        let redirect_uri = p.get("redirect_uri").ok_or(page("oauth-bad-redirect"))?;
        if !partner.has_redirect_uri(redirect_uri) {
            return Err(page("oauth-bad-redirect"));
        }
        let state = p.get("state");
        if partner.par_required {
            return Ok(error_redirect(
                redirect_uri,
                state,
                &iss,
                OAuthCode::InvalidRequest,
                "this client must use pushed authorization requests",
            ));
        }
        let request = match request::validate(&p, &partner, redirect_uri) {
            Ok(r) => r,
            Err(refusal) => {
                return Ok(error_redirect(
                    redirect_uri,
                    state,
                    &iss,
                    refusal.code,
                    refusal.description,
                ));
            }
        };
        // Anyone can send a public client's request: each stores a pending row, so an address
        // gets a bounded number of them, for all tenants together.
        if let Some(ip) = crate::web::peer_ip(&req)
            && let Verdict::Limited { retry_after } = limits::from_address(
                conn.statements(),
                "authorize",
                &ip,
                settings.limits.authorize_per_ip,
            )
            .await?
        {
            return Ok(error_redirect(
                redirect_uri,
                state,
                &iss,
                OAuthCode::TemporarilyUnavailable,
                &format!(
                    "too many authorization requests from this address; try again in {retry_after} seconds"
                ),
            ));
        }
        request
    };
    let handle = flow::create(&mut conn, partner.id, &request, Stage::Login).await?;
    with_flow_cookie(
        see_other(&format!("/t/{}/oauth/login", tenant.slug)),
        &req,
        &tenant,
        &handle,
    )
}

/// The flow cookie that carries `handle` (or, with `None`, removes it): scoped to the tenant's
/// OAuth paths, so two institutions' flows in one browser never meet, and `Secure` when the
/// request came over HTTPS.
pub fn flow_cookie(
    req: &HttpRequest,
    tenant: &CurrentTenant,
    handle: Option<&str>,
) -> Cookie<'static> {
    let mut cookie = Cookie::build(FLOW_COOKIE, handle.unwrap_or_default().to_owned())
        .path(format!("/t/{}/oauth", tenant.slug))
        .http_only(true)
        .secure(crate::web::is_https(req))
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            flow::BROWSER_TTL_SECS,
        ))
        .finish();
    if handle.is_none() {
        cookie.make_removal();
    }
    cookie
}

/// `res` with the flow cookie that carries `handle`.
pub fn with_flow_cookie(
    mut res: HttpResponse,
    req: &HttpRequest,
    tenant: &CurrentTenant,
    handle: &str,
) -> Result<HttpResponse, AppError> {
    res.add_cookie(&flow_cookie(req, tenant, Some(handle)))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}

/// RFC 9126: the partner pushes the request from its server and gets a one-time `request_uri`.
#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn par(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    certs: web::Data<crate::certs::ClientCertificates>,
) -> Result<HttpResponse, OAuthError> {
    let super::endpoints::Request {
        form: p,
        conn,
        partner,
        ..
    } = super::endpoints::authenticated(&req, &body, &tenant, &db, &certs).await?;
    let mut conn = conn.pin().await?;
    if p.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri must not be pushed",
        ));
    }
    let redirect_uri = p
        .get("redirect_uri")
        .filter(|r| partner.has_redirect_uri(r))
        .ok_or_else(|| OAuthError::invalid_request("redirect_uri is missing or not registered"))?;
    let request = request::validate(&p, &partner, redirect_uri)
        .map_err(|r| OAuthError::new(r.code, r.description))?;
    let handle = flow::create(&mut conn, partner.id, &request, Stage::Par).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({
            "request_uri": format!("{}{handle}", flow::PAR_PREFIX),
            "expires_in": flow::PAR_TTL_SECS,
        })))
}
