//! How a partner authenticates at the token, revocation, introspection and PAR endpoints: the
//! credentials a request presents (HTTP Basic, the form, or the TLS client certificate of a
//! `tls_client_auth` partner), checked against the partner registered (RFC 6749 §2.3, RFC 8705).

use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine as _;

use super::clients::{AuthMethod, Partner, find};
use super::error::OAuthError;
use super::params::Params;
use crate::certs::ClientCertificates;
use crate::db::TenantStatements;
use crate::secrets;

/// The client credentials a request presents, before they are checked.
pub(super) struct Presented {
    pub(super) client_id: String,
    secret: Option<String>,
    method: AuthMethod,
}

pub(super) fn presented(req: &HttpRequest, form: &Params) -> Result<Presented, OAuthError> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| rest.trim())
        });
    match (basic, form.get("client_secret")) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method, not two",
        )),
        (Some(b64), None) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| OAuthError::invalid_client(true))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| OAuthError::invalid_client(true))?;
            // RFC 6749 §2.3.1: both halves are form-urlencoded.
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            let client_id = decode(id);
            if client_id.contains('\0') {
                return Err(OAuthError::invalid_request(
                    "client_id contains a NUL character",
                ));
            }
            if form.get("client_id").is_some_and(|f| f != client_id) {
                return Err(OAuthError::invalid_request("client_id does not match"));
            }
            Ok(Presented {
                client_id,
                secret: Some(decode(secret)),
                method: AuthMethod::ClientSecretBasic,
            })
        }
        (None, Some(secret)) => Ok(Presented {
            client_id: form
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client(false))?
                .to_owned(),
            secret: Some(secret.to_owned()),
            method: AuthMethod::ClientSecretPost,
        }),
        (None, None) => Ok(Presented {
            client_id: form
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client(false))?
                .to_owned(),
            secret: None,
            method: AuthMethod::TlsClientAuth,
        }),
    }
}

/// A partner that authenticated, and for `tls_client_auth` the thumbprint of the certificate it
/// used: its access tokens are bound to that certificate (RFC 8705 §3).
pub struct Authenticated {
    pub partner: Partner,
    pub certificate: Option<[u8; 32]>,
}

/// The partner that authenticated this request, or `invalid_client` (401).
pub async fn authenticate(
    conn: &mut TenantStatements,
    req: &HttpRequest,
    form: &Params,
    certs: &ClientCertificates,
) -> Result<Authenticated, OAuthError> {
    let p = presented(req, form)?;
    let partner = find(conn, &p.client_id).await?;
    verify(partner, &p, req, certs)
}

/// [`authenticate`]'s checks, on the partner found by the presented `client_id` (`None`: none).
pub(super) fn verify(
    partner: Option<Partner>,
    p: &Presented,
    req: &HttpRequest,
    certs: &ClientCertificates,
) -> Result<Authenticated, OAuthError> {
    let basic = p.method == AuthMethod::ClientSecretBasic;
    let Some(partner) = partner else {
        return Err(OAuthError::invalid_client(basic));
    };
    if p.method != partner.auth_method || !partner.active {
        return Err(OAuthError::invalid_client(basic));
    }
    let certificate = match (&p.secret, &partner.secret_hash) {
        (Some(secret), Some(hash)) if secrets::matches_hash(secret, hash) => None,
        (None, _) if p.method == AuthMethod::TlsClientAuth => {
            Some(partner_certificate(&partner, req, certs)?)
        }
        _ => return Err(OAuthError::invalid_client(basic)),
    };
    Ok(Authenticated {
        partner,
        certificate,
    })
}

/// RFC 8705 §2.1 (PKI method): the connection's certificate chains to a CA trusted for partners
/// and its subject is the DN the partner registered.
fn partner_certificate(
    partner: &Partner,
    req: &HttpRequest,
    certs: &ClientCertificates,
) -> Result<[u8; 32], OAuthError> {
    let refuse = |why: &str| {
        tracing::info!(client_id = %partner.client_id, why, "tls_client_auth refused");
        OAuthError::new(
            super::error::OAuthCode::InvalidClient,
            format!("client authentication failed: {why}"),
        )
    };
    let Some(cert) = certs.presented(req).certificate() else {
        return Err(refuse(
            "no client certificate on this connection (use the mutual-TLS endpoint)",
        ));
    };
    let checked = match &certs.partners {
        Some(t) => t.current().check(&cert),
        None => Err(crate::certs::Refusal::Untrusted),
    };
    match checked {
        Ok(()) => {}
        Err(crate::certs::Refusal::Revoked) => {
            return Err(refuse("the client certificate has been revoked by its CA"));
        }
        Err(_) => {
            return Err(refuse(
                "the client certificate is not from a trusted CA, or is not valid now",
            ));
        }
    }
    if !partner.accepts_subject(&cert.subject()) {
        return Err(refuse(
            "the client certificate's subject is not the registered one",
        ));
    }
    Ok(cert.thumbprint)
}
