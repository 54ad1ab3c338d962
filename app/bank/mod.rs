//! The two seams to the credit union's own systems. Who the customers are and what their accounts
//! hold live in the bank; the app reaches them only through these traits, on the seams each
//! tenant holds ([`crate::tenancy::seams`]). The hosted core (`sandbox/`) implements both with
//! tables in the tenant's schema.
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

pub trait CustomerDirectory: Send + Sync {
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
