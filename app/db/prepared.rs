//! Hand-written SQL that diesel still prepares once per connection and reuses.
//!
//! `diesel::sql_query` marks itself unsafe to cache, so every call would parse, plan and pay an
//! extra round trip. The statements here are cached by diesel-async's statement cache: one round
//! trip per call on a warm connection. Write the SQL with `?` where each bind goes, in order.
//!
//! - A [`Prepared`] statement names tables as the connection's `search_path` finds them, and has a
//!   static query id (its marker type).
//! - A tenant statement (see [`crate::db::TenantStatements`]) writes `{schema}.` before each
//!   tenant table; its text is made once per tenant and cached by that text. It reads the same on
//!   any connection, so serving it never needs a `SET search_path`, which would make PostgreSQL
//!   analyse and plan every cached statement of that connection again.

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};

use crate::tenancy::SchemaName;

/// One statement's text; implemented by the marker types that [`statement!`] declares.
pub trait Sql: Send + Sync + 'static {
    const SQL: &'static str;
}

/// Declares a marker type carrying a statement's SQL.
#[macro_export]
macro_rules! statement {
    ($(#[$meta:meta])* $name:ident, $sql:expr) => {
        $(#[$meta])*
        pub struct $name;
        impl $crate::db::prepared::Sql for $name {
            const SQL: &'static str = $sql;
        }
    };
}

struct RawBind<ST, V> {
    value: V,
    _st: PhantomData<ST>,
}

impl<ST, V> QueryFragment<Pg> for RawBind<ST, V>
where
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_bind_param::<ST, V>(&self.value)
    }
}

type Bind<'f> = Box<dyn QueryFragment<Pg> + Send + 'f>;

fn boxed<'f, ST, V>(value: V) -> Bind<'f>
where
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg> + Send + 'f,
    ST: Send + 'f,
{
    Box::new(RawBind {
        value,
        _st: PhantomData,
    })
}

/// Writes `sql` with each `?` replaced by the next bind.
fn walk<'b>(sql: &'b str, binds: &'b [Bind<'_>], mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
    let mut segments = sql.split('?');
    out.push_sql(segments.next().unwrap_or_default());
    for (bind, segment) in binds.iter().zip(segments.by_ref()) {
        bind.walk_ast(out.reborrow())?;
        out.push_sql(segment);
    }
    debug_assert!(segments.next().is_none(), "fewer binds than ? in {sql}");
    Ok(())
}

pub struct Prepared<'f, M: Sql> {
    binds: Vec<Bind<'f>>,
    _sql: PhantomData<M>,
}

impl<'f, M: Sql> Prepared<'f, M> {
    pub fn new() -> Self {
        Self {
            binds: Vec::new(),
            _sql: PhantomData,
        }
    }

    pub fn bind<ST, V>(mut self, value: V) -> Self
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'f,
        ST: Send + 'f,
    {
        self.binds.push(boxed::<ST, V>(value));
        self
    }
}

impl<M: Sql> Default for Prepared<'_, M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Sql> QueryFragment<Pg> for Prepared<'_, M> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        walk(M::SQL, &self.binds, out)
    }
}

impl<M: Sql> QueryId for Prepared<'_, M> {
    type QueryId = M;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<M: Sql> Query for Prepared<'_, M> {
    type SqlType = Untyped;
}

/// A tenant statement with its binds. The query id is not static: diesel caches it by its text,
/// which names the tenant's schema, so each tenant's statement is prepared apart.
///
/// Untyped, its rows are read by column name ([`diesel::QueryableByName`]). Given the SQL types
/// of its columns in order (`ST`), they are read by position ([`diesel::Queryable`]), with no
/// name to look up for each column of each row.
pub struct Qualified<'f, ST = Untyped> {
    sql: Arc<str>,
    binds: Vec<Bind<'f>>,
    _st: PhantomData<fn() -> ST>,
}

impl<'f> Qualified<'f> {
    pub(super) fn new<M: Sql>(schema: &SchemaName) -> Self {
        Self {
            sql: qualified_text::<M>(schema),
            binds: Vec::new(),
            _st: PhantomData,
        }
    }

    /// The same statement, its columns of the SQL types `ST` in order.
    pub(super) fn typed<ST>(self) -> Qualified<'f, ST> {
        Qualified {
            sql: self.sql,
            binds: self.binds,
            _st: PhantomData,
        }
    }

    pub(super) fn push<ST, V>(&mut self, value: V)
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'f,
        ST: Send + 'f,
    {
        self.binds.push(boxed::<ST, V>(value));
    }
}

impl<ST> QueryFragment<Pg> for Qualified<'_, ST> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        walk(&self.sql, &self.binds, out)
    }
}

impl<ST> QueryId for Qualified<'_, ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST> Query for Qualified<'_, ST> {
    type SqlType = ST;
}

thread_local! {
    /// Each worker thread's texts of the tenant statements it has run, by statement and schema.
    static TEXTS: RefCell<HashMap<(TypeId, SchemaName), Arc<str>>> = RefCell::default();
}

/// `M::SQL` for one tenant: `{schema}` becomes the quoted schema name.
fn qualified_text<M: Sql>(schema: &SchemaName) -> Arc<str> {
    let key = (TypeId::of::<M>(), schema.clone());
    if let Some(text) = TEXTS.with_borrow(|t| t.get(&key).cloned()) {
        return text;
    }
    check_qualified(M::SQL).unwrap_or_else(|e| panic!("{e}"));
    let text: Arc<str> = M::SQL.replace("{schema}", &schema.quoted()).into();
    TEXTS.with_borrow_mut(|t| t.insert(key, text.clone()));
    text
}

/// A tenant statement must name the schema before every table it reads or writes: on a
/// connection whose `search_path` is another tenant's, an unqualified name would be that
/// tenant's table. A platform table (`public.…`), names a `WITH` clause defines, and functions
/// (`unnest(`) are allowed.
pub fn check_qualified(sql: &str) -> Result<(), String> {
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let defined: Vec<&str> = words
        .windows(2)
        .filter(|w| w[1].eq_ignore_ascii_case("AS") && is_identifier(w[0]))
        .map(|w| w[0])
        .collect();
    for (i, word) in words.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| words[j].to_ascii_uppercase());
        let table_follows = match word.to_ascii_uppercase().as_str() {
            "FROM" => before.as_deref() != Some("DISTINCT"),
            "JOIN" | "INTO" => true,
            // `ON CONFLICT .. DO UPDATE` and `FOR UPDATE` name no table.
            "UPDATE" => !matches!(before.as_deref(), Some("DO" | "FOR")),
            _ => false,
        };
        if !table_follows {
            continue;
        }
        let mut next = words.get(i + 1).copied().unwrap_or_default();
        if next.eq_ignore_ascii_case("LATERAL") || next.eq_ignore_ascii_case("ONLY") {
            next = words.get(i + 2).copied().unwrap_or_default();
        }
        let ok = next.starts_with("{schema}.")
            || next.starts_with("public.")
            || next.contains('(')
            || defined.contains(&next);
        if !ok {
            return Err(format!(
                "tenant statement names `{next}` without {{schema}}.: {sql}"
            ));
        }
    }
    Ok(())
}

fn is_identifier(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_statements_must_name_the_schema() {
        assert!(
            check_qualified("SELECT 1 FROM {schema}.tokens t JOIN {schema}.grants g ON true")
                .is_ok()
        );
        assert!(check_qualified(
            "WITH c AS (SELECT 1 FROM {schema}.tokens) SELECT * FROM c LEFT JOIN LATERAL (SELECT 1) x ON true"
        )
        .is_ok());
        assert!(
            check_qualified(
                "INSERT INTO {schema}.access_ledger (a) SELECT * FROM unnest(?::int[])"
            )
            .is_ok()
        );
        let e =
            check_qualified("SELECT 1 FROM {schema}.tokens t JOIN grants g ON true").unwrap_err();
        assert!(e.contains("`grants`"), "{e}");
        assert!(check_qualified("UPDATE tokens SET x = 1").is_err());
        assert!(check_qualified(
            "INSERT INTO {schema}.rate_limits (k) VALUES (?) ON CONFLICT (k) DO UPDATE SET k = 1"
        )
        .is_ok());
        assert!(check_qualified("SELECT 1 FROM {schema}.tokens FOR UPDATE").is_ok());
        assert!(check_qualified("DELETE FROM public.address_limits WHERE x < ?").is_ok());
        assert!(check_qualified("DELETE FROM address_limits WHERE x < ?").is_err());
        assert!(check_qualified("SELECT (SELECT 1 FROM accounts) AS x").is_err());
    }
}
