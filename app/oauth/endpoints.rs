//! The partner-facing endpoints: token (RFC 6749), revocation (RFC 7009), introspection
//! (RFC 7662) and metadata (RFC 8414). Each answers JSON, never cached.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::clients::{self, AuthMethod, Partner};
use super::error::{OAuthCode, OAuthError};
use super::params::Params;
use super::scopes::{Scope, Scopes};
use super::tokens::{self, CodeExchange};
use crate::config::Settings;
use crate::db::{Db, TenantConn};
use crate::tenancy::CurrentTenant;

fn no_store(body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

fn form(body: &[u8]) -> Result<Params, OAuthError> {
    Params::parse(body, &[]).map_err(|e| OAuthError::invalid_request(e.to_string()))
}

/// The form, a connection to the tenant, and the partner that authenticated: what every
/// client-authenticated endpoint starts with.
pub(super) async fn authenticated(
    req: &HttpRequest,
    body: &[u8],
    tenant: &CurrentTenant,
    db: &Db,
) -> Result<(Params, TenantConn, Partner), OAuthError> {
    let p = form(body)?;
    let mut conn = db.tenant(&tenant.slug).await?;
    let partner = clients::authenticate(&mut conn, req, &p).await?;
    Ok((p, conn, partner))
}

fn required<'a>(p: &'a Params, key: &str) -> Result<&'a str, OAuthError> {
    p.get(key)
        .ok_or_else(|| OAuthError::invalid_request(format!("{key} is required")))
}

#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn token(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, OAuthError> {
    let (p, mut conn, partner) = authenticated(&req, &body, &tenant, &db).await?;
    let ttl = settings.oauth.access_token_ttl_secs;
    let issued = match p.get("grant_type") {
        Some("authorization_code") => {
            tokens::redeem_code(
                &mut conn,
                &partner,
                CodeExchange {
                    code: required(&p, "code")?,
                    redirect_uri: required(&p, "redirect_uri")?,
                    verifier: required(&p, "code_verifier")?,
                    access_ttl: ttl,
                },
            )
            .await?
        }
        Some("refresh_token") => {
            let narrower = p
                .get("scope")
                .map(Scopes::parse)
                .transpose()
                .map_err(|_| OAuthError::new(OAuthCode::InvalidScope, "unknown scope"))?;
            tokens::refresh(
                &mut conn,
                &partner,
                required(&p, "refresh_token")?,
                narrower,
                ttl,
            )
            .await?
        }
        None => return Err(OAuthError::invalid_request("grant_type is required")),
        Some(_) => {
            return Err(OAuthError::new(
                OAuthCode::UnsupportedGrantType,
                "grant_type must be authorization_code or refresh_token",
            ));
        }
    };
    Ok(no_store(&issued))
}

#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn revoke(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    db: web::Data<Db>,
) -> Result<HttpResponse, OAuthError> {
    let (p, mut conn, partner) = authenticated(&req, &body, &tenant, &db).await?;
    tokens::revoke(&mut conn, &partner, required(&p, "token")?).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn introspect(
    req: HttpRequest,
    body: web::Bytes,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, OAuthError> {
    let (p, mut conn, partner) = authenticated(&req, &body, &tenant, &db).await?;
    let answer = tokens::introspect(
        &mut conn,
        &partner,
        required(&p, "token")?,
        &settings.issuer(&tenant.slug),
    )
    .await?;
    Ok(no_store(&answer))
}

/// RFC 8414 authorization server metadata.
pub async fn metadata(tenant: CurrentTenant, settings: web::Data<Settings>) -> HttpResponse {
    let iss = settings.issuer(&tenant.slug);
    let methods: Vec<&str> = AuthMethod::ALL
        .iter()
        .filter(|m| **m != AuthMethod::TlsClientAuth)
        .map(|m| m.as_str())
        .collect();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(serde_json::json!({
            "issuer": iss,
            "authorization_endpoint": format!("{iss}/oauth/authorize"),
            "token_endpoint": format!("{iss}/oauth/token"),
            "pushed_authorization_request_endpoint": format!("{iss}/oauth/par"),
            "revocation_endpoint": format!("{iss}/oauth/revoke"),
            "introspection_endpoint": format!("{iss}/oauth/introspect"),
            "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": methods,
            "revocation_endpoint_auth_methods_supported": methods,
            "introspection_endpoint_auth_methods_supported": methods,
            "authorization_response_iss_parameter_supported": true,
            "require_pushed_authorization_requests": false,
            "ui_locales_supported": ["ja", "en"],
            "service_documentation": format!("{iss}/"),
        }))
}
