//! `renkei keys`: the key-encryption key, and tenants' signing keys.

use std::path::PathBuf;

use chrono::Utc;
use clap::Subcommand;

use crate::config::Settings;
use crate::db::Db;
use crate::keys::{Keyring, kek, rekey, tenant};
use crate::tenancy::TenantSlug;

#[derive(Subcommand)]
pub(super) enum KeysCommand {
    /// Write a new key-encryption key to FILE, readable by its owner only (an existing file is
    /// never overwritten). Prints its id.
    NewKek { file: PathBuf },
    /// Seal every stored secret under keys.kek_file, opening what a KEK of
    /// keys.previous_kek_files sealed: the step that completes a KEK rotation.
    Rekey,
    /// A tenant's signing keys and their state (never a private part).
    List {
        #[arg(long)]
        tenant: String,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// For each algorithm: the next key (published since the last rotation) signs from now on,
    /// the active one is retired (published for keys.retire_after_hours more), and a new next
    /// key is published.
    Rotate {
        #[arg(long)]
        tenant: String,
    },
}

impl KeysCommand {
    pub(super) async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        let retire_after = settings.keys.retire_after();
        match self {
            Self::NewKek { file } => {
                let id = kek::create_file(&file)?;
                println!("wrote the key-encryption key {id} to {}", file.display());
            }
            Self::Rekey => {
                let keyring = Keyring::load(&settings.keys)?;
                let db = Db::connect(&settings.database)?;
                let slugs = super::args::all_tenants(&db).await?;
                let done = rekey::rekey(&db, &keyring, &slugs).await?;
                println!("public: {} secret(s) sealed again", done.platform);
                for (slug, n) in &done.tenants {
                    println!("{slug}: {n} secret(s) sealed again");
                }
                println!(
                    "every stored secret is sealed under {}; keys.previous_kek_files may be emptied",
                    keyring.current_id()
                );
            }
            Self::List { tenant, json } => {
                let (db, keyring, slug) = open(settings, &tenant).await?;
                let keys =
                    tenant::published(&db, &keyring, &slug, Utc::now(), retire_after).await?;
                for k in &keys {
                    if json {
                        println!("{}", serde_json::to_string(k)?);
                    } else {
                        let when = |at: Option<chrono::DateTime<Utc>>| {
                            at.map_or_else(|| "-".to_owned(), |t| t.format("%F %TZ").to_string())
                        };
                        println!(
                            "{:<6} {:<8} {}  created {}  activated {}  retired {}  dropped {}",
                            k.alg,
                            k.state.as_str(),
                            k.kid,
                            when(Some(k.created_at)),
                            when(k.activated_at),
                            when(k.retired_at),
                            when(k.dropped_at),
                        );
                    }
                }
            }
            Self::Rotate { tenant } => {
                let (db, keyring, slug) = open(settings, &tenant).await?;
                let done = tenant::rotate(&db, &keyring, &slug, Utc::now(), retire_after).await?;
                for (alg, kid) in &done.activated {
                    println!("{alg}: {kid} signs from now on");
                }
                for kid in &done.retired {
                    println!(
                        "retired {kid}: published for {} h more",
                        settings.keys.retire_after_hours
                    );
                }
                for (alg, kid) in &done.published {
                    println!("{alg}: {kid} published as the next key");
                }
                if done.dropped > 0 {
                    println!("{} retired key(s) no longer published", done.dropped);
                }
            }
        }
        Ok(())
    }
}

/// The pool, the keyring and the tenant of a command on a tenant's keys.
async fn open(settings: &Settings, raw: &str) -> anyhow::Result<(Db, Keyring, TenantSlug)> {
    let slug = super::args::tenant(raw)?;
    let keyring = Keyring::load(&settings.keys)?;
    let db = Db::connect(&settings.database)?;
    anyhow::ensure!(
        super::args::all_tenants(&db).await?.contains(&slug),
        "no tenant '{slug}' (renkei tenants apply creates it)"
    );
    Ok((db, keyring, slug))
}
