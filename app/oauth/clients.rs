//! The partner registry and client authentication (RFC 6749 §2.3).

use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine as _;
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::error::OAuthError;
use super::params::Params;
use super::scopes::Scopes;
use crate::certs::{ClientCertificates, DistinguishedName};
use crate::db::schema::tenant::partners;
use crate::db::{TenantConn, TenantStatements};
use crate::i18n::Lang;
use crate::i18n::Message;
use crate::secrets;
use crate::statement;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    TlsClientAuth,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 3] = [
        Self::ClientSecretBasic,
        Self::ClientSecretPost,
        Self::TlsClientAuth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::TlsClientAuth => "tls_client_auth",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw)
    }
}

#[derive(Debug, Clone)]
pub struct Partner {
    pub id: Uuid,
    pub client_id: String,
    secret_hash: Option<Vec<u8>>,
    pub name_ja: String,
    pub name_en: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Scopes,
    pub auth_method: AuthMethod,
    /// RFC 4514 subject DN of a `tls_client_auth` partner's certificate.
    pub cert_subject: Option<String>,
    /// During a certificate rollover, the subject of the new certificate, accepted beside
    /// `cert_subject` until the admin finishes (or cancels) the rollover.
    pub cert_subject_next: Option<String>,
    pub par_required: bool,
    pub active: bool,
}

impl Partner {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.name_ja,
            Lang::En => &self.name_en,
        }
    }

    /// A partner that exists only in memory: for unit tests and the fuzz targets.
    pub fn in_memory(scopes: Scopes, auth_method: AuthMethod) -> Self {
        Self {
            id: Uuid::now_v7(),
            client_id: "test".into(),
            secret_hash: None,
            name_ja: "テスト".into(),
            name_en: "Test".into(),
            redirect_uris: vec!["https://a.example/cb".into()],
            scopes,
            auth_method,
            cert_subject: None,
            cert_subject_next: None,
            par_required: false,
            active: true,
        }
    }

    /// Whether a certificate with this subject may authenticate the partner: the registered
    /// subject, or during a rollover the new one.
    pub fn accepts_subject(&self, subject: &DistinguishedName) -> bool {
        [&self.cert_subject, &self.cert_subject_next]
            .into_iter()
            .flatten()
            .filter_map(|dn| DistinguishedName::parse(dn).ok())
            .any(|dn| &dn == subject)
    }

    /// Exact string match, as RFC 9700 asks: no prefix, no normalisation.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }
}

#[derive(QueryableByName)]
#[diesel(table_name = partners)]
pub(super) struct Row {
    id: Uuid,
    client_id: String,
    client_secret_hash: Option<Vec<u8>>,
    name_ja: String,
    name_en: String,
    redirect_uris: Vec<String>,
    scopes: Vec<String>,
    auth_method: String,
    cert_subject: Option<String>,
    cert_subject_next: Option<String>,
    par_required: bool,
    status: String,
}

impl From<Row> for Partner {
    fn from(r: Row) -> Self {
        Partner {
            id: r.id,
            client_id: r.client_id,
            secret_hash: r.client_secret_hash,
            name_ja: r.name_ja,
            name_en: r.name_en,
            redirect_uris: r.redirect_uris,
            scopes: Scopes::from_stored(&r.scopes),
            auth_method: AuthMethod::parse(&r.auth_method).unwrap_or(AuthMethod::ClientSecretBasic),
            cert_subject: r.cert_subject,
            cert_subject_next: r.cert_subject_next,
            par_required: r.par_required,
            active: r.status == "active",
        }
    }
}

macro_rules! partner_columns {
    () => {
        "SELECT id, client_id, client_secret_hash, name_ja, name_en, redirect_uris, scopes, auth_method,
                cert_subject, cert_subject_next, par_required, status
           FROM {schema}.partners "
    };
}

statement!(
    /// A partner by its `client_id`: every token, introspection and authorization request asks.
    PartnerByClientIdSql,
    concat!(partner_columns!(), "WHERE client_id = ?")
);

statement!(PartnerByIdSql, concat!(partner_columns!(), "WHERE id = ?"));

pub async fn find(conn: &mut TenantStatements, client_id: &str) -> QueryResult<Option<Partner>> {
    let rows: Vec<Row> = conn
        .query::<PartnerByClientIdSql>()
        .bind::<Text, _>(client_id)
        .load()
        .await?;
    Ok(rows.into_iter().next().map(Partner::from))
}

pub async fn find_by_id(conn: &mut TenantConn, id: Uuid) -> QueryResult<Partner> {
    conn.statements()
        .query::<PartnerByIdSql>()
        .bind::<SqlUuid, _>(id)
        .get_result::<Row>()
        .await
        .map(Partner::from)
}

/// A redirect URI a partner may register: absolute https (http only on this machine), no fragment.
pub fn check_redirect_uri(raw: &str) -> Result<(), Message> {
    let url = url::Url::parse(raw).map_err(|e| {
        Message::new("check-url")
            .with("value", raw)
            .with("detail", e)
    })?;
    if url.fragment().is_some() {
        return Err(Message::new("check-redirect-fragment").with("value", raw));
    }
    let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if local => Ok(()),
        _ => Err(Message::new("check-redirect-https").with("value", raw)),
    }
}

pub struct NewPartner {
    /// Chosen by us unless given (the demo partner's is fixed).
    pub client_id: Option<String>,
    pub secret: Option<String>,
    pub name_ja: String,
    pub name_en: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Scopes,
    pub auth_method: AuthMethod,
    pub cert_subject: Option<String>,
    pub par_required: bool,
}

/// Registers a partner; returns `(client_id, client_secret)`. The secret is shown once and stored
/// only as its SHA-256.
pub async fn register(
    conn: &mut TenantConn,
    p: NewPartner,
) -> anyhow::Result<(String, Option<String>)> {
    anyhow::ensure!(
        !p.redirect_uris.is_empty(),
        "at least one redirect URI is required"
    );
    for uri in &p.redirect_uris {
        check_redirect_uri(uri).map_err(|m| anyhow::anyhow!("{m}"))?;
    }
    anyhow::ensure!(
        !p.name_ja.trim().is_empty() && !p.name_en.trim().is_empty(),
        "names in Japanese and English are required"
    );
    let tls = p.auth_method == AuthMethod::TlsClientAuth;
    anyhow::ensure!(
        tls == p.cert_subject.is_some(),
        "--cert-subject goes with --auth tls_client_auth, and only with it"
    );
    // Stored as RFC 4514 writes it, most specific first: CN=…,O=…,C=JP.
    let cert_subject = p
        .cert_subject
        .as_deref()
        .map(|dn| {
            DistinguishedName::parse(dn)
                .map(|d| d.to_string())
                .map_err(|e| anyhow::anyhow!("--cert-subject '{dn}': {e} (expected e.g. CN=mirai-budget,O=Mirai Inc.,C=JP)"))
        })
        .transpose()?;
    let client_id = p
        .client_id
        .unwrap_or_else(|| format!("rk-{}", &secrets::random_token()[..22]));
    let secret = (!tls).then(|| p.secret.unwrap_or_else(secrets::random_token));
    diesel::insert_into(partners::table)
        .values((
            partners::id.eq(Uuid::now_v7()),
            partners::client_id.eq(&client_id),
            partners::client_secret_hash.eq(secret.as_deref().map(secrets::sha256)),
            partners::name_ja.eq(p.name_ja.trim()),
            partners::name_en.eq(p.name_en.trim()),
            partners::redirect_uris.eq(&p.redirect_uris),
            partners::scopes.eq(p.scopes.to_vec()),
            partners::auth_method.eq(p.auth_method.as_str()),
            partners::cert_subject.eq(&cert_subject),
            partners::par_required.eq(p.par_required),
        ))
        .execute(conn)
        .await
        .map_err(|e| anyhow::anyhow!("registering partner '{client_id}': {e}"))?;
    Ok((client_id, secret))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris() {
        assert!(check_redirect_uri("https://app.example.jp/cb").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:8765/callback").is_ok());
        assert!(check_redirect_uri("http://app.example.jp/cb").is_err());
        assert!(check_redirect_uri("https://app.example.jp/cb#x").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("/relative").is_err());
    }
}
