//! Institution admins: who they are, their password and their second factor (TOTP, RFC 6238).

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use totp_rs::{Builder, Totp};
use uuid::Uuid;

use crate::db::TenantConn;
use crate::db::schema::tenant::admins;
use crate::secrets;

/// Failed sign-ins (password or code) before the account locks.
pub const LOCK_AFTER: i32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Reads and changes.
    Admin,
    /// Reads only.
    Viewer,
}

impl Role {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "admin" => Some(Self::Admin),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Viewer => "viewer",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AdminUser {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub locked: bool,
}

type Row = (
    Uuid,
    String,
    String,
    Option<Vec<u8>>,
    Option<i64>,
    Option<chrono::DateTime<Utc>>,
);

fn from_row(r: Row) -> AdminUser {
    AdminUser {
        id: r.0,
        email: r.1,
        role: Role::parse(&r.2).unwrap_or(Role::Viewer),
        totp_secret: r.3,
        totp_last_step: r.4,
        locked: r.5.is_some(),
    }
}

macro_rules! columns {
    () => {
        (
            admins::id,
            admins::email,
            admins::role,
            admins::totp_secret,
            admins::totp_last_step,
            admins::locked_at,
        )
    };
}

pub async fn find(conn: &mut TenantConn, id: Uuid) -> QueryResult<Option<AdminUser>> {
    admins::table
        .find(id)
        .select(columns!())
        .first::<Row>(conn)
        .await
        .optional()
        .map(|r| r.map(from_row))
}

/// `renkei admins add`: a new admin, who sets up the second factor at the first sign-in.
pub async fn add(
    conn: &mut TenantConn,
    email: &str,
    password: String,
    role: Role,
) -> anyhow::Result<Uuid> {
    let email = email.trim().to_ascii_lowercase();
    anyhow::ensure!(
        email.contains('@') && (3..=254).contains(&email.len()),
        "--email '{email}' is not an e-mail address"
    );
    anyhow::ensure!(
        password.chars().count() >= 12,
        "--password must be at least 12 characters"
    );
    let hash = secrets::hash_password(password).await?;
    let id = Uuid::now_v7();
    diesel::insert_into(admins::table)
        .values((
            admins::id.eq(id),
            admins::email.eq(&email),
            admins::password_hash.eq(hash),
            admins::role.eq(role.as_str()),
        ))
        .execute(conn)
        .await
        .map_err(|e| anyhow::anyhow!("adding admin '{email}': {e}"))?;
    Ok(id)
}

/// The admin whose e-mail and password these are. Takes as long for an unknown e-mail.
pub async fn verify_password(
    db: &crate::db::Db,
    tenant: &crate::tenancy::TenantSlug,
    email: &str,
    password: &str,
) -> anyhow::Result<Result<AdminUser, Option<Uuid>>> {
    let email = email.trim().to_ascii_lowercase();
    // The connection goes back to the pool before the hash is computed.
    let found: Option<(Row, String)> = admins::table
        .filter(admins::email.eq(&email))
        .select((columns!(), admins::password_hash))
        .first(&mut db.tenant(tenant).await?)
        .await
        .optional()?;
    let phc = found
        .as_ref()
        .map_or(secrets::DUMMY_PHC.to_owned(), |f| f.1.clone());
    let ok = secrets::verify_password(password.to_owned(), phc).await;
    Ok(match found {
        Some((row, _)) if ok => Ok(from_row(row)),
        Some((row, _)) => Err(Some(row.0)),
        None => Err(None),
    })
}

/// Counts a failed sign-in; true when the account is now locked.
pub async fn record_failure(conn: &mut TenantConn, id: Uuid) -> QueryResult<bool> {
    let failures: i32 = diesel::update(admins::table.find(id))
        .set(admins::failed_logins.eq(admins::failed_logins + 1))
        .returning(admins::failed_logins)
        .get_result(conn)
        .await?;
    if failures >= LOCK_AFTER {
        diesel::update(admins::table.find(id).filter(admins::locked_at.is_null()))
            .set(admins::locked_at.eq(Utc::now()))
            .execute(conn)
            .await?;
        return Ok(true);
    }
    Ok(false)
}

/// The TOTP of this admin's secret, as authenticator apps show it.
pub fn totp(secret: &[u8], email: &str, issuer: &str) -> anyhow::Result<Totp> {
    Builder::new()
        .with_secret(secret.to_vec())
        .with_account_name(email.replace(':', " "))
        .with_issuer(Some(issuer.replace(':', " ")))
        .build()
        .map_err(|e| anyhow::anyhow!("TOTP: {e}"))
}

/// The secret to set up, made and kept on the first visit until a code confirms it.
pub async fn pending_secret(conn: &mut TenantConn, admin: &AdminUser) -> QueryResult<Vec<u8>> {
    if let Some(secret) = &admin.totp_secret {
        return Ok(secret.clone());
    }
    let mut secret = vec![0u8; 20];
    rand::fill(&mut secret[..]);
    diesel::update(
        admins::table
            .find(admin.id)
            .filter(admins::totp_secret.is_null()),
    )
    .set(admins::totp_secret.eq(&secret))
    .execute(conn)
    .await?;
    // Another tab may have made one first: use what is stored.
    admins::table
        .find(admin.id)
        .select(admins::totp_secret.assume_not_null())
        .first(conn)
        .await
}

/// Accepts a code once: its time step must be later than the last one used.
pub async fn accept_code(
    conn: &mut TenantConn,
    admin: &AdminUser,
    totp: &Totp,
    code: &str,
) -> QueryResult<bool> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = totp.check_current(&code) else {
        return Ok(false);
    };
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    if admin.totp_last_step.is_some_and(|last| step <= last) {
        return Ok(false);
    }
    let n = diesel::update(
        admins::table.find(admin.id).filter(
            admins::totp_last_step
                .is_null()
                .or(admins::totp_last_step.lt(step)),
        ),
    )
    .set((
        admins::totp_last_step.eq(step),
        admins::failed_logins.eq(0),
        admins::last_login_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Clears the failure count after a right password (the code still counts on its own).
pub async fn password_ok(conn: &mut TenantConn, id: Uuid) -> QueryResult<()> {
    diesel::update(admins::table.find(id))
        .set(admins::failed_logins.eq(0))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The otpauth URL as a QR code an authenticator app scans (SVG, no external service).
pub fn qr_svg(url: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::new(url.as_bytes())?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_codes_verify_and_urls_name_the_issuer() {
        let t = totp(&[7u8; 20], "admin@kitami.example.jp", "Renkei 北見信用金庫").unwrap();
        let code = t.generate_current().to_string();
        assert!(t.check_current(&code).is_some());
        assert!(t.check_current("000000").is_none() || code == "000000");
        let url = t.to_url().unwrap();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(qr_svg(&url).unwrap().contains("<svg"));
    }

    #[test]
    fn roles() {
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("viewer"), Some(Role::Viewer));
        assert_eq!(Role::parse("root"), None);
    }
}
