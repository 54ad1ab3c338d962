//! 全銀協 入出金取引明細 (03) files of the tests' own making, field by field from the layout
//! (reference/zengin-layout.md), independent of the app's reader.

use chrono::{Datelike as _, NaiveDate};

/// One data record's content.
#[derive(Clone)]
pub struct Row {
    pub reference: u32,
    pub day: NaiveDate,
    pub deposit: bool,
    /// 取引区分.
    pub kind: &'static str,
    pub amount: i64,
    /// 振込依頼人名 (for a deposit) or 契約者番号 (a withdrawal), half-width.
    pub party: &'static str,
    /// 摘要内容, half-width.
    pub summary: &'static str,
}

/// One account's block.
#[derive(Clone)]
pub struct Account {
    pub branch: &'static str,
    /// 預金種目.
    pub deposit_type: u8,
    /// Seven digits.
    pub number: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// 取引前残高; `None` leaves it (and 取引後残高) out.
    pub opening: Option<i64>,
    pub rows: Vec<Row>,
}

pub struct File {
    pub bank_code: &'static str,
    pub created: NaiveDate,
    pub accounts: Vec<Account>,
    pub crlf: bool,
    /// コード区分 (0 JIS, 1 EBCDIC).
    pub code: char,
}

/// YYMMDD in the era of the day: 令和 from 2019-05-01, 平成 before.
pub fn wareki(d: NaiveDate) -> String {
    let reiwa = NaiveDate::from_ymd_opt(2019, 5, 1).unwrap();
    let year = if d >= reiwa {
        d.year() - 2018
    } else {
        d.year() - 1988
    };
    format!("{year:02}{:02}{:02}", d.month(), d.day())
}

/// A record of 200 bytes: (1-based position, text) placed, the rest spaces.
fn rec(fields: &[(usize, String)]) -> Vec<u8> {
    let mut r = vec![b' '; 200];
    for (pos, text) in fields {
        let bytes = half(text);
        r[pos - 1..pos - 1 + bytes.len()].copy_from_slice(&bytes);
    }
    r
}

/// Half-width katakana as their JIS X 0201 bytes, ASCII as itself.
pub fn half(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c as u32 {
            0xff61..=0xff9f => (c as u32 - 0xff61 + 0xa1) as u8,
            _ => c as u8,
        })
        .collect()
}

fn sign(balance: i64) -> String {
    if balance < 0 { "2".into() } else { "1".into() }
}

impl File {
    pub fn bytes(&self) -> Vec<u8> {
        let mut records = Vec::new();
        for a in &self.accounts {
            let mut header = vec![
                (1, "1".to_owned()),
                (2, "03".into()),
                (4, self.code.to_string()),
                (5, wareki(self.created)),
                (11, wareki(a.from)),
                (17, wareki(a.to)),
                (23, self.bank_code.into()),
                (27, "ｷﾀﾐｼﾝｷﾝ".into()),
                (42, a.branch.into()),
                (45, "ﾎﾝﾃﾝ".into()),
                (60, "000".into()),
                (63, a.deposit_type.to_string()),
                (64, format!("000{}", a.number)),
                (74, "ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ".into()),
            ];
            if let Some(o) = a.opening {
                header.push((114, sign(o)));
                header.push((116, format!("{:014}", o.abs())));
            }
            records.push(rec(&header));
            for r in &a.rows {
                records.push(rec(&[
                    (1, "2".into()),
                    (2, format!("{:08}", r.reference)),
                    (10, wareki(r.day)),
                    (16, wareki(r.day)),
                    (22, if r.deposit { "1" } else { "2" }.into()),
                    (23, r.kind.into()),
                    (25, format!("{:012}", r.amount)),
                    (37, "000000000000".into()),
                    (49, "000000".into()),
                    (55, "000000".into()),
                    (61, "0".into()),
                    (62, "0000000".into()),
                    (69, "000".into()),
                    (72, "0000000000".into()),
                    (82, r.party.into()),
                    (160, r.summary.into()),
                ]));
            }
            let of = |deposit: bool| a.rows.iter().filter(move |r| r.deposit == deposit);
            let mut trailer = vec![
                (1, "8".to_owned()),
                (2, format!("{:06}", of(true).count())),
                (
                    8,
                    format!("{:013}", of(true).map(|r| r.amount).sum::<i64>()),
                ),
                (21, format!("{:06}", of(false).count())),
                (
                    27,
                    format!("{:013}", of(false).map(|r| r.amount).sum::<i64>()),
                ),
                (55, format!("{:07}", a.rows.len())),
            ];
            if let Some(o) = a.opening {
                let closing = o + a
                    .rows
                    .iter()
                    .map(|r| if r.deposit { r.amount } else { -r.amount })
                    .sum::<i64>();
                trailer.push((40, sign(closing)));
                trailer.push((41, format!("{:014}", closing.abs())));
            }
            records.push(rec(&trailer));
        }
        let data: usize = self.accounts.iter().map(|a| a.rows.len()).sum();
        records.push(rec(&[
            (1, "9".into()),
            (2, format!("{:010}", data + 2 * self.accounts.len())),
            (12, format!("{:05}", self.accounts.len())),
        ]));
        let mut out = Vec::new();
        for r in records {
            out.extend_from_slice(&r);
            if self.crlf {
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }
}

/// One 振込入金通知 (01) record: (照会番号, amount, 振込依頼人名, 取消区分 1).
pub type Transfer = (u32, i64, &'static str, bool);

/// A 振込入金通知 (01) of one account (7-digit number) for `day`, format A.
pub fn notice(
    bank_code: &str,
    branch: &str,
    number: &str,
    day: NaiveDate,
    transfers: &[Transfer],
) -> Vec<u8> {
    let d = wareki(day);
    let mut records = vec![rec(&[
        (1, "1".into()),
        (2, "01".into()),
        (4, "0".into()),
        (5, d.clone()),
        (11, d.clone()),
        (17, d.clone()),
        (23, bank_code.into()),
        (42, branch.into()),
        (60, "1".into()),
        (61, number.into()),
        (68, "ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ".into()),
    ])];
    for (reference, amount, remitter, cancels) in transfers {
        records.push(rec(&[
            (1, "2".into()),
            (2, format!("{reference:06}")),
            (8, d.clone()),
            (14, d.clone()),
            (20, format!("{amount:010}")),
            (30, "0000000000".into()),
            (40, "0000000000".into()),
            (50, (*remitter).into()),
            (98, "ﾎｯｶｲﾄﾞｳ".into()),
            (113, "ｻｯﾎﾟﾛ".into()),
            (128, if *cancels { "1" } else { "0" }.into()),
        ]));
    }
    let of = |c: bool| transfers.iter().filter(move |t| t.3 == c);
    records.push(rec(&[
        (1, "8".into()),
        (2, format!("{:06}", of(false).count())),
        (8, format!("{:012}", of(false).map(|t| t.1).sum::<i64>())),
        (20, format!("{:06}", of(true).count())),
        (26, format!("{:012}", of(true).map(|t| t.1).sum::<i64>())),
    ]));
    records.push(rec(&[(1, "9".into())]));
    records
        .into_iter()
        .flat_map(|mut r| {
            r.extend_from_slice(b"\r\n");
            r
        })
        .collect()
}
