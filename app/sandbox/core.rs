//! The hosted core: accounts and their movements in the tenant's schema.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::bank::Hosted;
use crate::bank::{Account, AccountId, CoreBanking, CustomerId};
use crate::db::Db;
use crate::db::schema::tenant::accounts;
use crate::tenancy::TenantSlug;

/// account_id, branch code and name, type code and name, number, name, kana, currency.
type AccountRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<chrono::NaiveDate>,
);

impl CoreBanking for Hosted {
    async fn accounts(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> anyhow::Result<Vec<Account>> {
        let rows: Vec<AccountRow> = accounts::table
            .filter(accounts::customer_id.eq(customer.0))
            .order(accounts::account_id)
            .select((
                accounts::account_id,
                accounts::branch_code,
                accounts::branch_name,
                accounts::account_type_code,
                accounts::account_type_name,
                accounts::account_number,
                accounts::account_name,
                accounts::account_name_kana,
                accounts::currency_code,
                accounts::imported_through,
            ))
            .load(&mut db.tenant(tenant).await?)
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Account {
                    account_id: AccountId::parse(&r.0).map_err(anyhow::Error::msg)?,
                    branch_code: r.1,
                    branch_name: r.2,
                    account_type_code: r.3,
                    account_type_name: r.4,
                    account_number: r.5,
                    account_name: r.6,
                    account_name_kana: r.7,
                    currency_code: r.8,
                    as_of: r.9,
                })
            })
            .collect()
    }
}
