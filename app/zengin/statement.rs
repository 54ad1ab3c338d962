//! 入出金取引明細 (種別コード 03): a header, data records and a trailer for each account (a
//! block), and one end record. Read whole and checked before anything uses it: every field's
//! form, the dates, the trailer's counts and totals, the end record's count of blocks, and the
//! balance chain when the header and trailer both carry a balance.

use chrono::NaiveDate;

use super::fields::Rec;
use super::framing::records;
use super::problem::Problem;
use super::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Deposit,
    Withdrawal,
}

/// One data record of a 流動性 account (預金種目 1, 2 or 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub record: usize,
    /// 照会番号.
    pub reference: String,
    /// 勘定日.
    pub booked_on: NaiveDate,
    /// 預入・払出日 (起算日).
    pub value_date: NaiveDate,
    pub direction: Direction,
    /// 取引区分 (10 現金, 11 振込, …; the list is open).
    pub kind: String,
    pub amount: i64,
    /// 摘要内容, and for a deposit 振込依頼人名 after a full-width space, full-width.
    pub remarks: String,
    /// The record as it came.
    pub raw: Vec<u8>,
}

/// One account's header, data and trailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The header's record number.
    pub record: usize,
    pub bank_code: String,
    pub branch_code: String,
    pub branch_name: String,
    /// 預金種目: 1 普通, 2 当座, 4 貯蓄 (5, 6, 7 are 定期性, whose records are not read).
    pub deposit_type: u8,
    /// The seven digits of 口座番号.
    pub account_number: String,
    pub account_name: String,
    /// 勘定日(自) and 勘定日(至).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// 取引前残高 and 取引後残高 with their signs, when 貸越区分 gives one.
    pub opening: Option<i64>,
    pub closing: Option<i64>,
    pub movements: Vec<Movement>,
}

impl Block {
    /// The account type of the partner API for 預金種目 1, 2 and 4; `None` for 定期性 ones.
    pub fn account_type_code(&self) -> Option<&'static str> {
        match self.deposit_type {
            1 => Some("01"),
            2 => Some("02"),
            4 => Some("04"),
            _ => None,
        }
    }

    /// Whether the header's and trailer's balances were both there, so the chain was checked.
    pub fn chain_checked(&self) -> bool {
        self.opening.is_some() && self.closing.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 作成日.
    pub created: NaiveDate,
    pub blocks: Vec<Block>,
}

/// Reads a 入出金取引明細 file; `today` places the 作成日's era.
pub fn parse(file: &[u8], today: NaiveDate) -> Result<Statement, Problem> {
    let records = records(file)?;
    let mut blocks: Vec<Block> = Vec::new();
    let mut open: Option<(Block, usize)> = None;
    let mut created: Option<NaiveDate> = None;
    let mut ended: Option<usize> = None;
    for (i, bytes) in records.iter().enumerate() {
        let r = Rec { n: i + 1, bytes };
        if let Some(end) = ended {
            return Err(Problem::at(
                r.n,
                "データ区分",
                format!("a record after the end record ({end})"),
            ));
        }
        match (r.kind(), open.as_mut()) {
            (b'1', None) => {
                let (block, made) = header(&r, today)?;
                if created.is_some_and(|c| c != made) {
                    return Err(Problem::at(
                        r.n,
                        "作成日",
                        "not the 作成日 of the file's first header".into(),
                    ));
                }
                created = Some(made);
                open = Some((block, 0));
            }
            (b'2', Some((block, count))) => {
                *count += 1;
                if block.account_type_code().is_some() {
                    let m = movement(&r, block, created.unwrap_or(today), today)?;
                    block.movements.push(m);
                }
            }
            (b'8', Some(_)) => {
                if let Some((mut block, count)) = open.take() {
                    block.closing = trailer(&r, &block, count)?;
                    blocks.push(block);
                }
            }
            (b'9', None) if !blocks.is_empty() => {
                end(&r, &blocks, records.len())?;
                ended = Some(r.n);
            }
            (b'1', Some(_)) => {
                return Err(Problem::at(
                    r.n,
                    "データ区分",
                    "a header before the last block's trailer".into(),
                ));
            }
            (b'2' | b'8', None) => {
                return Err(Problem::at(
                    r.n,
                    "データ区分",
                    "a record outside a block (no header before it)".into(),
                ));
            }
            (b'9', _) => {
                return Err(Problem::at(
                    r.n,
                    "データ区分",
                    "an end record where a block is still open or none was read".into(),
                ));
            }
            (other, _) => {
                return Err(Problem::at(
                    r.n,
                    "データ区分",
                    format!("'{}' is not 1, 2, 8 or 9", other as char),
                ));
            }
        }
    }
    if ended.is_none() {
        return Err(Problem::file(
            "the file ends without its end record (データ区分 9)",
        ));
    }
    Ok(Statement {
        created: created.unwrap_or(today),
        blocks,
    })
}

fn header(r: &Rec<'_>, today: NaiveDate) -> Result<(Block, NaiveDate), Problem> {
    let code = r.raw(2, 2);
    if code != b"03" {
        return Err(Problem::at(
            r.n,
            "種別コード",
            format!(
                "'{}' is not 03 (入出金取引明細)",
                String::from_utf8_lossy(code)
            ),
        ));
    }
    match r.bytes[3] {
        b'0' => {}
        b'1' => {
            return Err(Problem::at(
                r.n,
                "コード区分",
                "1 (EBCDIC) is not read: ask the bank for the file in JIS (コード区分 0)".into(),
            ));
        }
        other => {
            return Err(Problem::at(
                r.n,
                "コード区分",
                format!("'{}' is not 0 (JIS)", other as char),
            ));
        }
    }
    let created = r.required_date(5, "作成日", today)?;
    let from = r.required_date(11, "勘定日(自)", created)?;
    let to = r.required_date(17, "勘定日(至)", created)?;
    if from > to {
        return Err(Problem::at(
            r.n,
            "勘定日(至)",
            format!("{to} is before 勘定日(自) {from}"),
        ));
    }
    let number = r.digits(64, 10, "口座番号")?;
    if !number.starts_with("000") {
        return Err(Problem::at(
            r.n,
            "口座番号",
            format!("'{number}' is not 000 and 7 digits"),
        ));
    }
    let deposit_type = r.num(63, 1, "預金種目")? as u8;
    if ![1, 2, 4, 5, 6, 7].contains(&deposit_type) {
        return Err(Problem::at(
            r.n,
            "預金種目",
            format!("'{deposit_type}' is not 1, 2, 4, 5, 6 or 7"),
        ));
    }
    let block = Block {
        record: r.n,
        bank_code: r.digits(23, 4, "銀行コード")?,
        branch_code: r.digits(42, 3, "支店コード")?,
        branch_name: r.text(45, 15, "支店名")?,
        deposit_type,
        account_number: number[3..].to_owned(),
        account_name: r.text(74, 40, "口座名")?,
        from,
        to,
        opening: r.balance(114, 116, "取引前残高")?,
        closing: None,
        movements: Vec::new(),
    };
    r.text(27, 15, "銀行名")?;
    Ok((block, created))
}

fn movement(
    r: &Rec<'_>,
    block: &Block,
    created: NaiveDate,
    today: NaiveDate,
) -> Result<Movement, Problem> {
    let booked_on = r.required_date(10, "勘定日", created)?;
    if booked_on > today {
        return Err(Problem::at(
            r.n,
            "勘定日",
            format!("{booked_on} is after today ({today})"),
        ));
    }
    if booked_on < block.from || booked_on > block.to {
        return Err(Problem::at(
            r.n,
            "勘定日",
            format!(
                "{booked_on} is outside the header's period {} to {}",
                block.from, block.to
            ),
        ));
    }
    if let Some(before) = block.movements.last()
        && before.booked_on > booked_on
    {
        return Err(Problem::at(
            r.n,
            "勘定日",
            format!("{booked_on} comes after {}", before.booked_on),
        ));
    }
    let direction = match r.bytes[21] {
        b'1' => Direction::Deposit,
        b'2' => Direction::Withdrawal,
        other => {
            return Err(Problem::at(
                r.n,
                "入払区分",
                format!("'{}' is not 1 (入金) or 2 (出金)", other as char),
            ));
        }
    };
    let amount = r.num(25, 12, "取引金額")?;
    if amount == 0 {
        return Err(Problem::at(r.n, "取引金額", "0 yen".into()));
    }
    let summary = text::full_width(&r.text(160, 20, "摘要内容")?);
    let party = r.text(82, 48, "振込依頼人名または契約者番号")?;
    let remarks = match direction {
        Direction::Deposit if !party.is_empty() && summary.is_empty() => text::full_width(&party),
        Direction::Deposit if !party.is_empty() => {
            format!("{summary}\u{3000}{}", text::full_width(&party))
        }
        _ => summary,
    };
    Ok(Movement {
        record: r.n,
        reference: r.digits(2, 8, "照会番号")?,
        booked_on,
        value_date: r.date(16, "預入・払出日", created)?.unwrap_or(booked_on),
        direction,
        kind: r.digits(23, 2, "取引区分")?,
        amount,
        remarks,
        raw: r.bytes.to_vec(),
    })
}

/// Checks the trailer against its block; answers its 取引後残高.
fn trailer(r: &Rec<'_>, block: &Block, data_records: usize) -> Result<Option<i64>, Problem> {
    let count = r.num(55, 7, "データ・レコード件数")?;
    if count != data_records as i64 {
        return Err(Problem::at(
            r.n,
            "データ・レコード件数",
            format!("{count}, where the block has {data_records}"),
        ));
    }
    if block.account_type_code().is_none() {
        return Ok(None);
    }
    let of = |d: Direction| block.movements.iter().filter(move |m| m.direction == d);
    for (d, n_at, sum_at, n_field, sum_field) in [
        (Direction::Deposit, 2, 8, "入金件数", "入金額合計"),
        (Direction::Withdrawal, 21, 27, "出金件数", "出金額合計"),
    ] {
        let (n, sum) = (of(d).count() as i64, of(d).map(|m| m.amount).sum::<i64>());
        r.totals(
            (n_at, n_field),
            (sum_at, 13, sum_field),
            (n, sum),
            "movements",
        )?;
    }
    let closing = r.balance(40, 41, "取引後残高")?;
    if let (Some(opening), Some(closing)) = (block.opening, closing) {
        let reached = opening + block.movements.iter().map(signed).sum::<i64>();
        if reached != closing {
            return Err(Problem::at(
                r.n,
                "取引後残高",
                format!(
                    "{closing} yen, where 取引前残高 {opening} and the movements come to {reached}"
                ),
            ));
        }
    }
    Ok(closing)
}

/// The movement's effect on the balance.
pub fn signed(m: &Movement) -> i64 {
    match m.direction {
        Direction::Deposit => m.amount,
        Direction::Withdrawal => -m.amount,
    }
}

fn end(r: &Rec<'_>, blocks: &[Block], all: usize) -> Result<(), Problem> {
    let accounts = r.num(12, 5, "口座数")?;
    if accounts != blocks.len() as i64 {
        return Err(Problem::at(
            r.n,
            "口座数",
            format!("{accounts}, where the file has {} blocks", blocks.len()),
        ));
    }
    // What レコード総件数 counts is not settled: data records, or every record but the end one, or
    // every record.
    let total = r.num(2, 10, "レコード総件数")?;
    let data = (all - 1 - 2 * blocks.len()) as i64;
    if ![data, all as i64 - 1, all as i64].contains(&total) {
        return Err(Problem::at(
            r.n,
            "レコード総件数",
            format!("{total}, where the file has {all} records"),
        ));
    }
    Ok(())
}
