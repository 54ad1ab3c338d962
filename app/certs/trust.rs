//! Whether a certificate is one we accept: it chains to one of the trusted CA certificates, is
//! within its validity, is meant for client authentication and is not revoked (by the CA's CRL
//! or by serial number).

use chrono::{DateTime, Utc};
use openssl::stack::Stack;
use openssl::x509::X509PurposeId;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::{CrlStatus, X509, X509Crl, X509CrlRef, X509StoreContext};

use super::presented::{Presented, asn1_to_chrono};
pub use super::presented::{is_serial, normalize_serial};

/// Why a certificate is refused; each has its own page for customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Issued by a CA we do not trust, or not for client authentication.
    Untrusted,
    Expired,
    NotYetValid,
    Revoked,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Untrusted => "untrusted",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::Revoked => "revoked",
        }
    }
}

// OpenSSL's verification results (x509_vfy.h) that have pages of their own.
const V_ERR_CERT_NOT_YET_VALID: i32 = 9;
const V_ERR_CERT_HAS_EXPIRED: i32 = 10;
const V_ERR_CERT_REVOKED: i32 = 23;

/// When a CRL was issued, and when its CA promised the next one (RFC 5280 §5.1.2.4-5): past
/// that, the list may miss what was revoked since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CrlDates {
    pub this_update: DateTime<Utc>,
    pub next_update: Option<DateTime<Utc>>,
}

impl CrlDates {
    pub fn of(crl: &X509CrlRef) -> Self {
        Self {
            this_update: asn1_to_chrono(crl.last_update()),
            next_update: crl.next_update().map(asn1_to_chrono),
        }
    }

    /// Past its `nextUpdate`.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        self.next_update.is_some_and(|next| next <= now)
    }
}

/// A CA bundle with what it has revoked.
pub struct CertificateTrust {
    store: X509Store,
    cas: Vec<X509>,
    crl: Option<X509Crl>,
    /// Upper-case hex without leading zeros.
    revoked_serials: Vec<String>,
}

impl CertificateTrust {
    /// `ca_pem`: one or more CA certificates; `crl_pem`: a CRL signed by one of them.
    pub fn new(
        ca_pem: &[u8],
        crl_pem: Option<&[u8]>,
        revoked_serials: &[String],
    ) -> Result<Self, String> {
        let cas = X509::stack_from_pem(ca_pem)
            .map_err(|e| format!("the CA bundle is not PEM certificates: {e}"))?;
        if cas.is_empty() {
            return Err("the CA bundle holds no certificate".into());
        }
        let mut store = X509StoreBuilder::new().map_err(|e| e.to_string())?;
        for ca in &cas {
            store.add_cert(ca.clone()).map_err(|e| e.to_string())?;
        }
        store
            .set_purpose(X509PurposeId::SSL_CLIENT)
            .map_err(|e| e.to_string())?;
        let crl = crl_pem
            .map(|pem| {
                let crl = X509Crl::from_pem(pem).map_err(|e| format!("the CRL is not PEM: {e}"))?;
                let signed = cas.iter().any(|ca| {
                    ca.subject_name().try_cmp(crl.issuer_name()).ok()
                        == Some(std::cmp::Ordering::Equal)
                        && ca
                            .public_key()
                            .and_then(|k| crl.verify(&k))
                            .unwrap_or(false)
                });
                if signed {
                    Ok(crl)
                } else {
                    Err("the CRL is not signed by a CA of the bundle".to_owned())
                }
            })
            .transpose()?;
        Ok(Self {
            store: store.build(),
            cas,
            crl,
            revoked_serials: revoked_serials
                .iter()
                .map(|s| normalize_serial(s))
                .collect(),
        })
    }

    /// The CA certificates, as given.
    pub fn cas(&self) -> &[X509] {
        &self.cas
    }

    /// The CRL's dates; `None` without a CRL.
    pub fn crl_dates(&self) -> Option<CrlDates> {
        self.crl.as_deref().map(CrlDates::of)
    }

    /// Whether the CRL or the list of serials revokes this certificate (checked alone, for a
    /// certificate whose chain was checked before, e.g. when its token was issued).
    pub fn is_revoked(&self, presented: &Presented) -> bool {
        self.crl
            .as_ref()
            .is_some_and(|crl| matches!(crl.get_by_cert(&presented.cert), CrlStatus::Revoked(_)))
            || self.revoked_serials.contains(&presented.serial)
    }

    /// Accepts or says why not. The chain comes first: a certificate from a CA we do not trust
    /// is `Untrusted` whatever its dates.
    pub fn check(&self, presented: &Presented) -> Result<(), Refusal> {
        let cert = &presented.cert;
        let verdict = (|| {
            let mut ctx = X509StoreContext::new()?;
            let chain = Stack::new()?;
            ctx.init(&self.store, cert, &chain, |c| {
                Ok((c.verify_cert()?, c.error().as_raw()))
            })
        })();
        match verdict {
            Ok((true, _)) => {}
            Ok((false, V_ERR_CERT_HAS_EXPIRED)) => return Err(Refusal::Expired),
            Ok((false, V_ERR_CERT_NOT_YET_VALID)) => return Err(Refusal::NotYetValid),
            Ok((false, V_ERR_CERT_REVOKED)) => return Err(Refusal::Revoked),
            Ok((false, _)) | Err(_) => return Err(Refusal::Untrusted),
        }
        if self.is_revoked(presented) {
            return Err(Refusal::Revoked);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::dev::{DevCa, Leaf};
    use chrono::{Duration, TimeZone};

    fn presented(cert: &X509) -> Presented {
        Presented::new(cert.clone()).unwrap()
    }

    #[test]
    fn the_four_refusals() {
        let ca = DevCa::generate("Kitami Customer CA").unwrap();
        let other = DevCa::generate("Somebody Else CA").unwrap();
        let trust = CertificateTrust::new(ca.cert_pem().as_bytes(), None, &[]).unwrap();
        let good = ca.issue(&Leaf::client("山田商店")).unwrap();
        assert_eq!(trust.check(&presented(&good.cert)), Ok(()));

        let stranger = other.issue(&Leaf::client("山田商店")).unwrap();
        assert_eq!(
            trust.check(&presented(&stranger.cert)),
            Err(Refusal::Untrusted)
        );

        let now = Utc::now();
        let mut old = Leaf::client("山田商店");
        old.not_before = now - Duration::days(400);
        old.not_after = now - Duration::days(1);
        let expired = ca.issue(&old).unwrap();
        assert_eq!(
            trust.check(&presented(&expired.cert)),
            Err(Refusal::Expired)
        );
        // An expired certificate from a stranger is a stranger first.
        let expired_stranger = other.issue(&old).unwrap();
        assert_eq!(
            trust.check(&presented(&expired_stranger.cert)),
            Err(Refusal::Untrusted)
        );

        let mut early = Leaf::client("山田商店");
        early.not_before = now + Duration::days(2);
        early.not_after = now + Duration::days(30);
        let future = ca.issue(&early).unwrap();
        assert_eq!(
            trust.check(&presented(&future.cert)),
            Err(Refusal::NotYetValid)
        );

        let revoked = ca.issue(&Leaf::client("山田商店")).unwrap();
        let serial = presented(&revoked.cert).serial;
        let trust = CertificateTrust::new(
            ca.cert_pem().as_bytes(),
            None,
            &[format!("0x00{}", serial.to_lowercase())],
        )
        .unwrap();
        assert_eq!(
            trust.check(&presented(&revoked.cert)),
            Err(Refusal::Revoked)
        );
        assert_eq!(trust.check(&presented(&good.cert)), Ok(()));
    }

    #[test]
    fn server_certificates_are_not_client_certificates() {
        let ca = DevCa::generate("Kitami Customer CA").unwrap();
        let trust = CertificateTrust::new(ca.cert_pem().as_bytes(), None, &[]).unwrap();
        let server = ca.issue(&Leaf::server(&["127.0.0.1"])).unwrap();
        assert_eq!(
            trust.check(&presented(&server.cert)),
            Err(Refusal::Untrusted)
        );
    }

    #[test]
    fn bad_bundles_are_refused() {
        assert!(CertificateTrust::new(b"", None, &[]).is_err());
        assert!(CertificateTrust::new(b"not pem", None, &[]).is_err());
        let ca = DevCa::generate("A").unwrap();
        assert!(CertificateTrust::new(ca.cert_pem().as_bytes(), Some(b"junk"), &[]).is_err());
    }

    fn crl_revoking(ca: &DevCa, revoked: &Presented) -> String {
        let now = Utc::now();
        super::super::dev::crl(ca, &[&revoked.serial], now, now + Duration::days(30)).unwrap()
    }

    #[test]
    fn a_crl_revokes_what_it_lists_and_must_come_from_the_ca() {
        let ca = DevCa::generate("Kitami Customer CA").unwrap();
        let listed = ca.issue(&Leaf::client("山田商店")).unwrap();
        let other = ca.issue(&Leaf::client("鈴木")).unwrap();
        let crl = crl_revoking(&ca, &presented(&listed.cert));
        let trust =
            CertificateTrust::new(ca.cert_pem().as_bytes(), Some(crl.as_bytes()), &[]).unwrap();
        assert_eq!(trust.check(&presented(&listed.cert)), Err(Refusal::Revoked));
        assert_eq!(trust.check(&presented(&other.cert)), Ok(()));
        // A CRL signed by someone else is refused when the bundle is loaded.
        let stranger = DevCa::generate("Kitami Customer CA").unwrap();
        let forged = crl_revoking(&stranger, &presented(&other.cert));
        let err = CertificateTrust::new(ca.cert_pem().as_bytes(), Some(forged.as_bytes()), &[])
            .err()
            .unwrap();
        assert!(err.contains("CRL"), "{err}");
    }

    #[test]
    fn a_crl_says_when_it_was_issued_and_when_the_next_is_due() {
        let ca = DevCa::generate("Kitami Customer CA").unwrap();
        let issued = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        let due = Utc.with_ymd_and_hms(2026, 11, 8, 9, 0, 0).unwrap();
        let crl = super::super::dev::crl(&ca, &[], issued, due).unwrap();
        let trust =
            CertificateTrust::new(ca.cert_pem().as_bytes(), Some(crl.as_bytes()), &[]).unwrap();
        let dates = trust.crl_dates().unwrap();
        assert_eq!(dates.this_update, issued);
        assert_eq!(dates.next_update, Some(due));
        assert!(!dates.is_stale(due - Duration::seconds(1)));
        assert!(dates.is_stale(due));
    }

    #[test]
    fn serials_normalize() {
        assert_eq!(normalize_serial("0x00:1a:2B"), "1A2B");
        assert_eq!(normalize_serial("1A2B"), "1A2B");
        assert_eq!(normalize_serial("000"), "0");
        assert!(is_serial("01:A2"));
        assert!(!is_serial("xyz"));
        assert!(!is_serial(""));
    }
}
