//! A tenant's slug and the schema name derived from it: validated once, here, so every other
//! place can quote the schema without thinking about injection.

use std::fmt;
use std::sync::Arc;

/// Slugs that would collide with platform paths or look like one.
const RESERVED: &[&str] = &[
    "admin",
    "api",
    "public",
    "static",
    "assets",
    "healthz",
    "metrics",
    "www",
    "t",
    "my",
    "oauth",
    "platform",
    "renkei",
    "pg",
    "postgres",
    "information-schema",
    "system",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SlugError {
    #[error(
        "must be 2 to 31 characters: a lowercase letter, then lowercase letters, digits or '-'"
    )]
    Shape,
    #[error("is reserved")]
    Reserved,
}

/// `[a-z][a-z0-9-]{1,30}`, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantSlug(Arc<str>);

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        let bytes = raw.as_bytes();
        let shape_ok = (2..=31).contains(&bytes.len())
            && bytes[0].is_ascii_lowercase()
            && bytes[1..]
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if !shape_ok {
            return Err(SlugError::Shape);
        }
        if RESERVED.contains(&raw) {
            return Err(SlugError::Reserved);
        }
        Ok(Self(raw.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn schema(&self) -> SchemaName {
        SchemaName(format!("tenant_{}", self.0).into())
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `tenant_<slug>`; only constructible from a valid slug.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SchemaName(Arc<str>);

impl SchemaName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identifier quoted for SQL. The slug alphabet has no quote, so this is exact.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// The slug back from a schema name found in the catalogue.
    pub fn slug(&self) -> TenantSlug {
        TenantSlug(self.0.trim_start_matches("tenant_").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_shape() {
        for ok in [
            "kitami",
            "hokuto",
            "ab",
            "shinkin-01",
            &format!("a{}", "b".repeat(30)),
        ] {
            assert!(TenantSlug::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "a",
            "Kitami",
            "1bank",
            "-bank",
            "kita mi",
            "kita_mi",
            "kitami\"; drop",
            "北見",
            &format!("a{}", "b".repeat(31)),
        ] {
            assert_eq!(TenantSlug::parse(bad), Err(SlugError::Shape), "{bad}");
        }
        assert_eq!(TenantSlug::parse("admin"), Err(SlugError::Reserved));
    }

    #[test]
    fn schema_is_quoted_once() {
        let slug = TenantSlug::parse("my-bank").unwrap();
        assert_eq!(slug.schema().quoted(), "\"tenant_my-bank\"");
        assert_eq!(slug.schema().slug(), slug);
    }
}
