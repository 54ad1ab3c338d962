//! The date rules of 入出金明細照会: none → today; only dateFrom → up to today; only dateTo → from
//! the first transaction (at most one year back); from after to, a malformed date, or a range
//! over one year → 400.

use chrono::{Months, NaiveDate};

use super::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The lowest date a row may have.
    pub lower: NaiveDate,
    /// `None` when the partner asked "from the first transaction".
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
}

/// `YYYY-MM-DD`, nothing else.
pub fn parse_date(name: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    let ok_shape = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    ok_shape
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| ApiError::bad_request(format!("{name} must be a date as YYYY-MM-DD")))
}

/// The day one year after `from` is the first date that is too far.
fn one_year_after(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(Months::new(12))
        .unwrap_or(NaiveDate::MAX)
}

pub fn resolve(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Range, ApiError> {
    let from = from.map(|f| parse_date("dateFrom", f)).transpose()?;
    let to_date = to.map(|t| parse_date("dateTo", t)).transpose()?;
    let (from, to) = match (from, to_date) {
        (None, None) => (Some(today), today),
        (Some(f), None) => (Some(f), today),
        (f, Some(t)) => (f, t),
    };
    if let Some(f) = from {
        if f > to {
            return Err(ApiError::bad_request("dateFrom must not be after dateTo"));
        }
        if to >= one_year_after(f) {
            return Err(ApiError::bad_request("the period must not exceed one year"));
        }
    }
    // Without dateFrom: the earliest day from which `to` is still within a year, by the same
    // rule as an explicit period. A year back and a day on is one day too early when that day is
    // 29 February (its year ends on 28 February).
    let lower = from.unwrap_or_else(|| {
        let mut d = to
            .checked_sub_months(Months::new(12))
            .map_or(NaiveDate::MIN, |d| d.succ_opt().unwrap_or(d));
        while one_year_after(d) <= to
            && let Some(next) = d.succ_opt()
        {
            d = next;
        }
        d
    });
    Ok(Range { lower, from, to })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const TODAY: &str = "2026-11-25";

    #[test]
    fn defaults() {
        let today = d(TODAY);
        assert_eq!(
            resolve(None, None, today).unwrap(),
            Range {
                lower: today,
                from: Some(today),
                to: today
            }
        );
        let r = resolve(Some("2026-06-01"), None, today).unwrap();
        assert_eq!((r.from, r.to), (Some(d("2026-06-01")), today));
        let r = resolve(None, Some("2026-10-31"), today).unwrap();
        assert_eq!(r.from, None);
        assert_eq!(r.lower, d("2025-11-01"));
        assert_eq!(r.to, d("2026-10-31"));
    }

    #[test]
    fn refusals() {
        let today = d(TODAY);
        for (f, t) in [
            (Some("2026-11-26"), Some("2026-11-25")),
            (Some("2025-11-25"), Some("2026-11-25")),
            (Some("2026/11/01"), None),
            (Some("2026-02-30"), None),
            (None, Some("26-11-01")),
            (Some("2026-1-01"), None),
            (Some("+2026-01-0"), None),
        ] {
            let e = resolve(f, t, today).unwrap_err();
            assert_eq!(e.code(), "invalid_request", "{f:?} {t:?}");
        }
        // One year less a day is fine.
        assert!(resolve(Some("2025-11-26"), Some("2026-11-25"), today).is_ok());
        // The year from 29 February 2024 ends on 27 February 2025, so a dateTo of 28 February
        // 2025 reaches back to 1 March 2024, and an explicit period from 29 February is refused.
        let r = resolve(None, Some("2025-02-28"), today).unwrap();
        assert_eq!(r.lower, d("2024-03-01"));
        assert!(resolve(Some("2024-02-29"), Some("2025-02-28"), today).is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn day(n: i64) -> NaiveDate {
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(n)
        }

        proptest! {
            #[test]
            fn a_period_is_accepted_exactly_when_ordered_and_within_a_year(a in 0i64..1200, b in 0i64..1200, t in 0i64..1200) {
                let (from, to, today) = (day(a), day(b), day(t));
                let r = resolve(Some(&from.to_string()), Some(&to.to_string()), today);
                let ok = from <= to && to < one_year_after(from);
                prop_assert_eq!(r.is_ok(), ok);
                if let Ok(r) = r {
                    prop_assert_eq!((r.lower, r.from, r.to), (from, Some(from), to));
                }
            }

            #[test]
            fn only_date_to_reaches_back_at_most_a_year(b in 0i64..1200) {
                let to = day(b);
                let r = resolve(None, Some(&to.to_string()), to).unwrap();
                prop_assert!(r.lower <= r.to && r.to < one_year_after(r.lower));
            }

            #[test]
            fn any_text_is_a_400_or_a_date_never_a_panic(raw in "\\PC{0,30}") {
                let _ = parse_date("dateFrom", &raw);
                let _ = resolve(Some(&raw), Some(&raw), day(0));
            }
        }
    }
}
