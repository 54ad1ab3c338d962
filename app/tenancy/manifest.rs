//! `tenants/<slug>/tenant.toml`: parsed into [`TenantSettings`], every bad field reported with its
//! file and key before anything is created.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::checks::{check_url, is_hex_colour, is_plain_email};
use super::logo::Logo;
use super::settings::{Colors, Mail, MailLinks, Names, TenantSettings, Terms};
use super::slug::TenantSlug;
use crate::i18n::Message;

pub const DEFAULT_NOTICE_DAYS: [u16; 3] = [30, 7, 1];
pub const MAX_GRANT_DAYS: u16 = 90;

/// The file as written by people: optional parts get their defaults here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    slug: String,
    name: Names,
    colors: Colors,
    terms: Terms,
    password_help_url: String,
    site_url: Option<String>,
    bank_code: Option<String>,
    mail: Mail,
    contact: Names,
    logo: String,
    #[serde(default)]
    grants: RawGrants,
    #[serde(default)]
    security: RawSecurity,
    #[serde(default)]
    certificates: RawCertificates,
    #[serde(default)]
    bank: bank::RawBank,
    core: Option<RawCore>,
}

/// `[core]`: the bank's systems' certificate, by its CA's file and its subject.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCore {
    client_ca: String,
    client_cert_subject: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCertificates {
    #[serde(default)]
    revoked_serials: Vec<String>,
    #[serde(default)]
    stale_crl: super::settings::StaleCrl,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrants {
    days: Option<i64>,
    notice_days: Option<Vec<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecurity {
    lockout_threshold: Option<i64>,
}

/// A tenant ready to apply.
#[derive(Debug, Clone)]
pub struct TenantManifest {
    pub slug: TenantSlug,
    pub settings: TenantSettings,
    pub logo: Logo,
    /// `customer-ca.pem` and `customer-crl.pem` beside `tenant.toml`, when present.
    pub customer_ca: Option<CustomerCa>,
    /// The client secret of `bank.oidc.client_secret_file`, sealed when the tenant is applied.
    pub oidc_client_secret: Option<BankSecret>,
}

/// The CA bundle of the tenant's customers' certificates, and its revocation list.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerCa {
    pub ca_pem: String,
    pub crl_pem: Option<String>,
}

/// One problem in one file, pointing at the key. The command line prints it in English; the
/// console shows the same check's message in the admin's language.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub file: PathBuf,
    pub key: String,
    pub message: Message,
}

/// A problem whose words come from elsewhere (the file system, the TOML reader, OpenSSL), as
/// they are.
pub(super) fn detail(text: impl ToString) -> Message {
    Message::new("check-detail").with("detail", text)
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.file.display(), self.key, self.message)
    }
}

/// Parses and validates; `read` loads a file beside it by name (the logo, the core's CA).
pub fn parse(
    file: &Path,
    text: &str,
    read: impl Fn(&str) -> Result<Vec<u8>, Message>,
) -> Result<TenantManifest, Vec<FieldError>> {
    let err = |key: &str, message: Message| FieldError {
        file: file.to_owned(),
        key: key.to_owned(),
        message,
    };
    let raw: RawManifest = toml::from_str(text).map_err(|e| {
        let key = e
            .message()
            .split('`')
            .nth(1)
            .map(str::to_owned)
            .unwrap_or_else(|| "-".into());
        let line = e
            .span()
            .map(|s| text[..s.start].lines().count().max(1))
            .map(|l| format!(" (line {l})"))
            .unwrap_or_default();
        vec![err(&key, detail(format!("{}{line}", e.message().trim())))]
    })?;

    let mut errors = Vec::new();
    let slug = match TenantSlug::parse(&raw.slug) {
        Ok(slug) => Some(slug),
        Err(e) => {
            errors.push(err("slug", detail(format!("'{}' {e}", raw.slug))));
            None
        }
    };
    if let Some(dir_name) = file
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        && slug.is_some()
        && dir_name != raw.slug
    {
        errors.push(err(
            "slug",
            Message::new("check-slug-folder")
                .with("slug", &raw.slug)
                .with("folder", dir_name),
        ));
    }
    for (key, value) in [
        ("name.ja", &raw.name.ja),
        ("name.en", &raw.name.en),
        ("terms.name.ja", &raw.terms.name.ja),
        ("terms.name.en", &raw.terms.name.en),
        ("terms.version", &raw.terms.version),
        ("contact.ja", &raw.contact.ja),
        ("contact.en", &raw.contact.en),
    ] {
        if value.trim().is_empty() {
            errors.push(err(key, Message::new("check-required")));
        } else if value.chars().count() > 200 {
            errors.push(err(key, Message::new("check-too-long").with("max", 200)));
        }
    }
    for (key, value) in [
        ("colors.primary", &raw.colors.primary),
        ("colors.accent", &raw.colors.accent),
    ] {
        if !is_hex_colour(value) {
            errors.push(err(key, Message::new("check-colour").with("value", value)));
        }
    }
    let site_url = raw.site_url.as_ref().map(|url| ("site_url", url));
    for (key, value) in [
        ("terms.url", &raw.terms.url),
        ("password_help_url", &raw.password_help_url),
    ]
    .into_iter()
    .chain(site_url)
    {
        if let Err(why) = check_url(value) {
            errors.push(err(key, why));
        }
    }
    if let Some(code) = &raw.bank_code
        && !(code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()))
    {
        errors.push(err(
            "bank_code",
            Message::new("check-bank-code").with("value", code),
        ));
    }
    if raw.site_url.is_none() && raw.mail.links == MailLinks::Site {
        errors.push(err("mail.links", Message::new("check-site-url-needed")));
    }
    if !is_plain_email(&raw.mail.from) {
        errors.push(err(
            "mail.from",
            Message::new("check-email").with("value", &raw.mail.from),
        ));
    }
    let grant_days = match raw.grants.days {
        None => MAX_GRANT_DAYS,
        Some(d) if (1..=i64::from(MAX_GRANT_DAYS)).contains(&d) => d as u16,
        Some(d) => {
            errors.push(err(
                "grants.days",
                Message::new("check-grant-days")
                    .with("value", d)
                    .with("max", MAX_GRANT_DAYS),
            ));
            MAX_GRANT_DAYS
        }
    };
    let notice_days = match raw.grants.notice_days {
        None => DEFAULT_NOTICE_DAYS.to_vec(),
        Some(days) => {
            let mut out: Vec<u16> = Vec::new();
            for d in days {
                if !(1..i64::from(grant_days)).contains(&d) {
                    errors.push(err(
                        "grants.notice_days",
                        Message::new("check-notice-day")
                            .with("value", d)
                            .with("days", grant_days),
                    ));
                } else if out.contains(&(d as u16)) {
                    errors.push(err(
                        "grants.notice_days",
                        Message::new("check-notice-twice").with("value", d),
                    ));
                } else {
                    out.push(d as u16);
                }
            }
            if out.len() > 5 {
                errors.push(err(
                    "grants.notice_days",
                    Message::new("check-notice-count").with("max", 5),
                ));
            }
            out.sort_unstable_by(|a, b| b.cmp(a));
            out
        }
    };
    let lockout_threshold = match raw.security.lockout_threshold {
        None => 5,
        Some(n) if (3..=10).contains(&n) => n as u16,
        Some(n) => {
            errors.push(err(
                "security.lockout_threshold",
                Message::new("check-lockout").with("value", n),
            ));
            5
        }
    };
    for serial in &raw.certificates.revoked_serials {
        if !crate::certs::trust::is_serial(serial) {
            errors.push(err(
                "certificates.revoked_serials",
                Message::new("check-serial").with("value", serial),
            ));
        }
    }
    let core = raw.core.as_ref().and_then(|c| {
        let pem = read(&c.client_ca).and_then(|bytes| {
            match openssl::x509::X509::stack_from_pem(&bytes) {
                Ok(cas) if !cas.is_empty() => {
                    String::from_utf8(bytes).map_err(|_| Message::new("check-core-ca"))
                }
                _ => Err(Message::new("check-core-ca")),
            }
        });
        let pem = pem
            .map_err(|why| errors.push(err("core.client_ca", why)))
            .ok();
        let subject = crate::certs::DistinguishedName::parse(&c.client_cert_subject)
            .map_err(|why| {
                errors.push(err(
                    "core.client_cert_subject",
                    Message::new("check-detail").with("detail", why),
                ))
            })
            .ok();
        Some(super::settings::CoreAccess {
            client_ca_pem: pem?,
            client_cert_subject: subject?.to_string(),
        })
    });
    let (oidc, oidc_client_secret) =
        match bank::oidc(&raw.bank, &read, &mut |k, m| errors.push(err(k, m))) {
            Some((o, secret)) => (Some(o), secret),
            None => (None, None),
        };
    let logo = match read(&raw.logo).and_then(Logo::sniff) {
        Ok(logo) => Some(logo),
        Err(why) => {
            errors.push(err("logo", why));
            None
        }
    };

    match (slug, logo) {
        (Some(slug), Some(logo)) if errors.is_empty() => Ok(TenantManifest {
            slug,
            logo,
            customer_ca: None,
            oidc_client_secret,
            settings: TenantSettings {
                name: raw.name,
                colors: Colors {
                    primary: raw.colors.primary.to_ascii_lowercase(),
                    accent: raw.colors.accent.to_ascii_lowercase(),
                },
                terms: raw.terms,
                password_help_url: raw.password_help_url,
                mail: raw.mail,
                notice_days,
                grant_days,
                lockout_threshold,
                contact: raw.contact,
                site_url: raw.site_url,
                bank_code: raw.bank_code,
                revoked_serials: raw
                    .certificates
                    .revoked_serials
                    .iter()
                    .map(|s| crate::certs::trust::normalize_serial(s))
                    .collect(),
                stale_crl: raw.certificates.stale_crl,
                bank: super::settings::Bank {
                    directory: raw.bank.directory,
                    core: raw.bank.core,
                    oidc,
                },
                core,
            },
        }),
        _ => Err(errors),
    }
}

mod bank;

pub use bank::BankSecret;
#[cfg(test)]
mod tests;
