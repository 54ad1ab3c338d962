//! Form and query parameters as RFC 6749 wants them read: valid UTF-8, each at most once, bounded.

use std::collections::HashMap;

pub const MAX_VALUE_LEN: usize = 2048;

#[derive(Debug, PartialEq, Eq)]
pub enum ParamError {
    Repeated(String),
    TooLong(String),
    NotUtf8,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Repeated(k) => write!(f, "parameter '{k}' is repeated"),
            Self::TooLong(k) => write!(f, "parameter '{k}' is too long"),
            Self::NotUtf8 => f.write_str("parameters are not valid UTF-8"),
        }
    }
}

/// Every parameter once; `multi` names those that may repeat (e.g. the accounts chosen).
#[derive(Debug, Default)]
pub struct Params {
    single: HashMap<String, String>,
    multi: HashMap<String, Vec<String>>,
}

impl Params {
    pub fn parse(raw: &[u8], multi: &[&str]) -> Result<Self, ParamError> {
        let mut out = Self::default();
        for (k, v) in url::form_urlencoded::parse(raw) {
            // Decoding is lossy: a replacement character means the bytes were not UTF-8.
            if k.contains('\u{FFFD}') || v.contains('\u{FFFD}') {
                return Err(ParamError::NotUtf8);
            }
            let key = k.into_owned();
            if key.len() > 64 || v.len() > MAX_VALUE_LEN {
                return Err(ParamError::TooLong(key.chars().take(64).collect()));
            }
            if multi.contains(&key.as_str()) {
                let list = out.multi.entry(key.clone()).or_default();
                if list.len() >= 100 {
                    return Err(ParamError::TooLong(key));
                }
                list.push(v.into_owned());
            } else if out.single.insert(key.clone(), v.into_owned()).is_some() {
                return Err(ParamError::Repeated(key));
            }
        }
        Ok(out)
    }

    /// The value, with empty treated as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.single
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn all(&self, key: &str) -> &[String] {
        self.multi.get(key).map(Vec::as_slice).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_parameter_once() {
        let p = Params::parse(b"a=1&b=x+y&c=", &[]).unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("x y"));
        assert_eq!(p.get("c"), None);
        assert_eq!(
            Params::parse(b"a=1&a=2", &[]).unwrap_err(),
            ParamError::Repeated("a".into())
        );
    }

    #[test]
    fn multi_values_and_limits() {
        let p = Params::parse(b"acc=1&acc=2", &["acc"]).unwrap();
        assert_eq!(p.all("acc"), ["1", "2"]);
        let long = format!("a={}", "x".repeat(MAX_VALUE_LEN + 1));
        assert!(matches!(
            Params::parse(long.as_bytes(), &[]),
            Err(ParamError::TooLong(_))
        ));
        assert_eq!(
            Params::parse(b"a=%ff%fe", &[]).unwrap_err(),
            ParamError::NotUtf8
        );
    }
}
