//! `renkei bench` (hidden): the data `make bench` measures on; never on a production database.

use std::path::PathBuf;

use clap::Subcommand;

use crate::config::Settings;
use crate::db::Db;
use crate::tenancy::{TenantSlug, folder};

#[derive(Subcommand)]
pub(super) enum BenchCommand {
    /// Customers, accounts, transactions, grants and tokens at scale; token files into --out.
    Seed {
        #[arg(long, value_delimiter = ',', default_value = "kitami,hokuto")]
        tenants: Vec<String>,
        #[arg(long, default_value_t = 5000)]
        customers_per_tenant: i64,
        #[arg(long, default_value_t = 200)]
        transactions_per_account: i64,
        #[arg(long, default_value = "target/bench")]
        out: PathBuf,
    },
    /// Provision bench-0001.. tenants (cloning tenants/kitami) up to --count.
    Tenants {
        #[arg(long)]
        count: usize,
    },
    /// Today's 入出金取引明細 (03) for a slice of a tenant's accounts, many movements each: the
    /// import that `make bench` measures balances during.
    Zengin {
        #[arg(long, default_value = "kitami")]
        tenant: String,
        /// Accounts skipped first (in account order).
        #[arg(long, default_value_t = 0)]
        skip: i64,
        #[arg(long, default_value_t = 1000)]
        accounts: i64,
        #[arg(long, default_value_t = 200)]
        movements: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// EXPLAIN ANALYZE of the transactions page query.
    Explain {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        token: String,
        #[arg(long)]
        account: String,
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
    },
}

impl BenchCommand {
    pub(super) async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        let url = &settings.database.url;
        match self {
            Self::Zengin {
                tenant,
                skip,
                accounts,
                movements,
                out,
            } => {
                let slug = TenantSlug::parse(&tenant)
                    .map_err(|e| anyhow::anyhow!("--tenant '{tenant}' {e}"))?;
                let db = Db::connect(&settings.database)?;
                let bank_code =
                    crate::tenancy::TenantRegistry::new(db.clone(), std::time::Duration::ZERO)
                        .find(slug.as_str())
                        .await?
                        .and_then(|t| t.settings.bank_code.clone())
                        .ok_or_else(|| anyhow::anyhow!("tenant '{slug}' has no bank_code"))?;
                let shape = crate::demo::zengin::Shape {
                    skip,
                    accounts: Some(accounts),
                    per_account: Some(movements),
                };
                let (bytes, n, moved) = crate::demo::zengin::statement(
                    &db,
                    &slug,
                    &bank_code,
                    crate::demo::today_jst(),
                    shape,
                )
                .await?;
                std::fs::write(&out, bytes)?;
                println!("{}: {n} accounts, {moved} movements", out.display());
            }
            Self::Seed {
                tenants,
                customers_per_tenant,
                transactions_per_account,
                out,
            } => {
                let slugs = tenants
                    .iter()
                    .map(|t| {
                        TenantSlug::parse(t).map_err(|e| anyhow::anyhow!("--tenants '{t}' {e}"))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let db = Db::connect(&settings.database)?;
                crate::bench::seed(
                    &db,
                    &slugs,
                    &crate::bench::Scale {
                        customers_per_tenant,
                        transactions_per_account,
                    },
                    &out,
                )
                .await?;
            }
            Self::Tenants { count } => {
                let template = folder::load_file(
                    &PathBuf::from(&settings.tenancy.dir).join("kitami/tenant.toml"),
                )
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                let created = crate::bench::provision_tenants(url, &template, count).await?;
                println!("{created} tenant schema(s) created");
            }
            Self::Explain {
                tenant,
                token,
                account,
                from,
                to,
            } => {
                let slug = super::args::tenant(&tenant)?;
                let db = Db::connect(&settings.database)?;
                println!(
                    "{}",
                    crate::bench::explain_transactions(&db, &slug, &token, &account, from, to)
                        .await?
                );
            }
        }
        Ok(())
    }
}
