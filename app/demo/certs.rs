//! `renkei demo certs`: a development CA, the HTTPS listener's certificate, Yamada01's electronic
//! certificate (PEM and a PKCS#12 file to import into a browser), and a partner certificate for
//! `tls_client_auth`. The CA becomes the customer CA of both demo tenants. Idempotent: files
//! that are still good are kept.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use openssl::x509::X509;

use crate::certs::Presented;
use crate::certs::dev::{DevCa, Issued, Leaf, Usage};
use crate::db::Db;
use crate::oauth::clients::{self, AuthMethod, NewPartner};
use crate::sandbox::{self, LoginId};
use crate::tenancy::{TenantSlug, customer_ca};

/// The password of the demo PKCS#12 files.
pub const P12_PASSWORD: &str = "renkei-demo";
/// The partner that authenticates with a certificate (RFC 8705 `tls_client_auth`).
pub const MTLS_PARTNER: &str = "demo-kakeibo-mtls";
pub const MTLS_PARTNER_DN: &str = "CN=demo-kakeibo-mtls,O=Demo Kakeibo,C=JP";

/// Writes `contents` to `path`; private keys are readable by their owner only.
fn write(path: &Path, contents: &[u8], private: bool) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(contents))
        .with_context(|| format!("writing {}", path.display()))
}

/// A leaf kept on disk as `<name>.pem` and `<name>-key.pem`, reissued when missing, not from
/// this CA, or within 30 days of its end.
fn leaf(dir: &Path, name: &str, ca: &DevCa, make: impl Fn() -> Leaf) -> anyhow::Result<Issued> {
    let (cert_path, key_path) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}-key.pem")),
    );
    if let (Ok(cert), Ok(key)) = (std::fs::read(&cert_path), std::fs::read(&key_path))
        && let (Ok(cert), Ok(key)) = (
            X509::from_pem(&cert),
            openssl::pkey::PKey::private_key_from_pem(&key),
        )
    {
        let ours = ca
            .cert
            .public_key()
            .and_then(|k| cert.verify(&k))
            .unwrap_or(false);
        let fresh = Presented::new(cert.clone())
            .map(|p| p.not_after() > chrono::Utc::now() + chrono::Duration::days(30))
            .unwrap_or(false);
        if ours && fresh {
            return Ok(Issued { cert, key });
        }
    }
    let issued = ca.issue(&make())?;
    write(&cert_path, issued.cert_pem().as_bytes(), false)?;
    write(&key_path, issued.key_pem().as_bytes(), true)?;
    Ok(issued)
}

/// Creates (or keeps) the files under `dir` and registers the CA, the certificate and the
/// partner in the database.
pub async fn write_all(db: &Db, dir: &Path, https_base: &str) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (ca_path, ca_key_path) = (dir.join("ca.pem"), dir.join("ca-key.pem"));
    let ca = match (std::fs::read(&ca_path), std::fs::read(&ca_key_path)) {
        (Ok(cert), Ok(key)) => DevCa::from_pem(&cert, &key)
            .with_context(|| format!("{} is not a CA certificate and key", dir.display()))?,
        _ => {
            let ca = DevCa::generate("Renkei Development CA")?;
            write(&ca_path, ca.cert_pem().as_bytes(), false)?;
            write(&ca_key_path, ca.key_pem().as_bytes(), true)?;
            ca
        }
    };
    leaf(dir, "server", &ca, || {
        Leaf::server(&["127.0.0.1", "localhost", "::1"])
    })?;
    let yamada = leaf(dir, "yamada01", &ca, || {
        Leaf::with_subject(
            &[("C", "JP"), ("O", "北見信用金庫"), ("CN", "山田商店")],
            Usage::Client,
        )
    })?;
    let p12 = dir.join("yamada01.p12");
    write(
        &p12,
        &yamada.pkcs12("山田商店 (Yamada01)", &ca.cert, P12_PASSWORD)?,
        true,
    )?;
    leaf(dir, "partner", &ca, || {
        Leaf::with_subject(
            &[("C", "JP"), ("O", "Demo Kakeibo"), ("CN", MTLS_PARTNER)],
            Usage::Client,
        )
    })?;

    let mut lines = Vec::new();
    for slug in ["kitami", "hokuto"] {
        let slug = TenantSlug::parse(slug).expect("valid");
        let what = if customer_ca::store(db, &slug, &ca.cert_pem(), None).await? {
            "set to"
        } else {
            "already"
        };
        lines.push(format!("{slug}: customer CA {what} the development CA"));
    }
    let kitami = TenantSlug::parse("kitami").expect("valid");
    let mut conn = db.tenant(&kitami).await?;
    let customer = sandbox::find_customer(&mut conn, &LoginId::parse("Yamada01").expect("valid"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("Yamada01 is missing; run `renkei demo seed` first"))?;
    let presented = Presented::new(yamada.cert.clone())?;
    let bound = sandbox::bind_certificate(&mut conn, customer, &presented).await?;
    lines.push(format!(
        "kitami: Yamada01's certificate {} (serial {})",
        if bound {
            "registered"
        } else {
            "already registered"
        },
        presented.serial
    ));
    if clients::find(conn.statements(), MTLS_PARTNER)
        .await?
        .is_none()
    {
        clients::register(
            &mut conn,
            NewPartner {
                client_id: Some(MTLS_PARTNER.into()),
                secret: None,
                name_ja: "デモ家計簿（証明書認証）".into(),
                name_en: "Demo Kakeibo (certificate)".into(),
                redirect_uris: vec![super::PARTNER_REDIRECT.into()],
                scopes: crate::oauth::scopes::Scopes::parse("balance:read transactions:read")
                    .expect("valid scopes"),
                auth_method: AuthMethod::TlsClientAuth,
                cert_subject: Some(MTLS_PARTNER_DN.into()),
                par_required: false,
            },
        )
        .await?;
        lines.push(format!(
            "kitami: partner {MTLS_PARTNER} (tls_client_auth) registered"
        ));
    }
    lines.push(format!(
        "HTTPS: {https_base}/t/kitami/ with {} (CA {})",
        dir.join("server.pem").display(),
        ca_path.display()
    ));
    lines.push(format!(
        "Certificate login: import {} (password {P12_PASSWORD}) into your browser, then choose 電子証明書認証",
        p12.display()
    ));
    lines.push(format!(
        "Partner mTLS: curl --cert {0}/partner.pem --key {0}/partner-key.pem --cacert {1} {https_base}/t/kitami/oauth/token -d client_id={MTLS_PARTNER} …",
        dir.display(),
        ca_path.display()
    ));
    Ok(lines)
}
