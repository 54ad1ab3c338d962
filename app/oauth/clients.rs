//! The partner registry: who the partners are, registering one, and every change to one (how
//! a partner authenticates is [`super::client_auth`]).

use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::scopes::Scopes;
use crate::certs::DistinguishedName;
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
    pub(super) secret_hash: Option<Vec<u8>>,
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

statement!(
    AllPartnersSql,
    concat!(partner_columns!(), "ORDER BY created_at")
);

/// Every partner of the tenant, oldest first.
pub async fn all(conn: &mut TenantConn) -> QueryResult<Vec<Partner>> {
    let rows: Vec<Row> = conn.statements().query::<AllPartnersSql>().load().await?;
    Ok(rows.into_iter().map(Partner::from).collect())
}

/// A partner's names, redirect URIs and scopes, as the console edits them.
pub async fn update_details(
    conn: &mut TenantConn,
    id: Uuid,
    names: (&str, &str),
    redirect_uris: &[String],
    scopes: &Scopes,
) -> QueryResult<()> {
    diesel::update(partners::table.find(id))
        .set((
            partners::name_ja.eq(names.0),
            partners::name_en.eq(names.1),
            partners::redirect_uris.eq(redirect_uris),
            partners::scopes.eq(scopes.to_vec()),
            partners::updated_at.eq(chrono::Utc::now()),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// A new client secret for the partner; returned this once, stored as its SHA-256.
pub async fn rotate_secret(conn: &mut TenantConn, id: Uuid) -> QueryResult<String> {
    let secret = secrets::random_token();
    diesel::update(partners::table.find(id))
        .set((
            partners::client_secret_hash.eq(secrets::sha256(&secret)),
            partners::updated_at.eq(chrono::Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(secret)
}

/// Suspends (no tokens, no API data, at once) or resumes the partner.
pub async fn set_active(conn: &mut TenantConn, id: Uuid, active: bool) -> QueryResult<()> {
    let status = if active { "active" } else { "suspended" };
    diesel::update(partners::table.find(id))
        .set((
            partners::status.eq(status),
            partners::updated_at.eq(chrono::Utc::now()),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The certificate subjects a `tls_client_auth` partner is accepted with: the registered one and,
/// during a rollover, the new one.
pub async fn set_cert_subjects(
    conn: &mut TenantConn,
    id: Uuid,
    subject: &str,
    next: Option<&str>,
) -> QueryResult<()> {
    diesel::update(partners::table.find(id))
        .set((
            partners::cert_subject.eq(subject),
            partners::cert_subject_next.eq(next),
            partners::updated_at.eq(chrono::Utc::now()),
        ))
        .execute(conn)
        .await
        .map(drop)
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
