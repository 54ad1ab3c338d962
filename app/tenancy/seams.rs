//! Which of the bank's systems a tenant's two seams reach, chosen per tenant when its settings
//! are read. Today every tenant is hosted (the sandbox core in its own schema); the bank's own
//! sign-in and gateway become variants here, and no caller changes.

use crate::bank::{
    Account, CertificateBinding, CoreBanking, CustomerDirectory, CustomerId, Verification,
};
use crate::db::{Db, TenantConn};
use crate::sandbox::Sandbox;
use crate::tenancy::TenantSlug;

/// Who the tenant's customers are, and how they prove it.
#[derive(Debug, Clone, Copy)]
pub enum Directory {
    Hosted(Sandbox),
}

/// What the tenant's customers' accounts hold.
#[derive(Debug, Clone, Copy)]
pub enum Core {
    Hosted(Sandbox),
}

impl CustomerDirectory for Directory {
    async fn verify_certificate(
        &self,
        conn: &mut TenantConn,
        fingerprint: &[u8; 32],
    ) -> anyhow::Result<CertificateBinding> {
        match self {
            Self::Hosted(s) => s.verify_certificate(conn, fingerprint).await,
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
            Self::Hosted(s) => s.verify_password(db, tenant, login_id, password).await,
        }
    }

    async fn lock(&self, conn: &mut TenantConn, customer: CustomerId) -> anyhow::Result<()> {
        match self {
            Self::Hosted(s) => s.lock(conn, customer).await,
        }
    }

    async fn unlock(&self, conn: &mut TenantConn, customer: CustomerId) -> anyhow::Result<()> {
        match self {
            Self::Hosted(s) => s.unlock(conn, customer).await,
        }
    }
}

impl CoreBanking for Core {
    async fn accounts(
        &self,
        conn: &mut TenantConn,
        customer: CustomerId,
    ) -> anyhow::Result<Vec<Account>> {
        match self {
            Self::Hosted(s) => s.accounts(conn, customer).await,
        }
    }
}
