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
    /// A day's 全銀協 入出金取引明細 (03) for every account of a tenant, as its bank would send
    /// it, for `renkei core import`. The same day gives the same file.
    Zengin {
        #[arg(long)]
        tenant: String,
        /// The 勘定日 (YYYY-MM-DD); default today in Japan.
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
        /// Default .data/zengin/<tenant>-<day>.txt.
        #[arg(long)]
        out: Option<PathBuf>,
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
            Self::Zengin { tenant, day, out } => {
                let slug = super::args::tenant(&tenant)?;
                let db = Db::connect(&settings.database)?;
                let registry =
                    crate::tenancy::TenantRegistry::new(db.clone(), std::time::Duration::ZERO);
                let found = registry
                    .find(slug.as_str())
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no tenant '{slug}'"))?;
                let bank_code = found.settings.bank_code.clone().ok_or_else(|| {
                    anyhow::anyhow!("tenant '{slug}' has no bank_code in its tenant.toml")
                })?;
                let day = day.unwrap_or_else(crate::demo::today_jst);
                let out =
                    out.unwrap_or_else(|| PathBuf::from(format!(".data/zengin/{slug}-{day}.txt")));
                let (bytes, accounts, movements) =
                    crate::demo::zengin::statement(&db, &slug, &bank_code, day, Default::default())
                        .await?;
                if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&out, bytes)?;
                println!(
                    "{}: 入出金取引明細 of {day}, {accounts} account(s), {movements} movement(s); \
                     renkei core import --tenant {slug} {}",
                    out.display(),
                    out.display()
                );
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
