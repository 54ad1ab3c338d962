//! `renkei tenants`: apply the tenant folders, bring in a customer CA's new CRL.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;

use crate::config::Settings;
use crate::db::{Db, migrate};
use crate::tenancy::folder;

#[derive(Subcommand)]
pub(super) enum TenantsCommand {
    /// Validate every tenant.toml, then create or update each tenant. Changes nothing twice.
    Apply {
        /// Directory holding <slug>/tenant.toml (default: tenancy.dir, "tenants").
        dir: Option<PathBuf>,
    },
    /// Bring in the customer CA's new CRL (PEM or DER): it must be signed by the tenant's
    /// customer CA and no older than the one in force. Prints its dates as JSON.
    Crl {
        #[arg(long)]
        tenant: String,
        file: PathBuf,
    },
}

impl TenantsCommand {
    pub(super) async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        let url = &settings.database.url;
        match self {
            Self::Apply { dir } => {
                let dir = dir.unwrap_or_else(|| PathBuf::from(&settings.tenancy.dir));
                let manifests = folder::load_dir(&dir).map_err(|errors| {
                    for e in &errors {
                        eprintln!("error: {e}");
                    }
                    anyhow::anyhow!(
                        "{} problem(s) in {}; nothing was applied",
                        errors.len(),
                        dir.display()
                    )
                })?;
                migrate::public(url).await?;
                // Needed only when a folder holds a bank's secret to seal.
                let keyring = if manifests.iter().any(|m| m.oidc_client_secret.is_some()) {
                    Some(std::sync::Arc::new(crate::keys::Keyring::load(
                        &settings.keys,
                    )?))
                } else {
                    None
                };
                for m in manifests {
                    let report = migrate::apply_tenant(url, m, keyring.clone()).await?;
                    let what = if !report.changed() {
                        "unchanged".to_owned()
                    } else {
                        let mut parts = Vec::new();
                        if report.schema_created {
                            parts.push("schema created".to_owned());
                        }
                        if report.migrations_applied > 0 {
                            parts.push(format!(
                                "{} migration(s) applied",
                                report.migrations_applied
                            ));
                        }
                        if report.settings_changed {
                            parts.push("settings updated".to_owned());
                        }
                        parts.join(", ")
                    };
                    println!("{}: {what}", report.slug);
                }
            }
            Self::Crl { tenant, file } => {
                let slug = super::args::tenant(&tenant)?;
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let db = Db::connect(&settings.database)?;
                let dates = crate::tenancy::customer_ca::replace_crl(&db, &slug, &bytes)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                let mut conn = db.tenant(&slug).await?;
                let detail = serde_json::json!({"what": "customer_crl.replaced", "crl": &dates});
                crate::audit::record(
                    &mut conn,
                    crate::audit::Event::AdminChange,
                    "cli",
                    Some("settings"),
                    None,
                    detail,
                )
                .await?;
                let line = serde_json::json!({"tenant": slug.as_str(), "this_update": dates.this_update, "next_update": dates.next_update, "status": "in force"});
                println!("{line}");
            }
        }
        Ok(())
    }
}
