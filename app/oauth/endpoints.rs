//! The partner-facing endpoints: token (RFC 6749), revocation (RFC 7009), introspection
//! (RFC 7662) and metadata (RFC 8414). Each answers JSON, never cached.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;

use super::client_auth;
use super::clients::{self, AuthMethod, Partner};
use super::error::{OAuthCode, OAuthError};
use super::params::Params;
use super::scopes::{Scope, Scopes};
use super::tokens::{self, CodeExchange, IntrospectionAsk, IntrospectionBatches};
use crate::certs::ClientCertificates;
use crate::config::Settings;
use crate::db::{Db, TenantStatements};
use crate::limits::{self, Verdict};
use crate::secrets;
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

/// What every client-authenticated endpoint starts with: the form, a connection to the tenant,
/// and the partner that authenticated (with its certificate, for `tls_client_auth`).
pub(super) struct Request {
    pub form: Params,
    pub conn: TenantStatements,
    pub partner: Partner,
    pub certificate: Option<[u8; 32]>,
}

pub(super) async fn authenticated(
    req: &HttpRequest,
    body: &[u8],
    tenant: &CurrentTenant,
    db: &Db,
    certs: &ClientCertificates,
) -> Result<Request, OAuthError> {
    let form = form(body)?;
    let mut conn = db.tenant_statements(&tenant.slug).await?;
    let client_auth::Authenticated {
        partner,
        certificate,
    } = client_auth::authenticate(&mut conn, req, &form, certs).await?;
    Ok(Request {
        form,
        conn,
        partner,
        certificate,
    })
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
    certs: web::Data<ClientCertificates>,
) -> Result<HttpResponse, OAuthError> {
    let Request {
        form: p,
        mut conn,
        partner,
        certificate,
    } = authenticated(&req, &body, &tenant, &db, &certs).await?;
    if let Verdict::Limited { retry_after } =
        limits::token(&mut conn, &settings.limits, &partner.client_id).await?
    {
        return Err(OAuthError::rate_limited(retry_after));
    }
    let ttl = settings.oauth.access_token_ttl_secs;
    let retry_secs = settings.oauth.refresh_retry_secs;
    let issued = match p.get("grant_type") {
        Some("authorization_code") => {
            tokens::redeem_code(
                &mut conn.pin().await?,
                &partner,
                CodeExchange {
                    code: required(&p, "code")?,
                    redirect_uri: required(&p, "redirect_uri")?,
                    verifier: required(&p, "code_verifier")?,
                    access_ttl: ttl,
                    retry_secs,
                    certificate,
                    at: Utc::now(),
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
                conn,
                &partner,
                required(&p, "refresh_token")?,
                narrower,
                tokens::Lifetimes {
                    access_secs: ttl,
                    retry_secs,
                },
                certificate,
                Utc::now(),
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
    certs: web::Data<ClientCertificates>,
) -> Result<HttpResponse, OAuthError> {
    let r = authenticated(&req, &body, &tenant, &db, &certs).await?;
    let mut conn = r.conn.pin().await?;
    tokens::revoke(
        &mut conn,
        &r.partner,
        required(&r.form, "token")?,
        Utc::now(),
    )
    .await?;
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
    batches: web::Data<IntrospectionBatches>,
    settings: web::Data<Settings>,
    certs: web::Data<ClientCertificates>,
) -> Result<HttpResponse, OAuthError> {
    let form = form(&body)?;
    let presented = client_auth::presented(&req, &form)?;
    // The partner and the token in one round trip, shared with the calls that come with this
    // one; the token is looked at only once the partner has authenticated.
    let (partner, token) = match form.get("token") {
        Some(token) => {
            let ask = IntrospectionAsk {
                client_id: presented.client_id.clone(),
                token_hash: secrets::sha256(token),
            };
            let rows = batches
                .ask(&db, &tenant.slug, ask, tokens::partners_and_tokens)
                .await?;
            tokens::partner_and_token(rows)
        }
        None => {
            let mut conn = db.tenant_statements(&tenant.slug).await?;
            (clients::find(&mut conn, &presented.client_id).await?, None)
        }
    };
    let auth = client_auth::verify(partner, &presented, &req, &certs)?;
    required(&form, "token")?;
    let answer = tokens::introspection(
        &auth.partner,
        token,
        tenant.slug.as_str(),
        &settings.issuer(&tenant.slug),
        Utc::now(),
    );
    Ok(no_store(&answer))
}

/// RFC 8414 authorization server metadata, with RFC 8705's mutual-TLS entries when partners'
/// certificates can be checked.
pub async fn metadata(
    tenant: CurrentTenant,
    settings: web::Data<Settings>,
    certs: web::Data<ClientCertificates>,
) -> HttpResponse {
    let iss = settings.issuer(&tenant.slug);
    let mtls = certs.partners.is_some() && certs.https_base.is_some();
    let methods: Vec<&str> = AuthMethod::ALL
        .iter()
        .filter(|m| mtls || **m != AuthMethod::TlsClientAuth)
        .map(|m| m.as_str())
        .collect();
    let mut doc = serde_json::json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth/authorize"),
        "token_endpoint": format!("{iss}/oauth/token"),
        "pushed_authorization_request_endpoint": format!("{iss}/oauth/par"),
        "revocation_endpoint": format!("{iss}/oauth/revoke"),
        "introspection_endpoint": format!("{iss}/oauth/introspect"),
        "jwks_uri": format!("{iss}/.well-known/jwks.json"),
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
    });
    if let (true, Some(https)) = (mtls, &certs.https_base) {
        let base = format!("{https}/t/{}", tenant.slug);
        doc["tls_client_certificate_bound_access_tokens"] = true.into();
        doc["mtls_endpoint_aliases"] = serde_json::json!({
            "token_endpoint": format!("{base}/oauth/token"),
            "pushed_authorization_request_endpoint": format!("{base}/oauth/par"),
            "revocation_endpoint": format!("{base}/oauth/revoke"),
            "introspection_endpoint": format!("{base}/oauth/introspect"),
        });
    }
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(doc)
}
