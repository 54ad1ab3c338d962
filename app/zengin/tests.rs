use chrono::NaiveDate;

use super::statement::{self, Direction};
use super::{framing, text, wareki};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A record written field by field: (1-based position, text), the rest spaces.
fn rec(fields: &[(usize, &str)]) -> Vec<u8> {
    let mut r = vec![b' '; 200];
    for (pos, text) in fields {
        let bytes = half(text);
        r[pos - 1..pos - 1 + bytes.len()].copy_from_slice(&bytes);
    }
    r
}

/// Half-width katakana as their JIS X 0201 bytes, ASCII as itself.
fn half(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c as u32 {
            0xff61..=0xff9f => (c as u32 - 0xff61 + 0xa1) as u8,
            _ => c as u8,
        })
        .collect()
}

/// 北見 branch 001, 普通 1234567: 令和7年4月1日 to 2日, from 100,000 yen, a salary in and a
/// power bill out, as the layout's tables place each field.
fn statement_file(sep: &[u8]) -> Vec<u8> {
    let records = [
        rec(&[
            (1, "1"),
            (2, "03"),
            (4, "0"),
            (5, "070402"),
            (11, "070401"),
            (17, "070402"),
            (23, "9991"),
            (27, "ｷﾀﾐｼﾝｷﾝ"),
            (42, "001"),
            (45, "ﾎﾝﾃﾝ"),
            (60, "000"),
            (63, "1"),
            (64, "0001234567"),
            (74, "ｶ)ｵﾎ-ﾂｸｼﾖｳｼﾞ"),
            (114, "1"),
            (115, "1"),
            (116, "00000000100000"),
        ]),
        rec(&[
            (1, "2"),
            (2, "00000001"),
            (10, "070401"),
            (16, "070401"),
            (22, "1"),
            (23, "11"),
            (25, "000000250000"),
            (37, "000000000000"),
            (49, "000000"),
            (55, "000000"),
            (61, "0"),
            (62, "0000000"),
            (69, "000"),
            (72, "0000000000"),
            (82, "ｶ)ｵﾎ-ﾂｸｽ-ﾊﾟ-"),
            (130, "ﾎｯｶｲﾄﾞｳ"),
            (145, "ｷﾀﾐ"),
            (160, "ｳﾘｱｹﾞﾆﾕｳｷﾝ"),
        ]),
        rec(&[
            (1, "2"),
            (2, "00000002"),
            (10, "070402"),
            (16, "070402"),
            (22, "2"),
            (23, "14"),
            (25, "000000012345"),
            (37, "000000000000"),
            (49, "000000"),
            (55, "000000"),
            (61, "0"),
            (62, "0000000"),
            (69, "000"),
            (72, "0000000000"),
            (82, "00000000001234567890"),
            (160, "ﾃﾞﾝｷﾀﾞｲ"),
        ]),
        rec(&[
            (1, "8"),
            (2, "000001"),
            (8, "0000000250000"),
            (21, "000001"),
            (27, "0000000012345"),
            (40, "1"),
            (41, "00000000337655"),
            (55, "0000002"),
        ]),
        rec(&[(1, "9"), (2, "0000000004"), (12, "00001")]),
    ];
    let mut file = Vec::new();
    for r in &records {
        file.extend_from_slice(r);
        file.extend_from_slice(sep);
    }
    file
}

#[test]
fn a_hand_written_statement_reads_field_by_field() {
    let s = statement::parse(&statement_file(b""), day(2025, 4, 3)).unwrap();
    assert_eq!(s.created, day(2025, 4, 2));
    let [b] = s.blocks.as_slice() else {
        panic!("one block")
    };
    assert_eq!(
        (
            b.bank_code.as_str(),
            b.branch_code.as_str(),
            b.account_number.as_str()
        ),
        ("9991", "001", "1234567")
    );
    assert_eq!(b.account_type_code(), Some("01"));
    assert_eq!((b.from, b.to), (day(2025, 4, 1), day(2025, 4, 2)));
    assert_eq!((b.opening, b.closing), (Some(100_000), Some(337_655)));
    assert!(b.chain_checked());
    let [pay, bill] = b.movements.as_slice() else {
        panic!("two movements")
    };
    assert_eq!(pay.direction, Direction::Deposit);
    assert_eq!(
        (pay.amount, pay.kind.as_str(), pay.reference.as_str()),
        (250_000, "11", "00000001")
    );
    assert_eq!(
        pay.remarks,
        "ウリアゲニユウキン\u{3000}カ）オホ－ツクス－パ－"
    );
    assert_eq!(bill.direction, Direction::Withdrawal);
    // The 契約者番号 of a withdrawal is kept in the record, not shown.
    assert_eq!(bill.remarks, "デンキダイ");
    assert_eq!(bill.raw.len(), 200);
}

#[test]
fn records_come_back_to_back_or_with_cr_lf_and_nothing_else() {
    let plain = statement_file(b"");
    let crlf = statement_file(b"\r\n");
    let mut no_last = crlf.clone();
    no_last.truncate(no_last.len() - 2);
    let mut dos = crlf.clone();
    dos.push(0x1a);
    for file in [&plain, &crlf, &no_last, &dos] {
        assert_eq!(framing::records(file).unwrap().len(), 5);
    }
    let cr_only = statement_file(b"\r");
    let err = framing::records(&cr_only).unwrap_err();
    assert_eq!((err.record, err.field), (Some(1), Some("改行")), "{err}");
    let lf_only = statement_file(b"\n");
    assert!(
        framing::records(&lf_only)
            .unwrap_err()
            .message
            .contains("alone")
    );
    let mut short = statement_file(b"\r\n");
    short.remove(300);
    let err = framing::records(&short).unwrap_err();
    assert_eq!(
        (err.record, err.field),
        (Some(2), Some("レコード長")),
        "{err}"
    );
    assert!(err.message.contains("199 bytes"), "{err}");
}

#[test]
fn half_width_kana_become_full_width_with_voicing_marks_joined() {
    assert_eq!(text::full_width("ｼﾞﾄﾞｳｼｬ ﾊﾟﾝ"), "ジドウシャ\u{3000}パン");
    assert_eq!(text::full_width("ATM(1)-./"), "ＡＴＭ（１）－．／");
    assert_eq!(text::full_width("ｳﾞｧｰ"), "ヴァー");
    assert_eq!(text::decode(b"ABC   ").unwrap(), "ABC");
    assert_eq!(text::decode(&[b'A', 0x81, b'B']), Err(2));
}

#[test]
fn era_dates_take_the_era_nearest_the_file() {
    // KIRA's example: 平成28年5月3日.
    assert_eq!(
        wareki::decode("280503", day(2016, 5, 4)),
        Ok(Some(day(2016, 5, 3)))
    );
    assert_eq!(
        wareki::decode("070401", day(2025, 4, 2)),
        Ok(Some(day(2025, 4, 1)))
    );
    assert_eq!(
        wareki::decode("310430", day(2019, 5, 2)),
        Ok(Some(day(2019, 4, 30)))
    );
    assert_eq!(
        wareki::decode("010501", day(2019, 5, 2)),
        Ok(Some(day(2019, 5, 1)))
    );
    assert_eq!(wareki::decode("000000", day(2025, 1, 1)), Ok(None));
    assert!(wareki::decode("071301", day(2025, 1, 1)).is_err());
    assert!(wareki::decode("070230", day(2025, 1, 1)).is_err());
    // 令和元年1月1日 never was, nor 平成元年1月1日.
    assert!(wareki::decode("010101", day(2019, 5, 2)).is_err());
}

#[test]
fn each_broken_part_is_named() {
    let good = statement_file(b"");
    let broken = |record: usize, pos: usize, with: &str| {
        let mut f = good.clone();
        let at = (record - 1) * 200 + pos - 1;
        f[at..at + with.len()].copy_from_slice(with.as_bytes());
        statement::parse(&f, day(2025, 4, 3)).unwrap_err()
    };
    let e = broken(4, 8, "0000000250001");
    assert_eq!((e.record, e.field), (Some(4), Some("入金額合計")), "{e}");
    let e = broken(4, 41, "00000000337656");
    assert_eq!(e.field, Some("取引後残高"), "{e}");
    let e = broken(1, 4, "1");
    assert_eq!(e.field, Some("コード区分"));
    assert!(e.message.contains("EBCDIC"));
    let e = broken(2, 10, "070231");
    assert_eq!((e.record, e.field), (Some(2), Some("勘定日")), "{e}");
    let e = broken(2, 10, "070403");
    assert!(e.message.contains("outside"), "{e}");
    let e = broken(5, 12, "00002");
    assert_eq!(e.field, Some("口座数"));
    let e = broken(1, 2, "01");
    assert_eq!(e.field, Some("種別コード"));
    let mut no_end = good.clone();
    no_end.truncate(800);
    assert!(
        statement::parse(&no_end, day(2025, 4, 3))
            .unwrap_err()
            .message
            .contains("end record")
    );
}

#[test]
fn without_balances_the_chain_is_not_checked() {
    let mut f = statement_file(b"");
    f[113] = b' ';
    f[600 + 39] = b' ';
    let s = statement::parse(&f, day(2025, 4, 3)).unwrap();
    assert!(!s.blocks[0].chain_checked());
    assert_eq!(s.blocks[0].opening, None);
}

#[test]
fn a_negative_balance_has_its_sign_from_the_overdraft_flag() {
    let mut f = statement_file(b"");
    // 取引前残高 -100,000: the movements come to -(100,000) + 250,000 - 12,345 = 137,655.
    f[113] = b'2';
    f[600 + 40..600 + 54].copy_from_slice(b"00000000137655");
    let s = statement::parse(&f, day(2025, 4, 3)).unwrap();
    assert_eq!(
        (s.blocks[0].opening, s.blocks[0].closing),
        (Some(-100_000), Some(137_655))
    );
}

#[test]
fn full_width_text_goes_back_to_the_bytes_it_came_from() {
    for half_text in ["ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ", "ﾃﾞﾝｷﾀﾞｲ ATM-1", "ﾊﾟﾝ ｳﾞ"]
    {
        let bytes = half(half_text);
        let full = text::full_width(&text::decode(&bytes).unwrap());
        assert_eq!(text::to_jis(&full).unwrap(), bytes, "{full}");
    }
    assert_eq!(text::to_jis("山田"), None);
}

/// A 振込入金通知 of one transfer in format B: 金額 zeros, 金額(2) in 129–140.
#[test]
fn a_format_b_transfer_notice_reads_its_wide_amount() {
    let records = [
        rec(&[
            (1, "1"),
            (2, "01"),
            (4, "0"),
            (5, "070402"),
            (11, "070402"),
            (17, "070402"),
            (23, "9991"),
            (42, "001"),
            (60, "1"),
            (61, "1234567"),
            (68, "ｶ)ｵﾎｰﾂｸ"),
        ]),
        rec(&[
            (1, "2"),
            (2, "000001"),
            (8, "070402"),
            (14, "070402"),
            (20, "0000000000"),
            (30, "0000000000"),
            (40, "0000000000"),
            (50, "ｶ)ｵｵｸﾞﾁ"),
            (128, "0"),
            (129, "012345678901"),
            (141, "000000000000"),
        ]),
        rec(&[
            (1, "8"),
            (2, "000001"),
            (8, "012345678901"),
            (20, "000000"),
            (26, "000000000000"),
        ]),
        rec(&[(1, "9")]),
    ];
    let file: Vec<u8> = records.concat();
    let n = super::notice::parse(&file, day(2025, 4, 3)).unwrap();
    let t = &n.blocks[0].transfers[0];
    assert_eq!(
        (t.amount, t.remitter.as_str(), t.cancels),
        (12_345_678_901, "カ）オオグチ", false)
    );
    assert_eq!(n.blocks[0].account_id().as_deref(), Some("001011234567"));
}
