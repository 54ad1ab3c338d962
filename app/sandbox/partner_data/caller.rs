//! The caller's columns, as every row of every statement here repeats them.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Bytea, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::bank::AccountId;
use crate::bank::partner_data::Caller;

/// Who is asking.
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct CallerRow {
    #[diesel(sql_type = SqlUuid)]
    grant_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    partner_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    scopes: Vec<String>,
    #[diesel(sql_type = Bool)]
    partner_active: bool,
    #[diesel(sql_type = Nullable<Bytea>)]
    cnf_x5t_s256: Option<Vec<u8>>,
}

impl From<CallerRow> for Caller {
    fn from(r: CallerRow) -> Self {
        Self {
            grant_id: r.grant_id,
            partner_id: r.partner_id,
            scopes: r.scopes,
            partner_active: r.partner_active,
            cnf_x5t_s256: r.cnf_x5t_s256,
        }
    }
}

/// An account id as the hosted core stores it (always 12 digits).
pub(super) fn account_id(raw: String) -> QueryResult<AccountId> {
    AccountId::try_from(raw).map_err(|e| diesel::result::Error::DeserializationError(e.into()))
}
