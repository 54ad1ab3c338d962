//! Form and query parameters as RFC 6749 wants them read: valid UTF-8, each at most once, bounded,
//! and free of NUL characters (PostgreSQL refuses U+0000 in text, so one would otherwise reach the
//! database as an internal error).

use std::collections::HashMap;

pub const MAX_VALUE_LEN: usize = 2048;

#[derive(Debug, PartialEq, Eq)]
pub enum ParamError {
    Repeated(String),
    TooLong(String),
    NotUtf8,
    /// A name or value holds U+0000.
    Nul(String),
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Repeated(k) => write!(f, "parameter '{k}' is repeated"),
            Self::TooLong(k) => write!(f, "parameter '{k}' is too long"),
            Self::NotUtf8 => f.write_str("parameters are not valid UTF-8"),
            Self::Nul(k) => write!(f, "parameter '{k}' contains a NUL character"),
        }
    }
}

/// Every parameter once; `multi` names those that may repeat (e.g. the accounts chosen).
#[derive(Debug, Default)]
pub struct Params {
    single: HashMap<String, String>,
    multi: HashMap<String, Vec<String>>,
    /// The first parameter that held a NUL character (left out of the others).
    nul: Option<String>,
}

impl Params {
    /// The parameters, or why they cannot be read; a NUL character anywhere refuses them all.
    pub fn parse(raw: &[u8], multi: &[&str]) -> Result<Self, ParamError> {
        let p = Self::parse_marking_nul(raw, multi)?;
        match p.nul {
            Some(key) => Err(ParamError::Nul(key)),
            None => Ok(p),
        }
    }

    /// As [`Params::parse`], but a parameter holding a NUL character is left out and named by
    /// [`Params::nul`], so that a form can say what is wrong on its own page, or the authorization
    /// endpoint can still tell where to send its error.
    pub fn parse_marking_nul(raw: &[u8], multi: &[&str]) -> Result<Self, ParamError> {
        let mut out = Self::default();
        for (k, v) in url::form_urlencoded::parse(raw) {
            if k.contains('\0') || v.contains('\0') {
                if out.nul.is_none() {
                    out.nul = Some(k.replace('\0', "").chars().take(64).collect());
                }
                continue;
            }
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

    /// The parameter that held a NUL character, when read with [`Params::parse_marking_nul`].
    pub fn nul(&self) -> Option<&str> {
        self.nul.as_deref()
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

    #[test]
    fn a_nul_character_is_refused_or_named() {
        for raw in [&b"state=a%00b"[..], b"x=1&state=%00", b"sta%00te=1"] {
            assert!(
                matches!(Params::parse(raw, &[]), Err(ParamError::Nul(_))),
                "{raw:?}"
            );
        }
        assert_eq!(
            Params::parse(b"a=1&state=a%00", &[]).unwrap_err(),
            ParamError::Nul("state".into())
        );
        let p =
            Params::parse_marking_nul(b"client_id=demo&state=a%00b&accounts=%00", &["accounts"])
                .unwrap();
        assert_eq!(p.nul(), Some("state"));
        assert_eq!(p.get("client_id"), Some("demo"));
        assert_eq!(p.get("state"), None);
        assert!(p.all("accounts").is_empty());
        assert_eq!(Params::parse(b"a=1", &[]).unwrap().nul(), None);
    }
}
