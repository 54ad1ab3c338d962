//! Hand-written SQL that diesel still prepares once per connection and reuses.
//!
//! `diesel::sql_query` marks itself unsafe to cache, so every call would parse, plan and pay an
//! extra round trip. A [`Prepared`] statement has a static query id (its marker type), so
//! diesel-async's statement cache keeps it: one round trip per call on a warm connection.
//! Write the SQL with `?` where each bind goes, in order.

use std::marker::PhantomData;

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};

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

pub struct Prepared<'f, M: Sql> {
    binds: Vec<Box<dyn QueryFragment<Pg> + Send + 'f>>,
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
        self.binds.push(Box::new(RawBind {
            value,
            _st: PhantomData,
        }));
        self
    }
}

impl<M: Sql> Default for Prepared<'_, M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Sql> QueryFragment<Pg> for Prepared<'_, M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut segments = M::SQL.split('?');
        out.push_sql(segments.next().unwrap_or_default());
        for (bind, segment) in self.binds.iter().zip(segments.by_ref()) {
            bind.walk_ast(out.reborrow())?;
            out.push_sql(segment);
        }
        debug_assert!(
            segments.next().is_none(),
            "fewer binds than ? in {}",
            M::SQL
        );
        Ok(())
    }
}

impl<M: Sql> QueryId for Prepared<'_, M> {
    type QueryId = M;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<M: Sql> Query for Prepared<'_, M> {
    type SqlType = Untyped;
}
