//! What a tenant looks like at run time: the settings `tenant.toml` declares
//! ([`super::manifest`] reads and checks them), stored as JSON in `public.tenants.settings`.

use serde::{Deserialize, Serialize};

/// What a tenant looks like at run time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSettings {
    pub name: Names,
    pub colors: Colors,
    pub terms: Terms,
    pub password_help_url: String,
    pub mail: Mail,
    pub notice_days: Vec<u16>,
    pub grant_days: u16,
    pub lockout_threshold: u16,
    pub contact: Names,
    /// The institution's own public site: the only place mails link to with `mail.links = "site"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// The institution's 統一金融機関番号 (4 digits): the bank code its files must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    /// Serial numbers (upper-case hex) of customers' certificates the institution has revoked,
    /// besides its CRL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revoked_serials: Vec<String>,
    /// What certificate login does once the customer CA's CRL is past its `nextUpdate`.
    #[serde(default)]
    pub stale_crl: StaleCrl,
    /// How the bank's own systems reach the hosted core's intake with their certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core: Option<CoreAccess>,
    /// Which of the bank's systems the tenant's seams reach.
    #[serde(default)]
    pub bank: Bank,
}

/// `[core]` in `tenant.toml`: the CA (`client_ca`, a PEM file beside it, kept here as its text)
/// and the subject of the certificate the bank's systems send their files with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreAccess {
    pub client_ca_pem: String,
    pub client_cert_subject: String,
}

/// `[bank]` in `tenant.toml`: where the tenant's customers sign in and where their accounts are
/// read. Both are hosted (kept in the tenant's schema) unless the file says otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bank {
    #[serde(default)]
    pub directory: DirectoryKind,
    #[serde(default)]
    pub core: CoreKind,
    /// `[bank.oidc]`, with `directory = "oidc"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<BankOidc>,
}

/// `bank.directory`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectoryKind {
    #[default]
    Hosted,
    /// The customers sign in at the bank's OpenID provider; who they are stays hosted.
    Oidc,
}

/// `[bank.oidc]`: the bank's OpenID provider and how Renkei is registered as its client. The
/// client secret of `client_secret_basic` is not here: it is sealed in the tenant's
/// `bank_secrets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankOidc {
    pub issuer: String,
    pub client_id: String,
    pub client_auth: ClientAuth,
    /// The ID token's claim that names the customer: their `bank_customer_id`, else their
    /// login ID.
    pub claim: String,
    /// Asked for, and required of the ID token's `acr` when not empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acr_values: Vec<String>,
    /// Seconds: the customer must have signed in at the bank no longer ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    pub show: OidcShow,
    pub timeout_ms: u32,
}

/// `bank.oidc.client_auth`: how Renkei authenticates at the provider's token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// A client assertion signed with the tenant's own key (published in its JWKS).
    PrivateKeyJwt,
    /// The client secret the bank issued, in the Authorization header.
    ClientSecretBasic,
}

/// `bank.oidc.show`: the bank's sign-in beside the password form, or alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OidcShow {
    #[default]
    Beside,
    Instead,
}

impl Bank {
    /// Whether Renkei's own password form is offered.
    pub fn password_form(&self) -> bool {
        !matches!(&self.oidc, Some(o) if o.show == OidcShow::Instead)
    }

    /// Whether wrong passwords count towards Renkei's own lockout: not when the bank's own
    /// sign-in (and its lockout and second factors) is the tenant's.
    pub fn own_lockout(&self) -> bool {
        self.directory == DirectoryKind::Hosted
    }
}

/// `bank.core`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoreKind {
    #[default]
    Hosted,
}

/// `certificates.stale_crl` in `tenant.toml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StaleCrl {
    /// Refuse certificate login until a new CRL is in (the password login stays open): a
    /// certificate revoked since the old list would otherwise still get in.
    #[default]
    Refuse,
    /// Go on checking against the old list.
    Accept,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    pub ja: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    /// Header, buttons.
    pub primary: String,
    /// Links and focus rings.
    pub accent: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    pub name: Names,
    pub url: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mail {
    pub from: String,
    /// E-mail the customer when a new service is linked (a security notice).
    #[serde(default = "yes")]
    pub link_notice: bool,
    /// What the mails link to: Japanese banks tell their customers that a mail from the bank
    /// never links to a sign-in page.
    #[serde(default)]
    pub links: MailLinks,
}

/// `mail.links` in `tenant.toml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailLinks {
    /// No URL at all; the mail says how to reach the service from the institution's own site.
    #[default]
    None,
    /// Only the institution's public site (`site_url`).
    Site,
    /// The customer's page `/t/<slug>/my`, where they sign in.
    Signin,
}

fn yes() -> bool {
    true
}
