//! Which of the bank's systems a tenant's seams reach, chosen per tenant from `[bank]` in its
//! settings when they are read: the hosted core in the tenant's own schema (`bank::Hosted`),
//! whose customers may sign in at the bank's own OpenID provider (`Directory::Oidc`; the
//! sign-in itself is `oidc/`'s). The gateway becomes a variant here, and no caller changes.

use chrono::NaiveDate;

use crate::bank::partner_data::{
    Answer, Balance, BalanceAsk, BalanceBatches, Caller, Page, PageQuery, PartnerData,
};
use crate::bank::{
    Account, Certificate, CertificateBinding, CoreBanking, CustomerDirectory, CustomerId, Hosted,
    Profile, Verification,
};
use crate::db::Db;
use crate::error::AppError;
use crate::tenancy::TenantSlug;
use crate::tenancy::settings::{CoreKind, DirectoryKind};

/// Who the tenant's customers are, and how they prove it.
#[derive(Debug, Clone, Copy)]
pub enum Directory {
    Hosted(Hosted),
    /// The customers sign in at the bank's OpenID provider (`bank.oidc`); who they are, their
    /// certificates and their passwords (when the form is shown beside) stay hosted.
    Oidc(Hosted),
}

/// What the tenant's customers' accounts hold.
#[derive(Debug, Clone, Copy)]
pub enum Core {
    Hosted(Hosted),
}

impl Directory {
    pub fn of(kind: DirectoryKind) -> Self {
        match kind {
            DirectoryKind::Hosted => Self::Hosted(Hosted),
            DirectoryKind::Oidc => Self::Oidc(Hosted),
        }
    }
}

impl Core {
    pub fn of(kind: CoreKind) -> Self {
        match kind {
            CoreKind::Hosted => Self::Hosted(Hosted),
        }
    }
}

impl CustomerDirectory for Directory {
    async fn find(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        login_id: &str,
    ) -> anyhow::Result<Option<Profile>> {
        match self {
            Self::Hosted(h) | Self::Oidc(h) => h.find(db, tenant, login_id).await,
        }
    }

    async fn login_id_of(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> anyhow::Result<Option<String>> {
        match self {
            Self::Hosted(h) | Self::Oidc(h) => h.login_id_of(db, tenant, customer).await,
        }
    }

    async fn certificates(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> anyhow::Result<Vec<Certificate>> {
        match self {
            Self::Hosted(h) | Self::Oidc(h) => h.certificates(db, tenant, customer).await,
        }
    }

    async fn revoke_certificate(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        fingerprint: &[u8],
        at: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Option<String>> {
        match self {
            Self::Hosted(h) | Self::Oidc(h) => {
                h.revoke_certificate(db, tenant, fingerprint, at).await
            }
        }
    }

    async fn verify_certificate(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        fingerprint: &[u8; 32],
    ) -> anyhow::Result<CertificateBinding> {
        match self {
            Self::Hosted(s) | Self::Oidc(s) => s.verify_certificate(db, tenant, fingerprint).await,
        }
    }

    async fn verify_password(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        login_id: &str,
        password: &str,
    ) -> anyhow::Result<Verification> {
        match self {
            Self::Hosted(s) | Self::Oidc(s) => {
                s.verify_password(db, tenant, login_id, password).await
            }
        }
    }

    async fn identify(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        bank_id: &str,
    ) -> anyhow::Result<Verification> {
        match self {
            Self::Hosted(s) | Self::Oidc(s) => s.identify(db, tenant, bank_id).await,
        }
    }

    async fn lock(&self, db: &Db, tenant: &TenantSlug, customer: CustomerId) -> anyhow::Result<()> {
        match self {
            Self::Hosted(s) | Self::Oidc(s) => s.lock(db, tenant, customer).await,
        }
    }

    async fn unlock(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> anyhow::Result<()> {
        match self {
            Self::Hosted(s) | Self::Oidc(s) => s.unlock(db, tenant, customer).await,
        }
    }
}

impl CoreBanking for Core {
    async fn accounts(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> anyhow::Result<Vec<Account>> {
        match self {
            Self::Hosted(s) => s.accounts(db, tenant, customer).await,
        }
    }
}

impl PartnerData for Core {
    async fn granted_accounts(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        token_hash: Vec<u8>,
    ) -> Result<Answer<Account>, AppError> {
        match self {
            Self::Hosted(s) => s.granted_accounts(db, tenant, token_hash).await,
        }
    }

    async fn balances(
        &self,
        db: &Db,
        batches: &BalanceBatches,
        tenant: &TenantSlug,
        ask: BalanceAsk,
        today: NaiveDate,
    ) -> Result<Answer<Balance>, AppError> {
        match self {
            Self::Hosted(s) => s.balances(db, batches, tenant, ask, today).await,
        }
    }

    async fn transactions(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        q: PageQuery,
    ) -> Result<(Option<Caller>, Page), AppError> {
        match self {
            Self::Hosted(s) => s.transactions(db, tenant, q).await,
        }
    }
}
