//! The two seams to the credit union's own systems. Who the customers are and what their accounts
//! hold live in the bank; the app reaches them only through these traits, on the seams each
//! tenant holds ([`crate::tenancy::seams`]). The hosted core ([`Hosted`], implemented in
//! `sandbox/`) keeps both in tables of the tenant's schema.
//!
//! Every operation takes the tenant and the pool it may draw from, never a caller's connection:
//! an adapter to a bank's systems has no use for one, and a caller that held one while the seam
//! took another would need two of the pool's connections for one request.

mod ids;
pub mod partner_data;

pub use ids::{AccountId, CustomerId, Email, LoginId};

use crate::db::Db;
use crate::i18n::Lang;
use crate::tenancy::TenantSlug;

/// The hosted kind of both seams: the bank's data kept in the tenant's own schema, filled by
/// `customers add`, `demo seed` and the bank's imports. `sandbox/` implements the traits for it;
/// everything else reaches it through them, on the seams each tenant holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hosted;

/// The answer to a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Verified(CustomerId),
    /// Wrong ID or wrong password: the caller must not tell which.
    Refused {
        customer: Option<CustomerId>,
    },
    /// The bank has locked this customer.
    Locked,
}

/// The answer to a certificate login, once the certificate itself is trusted (it chains to the
/// institution's CA, is within its validity and is not on the CA's revocation list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateBinding {
    Customer(CustomerId),
    /// No customer registered this certificate.
    Unbound,
    /// The bank withdrew this certificate from the customer.
    Revoked,
    /// The bank has locked this customer.
    Locked,
}

/// A customer as the console shows them.
pub struct Profile {
    pub id: CustomerId,
    pub login_id: String,
    pub name: String,
    pub email: String,
    /// The bank locked the customer (wrong passwords, or by hand).
    pub locked: bool,
}

/// A certificate registered to a customer.
pub struct Certificate {
    /// SHA-256 of its DER encoding.
    pub fingerprint: Vec<u8>,
    pub subject: String,
    pub serial: String,
    pub not_after: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub trait CustomerDirectory: Send + Sync {
    /// The customer with this login ID (case-sensitive), if any.
    fn find(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        login_id: &str,
    ) -> impl Future<Output = anyhow::Result<Option<Profile>>> + Send;

    /// A customer's login ID, if there is such a customer.
    fn login_id_of(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> impl Future<Output = anyhow::Result<Option<String>>> + Send;

    /// The certificates registered to a customer, newest first.
    fn certificates(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> impl Future<Output = anyhow::Result<Vec<Certificate>>> + Send;

    /// Withdraws a certificate (by fingerprint) from its customer at `at`; that customer's login
    /// ID, or `None` when no customer registered it.
    fn revoke_certificate(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        fingerprint: &[u8],
        at: chrono::DateTime<chrono::Utc>,
    ) -> impl Future<Output = anyhow::Result<Option<String>>> + Send;

    /// The customer a certificate is registered to, by the SHA-256 of its DER encoding.
    fn verify_certificate(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        fingerprint: &[u8; 32],
    ) -> impl Future<Output = anyhow::Result<CertificateBinding>> + Send;

    /// Checks a customer ID and password (both case-sensitive), taking as long for an unknown ID.
    fn verify_password(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        login_id: &str,
        password: &str,
    ) -> impl Future<Output = anyhow::Result<Verification>> + Send;

    /// The customer the bank's own sign-in names by `bank_id` (the configured claim of its ID
    /// token): the customer whose `bank_customer_id` it is, else whose login ID it is. An
    /// unknown or closed customer is `Refused { customer: None }`; one the bank's directory
    /// locked is `Locked`.
    fn identify(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        bank_id: &str,
    ) -> impl Future<Output = anyhow::Result<Verification>> + Send;

    fn lock(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    fn unlock(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// An account as the consent page and the API show it.
#[derive(Debug, Clone)]
pub struct Account {
    pub account_id: AccountId,
    pub branch_code: String,
    pub branch_name: String,
    pub account_type_code: String,
    pub account_type_name: String,
    pub account_number: String,
    pub account_name: String,
    pub account_name_kana: String,
    pub currency_code: String,
    /// The latest 勘定日 the bank's files brought; `None` for data as of now.
    pub as_of: Option<chrono::NaiveDate>,
}

impl Account {
    /// The account as its holder reads it: `本店 普通預金 1234567`. The bank names the type in
    /// Japanese; an English page names the usual types in English (全銀 type codes 1, 2 and 4).
    pub fn label(&self, lang: Lang) -> String {
        let kind = match (lang, self.account_type_code.as_str()) {
            (Lang::En, "01") => "Ordinary deposit",
            (Lang::En, "02") => "Current account",
            (Lang::En, "04") => "Savings deposit",
            _ => &self.account_type_name,
        };
        format!("{} {kind} {}", self.branch_name, self.account_number)
    }
}

pub trait CoreBanking: Send + Sync {
    /// Every account the customer holds.
    fn accounts(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> impl Future<Output = anyhow::Result<Vec<Account>>> + Send;
}
