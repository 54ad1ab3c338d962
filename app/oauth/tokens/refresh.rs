//! `grant_type=refresh_token`: a refresh token is rotated, and presenting a rotated one again
//! ends the grant (RFC 9700 §4.14), unless its partner retries a rotation whose answer it never
//! got: within `oauth.refresh_retry_secs`, while the pair that rotation issued is unused, the
//! retry gets a fresh pair and that pair is revoked (FAPI 2.0 Security Profile §5.3.2.1).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use super::issue::{Issued, Outcome, revoke_replayed};
use crate::audit::Event;
use crate::db::prepared::Prepared;
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

/// The tail of [`RotateSql`] and [`RetrySql`]: the next pair issued from `spent`, each token
/// naming the refresh token whose rotation issued it, and the audit row with `$detail`.
/// `$schema` is `{schema}.` in a tenant statement, empty on the tenant's `search_path`.
macro_rules! next_pair {
    ($schema:literal, $detail:literal) => {
        concat!(
            "issued AS (
       INSERT INTO ", $schema, "tokens (token_hash, grant_id, kind, created_at, expires_at, cnf_x5t_s256, scopes, rotated_from)
       SELECT ?, s.grant_id, 'access', s.at, least(?, s.expires_at), ?,
              CASE WHEN s.asked @> s.scopes THEN NULL ELSE s.asked END, s.token_hash
         FROM spent s
       UNION ALL
       SELECT ?, s.grant_id, 'refresh', s.at, s.expires_at, NULL, NULL, s.token_hash
         FROM spent s
     ), audited AS (
       INSERT INTO ", $schema, "audit_log (event, actor, subject, detail)
       SELECT ?, ?, s.grant_id::text, ", $detail, "::jsonb
         FROM spent s
     )
     SELECT scopes, expires_at FROM spent"
        )
    };
}

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
       RETURNING t.token_hash, t.grant_id, g.scopes, g.expires_at, p.at, p.asked
     ), ", next_pair!("{schema}.", "'{}'"))
);

/// The scopes and end of the grant whose refresh token [`RotateSql`] spent.
#[derive(QueryableByName)]
struct Rotated {
    #[diesel(sql_type = Array<Text>)]
    scopes: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
}

statement!(
    /// A rotation retried, on the tenant's `search_path`: the pair the presented (spent) token's
    /// rotation issued is revoked, and the next pair issued as [`RotateSql`] would, in one
    /// statement; the same checks of the grant and the scopes. No row back: not in order,
    /// nothing written.
    RetrySql,
    concat!("WITH p AS (SELECT ?::timestamptz AS at, ?::text[] AS asked, ?::bytea AS presented),
     lost AS (
       UPDATE tokens t SET expires_at = least(t.expires_at, p.at)
         FROM p WHERE t.grant_id = ? AND t.rotated_from = p.presented
     ), spent AS (
       SELECT t.token_hash, t.grant_id, g.scopes, g.expires_at, p.at, p.asked
         FROM tokens t JOIN grants g ON g.id = t.grant_id, p
        WHERE t.token_hash = p.presented AND g.partner_id = ?
          AND ", crate::live_grant!("g", "p.at"), "
          AND (p.asked IS NULL OR g.scopes @> p.asked)
     ), ", next_pair!("", "'{\"retry\": true}'"))
);

/// The new pair's secrets and bounds, the same for a rotation and its retry.
struct Next {
    access: String,
    refresh: String,
    access_until: DateTime<Utc>,
    certificate: Option<[u8; 32]>,
}

impl Next {
    fn issued(self, r: Rotated, narrower: Option<Scopes>, now: DateTime<Utc>) -> Issued {
        let access_expires = self.access_until.min(r.expires_at);
        Issued {
            access_token: self.access,
            token_type: "Bearer",
            expires_in: (access_expires - now).num_seconds().max(0),
            refresh_token: self.refresh,
            scope: narrower
                .unwrap_or_else(|| Scopes::from_stored(&r.scopes))
                .to_string(),
        }
    }
}

/// How long tokens live, and how long a spent one may be retried.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub access_secs: i64,
    pub retry_secs: i64,
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
    lifetimes: Lifetimes,
    certificate: Option<[u8; 32]>,
    now: DateTime<Utc>,
) -> Result<Issued, OAuthError> {
    let hash = secrets::sha256(token);
    let next = Next {
        access: secrets::random_token(),
        refresh: secrets::random_token(),
        access_until: now + Duration::seconds(lifetimes.access_secs),
        certificate,
    };
    let rotated: Option<Rotated> = conn
        .query::<RotateSql>()
        .bind::<Timestamptz, _>(now)
        .bind::<Nullable<Array<Text>>, _>(narrower.as_ref().map(Scopes::to_vec))
        .bind::<Bytea, _>(hash.clone())
        .bind::<SqlUuid, _>(partner.id)
        .bind::<Bytea, _>(secrets::sha256(&next.access))
        .bind::<Timestamptz, _>(next.access_until)
        .bind::<Nullable<Bytea>, _>(certificate.map(|c| c.to_vec()))
        .bind::<Bytea, _>(secrets::sha256(&next.refresh))
        .bind::<Text, _>(Event::TokensRefreshed.as_str())
        .bind::<Text, _>(format!("partner:{}", partner.client_id))
        .load::<Rotated>()
        .await?
        .pop();
    match rotated {
        Some(r) => Ok(next.issued(r, narrower, now)),
        None => {
            let mut conn = conn.pin().await?;
            let retry = Retry {
                next,
                window: Duration::seconds(lifetimes.retry_secs),
            };
            refusal(&mut conn, partner, hash, narrower, retry, now).await
        }
    }
}

/// A rotation the partner may be retrying: the pair to issue, and for how long after the
/// rotation.
struct Retry {
    next: Next,
    window: Duration,
}

/// Why a refresh token was refused: read under the token's and grant's locks, after
/// [`RotateSql`] found it out of order. A token already spent, presented again, revokes its
/// grant, unless it is its partner's retry of a rotation whose pair is still unused, within
/// the window: then that pair is revoked and the retry gets the next.
async fn refusal(
    conn: &mut TenantConn,
    partner: &Partner,
    hash: Vec<u8>,
    narrower: Option<Scopes>,
    retry: Retry,
    now: DateTime<Utc>,
) -> Result<Issued, OAuthError> {
    let partner_id = partner.id;
    let client_id = partner.client_id.clone();
    let outcome = conn
        .transaction::<_, OAuthError, _>(async move |conn| {
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
            let refused = |d: &str| Ok(Outcome::Refused(OAuthError::invalid_grant(d)));
            let too_wide = || {
                Ok(Outcome::Refused(OAuthError::new(
                    crate::oauth::error::OAuthCode::InvalidScope,
                    "scope exceeds what the customer granted",
                )))
            };
            let Some((grant, rotated, owner, scopes, grant_expires, revoked)) = row else {
                return refused("the refresh token is not valid");
            };
            if owner != partner_id {
                return refused("the refresh token is not valid");
            }
            if revoked.is_some() {
                return refused("the grant has been revoked");
            }
            if let Some(rotated) = rotated {
                // A window of 0 is no grace at all (calls at once may see a rotation "after" them).
                if retry.window > Duration::zero()
                    && now - rotated <= retry.window
                    && grant_expires > now
                    && successor_unused(conn, grant, &hash).await?
                {
                    let Retry { next, .. } = retry;
                    let r: Option<Rotated> = Prepared::<RetrySql>::new()
                        .bind::<Timestamptz, _>(now)
                        .bind::<Nullable<Array<Text>>, _>(narrower.as_ref().map(Scopes::to_vec))
                        .bind::<Bytea, _>(hash.clone())
                        .bind::<SqlUuid, _>(grant)
                        .bind::<SqlUuid, _>(partner_id)
                        .bind::<Bytea, _>(secrets::sha256(&next.access))
                        .bind::<Timestamptz, _>(next.access_until)
                        .bind::<Nullable<Bytea>, _>(next.certificate.map(|c| c.to_vec()))
                        .bind::<Bytea, _>(secrets::sha256(&next.refresh))
                        .bind::<Text, _>(Event::TokensRefreshed.as_str())
                        .bind::<Text, _>(format!("partner:{client_id}"))
                        .load::<Rotated>(conn)
                        .await?
                        .pop();
                    return match r {
                        Some(r) => Ok(Outcome::Issued(next.issued(r, narrower, now))),
                        None => too_wide(),
                    };
                }
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
                return too_wide();
            }
            // In order now: it changed between the two statements (its grant's end, say, came
            // while they ran). Another try decides.
            refused("the refresh token is not valid")
        })
        .await?;
    match outcome {
        Outcome::Issued(issued) => Ok(issued),
        Outcome::Refused(e) => Err(e),
    }
}

/// Whether the pair that the rotation of `hash` issued is unused: its refresh token was never
/// rotated in turn. A token with no such pair (spent before pairs were traced) is never retried.
async fn successor_unused(conn: &mut TenantConn, grant: Uuid, hash: &[u8]) -> QueryResult<bool> {
    let used: Vec<bool> = tokens::table
        .filter(tokens::grant_id.eq(grant))
        .filter(tokens::rotated_from.eq(hash))
        .filter(tokens::kind.eq("refresh"))
        .select(tokens::rotated_at.is_not_null())
        .for_update()
        .load(conn)
        .await?;
    Ok(!used.is_empty() && used.iter().all(|u| !u))
}
