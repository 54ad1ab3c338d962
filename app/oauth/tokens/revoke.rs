//! Revocation (RFC 7009).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::audit::{self, Event};
use crate::db::TenantConn;
use crate::db::schema::tenant::{grants as g, tokens};
use crate::grants;
use crate::oauth::clients::Partner;
use crate::oauth::error::OAuthError;
use crate::secrets;

/// RFC 7009: either token of a grant ends the whole grant. Unknown tokens and other partners'
/// tokens change nothing; the caller answers 200 either way.
pub async fn revoke(
    conn: &mut TenantConn,
    partner: &Partner,
    token: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), OAuthError> {
    let found: Option<(Uuid, Uuid)> = tokens::table
        .inner_join(g::table)
        .filter(tokens::token_hash.eq(secrets::sha256(token)))
        .select((tokens::grant_id, g::partner_id))
        .first(conn)
        .await
        .optional()?;
    if let Some((grant, owner)) = found
        && owner == partner.id
        && grants::revoke(conn, grant, "partner_revoked", at).await?
    {
        audit::record(
            conn,
            Event::GrantRevoked,
            &format!("partner:{}", partner.client_id),
            Some(&grant.to_string()),
            None,
            serde_json::json!({"via": "revocation_endpoint"}),
        )
        .await?;
    }
    Ok(())
}
