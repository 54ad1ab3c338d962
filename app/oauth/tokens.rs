//! Authorization codes, access and refresh tokens: 256-bit random, stored as SHA-256.
//! A code is single-use for 60 s; a refresh token is rotated, and presenting a rotated one again
//! ends the grant (RFC 9700 §4.14).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use super::clients::Partner;
use super::error::OAuthError;
use super::pkce;
use super::scopes::Scopes;
use crate::audit::{self, Event};
use crate::consent::grants;
use crate::db::batch::{Answers, Batches};
use crate::db::schema::tenant::{auth_codes, grants as g, tokens};
use crate::db::{TenantConn, TenantStatements};
use crate::secrets;
use crate::statement;

pub const CODE_TTL_SECS: i64 = 60;

/// (grant, redirect URI, challenge, code expiry, used at, partner, scopes, grant expiry, revoked at)
type CodeRow = (
    Uuid,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Uuid,
    Vec<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);
/// (grant, rotated at, partner, scopes, grant expiry, revoked at)
type RefreshRow = (
    Uuid,
    Option<DateTime<Utc>>,
    Uuid,
    Vec<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);
/// A token and its grant, as introspection reads them.
#[derive(QueryableByName)]
pub struct TokenRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    rotated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = SqlUuid)]
    partner_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    customer_id: Uuid,
    #[diesel(sql_type = Array<Text>, column_name = token_scopes)]
    scopes: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    grant_expires_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    revoked_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    cnf_x5t_s256: Option<Vec<u8>>,
}

/// The partner of a `client_id` and, when there is one, a token with its grant: introspection's
/// client authentication and lookup in one round trip. The token's columns are NULL when no
/// token has the hash (`token` is then `None`); they are read only once the partner has
/// authenticated.
#[derive(QueryableByName)]
pub struct PartnerTokenRow {
    /// Which of the batch's asks this row answers (from 0).
    #[diesel(sql_type = diesel::sql_types::Int8)]
    ask: i64,
    #[diesel(embed)]
    partner: super::clients::Row,
    #[diesel(embed)]
    token: Option<TokenRow>,
}

statement!(
    /// For a batch of introspection calls ([`crate::db::batch`]), each a token's hash and the
    /// `client_id` presented with it: the partner, with the token and its grant. The subquery
    /// runs once per call (`OFFSET 0` keeps it from being merged into a join of the batch).
    PartnerAndTokenSql,
    "SELECT (r.i - 1)::int8 AS ask, q.*
       FROM unnest(?::bytea[], ?::text[]) WITH ORDINALITY AS r(token_hash, client_id, i)
      CROSS JOIN LATERAL (
        SELECT p.id, p.client_id, p.client_secret_hash, p.name_ja, p.name_en, p.redirect_uris, p.scopes,
               p.auth_method, p.cert_subject, p.cert_subject_next, p.par_required, p.status,
               x.kind, x.created_at, x.expires_at, x.rotated_at, x.partner_id, x.customer_id, x.token_scopes,
               x.grant_expires_at, x.revoked_at, x.cnf_x5t_s256
          FROM {schema}.partners p
          LEFT JOIN LATERAL (
            SELECT t.kind, t.created_at, t.expires_at, t.rotated_at, g.partner_id, g.customer_id,
                   COALESCE(t.scopes, g.scopes) AS token_scopes, g.expires_at AS grant_expires_at, g.revoked_at, t.cnf_x5t_s256
              FROM {schema}.tokens t JOIN {schema}.grants g ON g.id = t.grant_id
             WHERE t.token_hash = r.token_hash
          ) x ON true
         WHERE p.client_id = r.client_id
        OFFSET 0
      ) q"
);

/// The token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct Issued {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub scope: String,
}

pub async fn issue_code(
    conn: &mut TenantConn,
    grant: Uuid,
    redirect_uri: &str,
    code_challenge: &str,
) -> QueryResult<String> {
    let code = secrets::random_token();
    let now = Utc::now();
    diesel::insert_into(auth_codes::table)
        .values((
            auth_codes::code_hash.eq(secrets::sha256(&code)),
            auth_codes::grant_id.eq(grant),
            auth_codes::redirect_uri.eq(redirect_uri),
            auth_codes::code_challenge.eq(code_challenge),
            auth_codes::created_at.eq(now),
            auth_codes::expires_at.eq(now + Duration::seconds(CODE_TTL_SECS)),
        ))
        .execute(conn)
        .await?;
    Ok(code)
}

/// A new access and refresh token for a live grant. The refresh token lives as long as the grant.
/// A `tls_client_auth` partner's access token is bound to the certificate it authenticated
/// with (`certificate`, its SHA-256); the refresh token is not, so the partner can renew its
/// certificate.
async fn issue_pair(
    conn: &mut TenantConn,
    grant: Uuid,
    grant_expires: DateTime<Utc>,
    scopes: &Scopes,
    access_ttl: i64,
    certificate: Option<[u8; 32]>,
) -> QueryResult<Issued> {
    let now = Utc::now();
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
async fn revoke_replayed(
    conn: &mut TenantConn,
    grant: Uuid,
    client_id: &str,
    event: Event,
    reason: &'static str,
) -> QueryResult<()> {
    grants::revoke(conn, grant, reason).await?;
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
enum Outcome {
    Issued(Issued),
    Refused(OAuthError),
}

pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub verifier: &'a str,
    pub access_ttl: i64,
    pub certificate: Option<[u8; 32]>,
}

/// `grant_type=authorization_code`.
pub async fn redeem_code(
    conn: &mut TenantConn,
    partner: &Partner,
    x: CodeExchange<'_>,
) -> Result<Issued, OAuthError> {
    let hash = secrets::sha256(x.code);
    let partner_id = partner.id;
    let client_id = partner.client_id.clone();
    let (redirect_uri, verifier, ttl, certificate) = (
        x.redirect_uri.to_owned(),
        x.verifier.to_owned(),
        x.access_ttl,
        x.certificate,
    );
    let outcome = conn
        .transaction::<_, OAuthError, _>(async move |conn| {
            let row: Option<CodeRow> = auth_codes::table
                .inner_join(g::table)
                .filter(auth_codes::code_hash.eq(&hash))
                .select((
                    auth_codes::grant_id,
                    auth_codes::redirect_uri,
                    auth_codes::code_challenge,
                    auth_codes::expires_at,
                    auth_codes::used_at,
                    g::partner_id,
                    g::scopes,
                    g::expires_at,
                    g::revoked_at,
                ))
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let refuse = |d: &str| Ok(Outcome::Refused(OAuthError::invalid_grant(d)));
            let Some((
                grant,
                code_redirect,
                challenge,
                expires,
                used,
                owner,
                scopes,
                grant_expires,
                revoked,
            )) = row
            else {
                return refuse("the authorization code is not valid");
            };
            if owner != partner_id {
                return refuse("the authorization code is not valid");
            }
            if used.is_some() {
                // A code presented twice was intercepted: end everything it issued.
                revoke_replayed(conn, grant, &client_id, Event::CodeReused, "code_reused").await?;
                return refuse("the authorization code was already used; its grant is revoked");
            }
            diesel::update(auth_codes::table.filter(auth_codes::code_hash.eq(&hash)))
                .set(auth_codes::used_at.eq(Utc::now()))
                .execute(conn)
                .await?;
            let now = Utc::now();
            if expires <= now {
                return refuse("the authorization code has expired");
            }
            if code_redirect != redirect_uri {
                return refuse("redirect_uri does not match the authorization request");
            }
            if !pkce::verify(&verifier, &challenge) {
                return refuse("code_verifier does not match the code_challenge");
            }
            if revoked.is_some() || grant_expires <= now {
                return refuse("the grant has ended");
            }
            let scopes = Scopes::from_stored(&scopes);
            let issued = issue_pair(conn, grant, grant_expires, &scopes, ttl, certificate).await?;
            audit::record(
                conn,
                Event::TokensIssued,
                &format!("partner:{client_id}"),
                Some(&grant.to_string()),
                None,
                serde_json::json!({"grant_type": "authorization_code"}),
            )
            .await?;
            Ok(Outcome::Issued(issued))
        })
        .await?;
    match outcome {
        Outcome::Issued(i) => Ok(i),
        Outcome::Refused(e) => Err(e),
    }
}

statement!(
    /// A refresh with everything in order, in one statement: spends the refresh token (unused,
    /// of this partner's live grant, which covers the scopes asked for, if any), issues the next
    /// access and refresh tokens and writes the audit row. No row back: something was not in
    /// order, and nothing was written. The grant's row is not locked: a grant revoked meanwhile
    /// ends these tokens as it ends all of its own, which are only ever read with their grant.
    RotateSql,
    "WITH p AS (SELECT ?::timestamptz AS at, ?::text[] AS asked),
     spent AS (
       UPDATE {schema}.tokens t SET rotated_at = p.at
         FROM {schema}.grants g, p
        WHERE t.token_hash = ? AND t.kind = 'refresh' AND t.rotated_at IS NULL
          AND g.id = t.grant_id AND g.partner_id = ? AND g.revoked_at IS NULL AND g.expires_at > p.at
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
     SELECT scopes, expires_at FROM spent"
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
) -> Result<Issued, OAuthError> {
    let hash = secrets::sha256(token);
    let now = Utc::now();
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
        return Err(refusal(&mut conn, partner, hash, narrower).await?);
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
            )
            .await?;
            return refused("the refresh token was already used; its grant is revoked");
        }
        if grant_expires <= Utc::now() {
            return refused("the grant has expired; the customer must register again");
        }
        if narrower.is_some_and(|s| !s.is_subset(&Scopes::from_stored(&scopes))) {
            return Ok(OAuthError::new(
                super::error::OAuthCode::InvalidScope,
                "scope exceeds what the customer granted",
            ));
        }
        // In order now: it changed between the two statements (its grant's end, say, came
        // while they ran). Another try decides.
        refused("the refresh token is not valid")
    })
    .await
}

/// RFC 7009: either token of a grant ends the whole grant. Unknown tokens and other partners'
/// tokens change nothing; the caller answers 200 either way.
pub async fn revoke(
    conn: &mut TenantConn,
    partner: &Partner,
    token: &str,
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
        && grants::revoke(conn, grant, "partner_revoked").await?
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

/// RFC 7662 answer for a token of this partner.
#[derive(Debug, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// When the customer's consent ends (seconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_expires_at: Option<i64>,
    /// RFC 8705 §3.2: the certificate a bound access token must be presented with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

#[derive(Debug, Serialize)]
pub struct Confirmation {
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
}

impl Introspection {
    pub fn inactive() -> Self {
        Self {
            active: false,
            scope: None,
            client_id: None,
            token_type: None,
            exp: None,
            iat: None,
            sub: None,
            iss: None,
            grant_expires_at: None,
            cnf: None,
        }
    }
}

/// A subject identifier that differs per partner, so partners cannot correlate customers,
/// and never reveals the login ID.
pub fn pairwise_sub(tenant: &str, partner: Uuid, customer: Uuid) -> String {
    let h = secrets::sha256(&format!("renkei-sub|{tenant}|{partner}|{customer}"));
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &h[..16])
}

/// One introspection call: the `client_id` presented and the token asked about.
pub struct IntrospectionAsk {
    pub client_id: String,
    pub token_hash: Vec<u8>,
}

/// The introspection calls of one tenant made at the same moment, asked together.
pub type IntrospectionBatches = Batches<IntrospectionAsk, PartnerTokenRow>;

impl Answers for PartnerTokenRow {
    fn ask(&self) -> i64 {
        self.ask
    }
}

/// Answers a batch of introspection calls. Each row names the ask it answers; an ask whose
/// `client_id` is no partner's has no row.
pub async fn partners_and_tokens(
    mut conn: TenantStatements,
    asks: Vec<IntrospectionAsk>,
) -> QueryResult<Vec<PartnerTokenRow>> {
    let (hashes, clients): (Vec<_>, Vec<_>) = asks
        .into_iter()
        .map(|a| (a.token_hash, a.client_id))
        .unzip();
    conn.query::<PartnerAndTokenSql>()
        .bind::<Array<Bytea>, _>(hashes)
        .bind::<Array<Text>, _>(clients)
        .load()
        .await
}

/// The partner (`None`: no such partner) and the token (`None`: no such token) of an
/// introspection call's rows.
pub fn partner_and_token(rows: Vec<PartnerTokenRow>) -> (Option<Partner>, Option<TokenRow>) {
    match rows.into_iter().next() {
        Some(row) => (Some(row.partner.into()), row.token),
        None => (None, None),
    }
}

/// What introspection answers an authenticated `partner` about a token (RFC 7662): inactive
/// for no token, another partner's, and one that is revoked, expired or rotated.
pub fn introspection(
    partner: &Partner,
    token: Option<TokenRow>,
    tenant: &str,
    issuer: &str,
) -> Introspection {
    let now = Utc::now();
    let Some(t) = token else {
        return Introspection::inactive();
    };
    if t.partner_id != partner.id
        || t.revoked_at.is_some()
        || t.expires_at <= now
        || t.grant_expires_at <= now
        || t.rotated_at.is_some()
    {
        return Introspection::inactive();
    }
    Introspection {
        active: true,
        scope: Some(Scopes::from_stored(&t.scopes).to_string()),
        client_id: Some(partner.client_id.clone()),
        token_type: Some(if t.kind == "access" {
            "Bearer"
        } else {
            "refresh_token"
        }),
        exp: Some(t.expires_at.timestamp()),
        iat: Some(t.created_at.timestamp()),
        sub: Some(pairwise_sub(tenant, partner.id, t.customer_id)),
        iss: Some(issuer.to_owned()),
        grant_expires_at: Some(t.grant_expires_at.timestamp()),
        cnf: t.cnf_x5t_s256.map(|b| Confirmation {
            x5t_s256: base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sub_differs_per_partner_and_is_stable() {
        let (p1, p2, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(pairwise_sub("kitami", p1, c), pairwise_sub("kitami", p1, c));
        assert_ne!(pairwise_sub("kitami", p1, c), pairwise_sub("kitami", p2, c));
        assert_ne!(pairwise_sub("kitami", p1, c), pairwise_sub("hokuto", p1, c));
        assert_eq!(pairwise_sub("kitami", p1, c).len(), 22);
    }
}
