//! Dates written YYMMDD in the Japanese era (和暦), the era left out: 令和 from 2019-05-01, 平成
//! before. The era taken is the one that gives the date nearest to a date known to be near (the
//! file's 作成日, or today for the 作成日 itself).

use chrono::NaiveDate;

const REIWA: (i32, u32, u32) = (2019, 5, 1);
const HEISEI: (i32, u32, u32) = (1989, 1, 8);

/// The date of six digits, or why not; `000000` is `Ok(None)` (an optional date left empty).
pub fn decode(digits: &str, near: NaiveDate) -> Result<Option<NaiveDate>, String> {
    if digits == "000000" {
        return Ok(None);
    }
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{digits}' is not YYMMDD"));
    }
    let n = |r: std::ops::Range<usize>| digits[r].parse::<u32>().unwrap_or(0);
    let (yy, mm, dd) = (n(0..2) as i32, n(2..4), n(4..6));
    let reiwa_start = NaiveDate::from_ymd_opt(REIWA.0, REIWA.1, REIWA.2).unwrap_or_default();
    let heisei_start = NaiveDate::from_ymd_opt(HEISEI.0, HEISEI.1, HEISEI.2).unwrap_or_default();
    let candidates = [
        NaiveDate::from_ymd_opt(2018 + yy, mm, dd).filter(|d| yy >= 1 && *d >= reiwa_start),
        NaiveDate::from_ymd_opt(1988 + yy, mm, dd)
            .filter(|d| yy >= 1 && *d >= heisei_start && *d < reiwa_start),
    ];
    candidates
        .into_iter()
        .flatten()
        .min_by_key(|d| (*d - near).num_days().abs())
        .map(Some)
        .ok_or_else(|| format!("'{digits}' is no date of 令和 or 平成"))
}
