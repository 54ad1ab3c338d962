//! 振込入金通知 (種別コード 01): the day's incoming transfers as the bank learns of them, one block
//! (header, data, trailer) per account and one end record. Same-day information: the transfers
//! come again in the day's 入出金取引明細, which alone the partner API serves.

use chrono::NaiveDate;

use super::fields::Rec;
use super::framing::records;
use super::problem::Problem;
use super::text;

/// One transfer, or (取消区分 1) the cancellation of the one it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub record: usize,
    /// 照会番号.
    pub reference: String,
    pub booked_on: NaiveDate,
    pub value_date: NaiveDate,
    pub amount: i64,
    /// 振込依頼人名, full-width.
    pub remitter: String,
    /// 仕向銀行名 and 仕向店名, full-width.
    pub from_bank: String,
    pub from_branch: String,
    pub cancels: bool,
    pub raw: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeBlock {
    pub record: usize,
    pub bank_code: String,
    pub branch_code: String,
    pub deposit_type: u8,
    pub account_number: String,
    pub transfers: Vec<Transfer>,
}

impl NoticeBlock {
    pub fn account_id(&self) -> Option<String> {
        let code = match self.deposit_type {
            1 => "01",
            2 => "02",
            4 => "04",
            _ => return None,
        };
        Some(format!("{}{code}{}", self.branch_code, self.account_number))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub created: NaiveDate,
    pub blocks: Vec<NoticeBlock>,
}

/// Reads a 振込入金通知 file; `today` places the 作成日's era.
pub fn parse(file: &[u8], today: NaiveDate) -> Result<Notice, Problem> {
    let records = records(file)?;
    let mut blocks = Vec::new();
    let mut open: Option<NoticeBlock> = None;
    let mut created = None;
    let mut ended = false;
    for (i, bytes) in records.iter().enumerate() {
        let r = Rec { n: i + 1, bytes };
        if ended {
            return Err(Problem::at(
                r.n,
                "データ区分",
                "a record after the end record".into(),
            ));
        }
        match (bytes[0], open.as_mut()) {
            (b'1', None) => {
                if r.raw(2, 2) != b"01" {
                    return Err(Problem::at(
                        r.n,
                        "種別コード",
                        format!(
                            "'{}' is not 01 (振込入金通知)",
                            String::from_utf8_lossy(r.raw(2, 2))
                        ),
                    ));
                }
                if bytes[3] == b'1' {
                    return Err(Problem::at(
                        r.n,
                        "コード区分",
                        "1 (EBCDIC) is not read: ask the bank for the file in JIS (コード区分 0)"
                            .into(),
                    ));
                }
                let made = r.required_date(5, "作成日", today)?;
                created = Some(made);
                open = Some(NoticeBlock {
                    record: r.n,
                    bank_code: r.digits(23, 4, "銀行コード")?,
                    branch_code: r.digits(42, 3, "支店コード")?,
                    deposit_type: r.num(60, 1, "預金種目")? as u8,
                    account_number: r.digits(61, 7, "口座番号")?,
                    transfers: Vec::new(),
                });
            }
            (b'2', Some(block)) => {
                block
                    .transfers
                    .push(transfer(&r, created.unwrap_or(today), today)?)
            }
            (b'8', Some(_)) => {
                if let Some(block) = open.take() {
                    trailer(&r, &block)?;
                    blocks.push(block);
                }
            }
            (b'9', None) if !blocks.is_empty() => ended = true,
            (other, _) => {
                return Err(Problem::at(
                    r.n,
                    "データ区分",
                    format!("'{}' where a record of another kind belongs", other as char),
                ));
            }
        }
    }
    if !ended {
        return Err(Problem::file(
            "the file ends without its end record (データ区分 9)",
        ));
    }
    Ok(Notice {
        created: created.unwrap_or(today),
        blocks,
    })
}

fn transfer(r: &Rec<'_>, created: NaiveDate, today: NaiveDate) -> Result<Transfer, Problem> {
    let booked_on = r.required_date(8, "勘定日", created)?;
    if booked_on > today {
        return Err(Problem::at(
            r.n,
            "勘定日",
            format!("{booked_on} is after today ({today})"),
        ));
    }
    // Format B: 金額 over ten digits in 129–140 (then 金額 is zeros), told apart by the 24
    // digits of 129–152.
    let format_b = r.raw(129, 24).iter().all(u8::is_ascii_digit);
    let amount = match (r.num(20, 10, "金額")?, format_b) {
        (0, true) => r.num(129, 12, "金額(2)")?,
        (a, _) => a,
    };
    if amount == 0 {
        return Err(Problem::at(r.n, "金額", "0 yen".into()));
    }
    let cancels = match r.bytes[127] {
        b'1' => true,
        b'0' | b' ' => false,
        other => {
            return Err(Problem::at(
                r.n,
                "取消区分",
                format!("'{}' is not 1 or blank", other as char),
            ));
        }
    };
    Ok(Transfer {
        record: r.n,
        reference: r.digits(2, 6, "照会番号")?,
        booked_on,
        value_date: r.date(14, "起算日", created)?.unwrap_or(booked_on),
        amount,
        remitter: text::full_width(&r.text(50, 48, "振込依頼人名")?),
        from_bank: text::full_width(&r.text(98, 15, "仕向銀行名")?),
        from_branch: text::full_width(&r.text(113, 15, "仕向店名")?),
        cancels,
        raw: r.bytes.to_vec(),
    })
}

fn trailer(r: &Rec<'_>, block: &NoticeBlock) -> Result<(), Problem> {
    for (cancels, n_at, sum_at, n_field, sum_field) in [
        (false, 2, 8, "振込合計件数", "振込合計金額"),
        (true, 20, 26, "取消合計件数", "取消合計金額"),
    ] {
        let of = block.transfers.iter().filter(|t| t.cancels == cancels);
        let (n, sum) = (of.clone().count() as i64, of.map(|t| t.amount).sum::<i64>());
        r.totals(
            (n_at, n_field),
            (sum_at, 12, sum_field),
            (n, sum),
            "transfers",
        )?;
    }
    Ok(())
}
