//! A pending authorization request, kept in PostgreSQL so any replica can continue it. The browser
//! holds a random handle in a cookie; the table holds only its hash.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::db::TenantConn;
use crate::db::schema::tenant::auth_requests as ar;
use crate::oauth::request::AuthorizationRequest;
use crate::oauth::scopes::Scopes;
use crate::secrets;

/// How long a customer has to log in and consent.
pub const BROWSER_TTL_SECS: i64 = 15 * 60;
/// How long a pushed request waits for `/authorize` (RFC 9126 suggests a short time).
pub const PAR_TTL_SECS: i64 = 60;
pub const PAR_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Par,
    Login,
    Consent,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Par => "par",
            Self::Login => "login",
            Self::Consent => "consent",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Pending {
    pub handle_hash: Vec<u8>,
    pub partner_id: Uuid,
    pub request: AuthorizationRequest,
    pub csrf: String,
    pub stage: Stage,
    pub customer_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

type Row = (
    Vec<u8>,
    Uuid,
    String,
    Vec<String>,
    String,
    String,
    String,
    String,
    Option<Uuid>,
    DateTime<Utc>,
);

fn from_row(r: Row) -> Pending {
    Pending {
        handle_hash: r.0,
        partner_id: r.1,
        request: AuthorizationRequest {
            redirect_uri: r.2,
            scopes: Scopes::from_stored(&r.3),
            state: r.4,
            code_challenge: r.5,
        },
        csrf: r.6,
        stage: match r.7.as_str() {
            "par" => Stage::Par,
            "consent" => Stage::Consent,
            _ => Stage::Login,
        },
        customer_id: r.8,
        expires_at: r.9,
    }
}

macro_rules! columns {
    () => {
        (
            ar::handle_hash,
            ar::partner_id,
            ar::redirect_uri,
            ar::scopes,
            ar::state,
            ar::code_challenge,
            ar::csrf_token,
            ar::stage,
            ar::customer_id,
            ar::expires_at,
        )
    };
}

/// Stores a validated request; returns the handle to give the browser (or the partner, for PAR).
pub async fn create(
    conn: &mut TenantConn,
    partner_id: Uuid,
    request: &AuthorizationRequest,
    stage: Stage,
) -> QueryResult<String> {
    let handle = secrets::random_token();
    let ttl = if stage == Stage::Par {
        PAR_TTL_SECS
    } else {
        BROWSER_TTL_SECS
    };
    // Opportunistic clean-up keeps the table small without a job of its own.
    diesel::delete(ar::table.filter(ar::expires_at.lt(Utc::now() - Duration::hours(1))))
        .execute(conn)
        .await?;
    diesel::insert_into(ar::table)
        .values((
            ar::handle_hash.eq(secrets::sha256(&handle)),
            ar::partner_id.eq(partner_id),
            ar::redirect_uri.eq(&request.redirect_uri),
            ar::scopes.eq(request.scopes.to_vec()),
            ar::state.eq(&request.state),
            ar::code_challenge.eq(&request.code_challenge),
            ar::csrf_token.eq(secrets::random_token()),
            ar::stage.eq(stage.as_str()),
            ar::expires_at.eq(Utc::now() + Duration::seconds(ttl)),
        ))
        .execute(conn)
        .await?;
    Ok(handle)
}

/// The live browser request behind a cookie's handle.
pub async fn load(conn: &mut TenantConn, handle: &str) -> QueryResult<Option<Pending>> {
    ar::table
        .filter(ar::handle_hash.eq(secrets::sha256(handle)))
        .filter(ar::stage.ne("par"))
        .filter(ar::expires_at.gt(Utc::now()))
        .select(columns!())
        .first::<Row>(conn)
        .await
        .optional()
        .map(|r| r.map(from_row))
}

/// Consumes a pushed request: single use, within its lifetime, for the partner that pushed it.
pub async fn take_par(
    conn: &mut TenantConn,
    request_uri: &str,
    partner_id: Uuid,
) -> QueryResult<Option<AuthorizationRequest>> {
    let Some(handle) = request_uri.strip_prefix(PAR_PREFIX) else {
        return Ok(None);
    };
    let row: Option<Row> = diesel::delete(
        ar::table
            .filter(ar::handle_hash.eq(secrets::sha256(handle)))
            .filter(ar::stage.eq("par"))
            .filter(ar::partner_id.eq(partner_id)),
    )
    .returning(columns!())
    .get_result(conn)
    .await
    .optional()?;
    Ok(row
        .map(from_row)
        .filter(|p| p.expires_at > Utc::now())
        .map(|p| p.request))
}

/// The customer proved who they are: the request moves on to consent under a new handle and a
/// new CSRF token, returned for the browser's cookie. Whoever planted or learned the handle of
/// before the sign-in holds nothing now (session fixation). `None`: the request had ended.
pub async fn logged_in(
    conn: &mut TenantConn,
    handle_hash: &[u8],
    customer: Uuid,
) -> QueryResult<Option<String>> {
    let handle = secrets::random_token();
    let n = diesel::update(
        ar::table
            .filter(ar::handle_hash.eq(handle_hash))
            .filter(ar::stage.ne(Stage::Par.as_str())),
    )
    .set((
        ar::handle_hash.eq(secrets::sha256(&handle)),
        ar::csrf_token.eq(secrets::random_token()),
        ar::customer_id.eq(customer),
        ar::stage.eq(Stage::Consent.as_str()),
    ))
    .execute(conn)
    .await?;
    Ok((n == 1).then_some(handle))
}

/// The request ended (allowed or cancelled): it cannot be replayed.
pub async fn finish(conn: &mut TenantConn, handle_hash: &[u8]) -> QueryResult<bool> {
    diesel::delete(ar::table.filter(ar::handle_hash.eq(handle_hash)))
        .execute(conn)
        .await
        .map(|n| n > 0)
}
