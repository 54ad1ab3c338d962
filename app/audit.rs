//! The tenant's audit log: every security-relevant event, with who, on what, and from where.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::TenantConn;
use crate::db::schema::tenant::audit_log;
use crate::i18n::Lang;

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
    CoreImported,
    CoreImportReverted,
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
            Self::CoreImported => "core.imported",
            Self::CoreImportReverted => "core.import_reverted",
        }
    }

    pub const ALL: [Event; 21] = [
        Self::LoginOk,
        Self::LoginFailed,
        Self::LoginLocked,
        Self::ConsentGranted,
        Self::ConsentDenied,
        Self::GrantReplaced,
        Self::TokensIssued,
        Self::TokensRefreshed,
        Self::CodeReused,
        Self::RefreshReused,
        Self::GrantRevoked,
        Self::PartnerRegistered,
        Self::CertificateRefused,
        Self::CertificateBound,
        Self::AdminLogin,
        Self::AdminLoginFailed,
        Self::AdminChange,
        Self::CustomerUnlocked,
        Self::CertificateRevoked,
        Self::CoreImported,
        Self::CoreImportReverted,
    ];

    /// What the console calls the event of a stored name, in `lang`; a name that is no event's
    /// is shown as stored.
    pub fn label(name: &str, lang: Lang) -> String {
        if Self::ALL.iter().any(|e| e.as_str() == name) {
            lang.t(&Self::label_key(name))
        } else {
            name.to_owned()
        }
    }

    fn label_key(name: &str) -> String {
        format!("event-{}", name.replace(['.', '_'], "-"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_has_a_label_in_both_languages() {
        let ja = include_str!("../locales/ja/main.ftl");
        let en = include_str!("../locales/en/main.ftl");
        for e in Event::ALL {
            let key = Event::label_key(e.as_str());
            for ftl in [ja, en] {
                assert!(
                    ftl.lines().any(|l| l.starts_with(&format!("{key} ="))),
                    "{key}"
                );
            }
        }
        assert_eq!(Event::label("grant.revoked", Lang::Ja), "連携を解除");
        assert_eq!(Event::label("grant.revoked", Lang::En), "Link revoked");
        assert_eq!(Event::label("something.else", Lang::Ja), "something.else");
    }
}
