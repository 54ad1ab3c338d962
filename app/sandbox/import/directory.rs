//! The bank's directory CSVs written into the hosted core: customers by login ID and accounts
//! by account ID, added or brought up to date, each file in one statement.

use chrono::NaiveDate;
use diesel::sql_types::{Array, Bool, Date, Int8, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::plan::Refusal;
use crate::zengin::directory::{AccountRow, CustomerRow, account_type_name};

/// A customer the file named, with the status it had before (`None`: new).
#[derive(Debug, diesel::QueryableByName)]
pub struct Written {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub was: Option<String>,
}

/// A password hash that no password verifies: a customer the bank moved without one signs in
/// only once `renkei customers set-password` (or a certificate) gives a way.
pub const NO_PASSWORD: &str = "!";

pub async fn customers(
    conn: &mut AsyncPgConnection,
    rows: &[CustomerRow],
) -> Result<Vec<Written>, Refusal> {
    let col = |f: fn(&CustomerRow) -> &str| rows.iter().map(f).collect::<Vec<_>>();
    let bank_ids: Vec<Option<&str>> = rows.iter().map(|r| r.bank_customer_id.as_deref()).collect();
    // A bank customer ID already another customer's is refused, naming its line.
    let taken: Vec<Problem> = diesel::sql_query(
        "SELECT u.line, 'bank_customer_id: ' || u.bank_id || ' is already that of customer ' || c.login_id AS why
           FROM unnest($1::int8[], $2::text[], $3::text[]) AS u (line, login_id, bank_id)
           JOIN customers c ON c.bank_customer_id = u.bank_id AND c.login_id <> u.login_id
          ORDER BY u.line LIMIT 1",
    )
    .bind::<Array<Int8>, _>(rows.iter().map(|r| r.line as i64).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(col(|r| &r.login_id))
    .bind::<Array<Nullable<Text>>, _>(&bank_ids)
    .load(conn)
    .await?;
    if let Some(p) = taken.into_iter().next() {
        return Err(Refusal::File(format!("line {}, {}", p.line, p.why)));
    }
    Ok(diesel::sql_query(
        "WITH input AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[])
             AS u (login_id, name, name_kana, email, locale, status, password_hash, bank_customer_id)),
         before AS (SELECT c.login_id, c.status FROM customers c JOIN input i USING (login_id))
         INSERT INTO customers AS c (id, login_id, password_hash, email, locale, name, name_kana, status, bank_customer_id)
         SELECT gen_random_uuid(), login_id, COALESCE(password_hash, $8), email, locale, name, name_kana, status, bank_customer_id
           FROM input
         ON CONFLICT (login_id) DO UPDATE
            SET name = EXCLUDED.name, name_kana = EXCLUDED.name_kana, email = EXCLUDED.email,
                locale = EXCLUDED.locale, status = EXCLUDED.status,
                password_hash = CASE WHEN EXCLUDED.password_hash = $8 THEN c.password_hash
                                     ELSE EXCLUDED.password_hash END,
                bank_customer_id = COALESCE(EXCLUDED.bank_customer_id, c.bank_customer_id)
         RETURNING c.id, c.status, (SELECT b.status FROM before b WHERE b.login_id = c.login_id) AS was",
    )
    .bind::<Array<Text>, _>(col(|r| &r.login_id))
    .bind::<Array<Text>, _>(col(|r| &r.name))
    .bind::<Array<Text>, _>(col(|r| &r.name_kana))
    .bind::<Array<Text>, _>(col(|r| &r.email))
    .bind::<Array<Text>, _>(col(|r| &r.locale))
    .bind::<Array<Text>, _>(col(|r| r.status.as_str()))
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.password_hash.as_deref()).collect::<Vec<_>>())
    .bind::<Text, _>(NO_PASSWORD)
    .bind::<Array<Nullable<Text>>, _>(&bank_ids)
    .load(conn)
    .await?)
}

#[derive(diesel::QueryableByName)]
struct Problem {
    #[diesel(sql_type = Int8)]
    line: i64,
    #[diesel(sql_type = Text)]
    why: String,
}

#[derive(diesel::QueryableByName)]
struct Added {
    #[diesel(sql_type = Bool)]
    added: bool,
}

/// Adds or updates the accounts; answers how many were new.
pub async fn accounts(
    conn: &mut AsyncPgConnection,
    rows: &[AccountRow],
    today: NaiveDate,
) -> Result<(usize, usize), Refusal> {
    let col = |f: fn(&AccountRow) -> &str| rows.iter().map(f).collect::<Vec<_>>();
    let ids: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}{}{}",
                r.branch_code, r.account_type_code, r.account_number
            )
        })
        .collect();
    let lines: Vec<i64> = rows.iter().map(|r| r.line as i64).collect();
    let openings: Vec<Option<i64>> = rows.iter().map(|r| r.opening_balance).collect();
    // Checked first: an owner that is no customer, an account moving to another customer, an
    // opening balance changed under movements already imported.
    let problems: Vec<Problem> = diesel::sql_query(
        "SELECT u.line, CASE
                 WHEN c.id IS NULL THEN 'login_id: ''' || u.login_id || ''' is no customer (import the customers file first)'
                 WHEN a.customer_id <> c.id THEN 'login_id: account ' || u.id || ' belongs to another customer'
                 ELSE 'opening_balance: account ' || u.id || ' has movements since its opening balance of ' || a.opening_balance
               END AS why
           FROM unnest($1::int8[], $2::text[], $3::text[], $4::int8[]) AS u (line, login_id, id, opening)
           LEFT JOIN customers c ON c.login_id = u.login_id
           LEFT JOIN accounts a ON a.account_id = u.id
          WHERE c.id IS NULL OR a.customer_id <> c.id
             OR (u.opening IS NOT NULL AND a.last_transaction_date IS NOT NULL
                 AND a.opening_balance IS DISTINCT FROM u.opening)
          ORDER BY u.line LIMIT 1",
    )
    .bind::<Array<Int8>, _>(&lines)
    .bind::<Array<Text>, _>(col(|r| &r.login_id))
    .bind::<Array<Text>, _>(&ids)
    .bind::<Array<Nullable<Int8>>, _>(&openings)
    .load(conn)
    .await?;
    if let Some(p) = problems.into_iter().next() {
        return Err(Refusal::File(format!("line {}, {}", p.line, p.why)));
    }
    let added: Vec<Added> = diesel::sql_query(
        "INSERT INTO accounts AS a (account_id, customer_id, branch_code, branch_name, account_type_code,
                account_type_name, account_number, account_name, account_name_kana, opened_on,
                opening_balance, balance)
         SELECT u.id, c.id, u.branch_code, u.branch_name, u.type_code, u.type_name, u.number, u.name,
                u.kana, $11, u.opening, COALESCE(u.opening, 0)
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::int8[])
             AS u (id, login_id, branch_code, branch_name, type_code, type_name, number, name, kana, opening)
           JOIN customers c ON c.login_id = u.login_id
         ON CONFLICT (account_id) DO UPDATE
            SET branch_name = EXCLUDED.branch_name, account_name = EXCLUDED.account_name,
                account_name_kana = EXCLUDED.account_name_kana,
                opening_balance = COALESCE(EXCLUDED.opening_balance, a.opening_balance),
                balance = CASE WHEN a.last_transaction_date IS NULL AND EXCLUDED.opening_balance IS NOT NULL
                               THEN EXCLUDED.opening_balance ELSE a.balance END
         RETURNING (xmax = 0) AS added",
    )
    .bind::<Array<Text>, _>(&ids)
    .bind::<Array<Text>, _>(col(|r| &r.login_id))
    .bind::<Array<Text>, _>(col(|r| &r.branch_code))
    .bind::<Array<Text>, _>(col(|r| &r.branch_name))
    .bind::<Array<Text>, _>(col(|r| &r.account_type_code))
    .bind::<Array<Text>, _>(col(|r| account_type_name(&r.account_type_code).unwrap_or("")))
    .bind::<Array<Text>, _>(col(|r| &r.account_number))
    .bind::<Array<Text>, _>(col(|r| &r.account_name))
    .bind::<Array<Text>, _>(col(|r| &r.account_name_kana))
    .bind::<Array<Nullable<Int8>>, _>(&openings)
    .bind::<Date, _>(today)
    .load(conn)
    .await?;
    let new = added.iter().filter(|a| a.added).count();
    Ok((new, added.len() - new))
}
