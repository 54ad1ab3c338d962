//! Certificates for the TLS tests, made with the openssl crate: the server's, and a customer CA
//! (kitami's), a partner CA and a stranger's CA with leaves from each.

use std::path::{Path, PathBuf};

use renkei::certs::Presented;
use renkei::certs::dev::{DevCa, Issued, Leaf, Usage};

use crate::helpers::TestApp;

pub struct Pki {
    pub dir: PathBuf,
    pub server_ca: DevCa,
    pub customer_ca: DevCa,
    pub partner_ca: DevCa,
    pub stranger_ca: DevCa,
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Pki {
    pub fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("renkei-pki-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let pki = Self {
            dir,
            server_ca: DevCa::generate("Test Server CA").unwrap(),
            customer_ca: DevCa::generate("Kitami Customer CA").unwrap(),
            partner_ca: DevCa::generate("Partner CA").unwrap(),
            stranger_ca: DevCa::generate("Stranger CA").unwrap(),
        };
        let server = pki.server_ca.issue(&Leaf::server(&["127.0.0.1"])).unwrap();
        std::fs::write(pki.dir.join("server.pem"), server.cert_pem()).unwrap();
        std::fs::write(pki.dir.join("server-key.pem"), server.key_pem()).unwrap();
        std::fs::write(pki.dir.join("partner-ca.pem"), pki.partner_ca.cert_pem()).unwrap();
        pki
    }

    /// kitami's folder with `customer-ca.pem` beside it, and these serials revoked.
    pub fn kitami_folder(&self, revoked_serials: &[&str]) -> PathBuf {
        self.kitami_folder_with(revoked_serials, "", None)
    }

    /// [`Pki::kitami_folder`] with more lines of `[certificates]` and `customer-crl.pem`.
    pub fn kitami_folder_with(
        &self,
        revoked_serials: &[&str],
        certificates: &str,
        crl: Option<&str>,
    ) -> PathBuf {
        let folder = self.dir.join("tenants").join("kitami");
        std::fs::create_dir_all(&folder).unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tenants/kitami");
        let mut toml = std::fs::read_to_string(repo.join("tenant.toml")).unwrap();
        toml.push_str(&format!(
            "\n[certificates]\n{certificates}\nrevoked_serials = [{}]\n",
            revoked_serials
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        std::fs::write(folder.join("tenant.toml"), toml).unwrap();
        std::fs::copy(repo.join("logo.svg"), folder.join("logo.svg")).unwrap();
        std::fs::write(folder.join("customer-ca.pem"), self.customer_ca.cert_pem()).unwrap();
        let crl_file = folder.join("customer-crl.pem");
        match crl {
            Some(crl) => std::fs::write(crl_file, crl).unwrap(),
            None => drop(std::fs::remove_file(crl_file)),
        }
        folder
    }

    /// A browser (or partner server) that trusts our server and presents `identity`.
    pub fn client(&self, identity: Option<&Issued>) -> reqwest::Client {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.server_ca.cert_pem().as_bytes()).unwrap(),
            );
        if let Some(id) = identity {
            b = b.identity(
                reqwest::Identity::from_pkcs8_pem(
                    id.cert_pem().as_bytes(),
                    id.key_pem().as_bytes(),
                )
                .unwrap(),
            );
        }
        b.build().unwrap()
    }
}

pub fn customer_leaf(cn: &str) -> Leaf {
    Leaf::with_subject(
        &[("C", "JP"), ("O", "北見信用金庫"), ("CN", cn)],
        Usage::Client,
    )
}

pub fn presented(issued: &Issued) -> Presented {
    Presented::new(issued.cert.clone()).unwrap()
}

impl TestApp {
    pub fn https(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.https_address.as_deref().expect("built with TLS")
        )
    }
}
