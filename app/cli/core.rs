//! `renkei core`: the bank's own data in the hosted core.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;

use crate::config::Settings;
use crate::db::Db;
use crate::imports;
use crate::imports::Upload;
use crate::tenancy::TenantRegistry;

#[derive(Subcommand)]
pub(super) enum CoreCommand {
    /// Import the bank's files: 全銀協 入出金取引明細 (種別コード 03), and its directory as CSV
    /// (customers, accounts). Each file is checked whole first (all of them before any is
    /// written); a bad file writes nothing and says where it is wrong. Prints each file's report
    /// as JSON.
    Import {
        #[arg(long)]
        tenant: String,
        /// Recognised from the content when left out.
        #[arg(long, value_parser = ["zengin-03", "zengin-01", "customers", "accounts"])]
        format: Option<String>,
        /// Check and report without writing.
        #[arg(long)]
        check: bool,
        /// Skip the blocks of accounts the core does not hold, instead of refusing the file.
        #[arg(long)]
        skip_unknown_accounts: bool,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Keys the bank's systems send their files with (POST /t/<slug>/core/v1/imports).
    IngestKeys {
        #[command(subcommand)]
        command: IngestKeysCommand,
    },
    /// Imports done.
    Imports {
        #[command(subcommand)]
        command: ImportsCommand,
    },
}

#[derive(Subcommand)]
pub(super) enum IngestKeysCommand {
    /// A new ingest key, printed once as JSON (only its SHA-256 is stored).
    Add {
        #[arg(long)]
        tenant: String,
        /// Which of the bank's systems holds it, for the audit log.
        #[arg(long, default_value = "bank")]
        name: String,
    },
}

#[derive(Subcommand)]
pub(super) enum ImportsCommand {
    /// Undo import ID (the `id` of its report): its movements removed and its accounts as they
    /// were before it. Refused when a later import touched the same accounts.
    Revert {
        id: i64,
        /// The tenant, when known (import numbers are unique across tenants).
        #[arg(long)]
        tenant: Option<String>,
    },
}

impl CoreCommand {
    pub(super) async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        match self {
            Self::Import {
                tenant,
                format,
                check,
                skip_unknown_accounts,
                files,
            } => {
                let slug = super::args::tenant(&tenant)?;
                let db = Db::connect(&settings.database)?;
                let registry = TenantRegistry::new(db.clone(), std::time::Duration::ZERO);
                let tenant = registry.find(slug.as_str()).await?.with_context(|| {
                    format!("no tenant '{slug}' (renkei tenants apply creates it)")
                })?;
                let bank_code = tenant.settings.bank_code.clone().with_context(|| {
                    format!("tenant '{slug}' has no bank_code in its tenant.toml: the files' 銀行コード is checked against it")
                })?;
                let today = crate::format::jst_date(chrono::Utc::now());
                // Every file read and checked before any is written.
                let mut read = Vec::with_capacity(files.len());
                for path in &files {
                    let name = path.display().to_string();
                    let bytes =
                        std::fs::read(path).with_context(|| format!("{name}: cannot read it"))?;
                    let kind = match &format {
                        Some(f) => f.as_str(),
                        None => imports::recognise(&bytes).with_context(|| name.clone())?,
                    };
                    let parsed = imports::parse(kind, &bytes, today)
                        .map_err(|p| anyhow::anyhow!("{name}: {p}; nothing was imported"))?;
                    read.push((name, bytes, parsed));
                }
                // A line at each tenth of a large file.
                let tenth = std::sync::atomic::AtomicUsize::new(0);
                let progress = |done: usize, of: usize| {
                    let now = done * 10 / of.max(1);
                    if of > 10_000 && tenth.swap(now, std::sync::atomic::Ordering::Relaxed) != now {
                        eprintln!("  {done} of {of} movements written");
                    }
                };
                for (name, bytes, parsed) in &read {
                    let upload = Upload {
                        file_name: name,
                        bytes,
                        actor: "cli",
                        now: chrono::Utc::now(),
                        bank_code: &bank_code,
                        skip_unknown_accounts,
                        check,
                        progress: Some(&progress),
                    };
                    let mut conn = db.tenant(&slug).await?;
                    let report = imports::import(&mut conn, parsed, &upload)
                        .await
                        .map_err(|e| anyhow::anyhow!("{name}: {e}; nothing of it was imported"))?;
                    println!("{}", serde_json::to_string(&report)?);
                }
            }
            Self::IngestKeys {
                command: IngestKeysCommand::Add { tenant, name },
            } => {
                let slug = super::args::tenant(&tenant)?;
                let db = Db::connect(&settings.database)?;
                let mut conn = db.tenant(&slug).await?;
                let key = crate::ingest::keys::add(&mut conn, &name).await?;
                crate::audit::record(
                    &mut conn,
                    crate::audit::Event::AdminChange,
                    "cli",
                    Some(&name),
                    None,
                    serde_json::json!({"what": "core.ingest_key.added"}),
                )
                .await?;
                println!(
                    "{}",
                    serde_json::json!({"tenant": slug.as_str(), "name": name, "ingest_key": key})
                );
            }
            Self::Imports {
                command: ImportsCommand::Revert { id, tenant },
            } => {
                let db = Db::connect(&settings.database)?;
                let slugs = match tenant {
                    Some(raw) => vec![super::args::tenant(&raw)?],
                    None => super::args::all_tenants(&db).await?,
                };
                for slug in slugs {
                    let mut conn = db.tenant(&slug).await?;
                    if !crate::sandbox::import::holds(&mut conn, id).await? {
                        continue;
                    }
                    let done = crate::imports::revert(&mut conn, id, "cli", chrono::Utc::now())
                        .await
                        .map_err(|e| anyhow::anyhow!("{slug}: {e}"))?;
                    println!(
                        "{slug}: import {id} reverted: {} movement(s) removed from {} account(s)",
                        done.rows_removed, done.accounts
                    );
                    return Ok(());
                }
                anyhow::bail!("there is no import {id}");
            }
        }
        Ok(())
    }
}
