//! `nextItemKey`: where the next page starts, opaque to partners and signed, so a changed key is
//! refused rather than trusted. Paging is by (transaction date, id), so a deposit that lands
//! between two page reads is neither lost nor repeated.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use super::dates::Range;

/// The last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub date: NaiveDate,
    pub id: i64,
}

#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl CursorKey {
    pub fn new(key: Vec<u8>) -> Self {
        Self(key)
    }

    fn mac(&self, payload: &str) -> Vec<u8> {
        let key = PKey::hmac(&self.0).expect("HMAC key");
        let mut signer = Signer::new(MessageDigest::sha256(), &key).expect("HMAC signer");
        signer.update(payload.as_bytes()).expect("HMAC update");
        let mut mac = signer.sign_to_vec().expect("HMAC sign");
        mac.truncate(16);
        mac
    }

    fn payload(account: &str, range: &Range, at: Position) -> String {
        let from = range.from.map(|d| d.to_string()).unwrap_or_default();
        format!("v1|{account}|{from}|{}|{}|{}", range.to, at.date, at.id)
    }

    pub fn encode(&self, account: &str, range: &Range, at: Position) -> String {
        let payload = Self::payload(account, range, at);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(format!("{}|{}", at.date, at.id)),
            URL_SAFE_NO_PAD.encode(self.mac(&payload))
        )
    }

    /// The position, when the key was made by us for this same account and period.
    pub fn decode(&self, raw: &str, account: &str, range: &Range) -> Option<Position> {
        if raw.len() > 200 {
            return None;
        }
        let (body, mac) = raw.split_once('.')?;
        let body = String::from_utf8(URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        let (date, id) = body.split_once('|')?;
        let at = Position {
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?,
            id: id.parse().ok()?,
        };
        let expected = self.mac(&Self::payload(account, range, at));
        (mac.len() == expected.len() && openssl::memcmp::eq(&mac, &expected)).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range() -> Range {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Range {
            lower: d("2026-01-01"),
            from: Some(d("2026-01-01")),
            to: d("2026-06-30"),
        }
    }

    #[test]
    fn round_trip_and_tamper_evidence() {
        let key = CursorKey::new(vec![7; 32]);
        let at = Position {
            date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            id: 4242,
        };
        let raw = key.encode("001010123456", &range(), at);
        assert_eq!(key.decode(&raw, "001010123456", &range()), Some(at));
        // Another account or period, another key, or an edited position: refused.
        assert_eq!(key.decode(&raw, "001010999999", &range()), None);
        let mut other = range();
        other.to = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(key.decode(&raw, "001010123456", &other), None);
        assert_eq!(
            CursorKey::new(vec![8; 32]).decode(&raw, "001010123456", &range()),
            None
        );
        let forged = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode("2026-03-01|1"),
            raw.split_once('.').unwrap().1
        );
        assert_eq!(key.decode(&forged, "001010123456", &range()), None);
        for junk in ["", ".", "abc", "a.b", &"x".repeat(300)] {
            assert_eq!(key.decode(junk, "001010123456", &range()), None);
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn range() -> Range {
            let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
            Range {
                lower: d("2026-01-01"),
                from: Some(d("2026-01-01")),
                to: d("2026-06-30"),
            }
        }

        proptest! {
            #[test]
            fn a_key_decodes_to_its_position_for_its_account_only(
                days in 0i64..3650, id in 0i64..i64::MAX, account in "[0-9]{12}", other in "[0-9]{12}",
            ) {
                let key = CursorKey::new(vec![9u8; 32]);
                let at = Position { date: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(days), id };
                let raw = key.encode(&account, &range(), at);
                prop_assert_eq!(key.decode(&raw, &account, &range()), Some(at));
                prop_assert_eq!(key.decode(&raw, &other, &range()).is_some(), account == other);
                prop_assert_eq!(CursorKey::new(vec![8u8; 32]).decode(&raw, &account, &range()), None);
            }

            #[test]
            fn a_changed_key_is_refused(id in 0i64..1_000_000, flip in 0usize..200, bit in 0u8..6) {
                let key = CursorKey::new(vec![9u8; 32]);
                let at = Position { date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), id };
                let raw = key.encode("001010123456", &range(), at);
                let mut bytes = raw.clone().into_bytes();
                let i = flip % bytes.len();
                bytes[i] ^= 1 << bit;
                if let Ok(changed) = String::from_utf8(bytes)
                    && changed != raw
                    && let Some(p) = key.decode(&changed, "001010123456", &range())
                {
                    // base64 can spell the same bytes twice; then the position is the same.
                    prop_assert_eq!(p, at);
                }
            }

            #[test]
            fn any_text_is_refused_without_panicking(raw in "\\PC{0,250}") {
                let key = CursorKey::new(vec![9u8; 32]);
                let _ = key.decode(&raw, "001010123456", &range());
            }
        }
    }
}
