//! The CAs `tls_client_auth` partners' certificates chain to (`tls.partner_ca`), and the CRL
//! of what they revoked (`tls.partner_crl`). A CA publishes a new CRL every day or so: when the
//! file changes it is read again on the next certificate it checks, without a restart, so a
//! stolen partner certificate stops working as soon as the CA lists it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use anyhow::Context as _;
use chrono::Utc;

use super::CertificateTrust;

pub struct PartnerTrust {
    ca_pem: Vec<u8>,
    crl_path: Option<PathBuf>,
    state: RwLock<State>,
}

struct State {
    trust: Arc<CertificateTrust>,
    /// The CRL file's modification time and length when it was read.
    crl_stamp: Option<(SystemTime, u64)>,
}

impl PartnerTrust {
    /// Reads both files; at start-up, either one that does not load stops the server.
    pub fn load(ca_path: &Path, crl_path: Option<&Path>) -> anyhow::Result<Self> {
        let ca_pem = std::fs::read(ca_path)
            .with_context(|| format!("tls.partner_ca: cannot read {}", ca_path.display()))?;
        let (trust, crl_stamp) = read(&ca_pem, crl_path)?;
        Ok(Self {
            ca_pem,
            crl_path: crl_path.map(Path::to_owned),
            state: RwLock::new(State {
                trust: Arc::new(trust),
                crl_stamp,
            }),
        })
    }

    /// The trust to check a certificate with: read again when the CRL file has changed. A new
    /// file that does not load (half written, or not the CA's) leaves the one before in force,
    /// with an error line, until a good one comes.
    pub fn current(&self) -> Arc<CertificateTrust> {
        let Some(path) = &self.crl_path else {
            return self.held();
        };
        let stamp = stamp(path);
        if stamp == self.state.read().expect("partner trust").crl_stamp {
            return self.held();
        }
        let mut state = self.state.write().expect("partner trust");
        if stamp != state.crl_stamp {
            // Tried once per change of the file, whether it loads or not.
            state.crl_stamp = stamp;
            match read(&self.ca_pem, Some(path)) {
                Ok((trust, _)) => {
                    tracing::info!(crl = %path.display(), "tls.partner_crl read again");
                    state.trust = Arc::new(trust);
                }
                Err(e) => tracing::error!(
                    error = format!("{e:#}"),
                    "tls.partner_crl changed but does not load; the CRL of before stays in force"
                ),
            }
        }
        state.trust.clone()
    }

    fn held(&self) -> Arc<CertificateTrust> {
        self.state.read().expect("partner trust").trust.clone()
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

fn read(
    ca_pem: &[u8],
    crl_path: Option<&Path>,
) -> anyhow::Result<(CertificateTrust, Option<(SystemTime, u64)>)> {
    let (crl, crl_stamp) = match crl_path {
        Some(path) => {
            let stamp = stamp(path);
            let pem = std::fs::read(path)
                .with_context(|| format!("tls.partner_crl: cannot read {}", path.display()))?;
            (Some(pem), stamp)
        }
        None => (None, None),
    };
    let trust = CertificateTrust::new(ca_pem, crl.as_deref(), &[])
        .map_err(|e| anyhow::anyhow!("tls.partner_ca / tls.partner_crl: {e}"))?;
    if let Some(dates) = trust.crl_dates()
        && dates.is_stale(Utc::now())
    {
        tracing::warn!(
            next_update = ?dates.next_update,
            "tls.partner_crl is past its nextUpdate: certificates revoked since are not known; get the CA's new CRL"
        );
    }
    Ok((trust, crl_stamp))
}
