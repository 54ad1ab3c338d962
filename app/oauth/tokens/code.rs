//! `grant_type=authorization_code`: a code is single-use for 60 s, for the redirect URI and
//! PKCE verifier of its request; a code used twice ends what it issued.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use super::issue::{Issued, Outcome, issue_pair, revoke_replayed};
use crate::audit::{self, Event};
use crate::db::TenantConn;
use crate::db::schema::tenant::{auth_codes, grants as g};
use crate::oauth::clients::Partner;
use crate::oauth::error::OAuthError;
use crate::oauth::pkce;
use crate::oauth::scopes::Scopes;
use crate::secrets;

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

pub async fn issue_code(
    conn: &mut TenantConn,
    grant: Uuid,
    redirect_uri: &str,
    code_challenge: &str,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    let code = secrets::random_token();
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

pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub verifier: &'a str,
    pub access_ttl: i64,
    /// For how long after its exchange the same partner presenting the code again is taken for
    /// a retry of an answer it never got: refused, but its grant is not ended.
    pub retry_secs: i64,
    pub certificate: Option<[u8; 32]>,
    /// The time of the exchange (the request's; tests choose it).
    pub at: DateTime<Utc>,
}

/// `grant_type=authorization_code`.
pub async fn redeem_code(
    conn: &mut TenantConn,
    partner: &Partner,
    x: CodeExchange<'_>,
) -> Result<Issued, OAuthError> {
    let now = x.at;
    let hash = secrets::sha256(x.code);
    let partner_id = partner.id;
    let client_id = partner.client_id.clone();
    let (redirect_uri, verifier, ttl, certificate) = (
        x.redirect_uri.to_owned(),
        x.verifier.to_owned(),
        x.access_ttl,
        x.certificate,
    );
    let retry_secs = x.retry_secs;
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
            if let Some(used) = used
                && retry_secs > 0
                && now - used <= chrono::Duration::seconds(retry_secs)
            {
                // Its partner again, soon after: the answer of the exchange was lost (a
                // failover, a dropped connection). Refused; its grant is not ended.
                return refuse("the authorization code was already used");
            }
            if used.is_some() {
                // A code presented twice was intercepted: end everything it issued.
                revoke_replayed(
                    conn,
                    grant,
                    &client_id,
                    Event::CodeReused,
                    "code_reused",
                    now,
                )
                .await?;
                return refuse("the authorization code was already used; its grant is revoked");
            }
            diesel::update(auth_codes::table.filter(auth_codes::code_hash.eq(&hash)))
                .set(auth_codes::used_at.eq(now))
                .execute(conn)
                .await?;
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
            let issued =
                issue_pair(conn, grant, grant_expires, &scopes, ttl, certificate, now).await?;
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
