//! 口座一覧: the grant's accounts.

use diesel::prelude::*;
use diesel::sql_types::{Bytea, Nullable, Text};

use super::caller::{CallerRow, account_id};
use crate::bank::Account;
use crate::bank::partner_data::Answer;
use crate::db::{Db, TenantStatements};
use crate::error::AppError;
use crate::statement;
use crate::tenancy::TenantSlug;

#[derive(Debug, QueryableByName)]
struct AccountRow {
    #[diesel(embed)]
    caller: CallerRow,
    #[diesel(sql_type = Nullable<Text>)]
    account_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    branch_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    branch_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    account_type_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    account_type_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    account_number: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    account_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    account_name_kana: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    currency_code: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Date>)]
    imported_through: Option<chrono::NaiveDate>,
}

statement!(
    /// The grant's accounts.
    AccountsSql,
    concat!(
        "SELECT ", caller!(), ", a.account_id, a.branch_code, a.branch_name, a.account_type_code,
                a.account_type_name, a.account_number, a.account_name, a.account_name_kana, a.currency_code,
                a.imported_through ",
        token_and_grant!(),
        " LEFT JOIN {schema}.grant_accounts ga ON ga.grant_id = g.id
          LEFT JOIN {schema}.accounts a ON a.account_id = ga.account_id ",
        live_token_where!()
    )
);

async fn accounts(
    conn: &mut TenantStatements,
    token_hash: Vec<u8>,
) -> QueryResult<Vec<AccountRow>> {
    conn.query::<AccountsSql>()
        .bind::<Bytea, _>(token_hash)
        .load()
        .await
}

impl AccountRow {
    fn account(self) -> QueryResult<Option<Account>> {
        let (
            Some(id),
            Some(branch_code),
            Some(branch_name),
            Some(account_type_code),
            Some(account_type_name),
            Some(account_number),
            Some(account_name),
            Some(account_name_kana),
            Some(currency_code),
        ) = (
            self.account_id,
            self.branch_code,
            self.branch_name,
            self.account_type_code,
            self.account_type_name,
            self.account_number,
            self.account_name,
            self.account_name_kana,
            self.currency_code,
        )
        else {
            return Ok(None);
        };
        Ok(Some(Account {
            account_id: account_id(id)?,
            branch_code,
            branch_name,
            account_type_code,
            account_type_name,
            account_number,
            account_name,
            account_name_kana,
            currency_code,
            as_of: self.imported_through,
        }))
    }
}

pub(super) async fn read(
    db: &Db,
    tenant: &TenantSlug,
    token_hash: Vec<u8>,
) -> Result<Answer<Account>, AppError> {
    let rows = accounts(&mut db.tenant_statements(tenant).await?, token_hash).await?;
    let caller = rows.first().map(|r| r.caller.clone().into());
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.extend(row.account()?);
    }
    Ok(Answer { caller, items })
}
