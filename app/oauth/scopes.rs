//! The two operations a partner can be allowed: 残高照会 and 入出金明細照会.

use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    BalanceRead,
    TransactionsRead,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::BalanceRead, Scope::TransactionsRead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BalanceRead => "balance:read",
            Self::TransactionsRead => "transactions:read",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The message key of the operation's name (残高照会 / Balance inquiry).
    pub fn label_key(self) -> &'static str {
        match self {
            Self::BalanceRead => "scope-balance",
            Self::TransactionsRead => "scope-transactions",
        }
    }
}

/// A non-empty set of known scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

#[derive(Debug, PartialEq, Eq)]
pub enum ScopeError {
    Empty,
    Unknown(String),
}

impl Scopes {
    /// A space-separated list (RFC 6749 §3.3); commas are accepted too on the command line.
    pub fn parse(raw: &str) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        for part in raw.split([' ', ',']).filter(|p| !p.is_empty()) {
            set.insert(
                Scope::parse(part)
                    .ok_or_else(|| ScopeError::Unknown(part.chars().take(40).collect()))?,
            );
        }
        if set.is_empty() {
            return Err(ScopeError::Empty);
        }
        Ok(Self(set))
    }

    pub fn from_stored(list: &[String]) -> Self {
        Self(list.iter().filter_map(|s| Scope::parse(s)).collect())
    }

    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(|s| s.as_str().to_owned()).collect()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&list.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_space_or_comma_lists() {
        let s = Scopes::parse("transactions:read balance:read").unwrap();
        assert_eq!(s.to_string(), "balance:read transactions:read");
        assert_eq!(Scopes::parse("balance:read,transactions:read").unwrap(), s);
        assert_eq!(
            Scopes::parse("balance:read  ").unwrap().to_string(),
            "balance:read"
        );
    }

    #[test]
    fn refuses_empty_and_unknown() {
        assert_eq!(Scopes::parse(" "), Err(ScopeError::Empty));
        assert_eq!(
            Scopes::parse("balance:read transfer:write"),
            Err(ScopeError::Unknown("transfer:write".into()))
        );
    }

    #[test]
    fn subset() {
        let both = Scopes::parse("balance:read transactions:read").unwrap();
        let one = Scopes::parse("balance:read").unwrap();
        assert!(one.is_subset(&both));
        assert!(!both.is_subset(&one));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn known_scopes_in_any_order_and_spacing_parse_to_one_canonical_form(
                picks in proptest::collection::vec(0usize..2, 1..6),
                seps in proptest::collection::vec("[ ,]{1,3}", 6),
            ) {
                let raw: String = picks
                    .iter()
                    .zip(&seps)
                    .map(|(i, sep)| format!("{}{sep}", Scope::ALL[*i].as_str()))
                    .collect();
                let s = Scopes::parse(&raw).unwrap();
                prop_assert_eq!(Scopes::parse(&s.to_string()).unwrap(), s.clone());
                prop_assert_eq!(Scopes::from_stored(&s.to_vec()), s.clone());
                for i in &picks {
                    prop_assert!(s.contains(Scope::ALL[*i]));
                }
            }

            #[test]
            fn anything_else_is_refused_without_panicking(raw in "\\PC*") {
                if let Ok(s) = Scopes::parse(&raw) {
                    prop_assert!(s.iter().count() >= 1);
                    prop_assert!(raw.split([' ', ',']).filter(|p| !p.is_empty()).all(|p| Scope::parse(p).is_some()));
                }
            }
        }
    }
}
