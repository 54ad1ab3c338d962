//! `renkei demo zengin`: a day's 入出金取引明細 (03) for every 流動性 account of a tenant, as the
//! bank's firm-banking system would write it (CR LF after each record), to try `renkei core
//! import` with. The same tenant and day give the same file, so importing it again adds nothing.

use chrono::{Datelike as _, NaiveDate};
use diesel::sql_types::{Date, Int8, Text};
use diesel_async::RunQueryDsl;

use crate::db::Db;
use crate::tenancy::TenantSlug;
use crate::zengin::text::to_jis;

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = Text)]
    branch_code: String,
    #[diesel(sql_type = Text)]
    account_type_code: String,
    #[diesel(sql_type = Text)]
    account_number: String,
    #[diesel(sql_type = Text)]
    account_name_kana: String,
    #[diesel(sql_type = Int8)]
    opening: i64,
}

/// YYMMDD in the era of the day (令和 from 2019-05-01, 平成 before).
fn wareki(d: NaiveDate) -> String {
    let year = if d >= NaiveDate::from_ymd_opt(2019, 5, 1).unwrap_or(d) {
        d.year() - 2018
    } else {
        d.year() - 1988
    };
    format!("{year:02}{:02}{:02}", d.month(), d.day())
}

/// A record of 200 bytes with each (1-based position, bytes) placed, the rest spaces.
fn record(fields: &[(usize, &[u8])]) -> Vec<u8> {
    let mut r = vec![b' '; 200];
    for (pos, bytes) in fields {
        let len = bytes.len().min(201 - pos);
        r[pos - 1..pos - 1 + len].copy_from_slice(&bytes[..len]);
    }
    r.extend_from_slice(b"\r\n");
    r
}

struct Move {
    deposit: bool,
    kind: &'static str,
    amount: i64,
    party: &'static str,
    summary: &'static str,
}

/// Which accounts a file covers and how many movements each: the demo's two or three a day,
/// or, for `make bench`, a slice of the accounts with `per_account` movements each.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shape {
    pub skip: i64,
    pub accounts: Option<i64>,
    pub per_account: Option<usize>,
}

/// `n` movements of a day: small deposits, each fourth a withdrawal of less.
fn many(n: usize) -> Vec<Move> {
    (0..n)
        .map(|i| Move {
            deposit: i % 4 != 3,
            kind: if i % 4 == 3 { "14" } else { "10" },
            amount: 1_000 + (i as i64 * 37) % 4_000,
            party: "",
            summary: "ATM",
        })
        .collect()
}

/// The day's movements of an account, the same for the same account and day.
fn movements(account: &str, day: NaiveDate) -> Vec<Move> {
    let h = crate::secrets::sha256(&format!("{account}/{day}"));
    let n = |i: usize| u64::from(h[i]) << 8 | u64::from(h[i + 1]);
    let mut out = vec![
        Move {
            deposit: true,
            kind: "11",
            amount: 10_000 + (n(0) % 29_000) as i64 * 10,
            party: "ｶ)ｵﾎｰﾂｸｽｰﾊﾟｰ",
            summary: "ｳﾘｱｹﾞﾆﾕｳｷﾝ",
        },
        Move {
            deposit: false,
            kind: "14",
            amount: 3_000 + (n(2) % 17_000) as i64,
            party: "00000000000000012345",
            summary: "ﾃﾞﾝｷﾀﾞｲ",
        },
    ];
    if h[4].is_multiple_of(2) {
        out.push(Move {
            deposit: true,
            kind: "10",
            amount: 1_000 * (1 + i64::from(h[5] % 50)),
            party: "",
            summary: "ATM",
        });
    }
    out
}

/// The file, and how many accounts and movements it holds.
pub async fn statement(
    db: &Db,
    slug: &TenantSlug,
    bank_code: &str,
    day: NaiveDate,
    shape: Shape,
) -> anyhow::Result<(Vec<u8>, usize, usize)> {
    // The balance before the day's first imported movement, or the balance now.
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT a.account_id, a.branch_code, a.account_type_code, a.account_number, \
                a.account_name_kana, \
                COALESCE((SELECT t.balance - CASE t.transaction_type WHEN 1 THEN t.amount \
                                                                   ELSE -t.amount END \
                            FROM transactions t \
                           WHERE t.account_id = a.account_id AND t.import_id IS NOT NULL \
                             AND t.transaction_date = $1 \
                           ORDER BY t.id LIMIT 1), a.balance) AS opening \
           FROM accounts a WHERE a.account_type_code IN ('01', '02', '04') ORDER BY a.account_id \
          OFFSET $2 LIMIT $3",
    )
    .bind::<Date, _>(day)
    .bind::<Int8, _>(shape.skip)
    .bind::<Int8, _>(shape.accounts.unwrap_or(i64::MAX))
    .load(&mut *db.tenant(slug).await?)
    .await?;
    let date = wareki(day);
    let mut file = Vec::new();
    let mut moved = 0;
    for a in &rows {
        let kind = &a.account_type_code[1..];
        let name = to_jis(&a.account_name_kana).unwrap_or_default();
        let sign = |b: i64| if b < 0 { b"2" } else { b"1" };
        let number = format!("000{}", a.account_number);
        let opening = format!("{:014}", a.opening.abs());
        file.extend(record(&[
            (1, b"1"),
            (2, b"03"),
            (4, b"0"),
            (5, date.as_bytes()),
            (11, date.as_bytes()),
            (17, date.as_bytes()),
            (23, bank_code.as_bytes()),
            (42, a.branch_code.as_bytes()),
            (60, b"000"),
            (63, kind.as_bytes()),
            (64, number.as_bytes()),
            (74, &name),
            (114, sign(a.opening)),
            (115, b"1"),
            (116, opening.as_bytes()),
        ]));
        let day_moves = match shape.per_account {
            Some(n) => many(n),
            None => movements(&a.account_id, day),
        };
        let mut balance = a.opening;
        for (i, m) in day_moves.iter().enumerate() {
            balance += if m.deposit { m.amount } else { -m.amount };
            let reference = format!("{:03}{:05}", day.ordinal(), i + 1);
            let amount = format!("{:012}", m.amount);
            file.extend(record(&[
                (1, b"2"),
                (2, reference.as_bytes()),
                (10, date.as_bytes()),
                (16, date.as_bytes()),
                (22, if m.deposit { b"1" } else { b"2" }),
                (23, m.kind.as_bytes()),
                (25, amount.as_bytes()),
                (37, b"000000000000"),
                (49, b"000000000000"),
                (61, b"00000000000"),
                (72, b"0000000000"),
                (82, &to_jis(m.party).unwrap_or_default()),
                (160, &to_jis(m.summary).unwrap_or_default()),
            ]));
        }
        moved += day_moves.len();
        let of = |deposit: bool| day_moves.iter().filter(move |m| m.deposit == deposit);
        let (dn, ds) = (of(true).count(), of(true).map(|m| m.amount).sum::<i64>());
        let (wn, ws) = (of(false).count(), of(false).map(|m| m.amount).sum::<i64>());
        let [dn, ds, wn, ws] = [
            format!("{dn:06}"),
            format!("{ds:013}"),
            format!("{wn:06}"),
            format!("{ws:013}"),
        ];
        let closing = format!("{:014}", balance.abs());
        let count = format!("{:07}", day_moves.len());
        file.extend(record(&[
            (1, b"8"),
            (2, dn.as_bytes()),
            (8, ds.as_bytes()),
            (21, wn.as_bytes()),
            (27, ws.as_bytes()),
            (40, sign(balance)),
            (41, closing.as_bytes()),
            (55, count.as_bytes()),
        ]));
    }
    let total = format!("{:010}", moved + 2 * rows.len());
    let accounts = format!("{:05}", rows.len());
    file.extend(record(&[
        (1, b"9"),
        (2, total.as_bytes()),
        (12, accounts.as_bytes()),
    ]));
    Ok((file, rows.len(), moved))
}
