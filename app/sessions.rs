//! Browser sessions of admins (`/admin`) and customers (`/my`), kept in PostgreSQL so any
//! replica serves them and an admin can end them. The cookie holds a random token, the table
//! its SHA-256. A session ends after 15 minutes without a request, after 12 hours in any case,
//! on logout, and when its holder signs in again (the token is rotated at sign-in).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::db::TenantConn;
use crate::db::schema::tenant::web_sessions as ws;
use crate::error::AppError;
use crate::secrets;
use crate::tenancy::TenantSlug;

pub const IDLE_SECS: i64 = 15 * 60;
pub const MAX_SECS: i64 = 12 * 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Admin,
    Customer,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Customer => "customer",
        }
    }

    pub fn cookie_name(self) -> &'static str {
        match self {
            Self::Admin => "renkei_admin",
            Self::Customer => "renkei_my",
        }
    }

    /// The double-submit token of the sign-in form (SameSite=Strict keeps other sites from
    /// sending it along).
    fn login_cookie_name(self) -> &'static str {
        match self {
            Self::Admin => "renkei_admin_login",
            Self::Customer => "renkei_my_login",
        }
    }

    /// Where the cookie is sent: the area's own paths only.
    pub fn path(self, slug: &TenantSlug) -> String {
        match self {
            Self::Admin => format!("/t/{slug}/admin"),
            Self::Customer => format!("/t/{slug}/my"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the second factor is still owed (admins).
    Password,
    Active,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: Vec<u8>,
    pub principal: Uuid,
    pub stage: Stage,
    pub csrf: String,
}

/// Starts a session; returns the token for the cookie. A session that signs its holder in
/// ([`Stage::Active`]) ends their sessions of before.
pub async fn create(
    conn: &mut TenantConn,
    kind: Kind,
    principal: Uuid,
    stage: Stage,
) -> QueryResult<String> {
    if stage == Stage::Active {
        end_all(conn, kind, principal).await?;
    }
    let token = secrets::random_token();
    diesel::insert_into(ws::table)
        .values((
            ws::token_hash.eq(secrets::sha256(&token)),
            ws::kind.eq(kind.as_str()),
            ws::principal.eq(principal),
            ws::stage.eq(match stage {
                Stage::Password => "password",
                Stage::Active => "active",
            }),
            ws::csrf_token.eq(secrets::random_token()),
        ))
        .execute(conn)
        .await?;
    Ok(token)
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Bytea)]
    token_hash: Vec<u8>,
    #[diesel(sql_type = SqlUuid)]
    principal: Uuid,
    #[diesel(sql_type = Text)]
    stage: String,
    #[diesel(sql_type = Text)]
    csrf_token: String,
}

/// The live session behind a cookie's token, marked as seen now: one round trip.
pub async fn load(conn: &mut TenantConn, kind: Kind, token: &str) -> QueryResult<Option<Session>> {
    let row: Option<Row> = diesel::sql_query(format!(
        "UPDATE web_sessions SET last_seen_at = now()
          WHERE token_hash = $1 AND kind = $2 AND revoked_at IS NULL
            AND last_seen_at > now() - interval '{IDLE_SECS} seconds'
            AND created_at > now() - interval '{MAX_SECS} seconds'
          RETURNING token_hash, principal, stage, csrf_token"
    ))
    .bind::<Bytea, _>(secrets::sha256(token))
    .bind::<Text, _>(kind.as_str())
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| Session {
        token_hash: r.token_hash,
        principal: r.principal,
        stage: if r.stage == "active" {
            Stage::Active
        } else {
            Stage::Password
        },
        csrf: r.csrf_token,
    }))
}

/// Ends one session.
pub async fn end(conn: &mut TenantConn, token_hash: &[u8]) -> QueryResult<()> {
    diesel::update(ws::table.find(token_hash).filter(ws::revoked_at.is_null()))
        .set(ws::revoked_at.eq(chrono::Utc::now()))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Ends every live session of `principal` of this kind (a new sign-in, a lock).
pub async fn end_all(conn: &mut TenantConn, kind: Kind, principal: Uuid) -> QueryResult<usize> {
    diesel::update(
        ws::table
            .filter(ws::kind.eq(kind.as_str()))
            .filter(ws::principal.eq(principal))
            .filter(ws::revoked_at.is_null()),
    )
    .set(ws::revoked_at.eq(chrono::Utc::now()))
    .execute(conn)
    .await
}

/// The cookie that carries `token` (or, with `None`, removes it).
pub fn cookie(kind: Kind, slug: &TenantSlug, token: Option<&str>, https: bool) -> Cookie<'static> {
    let mut c = Cookie::build(kind.cookie_name(), token.unwrap_or_default().to_owned())
        .path(kind.path(slug))
        .http_only(true)
        .secure(https)
        .same_site(match kind {
            Kind::Admin => SameSite::Strict,
            // The customer arrives from the link in an expiry notice.
            Kind::Customer => SameSite::Lax,
        })
        .finish();
    if token.is_none() {
        c.make_removal();
    }
    c
}

/// Puts `cookie` on `res`.
pub fn with_cookie(mut res: HttpResponse, cookie: &Cookie<'_>) -> Result<HttpResponse, AppError> {
    res.add_cookie(cookie)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}

/// A sign-in form's CSRF token: into the form and into this cookie (see [`login_csrf_ok`]).
pub fn login_csrf(kind: Kind, slug: &TenantSlug, https: bool) -> (String, Cookie<'static>) {
    let token = secrets::random_token();
    let cookie = Cookie::build(kind.login_cookie_name(), token.clone())
        .path(kind.path(slug))
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Strict)
        .finish();
    (token, cookie)
}

/// The sign-in form came back with the token its cookie holds.
pub fn login_csrf_ok(req: &HttpRequest, kind: Kind, sent: Option<&str>) -> bool {
    let sent = sent.unwrap_or_default();
    req.cookie(kind.login_cookie_name()).is_some_and(|c| {
        !c.value().is_empty()
            && c.value().len() == sent.len()
            && openssl::memcmp::eq(c.value().as_bytes(), sent.as_bytes())
    })
}

/// Compares a form's CSRF token with the session's, in constant time.
pub fn csrf_ok(session: &Session, sent: Option<&str>) -> bool {
    sent.is_some_and(|s| {
        s.len() == session.csrf.len() && openssl::memcmp::eq(s.as_bytes(), session.csrf.as_bytes())
    })
}
