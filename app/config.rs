//! Settings: `config/default.toml` (compiled in, so the binary runs from any directory), then the same
//! file on disk when present, then `RENKEI__SECTION__KEY` environment variables. The default
//! database URL follows the port of the project-local cluster ([`local_cluster`]).

mod local_cluster;
mod sections;

pub use sections::{CoreSettings, KeySettings};

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use serde::Deserialize;
use url::Url;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub tls: TlsSettings,
    pub limits: LimitSettings,
    pub tenancy: TenancySettings,
    pub oauth: OAuthSettings,
    pub mail: MailSettings,
    pub notices: NoticeSettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
    pub keys: KeySettings,
    pub core: CoreSettings,
}

/// `GET /metrics` (Prometheus text) has a listener of its own, never the public one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    pub bind: SocketAddr,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://host:465`.
    /// Empty: mails are written as .eml files to `spool_dir`.
    pub smtp_url: String,
    pub spool_dir: String,
    pub timeout_secs: u64,
}

impl std::fmt::Debug for MailSettings {
    /// The SMTP URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("spool_dir", &self.spool_dir)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeSettings {
    /// Whether `renkei serve` runs the notice scheduler.
    pub scheduler: bool,
    pub interval_secs: u64,
    /// Notices claimed per transaction.
    pub batch: i64,
    /// Attempts before a notice is marked failed.
    pub max_attempts: i32,
    /// First retry delay; doubled after each failure.
    pub backoff_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthSettings {
    /// Lifetime of an access token; refresh tokens live as long as their grant.
    pub access_token_ttl_secs: i64,
    /// How long after a rotation (or a code's exchange) the same partner may present the spent
    /// refresh token (or code) again without its grant being ended as stolen.
    pub refresh_retry_secs: i64,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: usize,
    pub acquire_timeout_ms: u64,
    pub statement_timeout_ms: u64,
}

impl std::fmt::Debug for DatabaseSettings {
    /// The URL may carry a password: show only where it points.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("pool_size", &self.pool_size)
            .field("acquire_timeout_ms", &self.acquire_timeout_ms)
            .field("statement_timeout_ms", &self.statement_timeout_ms)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub bind: SocketAddr,
    pub public_url: Url,
    pub shutdown_timeout_secs: u64,
}

/// At most `max` requests per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub max: i32,
    pub window_secs: i64,
}

/// Rate limits, counted in PostgreSQL across replicas (`crate::limits`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Sign-in attempts (consent login, /my, admin) from one address, across all tenants.
    pub login_per_ip: Limit,
    /// New authorization requests (`GET …/oauth/authorize` without a pushed request) from one
    /// address, across all tenants: each one is a pending request stored until it expires.
    pub authorize_per_ip: Limit,
    /// Sign-in attempts for one typed customer ID or admin e-mail, from anywhere.
    pub login_per_id: Limit,
    /// Token requests of one authenticated partner.
    pub token_per_client: Limit,
}

/// HTTPS beside HTTP, for certificate login (電子証明書) and partners' mutual TLS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// Where to serve HTTPS; unset: HTTP only.
    pub bind: Option<SocketAddr>,
    /// PEM certificate chain and private key of the HTTPS listener.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// The https address of certificate login and mutual TLS; default `https://<bind>`.
    pub public_url: Option<Url>,
    /// PEM CA certificates that partners' `tls_client_auth` certificates must chain to.
    pub partner_ca: Option<PathBuf>,
    /// The partner CA's CRL (PEM), read again whenever the file changes.
    pub partner_crl: Option<PathBuf>,
    /// Behind a TLS-terminating proxy: the header carrying the client certificate
    /// (URL-encoded PEM, like nginx's `$ssl_client_escaped_cert`)...
    pub client_cert_header: Option<String>,
    /// ...honoured only from these addresses or networks (`10.0.0.5`, `10.0.0.0/24`).
    pub trusted_proxies: Vec<String>,
}

impl TlsSettings {
    /// `https://…` where certificates are asked for, if anywhere.
    pub fn https_base(&self) -> Option<String> {
        self.public_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_owned())
            .or_else(|| self.bind.map(|b| format!("https://{b}")))
    }

    /// The trusted proxies as networks; a bare address is a network of one.
    pub fn proxy_networks(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|raw| {
                raw.parse::<ipnet::IpNet>()
                    .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "invalid setting: tls.trusted_proxies: '{raw}' is not an address or network"
                        )
                    })
            })
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenancySettings {
    pub dir: String,
    pub cache_ttl_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub filter: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Settings {
    /// Reads the settings; the error is one line that names the offending key.
    pub fn load() -> anyhow::Result<Self> {
        Self::from_sources(
            config::Environment::with_prefix("RENKEI").separator("__"),
            &local_cluster::search_starts(),
        )
    }

    /// `starts`: where to look for the project-local cluster's `.data/pg-port`.
    fn from_sources(env: config::Environment, starts: &[PathBuf]) -> anyhow::Result<Self> {
        let env = env
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("tls.trusted_proxies")
            .with_list_parse_key("keys.previous_kek_files");
        let invalid = |e: config::ConfigError| anyhow::anyhow!("invalid setting: {e}");
        let env_sets_url = config::Config::builder()
            .add_source(env.clone())
            .build()
            .map_err(invalid)?
            .get_string("database.url")
            .is_ok();
        let defaults = config::File::from_str(DEFAULTS, config::FileFormat::Toml);
        let mut settings: Settings = config::Config::builder()
            .add_source(defaults.clone())
            .add_source(config::File::with_name("config/default").required(false))
            .add_source(env)
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(invalid)?;
        if !env_sets_url {
            let default_url = config::Config::builder()
                .add_source(defaults)
                .build()
                .and_then(|c| c.get_string("database.url"))
                .map_err(invalid)?;
            let port = local_cluster::recorded_port(starts);
            if let Some(url) = local_cluster::follow(&settings.database.url, &default_url, port) {
                settings.database.url = url;
            }
        }
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        Url::parse(&self.database.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "postgres" | "postgresql"))
            .context("invalid setting: database.url must be a postgres:// URL")?;
        anyhow::ensure!(
            (1..=1000).contains(&self.database.pool_size),
            "invalid setting: database.pool_size must be between 1 and 1000"
        );
        anyhow::ensure!(
            (60..=3600).contains(&self.oauth.access_token_ttl_secs),
            "invalid setting: oauth.access_token_ttl_secs must be between 60 and 3600"
        );
        anyhow::ensure!(
            (0..=300).contains(&self.oauth.refresh_retry_secs),
            "invalid setting: oauth.refresh_retry_secs must be between 0 and 300"
        );
        if !self.mail.smtp_url.is_empty() {
            Url::parse(&self.mail.smtp_url)
                .ok()
                .filter(|u| matches!(u.scheme(), "smtp" | "smtps"))
                .context(
                    "invalid setting: mail.smtp_url must be an smtp:// or smtps:// URL, or empty",
                )?;
        }
        anyhow::ensure!(
            (1..=10_000).contains(&self.notices.batch),
            "invalid setting: notices.batch must be between 1 and 10000"
        );
        anyhow::ensure!(
            matches!(self.http.public_url.scheme(), "http" | "https"),
            "invalid setting: http.public_url must be an http(s) URL"
        );
        for (key, l) in [
            ("limits.login_per_ip", self.limits.login_per_ip),
            ("limits.login_per_id", self.limits.login_per_id),
            ("limits.authorize_per_ip", self.limits.authorize_per_ip),
            ("limits.token_per_client", self.limits.token_per_client),
        ] {
            anyhow::ensure!(
                l.max >= 1 && (1..=86_400).contains(&l.window_secs),
                "invalid setting: {key} needs max >= 1 and window_secs between 1 and 86400"
            );
        }
        let tls = &self.tls;
        if tls.bind.is_some() {
            anyhow::ensure!(
                tls.cert.is_some() && tls.key.is_some(),
                "invalid setting: tls.bind needs tls.cert and tls.key"
            );
        }
        anyhow::ensure!(
            tls.partner_crl.is_none() || tls.partner_ca.is_some(),
            "invalid setting: tls.partner_crl needs tls.partner_ca, the CA that signs it"
        );
        if let Some(url) = &tls.public_url {
            anyhow::ensure!(
                url.scheme() == "https",
                "invalid setting: tls.public_url must be an https:// URL"
            );
        }
        if let Some(h) = &tls.client_cert_header {
            actix_web::http::header::HeaderName::try_from(h.as_str()).map_err(|_| {
                anyhow::anyhow!(
                    "invalid setting: tls.client_cert_header: '{h}' is not a header name"
                )
            })?;
        }
        tls.proxy_networks()?;
        anyhow::ensure!(
            (1..=10_000).contains(&self.core.max_upload_mb),
            "invalid setting: core.max_upload_mb must be between 1 and 10000"
        );
        anyhow::ensure!(
            (1..=24 * 365).contains(&self.keys.retire_after_hours),
            "invalid setting: keys.retire_after_hours must be between 1 and 8760"
        );
        Ok(())
    }

    /// The OAuth issuer of a tenant: `<public_url>/t/<slug>`.
    pub fn issuer(&self, slug: &crate::tenancy::TenantSlug) -> String {
        format!("{}/t/{slug}", self.public_base())
    }

    /// The public base URL without a trailing slash.
    pub fn public_base(&self) -> String {
        self.http
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<unparseable>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with_env(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_sources(
            config::Environment::with_prefix("RENKEI")
                .separator("__")
                .source(Some(map)),
            &[],
        )
    }

    #[test]
    fn defaults_load() {
        let s = with_env(&[]).unwrap();
        assert_eq!(s.http.bind.port(), 8080);
        assert!(s.database.url.contains("54329"));
    }

    #[test]
    fn environment_overrides_defaults() {
        let s = with_env(&[("RENKEI__HTTP__BIND", "0.0.0.0:9000")]).unwrap();
        assert_eq!(s.http.bind.port(), 9000);
    }

    #[test]
    fn bad_value_names_the_key() {
        let err = with_env(&[("RENKEI__HTTP__BIND", "not-an-address")]).unwrap_err();
        let line = err.to_string();
        assert!(line.contains("http.bind"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn non_postgres_url_is_refused() {
        let err = with_env(&[("RENKEI__DATABASE__URL", "mysql://x@y/z")]).unwrap_err();
        assert!(err.to_string().contains("database.url"));
    }

    #[test]
    fn tls_settings_from_the_environment() {
        let s = with_env(&[
            ("RENKEI__TLS__BIND", "127.0.0.1:8443"),
            ("RENKEI__TLS__CERT", "server.pem"),
            ("RENKEI__TLS__KEY", "server-key.pem"),
            ("RENKEI__TLS__TRUSTED_PROXIES", "10.0.0.5,192.168.0.0/24"),
        ])
        .unwrap();
        assert_eq!(
            s.tls.https_base().as_deref(),
            Some("https://127.0.0.1:8443")
        );
        let nets = s.tls.proxy_networks().unwrap();
        assert_eq!(nets.len(), 2);
        assert!(nets[0].contains(&"10.0.0.5".parse::<std::net::IpAddr>().unwrap()));
        assert!(nets[1].contains(&"192.168.0.77".parse::<std::net::IpAddr>().unwrap()));
        assert!(with_env(&[]).unwrap().tls.https_base().is_none());
    }

    #[test]
    fn bad_tls_settings_name_the_key() {
        let err = with_env(&[("RENKEI__TLS__BIND", "127.0.0.1:8443")]).unwrap_err();
        assert!(err.to_string().contains("tls.cert"), "{err}");
        let err = with_env(&[("RENKEI__TLS__TRUSTED_PROXIES", "example.com")]).unwrap_err();
        assert!(err.to_string().contains("tls.trusted_proxies"), "{err}");
    }

    #[test]
    fn password_is_redacted() {
        assert_eq!(
            redact_url("postgres://u:hunter2@h:5432/d"),
            "postgres://u:***@h:5432/d"
        );
    }
}
