//! The tenant's audit log: every security-relevant event, with who, on what, and from where.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::TenantConn;
use crate::db::schema::tenant::audit_log;

/// Events, by stable name.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    LoginOk,
    LoginFailed,
    LoginLocked,
    ConsentGranted,
    ConsentDenied,
    GrantReplaced,
    TokensIssued,
    TokensRefreshed,
    CodeReused,
    RefreshReused,
    GrantRevoked,
    PartnerRegistered,
    CertificateRefused,
    CertificateBound,
    AdminLogin,
    AdminLoginFailed,
    AdminChange,
    CustomerUnlocked,
    CertificateRevoked,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginOk => "login.ok",
            Self::LoginFailed => "login.failed",
            Self::LoginLocked => "login.locked",
            Self::ConsentGranted => "consent.granted",
            Self::ConsentDenied => "consent.denied",
            Self::GrantReplaced => "grant.replaced",
            Self::TokensIssued => "token.issued",
            Self::TokensRefreshed => "token.refreshed",
            Self::CodeReused => "code.reused",
            Self::RefreshReused => "refresh.reused",
            Self::GrantRevoked => "grant.revoked",
            Self::PartnerRegistered => "partner.registered",
            Self::CertificateRefused => "login.certificate_refused",
            Self::CertificateBound => "certificate.bound",
            Self::AdminLogin => "admin.login",
            Self::AdminLoginFailed => "admin.login_failed",
            Self::AdminChange => "admin.change",
            Self::CustomerUnlocked => "customer.unlocked",
            Self::CertificateRevoked => "certificate.revoked",
        }
    }
}

/// Writes one row. `actor` is who acted (`customer:<login>`, `partner:<client_id>`, `cli`),
/// `subject` what it acted on. Never pass a secret in `detail`.
pub async fn record(
    conn: &mut TenantConn,
    event: Event,
    actor: &str,
    subject: Option<&str>,
    ip: Option<&str>,
    detail: serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::event.eq(event.as_str()),
            audit_log::actor.eq(actor),
            audit_log::subject.eq(subject),
            audit_log::ip.eq(ip),
            audit_log::detail.eq(detail),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}
