//! A client certificate as a request presented it, with what every check reads of it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::hash::MessageDigest;
use openssl::x509::X509;

use super::dn::DistinguishedName;

/// A client certificate as a request presented it.
#[derive(Clone)]
pub struct Presented {
    pub cert: X509,
    /// SHA-256 of the DER encoding: the binding key of customers' certificates and of
    /// certificate-bound tokens (`x5t#S256`, RFC 8705 §3.1).
    pub thumbprint: [u8; 32],
    /// Upper-case hex, no leading zeros.
    pub serial: String,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presented")
            .field("subject", &self.subject().to_string())
            .field("serial", &self.serial)
            .finish()
    }
}

impl Presented {
    pub fn new(cert: X509) -> Result<Self, openssl::error::ErrorStack> {
        let digest = cert.digest(MessageDigest::sha256())?;
        let mut thumbprint = [0u8; 32];
        thumbprint.copy_from_slice(&digest);
        let serial = normalize_serial(&cert.serial_number().to_bn()?.to_hex_str()?);
        Ok(Self {
            cert,
            thumbprint,
            serial,
        })
    }

    /// PEM, or DER.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let cert = X509::from_pem(bytes)
            .or_else(|_| X509::from_der(bytes))
            .map_err(|_| "not a PEM or DER certificate".to_owned())?;
        Self::new(cert).map_err(|e| e.to_string())
    }

    pub fn subject(&self) -> DistinguishedName {
        DistinguishedName::of(self.cert.subject_name())
    }

    pub fn issuer(&self) -> DistinguishedName {
        DistinguishedName::of(self.cert.issuer_name())
    }

    /// The certificate's end of validity.
    pub fn not_after(&self) -> chrono::DateTime<chrono::Utc> {
        asn1_to_chrono(self.cert.not_after())
    }

    pub fn not_before(&self) -> chrono::DateTime<chrono::Utc> {
        asn1_to_chrono(self.cert.not_before())
    }

    /// `x5t#S256`: base64url of the thumbprint.
    pub fn x5t_s256(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.thumbprint)
    }
}

pub(super) fn asn1_to_chrono(t: &openssl::asn1::Asn1TimeRef) -> chrono::DateTime<chrono::Utc> {
    let epoch = openssl::asn1::Asn1Time::from_unix(0).expect("the epoch");
    let diff = epoch.diff(t).expect("times compare");
    chrono::DateTime::UNIX_EPOCH
        + chrono::Duration::days(i64::from(diff.days))
        + chrono::Duration::seconds(i64::from(diff.secs))
}

/// `0x01:a2` and `1A2` are the same serial: upper-case hex, no separators, no leading zeros.
pub fn normalize_serial(raw: &str) -> String {
    let hex: String = raw
        .trim()
        .trim_start_matches("0x")
        .trim_start_matches("0X")
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .collect::<String>()
        .to_ascii_uppercase();
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// A serial as the revocation list in `tenant.toml` takes it.
pub fn is_serial(raw: &str) -> bool {
    let n = normalize_serial(raw);
    !raw.trim().is_empty() && n.len() <= 40 && n.bytes().all(|b| b.is_ascii_hexdigit())
}
