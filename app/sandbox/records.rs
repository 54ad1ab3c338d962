//! What `renkei customers add` and `renkei demo seed` write into the hosted core: customers,
//! accounts and their movements.

use anyhow::Context as _;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use crate::bank::{AccountId, Certificate, CustomerId, Email, LoginId, Profile};
use crate::db::TenantConn;
use crate::db::schema::tenant::{accounts, customers, transactions};
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

/// The customer with this login ID (case-sensitive), if any.
pub(super) async fn profile(conn: &mut TenantConn, login_id: &str) -> QueryResult<Option<Profile>> {
    type Row = (
        Uuid,
        String,
        String,
        String,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let row: Option<Row> = customers::table
        .filter(customers::login_id.eq(login_id))
        .select((
            customers::id,
            customers::login_id,
            customers::name,
            customers::email,
            customers::locked_at,
        ))
        .first(&mut **conn)
        .await
        .optional()?;
    Ok(row.map(|(id, login_id, name, email, locked_at)| Profile {
        id: CustomerId(id),
        login_id,
        name,
        email,
        locked: locked_at.is_some(),
    }))
}

/// The customer's login ID.
pub(super) async fn login_id_of(
    conn: &mut TenantConn,
    customer: CustomerId,
) -> QueryResult<Option<String>> {
    customers::table
        .find(customer.0)
        .select(customers::login_id)
        .first(&mut **conn)
        .await
        .optional()
}

/// The customer's certificates, newest first.
pub(super) async fn certificates(
    conn: &mut TenantConn,
    customer: CustomerId,
) -> QueryResult<Vec<Certificate>> {
    use crate::db::schema::tenant::customer_certificates as cc;
    type Row = (
        Vec<u8>,
        String,
        String,
        chrono::DateTime<chrono::Utc>,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let rows: Vec<Row> = cc::table
        .filter(cc::customer_id.eq(customer.0))
        .order(cc::created_at.desc())
        .select((
            cc::fingerprint,
            cc::subject,
            cc::serial,
            cc::not_after,
            cc::revoked_at,
        ))
        .load(&mut **conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(fingerprint, subject, serial, not_after, revoked_at)| Certificate {
                fingerprint,
                subject,
                serial,
                not_after,
                revoked_at,
            },
        )
        .collect())
}

/// Withdraws a certificate from its customer at `at`; the login ID of that customer, or `None`
/// when no customer registered it. Withdrawing it again changes nothing.
pub(super) async fn revoke_certificate(
    conn: &mut TenantConn,
    fingerprint: &[u8],
    at: chrono::DateTime<chrono::Utc>,
) -> QueryResult<Option<String>> {
    use crate::db::schema::tenant::customer_certificates as cc;
    let Some(login_id): Option<String> = cc::table
        .inner_join(customers::table)
        .filter(cc::fingerprint.eq(fingerprint))
        .select(customers::login_id)
        .first(&mut **conn)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    diesel::update(cc::table.find(fingerprint).filter(cc::revoked_at.is_null()))
        .set(cc::revoked_at.eq(at))
        .execute(&mut **conn)
        .await?;
    Ok(Some(login_id))
}

/// Replaces a customer's password hash; false when there is no such customer.
pub async fn set_password(
    conn: &mut TenantConn,
    login_id: &str,
    phc: &str,
) -> anyhow::Result<bool> {
    let n = diesel::update(customers::table.filter(customers::login_id.eq(login_id)))
        .set(customers::password_hash.eq(phc))
        .execute(&mut **conn)
        .await?;
    Ok(n == 1)
}
