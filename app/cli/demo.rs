//! `renkei demo`: the demo data and the development certificates.

use std::path::PathBuf;

use clap::Subcommand;

use crate::config::Settings;
use crate::db::Db;

#[derive(Subcommand)]
pub(super) enum DemoCommand {
    /// Demo customers with 18 months of transactions in kitami and hokuto. Idempotent.
    Seed,
    /// A development CA, the HTTPS certificate, Yamada01's electronic certificate (PKCS#12) and
    /// a tls_client_auth partner's certificate; the CA becomes the demo tenants' customer CA.
    Certs {
        #[arg(long, default_value = ".data/tls")]
        dir: PathBuf,
    },
}

impl DemoCommand {
    pub(super) async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        match self {
            Self::Certs { dir } => {
                let db = Db::connect(&settings.database)?;
                let https = settings
                    .tls
                    .https_base()
                    .unwrap_or_else(|| "https://127.0.0.1:8443".into());
                for line in crate::demo::certs::write_all(&db, &dir, &https).await? {
                    println!("{line}");
                }
            }
            Self::Seed => {
                let db = Db::connect(&settings.database)?;
                for line in crate::demo::seed(&db, crate::demo::today_jst()).await? {
                    println!("{line}");
                }
                print!("{}", crate::demo::credentials());
            }
        }
        Ok(())
    }
}
