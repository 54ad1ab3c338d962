//! A development certificate authority: the server certificate and demo certificates that
//! `renkei demo certs` writes, and the certificates the tests make. Never for production: a
//! bank's CA issues its customers' certificates.

use chrono::{DateTime, Duration, Utc};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509Name, X509NameBuilder};

/// A CA certificate and its key.
pub struct DevCa {
    pub cert: X509,
    pub key: PKey<Private>,
}

/// A certificate it issued, with the key.
pub struct Issued {
    pub cert: X509,
    pub key: PKey<Private>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    Client,
    Server,
}

/// What to put in a certificate.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// (type, value), most significant first: `[("C","JP"), ("O",".."), ("CN","..")]`.
    pub subject: Vec<(String, String)>,
    /// IP addresses or DNS names (server certificates).
    pub names: Vec<String>,
    pub usage: Usage,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl Leaf {
    /// A customer's or partner's certificate valid for a year, from a minute ago.
    pub fn client(common_name: &str) -> Self {
        Self::with_subject(&[("C", "JP"), ("CN", common_name)], Usage::Client)
    }

    pub fn with_subject(subject: &[(&str, &str)], usage: Usage) -> Self {
        let now = Utc::now();
        Self {
            subject: subject
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            names: vec![],
            usage,
            not_before: now - Duration::minutes(1),
            not_after: now + Duration::days(365),
        }
    }

    /// A server certificate for these addresses and names.
    pub fn server(names: &[&str]) -> Self {
        let mut leaf = Self::with_subject(
            &[("CN", names.first().copied().unwrap_or("localhost"))],
            Usage::Server,
        );
        leaf.names = names.iter().map(|n| (*n).to_owned()).collect();
        leaf
    }
}

fn p256() -> Result<PKey<Private>, ErrorStack> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

fn serial() -> Result<Asn1Integer, ErrorStack> {
    let mut bn = BigNum::new()?;
    bn.rand(127, MsbOption::MAYBE_ZERO, false)?;
    bn.to_asn1_integer()
}

fn time(t: DateTime<Utc>) -> Result<Asn1Time, ErrorStack> {
    Asn1Time::from_unix(t.timestamp())
}

fn name(entries: &[(String, String)]) -> Result<X509Name, ErrorStack> {
    let mut b = X509NameBuilder::new()?;
    for (k, v) in entries {
        b.append_entry_by_text(k, v)?;
    }
    Ok(b.build())
}

impl DevCa {
    /// A new self-signed CA, valid for ten years.
    pub fn generate(common_name: &str) -> Result<Self, ErrorStack> {
        let key = p256()?;
        let subject = name(&[
            ("C".into(), "JP".into()),
            ("O".into(), "Renkei development".into()),
            ("CN".into(), common_name.into()),
        ])?;
        let mut b = X509Builder::new()?;
        b.set_version(2)?;
        let serial = serial()?;
        b.set_serial_number(&serial)?;
        b.set_subject_name(&subject)?;
        b.set_issuer_name(&subject)?;
        b.set_pubkey(&key)?;
        let now = Utc::now();
        let (from, until) = (
            time(now - Duration::minutes(1))?,
            time(now + Duration::days(3650))?,
        );
        b.set_not_before(&from)?;
        b.set_not_after(&until)?;
        b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()?,
        )?;
        let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
        b.append_extension(ski)?;
        b.sign(&key, MessageDigest::sha256())?;
        Ok(Self {
            cert: b.build(),
            key,
        })
    }

    /// A CA from its PEM certificate and key, as `renkei demo certs` keeps them.
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Self, ErrorStack> {
        Ok(Self {
            cert: X509::from_pem(cert)?,
            key: PKey::private_key_from_pem(key)?,
        })
    }

    pub fn cert_pem(&self) -> String {
        pem(&self.cert)
    }

    pub fn key_pem(&self) -> String {
        key_pem(&self.key)
    }

    pub fn issue(&self, leaf: &Leaf) -> Result<Issued, ErrorStack> {
        let key = p256()?;
        let mut b = X509Builder::new()?;
        b.set_version(2)?;
        let serial = serial()?;
        b.set_serial_number(&serial)?;
        let subject = name(&leaf.subject)?;
        b.set_subject_name(&subject)?;
        b.set_issuer_name(self.cert.subject_name())?;
        b.set_pubkey(&key)?;
        let (from, until) = (time(leaf.not_before)?, time(leaf.not_after)?);
        b.set_not_before(&from)?;
        b.set_not_after(&until)?;
        b.append_extension(BasicConstraints::new().critical().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .key_agreement()
                .build()?,
        )?;
        let eku = match leaf.usage {
            Usage::Client => ExtendedKeyUsage::new().client_auth().build()?,
            Usage::Server => ExtendedKeyUsage::new().server_auth().build()?,
        };
        b.append_extension(eku)?;
        if !leaf.names.is_empty() {
            let mut san = SubjectAlternativeName::new();
            for n in &leaf.names {
                if n.parse::<std::net::IpAddr>().is_ok() {
                    san.ip(n);
                } else {
                    san.dns(n);
                }
            }
            let ext = san.build(&b.x509v3_context(Some(&self.cert), None))?;
            b.append_extension(ext)?;
        }
        let aki = AuthorityKeyIdentifier::new()
            .keyid(false)
            .build(&b.x509v3_context(Some(&self.cert), None))?;
        b.append_extension(aki)?;
        b.sign(&self.key, MessageDigest::sha256())?;
        Ok(Issued {
            cert: b.build(),
            key,
        })
    }
}

impl Issued {
    pub fn cert_pem(&self) -> String {
        pem(&self.cert)
    }

    pub fn key_pem(&self) -> String {
        key_pem(&self.key)
    }

    /// A PKCS#12 file a browser or operating system imports, with the CA certificate.
    pub fn pkcs12(
        &self,
        friendly_name: &str,
        ca: &X509,
        password: &str,
    ) -> Result<Vec<u8>, ErrorStack> {
        let mut chain = openssl::stack::Stack::new()?;
        chain.push(ca.clone())?;
        Pkcs12::builder()
            .name(friendly_name)
            .pkey(&self.key)
            .cert(&self.cert)
            .ca(chain)
            .build2(password)?
            .to_der()
    }
}

fn pem(cert: &X509) -> String {
    String::from_utf8(cert.to_pem().expect("a certificate encodes")).expect("PEM is ASCII")
}

fn key_pem(key: &PKey<Private>) -> String {
    String::from_utf8(
        key.private_key_to_pem_pkcs8()
            .expect("a private key encodes"),
    )
    .expect("PEM is ASCII")
}
