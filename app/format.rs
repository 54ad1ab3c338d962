//! Dates as people read them, in Japan's time zone.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

use crate::i18n::Lang;

pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00")
}

/// The calendar date in Japan of an instant.
pub fn jst_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&jst()).date_naive()
}

/// `2027年2月23日` / `23 February 2027`.
pub fn long_date(date: NaiveDate, lang: Lang) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    match lang {
        Lang::Ja => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        Lang::En => format!(
            "{} {} {}",
            date.day(),
            MONTHS[date.month0() as usize],
            date.year()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_in_both_languages() {
        let d = NaiveDate::from_ymd_opt(2027, 2, 23).unwrap();
        assert_eq!(long_date(d, Lang::Ja), "2027年2月23日");
        assert_eq!(long_date(d, Lang::En), "23 February 2027");
    }

    #[test]
    fn late_evening_utc_is_the_next_day_in_japan() {
        let at = Utc.with_ymd_and_hms(2027, 2, 22, 15, 30, 0).unwrap();
        assert_eq!(jst_date(at), NaiveDate::from_ymd_opt(2027, 2, 23).unwrap());
    }
}
