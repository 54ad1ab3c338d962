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

/// A CRL as a CA publishes it: the serials it revokes (upper-case hex, as
/// [`super::Presented::serial`]), when it was issued and when the next one is due. Made by the
/// `openssl ca` tool (Debian package `openssl`), which the openssl crate has no builder for.
pub fn crl(
    ca: &DevCa,
    revoked_serials: &[&str],
    this_update: DateTime<Utc>,
    next_update: DateTime<Utc>,
) -> anyhow::Result<String> {
    use anyhow::Context as _;
    let dir = std::env::temp_dir().join(format!("renkei-crl-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let made = (|| {
        std::fs::write(dir.join("ca.pem"), ca.cert_pem())?;
        std::fs::write(dir.join("ca-key.pem"), ca.key_pem())?;
        let stamp = |t: DateTime<Utc>| t.format("%y%m%d%H%M%SZ").to_string();
        let index: String = revoked_serials
            .iter()
            .map(|serial| {
                let even = if serial.len() % 2 == 1 {
                    format!("0{serial}")
                } else {
                    (*serial).to_owned()
                };
                format!(
                    "R\t{}\t{}\t{even}\tunknown\t/C=JP/CN=revoked\n",
                    stamp(Utc::now() + Duration::days(300)),
                    stamp(this_update - Duration::minutes(1)),
                )
            })
            .collect();
        std::fs::write(dir.join("index.txt"), index)?;
        std::fs::write(dir.join("crlnumber"), "01\n")?;
        std::fs::write(
            dir.join("ca.cnf"),
            "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\n\
             default_md = sha256\n",
        )?;
        let out = std::process::Command::new("openssl")
            .current_dir(&dir)
            .args(["ca", "-gencrl", "-config", "ca.cnf", "-cert", "ca.pem"])
            .args(["-keyfile", "ca-key.pem", "-out", "crl.pem"])
            .args(["-crl_lastupdate", &stamp(this_update)])
            .args(["-crl_nextupdate", &stamp(next_update)])
            .output()
            .context("the openssl tool (Debian package openssl) makes CRLs")?;
        anyhow::ensure!(
            out.status.success(),
            "openssl ca -gencrl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(std::fs::read_to_string(dir.join("crl.pem"))?)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    made
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
