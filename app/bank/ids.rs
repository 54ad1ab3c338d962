//! Identifiers that cross the boundary, parsed once.

use std::fmt;

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CustomerId(pub Uuid);

/// お客様ID: case-sensitive, printable ASCII, 1–64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoginId(String);

impl LoginId {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.is_empty() || raw.len() > 64 {
            return Err("must be 1 to 64 characters");
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be letters, digits or symbols without spaces");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LoginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 12 digits: branch (3), account type (2), account number (7).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::try_from(raw.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<String> for AccountId {
    type Error = &'static str;

    /// As [`AccountId::parse`], keeping the string.
    fn try_from(raw: String) -> Result<Self, &'static str> {
        if raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw))
        } else {
            Err("must be 12 digits")
        }
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A single mailbox `local@domain`, nothing that could smuggle a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let ok = raw.len() <= 254
            && raw.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && raw
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"<>\"(),;:[]\\".contains(&b));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("is not an e-mail address")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_ids() {
        assert!(LoginId::parse("Yamada01").is_ok());
        assert!(LoginId::parse("").is_err());
        assert!(LoginId::parse("has space").is_err());
        assert!(LoginId::parse("山田").is_err());
        assert!(LoginId::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn account_ids() {
        assert!(AccountId::parse("001010000001").is_ok());
        for bad in ["", "00101000000", "0010100000012", "00101000000a"] {
            assert!(AccountId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(Email::parse("yamada@example.jp").is_ok());
        for bad in [
            "yamada",
            "@example.jp",
            "a@b",
            "a@b.jp\r\nBcc: x@y.jp",
            "a b@c.jp",
            "a@@b.jp",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
