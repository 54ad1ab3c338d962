//! `grant_type=refresh_token`: a refresh token is rotated, and presenting a rotated one again
//! ends the grant (RFC 9700 §4.14).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use super::issue::{Issued, revoke_replayed};
use crate::audit::Event;
use crate::db::schema::tenant::{grants as g, tokens};
use crate::db::{TenantConn, TenantStatements};
use crate::oauth::clients::Partner;
use crate::oauth::error::OAuthError;
use crate::oauth::scopes::Scopes;
use crate::secrets;
use crate::statement;

/// (grant, rotated at, partner, scopes, grant expiry, revoked at)
type RefreshRow = (
    Uuid,
    Option<DateTime<Utc>>,
    Uuid,
    Vec<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

statement!(
    /// A refresh with everything in order, in one statement: spends the refresh token (unused,
    /// of this partner's live grant, which covers the scopes asked for, if any), issues the next
    /// access and refresh tokens and writes the audit row. No row back: something was not in
    /// order, and nothing was written. The grant's row is not locked: a grant revoked meanwhile
    /// ends these tokens as it ends all of its own, which are only ever read with their grant.
    RotateSql,
    concat!("WITH p AS (SELECT ?::timestamptz AS at, ?::text[] AS asked),
     spent AS (
       UPDATE {schema}.tokens t SET rotated_at = p.at
         FROM {schema}.grants g, p
        WHERE t.token_hash = ? AND t.kind = 'refresh' AND ", crate::live_token!("t", "p.at"), "
          AND g.id = t.grant_id AND g.partner_id = ? AND ", crate::live_grant!("g", "p.at"), "
          AND (p.asked IS NULL OR g.scopes @> p.asked)
       RETURNING t.grant_id, g.scopes, g.expires_at, p.at, p.asked
     ), issued AS (
       INSERT INTO {schema}.tokens (token_hash, grant_id, kind, created_at, expires_at, cnf_x5t_s256, scopes)
       SELECT ?, s.grant_id, 'access', s.at, least(?, s.expires_at), ?,
              CASE WHEN s.asked @> s.scopes THEN NULL ELSE s.asked END
         FROM spent s
       UNION ALL
       SELECT ?, s.grant_id, 'refresh', s.at, s.expires_at, NULL, NULL
         FROM spent s
     ), audited AS (
       INSERT INTO {schema}.audit_log (event, actor, subject, detail)
       SELECT ?, ?, s.grant_id::text, '{}'::jsonb
         FROM spent s
     )
     SELECT scopes, expires_at FROM spent")
);

/// The scopes and end of the grant whose refresh token [`RotateSql`] spent.
#[derive(QueryableByName)]
struct Rotated {
    #[diesel(sql_type = Array<Text>)]
    scopes: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
}

/// `grant_type=refresh_token`: rotates; a rotated token presented again revokes the grant.
///
/// A refresh with everything in order is one statement ([`RotateSql`]). When that finds
/// something out of order it writes nothing, and [`refusal`] finds out what, under the rows'
/// locks: the answer, and for a token already spent, the end of its grant.
pub async fn refresh(
    mut conn: TenantStatements,
    partner: &Partner,
    token: &str,
    narrower: Option<Scopes>,
    access_ttl: i64,
    certificate: Option<[u8; 32]>,
    now: DateTime<Utc>,
) -> Result<Issued, OAuthError> {
    let hash = secrets::sha256(token);
    let access_until = now + Duration::seconds(access_ttl);
    let access = secrets::random_token();
    let refresh = secrets::random_token();
    let rotated: Option<Rotated> = conn
        .query::<RotateSql>()
        .bind::<Timestamptz, _>(now)
        .bind::<Nullable<Array<Text>>, _>(narrower.as_ref().map(Scopes::to_vec))
        .bind::<Bytea, _>(hash.clone())
        .bind::<SqlUuid, _>(partner.id)
        .bind::<Bytea, _>(secrets::sha256(&access))
        .bind::<Timestamptz, _>(access_until)
        .bind::<Nullable<Bytea>, _>(certificate.map(|c| c.to_vec()))
        .bind::<Bytea, _>(secrets::sha256(&refresh))
        .bind::<Text, _>(Event::TokensRefreshed.as_str())
        .bind::<Text, _>(format!("partner:{}", partner.client_id))
        .load::<Rotated>()
        .await?
        .pop();
    let Some(r) = rotated else {
        let mut conn = conn.pin().await?;
        return Err(refusal(&mut conn, partner, hash, narrower, now).await?);
    };
    let access_expires = access_until.min(r.expires_at);
    Ok(Issued {
        access_token: access,
        token_type: "Bearer",
        expires_in: (access_expires - now).num_seconds().max(0),
        refresh_token: refresh,
        scope: narrower
            .unwrap_or_else(|| Scopes::from_stored(&r.scopes))
            .to_string(),
    })
}

/// Why a refresh token was refused: read under the token's and grant's locks, after
/// [`RotateSql`] found it out of order. A token already spent, presented again, revokes its
/// grant.
async fn refusal(
    conn: &mut TenantConn,
    partner: &Partner,
    hash: Vec<u8>,
    narrower: Option<Scopes>,
    now: DateTime<Utc>,
) -> Result<OAuthError, OAuthError> {
    let partner_id = partner.id;
    let client_id = partner.client_id.clone();
    conn.transaction::<_, OAuthError, _>(async move |conn| {
        let row: Option<RefreshRow> = tokens::table
            .inner_join(g::table)
            .filter(tokens::token_hash.eq(&hash))
            .filter(tokens::kind.eq("refresh"))
            .select((
                tokens::grant_id,
                tokens::rotated_at,
                g::partner_id,
                g::scopes,
                g::expires_at,
                g::revoked_at,
            ))
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let refused = |d: &str| Ok(OAuthError::invalid_grant(d));
        let Some((grant, rotated, owner, scopes, grant_expires, revoked)) = row else {
            return refused("the refresh token is not valid");
        };
        if owner != partner_id {
            return refused("the refresh token is not valid");
        }
        if revoked.is_some() {
            return refused("the grant has been revoked");
        }
        if rotated.is_some() {
            revoke_replayed(
                conn,
                grant,
                &client_id,
                Event::RefreshReused,
                "refresh_reused",
                now,
            )
            .await?;
            return refused("the refresh token was already used; its grant is revoked");
        }
        if grant_expires <= now {
            return refused("the grant has expired; the customer must register again");
        }
        if narrower.is_some_and(|s| !s.is_subset(&Scopes::from_stored(&scopes))) {
            return Ok(OAuthError::new(
                crate::oauth::error::OAuthCode::InvalidScope,
                "scope exceeds what the customer granted",
            ));
        }
        // In order now: it changed between the two statements (its grant's end, say, came
        // while they ran). Another try decides.
        refused("the refresh token is not valid")
    })
    .await
}
