//! The hosted core's answers to the partner API ([`PartnerData`]). Each is one round trip: the
//! token, its grant and partner, the granted accounts and the data come back from one prepared
//! statement.
//!
//! Rows come back unordered and the API sorts them: a sort in the plan costs PostgreSQL more to
//! set up on every call than sorting a handful of rows costs there.

/// The caller's columns, shared by every statement of the children below.
macro_rules! caller {
    () => {
        "g.id AS grant_id, g.partner_id, COALESCE(t.scopes, g.scopes) AS scopes, p.status = 'active' AS partner_active, t.cnf_x5t_s256"
    };
}
/// A live access token, its live grant and the partner.
macro_rules! token_and_grant {
    () => {
        concat!(
            " FROM {schema}.tokens t
          JOIN {schema}.grants g ON g.id = t.grant_id AND NOT g.held AND ",
            crate::live_grant!("g", "now()"),
            "
          JOIN {schema}.partners p ON p.id = g.partner_id "
        )
    };
}
macro_rules! live_token_where {
    () => {
        concat!(
            " WHERE t.token_hash = ? AND t.kind = 'access' AND ",
            crate::live_token!("t", "now()"),
            " "
        )
    };
}

mod accounts;
mod balances;
mod caller;
pub mod transactions;

use chrono::NaiveDate;

use crate::bank::Account;
use crate::bank::Hosted;
use crate::bank::partner_data::{
    Answer, Balance, BalanceAsk, BalanceBatches, Caller, Page, PageQuery, PartnerData,
};
use crate::db::Db;
use crate::error::AppError;
use crate::tenancy::TenantSlug;

impl PartnerData for Hosted {
    async fn granted_accounts(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        token_hash: Vec<u8>,
    ) -> Result<Answer<Account>, AppError> {
        accounts::read(db, tenant, token_hash).await
    }

    async fn balances(
        &self,
        db: &Db,
        batches: &BalanceBatches,
        tenant: &TenantSlug,
        ask: BalanceAsk,
        today: NaiveDate,
    ) -> Result<Answer<Balance>, AppError> {
        balances::read(db, batches, tenant, ask, today).await
    }

    async fn transactions(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        q: PageQuery,
    ) -> Result<(Option<Caller>, Page), AppError> {
        transactions::read(db, tenant, q).await
    }
}
