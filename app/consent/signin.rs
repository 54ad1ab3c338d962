//! A customer's password sign-in, wherever it happens (the consent flow, `/my`): the rate
//! limits, the lockout, the bank's verdict and the audit trail, decided in one place. The caller
//! renders its own page and records the success its own way.

use actix_web::http::StatusCode;

use super::lockout;
use crate::audit::{self, Event};
use crate::bank::CustomerId;
use crate::bank::{CustomerDirectory, Verification};
use crate::config::LimitSettings;
use crate::db::{Db, TenantConn};
use crate::error::AppError;
use crate::limits::{self, Verdict};
use crate::sessions;
use crate::tenancy::Tenant;

pub enum SignIn {
    Verified(CustomerId),
    /// Show the form again with this message (a locale key) and status; `retry_after` when a
    /// rate limit refused it.
    Refused {
        error: &'static str,
        status: StatusCode,
        retry_after: Option<i64>,
    },
}

fn refused(error: &'static str, status: StatusCode) -> SignIn {
    SignIn::Refused {
        error,
        status,
        retry_after: None,
    }
}

/// What was typed on the form. `context` goes into every audit row (e.g. the partner).
pub struct Attempt<'a> {
    pub login_id: &'a str,
    pub password: &'a str,
    pub ip: Option<&'a str>,
    pub context: serde_json::Value,
}

/// Waits for a sign-in turn ([`crate::secrets::sign_in_turn`]) before it takes a connection,
/// and holds none while the password is hashed: a storm of sign-ins can neither pin every
/// connection of the pool nor starve the partner API.
pub async fn password(
    db: &Db,
    tenant: &Tenant,
    limits: &LimitSettings,
    a: Attempt<'_>,
) -> Result<SignIn, AppError> {
    let lockout_threshold = tenant.settings.lockout_threshold;
    // With the bank's own sign-in, lockout is the bank's: its directory's `locked` still holds.
    let own_lockout = tenant.settings.bank.own_lockout();
    if a.login_id.is_empty() || a.password.is_empty() {
        return Ok(refused("login-error-empty", StatusCode::BAD_REQUEST));
    }
    let _turn = crate::secrets::sign_in_turn().await;
    let who = format!("customer:{}", a.login_id);
    let record = async |conn: &mut TenantConn, event, extra: serde_json::Value| {
        let mut detail = a.context.clone();
        if let (Some(d), serde_json::Value::Object(extra)) = (detail.as_object_mut(), extra) {
            d.extend(extra);
        }
        audit::record(conn, event, &who, None, a.ip, detail).await
    };
    let locked = || refused("login-error-locked", StatusCode::FORBIDDEN);
    {
        let mut conn = db.tenant(&tenant.slug).await?;
        if let Verdict::Limited { retry_after } =
            limits::sign_in(conn.statements(), limits, a.ip, &who).await?
        {
            return Ok(SignIn::Refused {
                error: "login-error-rate",
                status: StatusCode::TOO_MANY_REQUESTS,
                retry_after: Some(retry_after),
            });
        }
        if own_lockout && lockout::is_locked(&mut conn, a.login_id).await? {
            record(&mut conn, Event::LoginLocked, serde_json::json!({})).await?;
            return Ok(locked());
        }
    }
    // No connection is held while the password is hashed.
    let verdict = tenant
        .directory
        .verify_password(db, &tenant.slug, a.login_id, a.password)
        .await?;
    match verdict {
        Verification::Verified(customer) => {
            if own_lockout {
                lockout::reset(&mut db.tenant(&tenant.slug).await?, a.login_id).await?;
            }
            Ok(SignIn::Verified(customer))
        }
        Verification::Locked => {
            let mut conn = db.tenant(&tenant.slug).await?;
            record(&mut conn, Event::LoginLocked, serde_json::json!({})).await?;
            Ok(locked())
        }
        Verification::Refused { customer } => {
            let mut conn = db.tenant(&tenant.slug).await?;
            if !own_lockout
                || !lockout::record_failure(&mut conn, a.login_id, lockout_threshold).await?
            {
                record(&mut conn, Event::LoginFailed, serde_json::json!({})).await?;
                return Ok(refused("login-error-wrong", StatusCode::UNAUTHORIZED));
            }
            // The directory locks the customer on a connection of its own: none is held here.
            drop(conn);
            if let Some(customer) = customer {
                tenant.directory.lock(db, &tenant.slug, customer).await?;
            }
            let mut conn = db.tenant(&tenant.slug).await?;
            if let Some(customer) = customer {
                // A locked customer is signed out of /my everywhere.
                sessions::end_all(&mut conn, sessions::Kind::Customer, customer.0).await?;
            }
            let extra = serde_json::json!({"threshold": lockout_threshold});
            record(&mut conn, Event::LoginLocked, extra).await?;
            Ok(locked())
        }
    }
}
