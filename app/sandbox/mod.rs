//! The built-in sandbox of the bank's systems: customers (the `CustomerDirectory` side) and
//! accounts with their movements (the `CoreBanking` side), kept in the tenant's own schema.
//! `renkei customers add` and `renkei demo seed` fill it.

use anyhow::Context as _;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

pub use crate::bank::{AccountId, CustomerId, Email, LoginId};

use crate::db::TenantConn;
use crate::db::schema::tenant::{accounts, customer_certificates, customers, transactions};
use crate::i18n::Lang;

pub struct NewCustomer {
    pub login_id: LoginId,
    pub password: String,
    pub email: Email,
    pub locale: Lang,
    pub name: String,
    pub name_kana: String,
}

/// An account to open; `account_id` is derived from branch, type and number.
pub struct NewAccount {
    pub branch_code: String,
    pub branch_name: String,
    pub account_type_code: String,
    pub account_type_name: String,
    pub account_number: String,
    pub account_name: String,
    pub account_name_kana: String,
    pub opened_on: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Deposit,
    Withdrawal,
}

impl Direction {
    /// The open-API code: "1" deposit, "2" withdrawal.
    pub fn code(self) -> i16 {
        match self {
            Self::Deposit => 1,
            Self::Withdrawal => 2,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Movement {
    pub date: NaiveDate,
    pub direction: Direction,
    /// Whole yen, > 0.
    pub amount: i64,
    pub remarks: String,
}

/// The customer with this login ID, if any (IDs are case-sensitive).
pub async fn find_customer(
    conn: &mut TenantConn,
    login_id: &LoginId,
) -> QueryResult<Option<CustomerId>> {
    customers::table
        .filter(customers::login_id.eq(login_id.as_str()))
        .select(customers::id)
        .first::<Uuid>(&mut **conn)
        .await
        .optional()
        .map(|id| id.map(CustomerId))
}

#[tracing::instrument(skip_all, fields(tenant = %conn.slug(), login_id = %c.login_id))]
pub async fn add_customer(conn: &mut TenantConn, c: NewCustomer) -> anyhow::Result<CustomerId> {
    let hash = crate::secrets::hash_password(c.password).await?;
    let id = CustomerId(Uuid::now_v7());
    diesel::insert_into(customers::table)
        .values((
            customers::id.eq(id.0),
            customers::login_id.eq(c.login_id.as_str()),
            customers::password_hash.eq(hash),
            customers::email.eq(c.email.as_str()),
            customers::locale.eq(c.locale.code()),
            customers::name.eq(&c.name),
            customers::name_kana.eq(&c.name_kana),
        ))
        .execute(&mut **conn)
        .await
        .with_context(|| format!("adding customer '{}'", c.login_id))?;
    Ok(id)
}

pub async fn open_account(
    conn: &mut TenantConn,
    customer: CustomerId,
    a: NewAccount,
) -> anyhow::Result<AccountId> {
    let id = AccountId::parse(&format!(
        "{}{}{}",
        a.branch_code, a.account_type_code, a.account_number
    ))
    .map_err(|e| anyhow::anyhow!("account number: {e}"))?;
    diesel::insert_into(accounts::table)
        .values((
            accounts::account_id.eq(id.as_str()),
            accounts::customer_id.eq(customer.0),
            accounts::branch_code.eq(&a.branch_code),
            accounts::branch_name.eq(&a.branch_name),
            accounts::account_type_code.eq(&a.account_type_code),
            accounts::account_type_name.eq(&a.account_type_name),
            accounts::account_number.eq(&a.account_number),
            accounts::account_name.eq(&a.account_name),
            accounts::account_name_kana.eq(&a.account_name_kana),
            accounts::opened_on.eq(a.opened_on),
        ))
        .execute(&mut **conn)
        .await
        .with_context(|| format!("opening account {id}"))?;
    Ok(id)
}

/// Books movements in date order, keeping each row's running balance and the account's balance
/// consistent, in one transaction. A withdrawal larger than the balance, or a movement dated
/// before the account's last one, is refused.
pub async fn post(
    conn: &mut TenantConn,
    account: &AccountId,
    mut movements: Vec<Movement>,
) -> anyhow::Result<i64> {
    movements.sort_by_key(|m| m.date);
    let account = account.clone();
    conn.transaction::<_, anyhow::Error, _>(async move |conn| {
        let mut balance: i64 = accounts::table
            .find(account.as_str())
            .select(accounts::balance)
            .for_update()
            .first(conn)
            .await
            .with_context(|| format!("account {account}"))?;
        // Running balances only stay true when history is appended, never rewritten.
        let last: Option<NaiveDate> = transactions::table
            .filter(transactions::account_id.eq(account.as_str()))
            .select(diesel::dsl::max(transactions::transaction_date))
            .first(conn)
            .await?;
        if let (Some(last), Some(first)) = (last, <[Movement]>::first(&movements)) {
            anyhow::ensure!(
                first.date >= last,
                "{account}: a movement on {} would predate the last one on {last}",
                first.date
            );
        }
        let mut rows = Vec::with_capacity(movements.len());
        for m in &movements {
            anyhow::ensure!(m.amount > 0, "amounts are positive whole yen");
            balance = match m.direction {
                Direction::Deposit => balance + m.amount,
                Direction::Withdrawal => balance - m.amount,
            };
            anyhow::ensure!(
                balance >= 0,
                "{}: withdrawal of {} yen on {} exceeds the balance",
                account,
                m.amount,
                m.date
            );
            rows.push((
                transactions::account_id.eq(account.as_str()),
                transactions::transaction_date.eq(m.date),
                transactions::value_date.eq(m.date),
                transactions::transaction_type.eq(m.direction.code()),
                transactions::amount.eq(m.amount),
                transactions::remarks.eq(m.remarks.as_str()),
                transactions::balance.eq(balance),
            ));
        }
        // PostgreSQL takes at most 65,535 bind parameters a statement.
        for chunk in rows.chunks(5_000) {
            diesel::insert_into(transactions::table)
                .values(chunk)
                .execute(conn)
                .await?;
        }
        diesel::update(accounts::table.find(account.as_str()))
            .set(accounts::balance.eq(balance))
            .execute(conn)
            .await?;
        Ok(balance)
    })
    .await
}

/// The next free 7-digit account number at a branch for an account type.
pub async fn next_account_number(
    conn: &mut TenantConn,
    branch_code: &str,
    type_code: &str,
) -> anyhow::Result<String> {
    let max: Option<String> = accounts::table
        .filter(accounts::branch_code.eq(branch_code))
        .filter(accounts::account_type_code.eq(type_code))
        .select(diesel::dsl::max(accounts::account_number))
        .first(&mut **conn)
        .await?;
    let next = max.and_then(|n| n.parse::<u32>().ok()).map_or(1, |n| n + 1);
    anyhow::ensure!(
        next <= 9_999_999,
        "branch {branch_code} has no free account numbers"
    );
    Ok(format!("{next:07}"))
}

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
);

/// The sandbox implementation of both bank seams.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sandbox;

/// Registers a certificate to a customer; `false` when it already was. A certificate registered
/// to someone else is refused.
pub async fn bind_certificate(
    conn: &mut TenantConn,
    customer: CustomerId,
    cert: &crate::certs::Presented,
) -> anyhow::Result<bool> {
    let existing: Option<Uuid> = customer_certificates::table
        .find(cert.thumbprint.as_slice())
        .select(customer_certificates::customer_id)
        .first(&mut **conn)
        .await
        .optional()?;
    match existing {
        Some(owner) if owner == customer.0 => return Ok(false),
        Some(_) => anyhow::bail!("this certificate is already registered to another customer"),
        None => {}
    }
    diesel::insert_into(customer_certificates::table)
        .values((
            customer_certificates::fingerprint.eq(cert.thumbprint.as_slice()),
            customer_certificates::customer_id.eq(customer.0),
            customer_certificates::subject.eq(cert.subject().to_string()),
            customer_certificates::issuer.eq(cert.issuer().to_string()),
            customer_certificates::serial.eq(&cert.serial),
            customer_certificates::not_before.eq(cert.not_before()),
            customer_certificates::not_after.eq(cert.not_after()),
        ))
        .execute(&mut **conn)
        .await?;
    Ok(true)
}

impl crate::bank::CustomerDirectory for Sandbox {
    async fn verify_certificate(
        &self,
        conn: &mut TenantConn,
        fingerprint: &[u8; 32],
    ) -> anyhow::Result<crate::bank::CertificateBinding> {
        use crate::bank::CertificateBinding;
        type Stamp = Option<chrono::DateTime<chrono::Utc>>;
        // (customer, certificate revoked at, customer locked at)
        let found: Option<(Uuid, Stamp, Stamp)> = customer_certificates::table
            .inner_join(customers::table)
            .filter(customer_certificates::fingerprint.eq(fingerprint.as_slice()))
            .select((
                customers::id,
                customer_certificates::revoked_at,
                customers::locked_at,
            ))
            .first(conn)
            .await
            .optional()?;
        Ok(match found {
            None => CertificateBinding::Unbound,
            Some((_, Some(_), _)) => CertificateBinding::Revoked,
            Some((_, None, Some(_))) => CertificateBinding::Locked,
            Some((id, None, None)) => CertificateBinding::Customer(CustomerId(id)),
        })
    }

    async fn verify_password(
        &self,
        db: &crate::db::Db,
        tenant: &crate::tenancy::TenantSlug,
        login_id: &str,
        password: &str,
    ) -> anyhow::Result<crate::bank::Verification> {
        use crate::bank::Verification;
        // The connection goes back to the pool before the hash is computed.
        let found: Option<(Uuid, String, Option<chrono::DateTime<chrono::Utc>>)> = customers::table
            .filter(customers::login_id.eq(login_id))
            .select((
                customers::id,
                customers::password_hash,
                customers::locked_at,
            ))
            .first(&mut db.tenant(tenant).await?)
            .await
            .optional()?;
        let phc = found
            .as_ref()
            .map_or(crate::secrets::DUMMY_PHC.to_owned(), |f| f.1.clone());
        let matches = crate::secrets::verify_password(password.to_owned(), phc).await;
        Ok(match found {
            Some((_, _, Some(_))) => Verification::Locked,
            Some((id, _, None)) if matches => Verification::Verified(CustomerId(id)),
            Some((id, _, None)) => Verification::Refused {
                customer: Some(CustomerId(id)),
            },
            None => Verification::Refused { customer: None },
        })
    }

    async fn lock(&self, conn: &mut TenantConn, customer: CustomerId) -> anyhow::Result<()> {
        diesel::update(
            customers::table
                .find(customer.0)
                .filter(customers::locked_at.is_null()),
        )
        .set(customers::locked_at.eq(chrono::Utc::now()))
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn unlock(&self, conn: &mut TenantConn, customer: CustomerId) -> anyhow::Result<()> {
        diesel::update(customers::table.find(customer.0))
            .set((
                customers::locked_at.eq(None::<chrono::DateTime<chrono::Utc>>),
                customers::failed_logins.eq(0),
            ))
            .execute(conn)
            .await?;
        Ok(())
    }
}

impl crate::bank::CoreBanking for Sandbox {
    async fn accounts(
        &self,
        conn: &mut TenantConn,
        customer: CustomerId,
    ) -> anyhow::Result<Vec<crate::bank::Account>> {
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
            ))
            .load(conn)
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(crate::bank::Account {
                    account_id: AccountId::parse(&r.0).map_err(anyhow::Error::msg)?,
                    branch_code: r.1,
                    branch_name: r.2,
                    account_type_code: r.3,
                    account_type_name: r.4,
                    account_number: r.5,
                    account_name: r.6,
                    account_name_kana: r.7,
                    currency_code: r.8,
                })
            })
            .collect()
    }
}
