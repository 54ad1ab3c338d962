//! What every grant type ends in: a new pair of tokens, or, for a secret presented twice, the
//! end of its grant.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, Event};
use crate::db::TenantConn;
use crate::db::schema::tenant::tokens;
use crate::grants;
use crate::oauth::error::OAuthError;
use crate::oauth::scopes::Scopes;
use crate::secrets;

/// The token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct Issued {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub scope: String,
}

/// A new access and refresh token for a live grant. The refresh token lives as long as the grant.
/// A `tls_client_auth` partner's access token is bound to the certificate it authenticated
/// with (`certificate`, its SHA-256); the refresh token is not, so the partner can renew its
/// certificate.
pub(super) async fn issue_pair(
    conn: &mut TenantConn,
    grant: Uuid,
    grant_expires: DateTime<Utc>,
    scopes: &Scopes,
    access_ttl: i64,
    certificate: Option<[u8; 32]>,
    now: DateTime<Utc>,
) -> QueryResult<Issued> {
    let access = secrets::random_token();
    let refresh = secrets::random_token();
    let access_expires = (now + Duration::seconds(access_ttl)).min(grant_expires);
    diesel::insert_into(tokens::table)
        .values(vec![
            (
                tokens::token_hash.eq(secrets::sha256(&access)),
                tokens::grant_id.eq(grant),
                tokens::kind.eq("access"),
                tokens::created_at.eq(now),
                tokens::expires_at.eq(access_expires),
                tokens::cnf_x5t_s256.eq(certificate.map(|c| c.to_vec())),
            ),
            (
                tokens::token_hash.eq(secrets::sha256(&refresh)),
                tokens::grant_id.eq(grant),
                tokens::kind.eq("refresh"),
                tokens::created_at.eq(now),
                tokens::expires_at.eq(grant_expires),
                tokens::cnf_x5t_s256.eq(None::<Vec<u8>>),
            ),
        ])
        .execute(conn)
        .await?;
    Ok(Issued {
        access_token: access,
        token_type: "Bearer",
        expires_in: (access_expires - now).num_seconds().max(0),
        refresh_token: refresh,
        scope: scopes.to_string(),
    })
}

/// A secret that may be used once came back: whoever holds it stole it, so the grant ends.
pub(super) async fn revoke_replayed(
    conn: &mut TenantConn,
    grant: Uuid,
    client_id: &str,
    event: Event,
    reason: &'static str,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    grants::revoke(conn, grant, reason, at).await?;
    audit::record(
        conn,
        event,
        &format!("partner:{client_id}"),
        Some(&grant.to_string()),
        None,
        serde_json::json!({}),
    )
    .await
}

/// What a transaction decided; errors that must still commit (revocations) travel as values.
pub(super) enum Outcome {
    Issued(Issued),
    Refused(OAuthError),
}
