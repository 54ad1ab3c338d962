//! The `renkei` command line.

mod admins;
mod args;
mod bench;
mod core;
mod customers;
mod demo;
mod keys;
mod notices;
mod partners;
mod tenants;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::migrate;
use crate::startup::Application;

#[derive(Parser)]
#[command(
    name = "renkei",
    version,
    about = "API service consent portal for credit unions"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (applies pending migrations first).
    Serve,
    /// Apply pending migrations: the platform, then every tenant schema.
    Migrate,
    /// Tenants declared in tenants/<slug>/tenant.toml.
    Tenants {
        #[command(subcommand)]
        command: tenants::TenantsCommand,
    },
    /// Demo data.
    Demo {
        #[command(subcommand)]
        command: demo::DemoCommand,
    },
    /// The bank's own data in the hosted core: its files imported.
    Core {
        #[command(subcommand)]
        command: core::CoreCommand,
    },
    /// Customers of the sandbox core banking.
    Customers {
        #[command(subcommand)]
        command: customers::CustomersCommand,
    },
    /// Expiry notices by e-mail.
    Notices {
        #[command(subcommand)]
        command: notices::NoticesCommand,
    },
    /// Benchmark data (used by `make bench`; never on a production database).
    #[command(hide = true)]
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// Print the partner API's OpenAPI document (as kept in docs/openapi.json).
    Openapi,
    /// Partners (OAuth clients) of a tenant.
    Partners {
        #[command(subcommand)]
        command: partners::PartnersCommand,
    },
    /// The key-encryption key, and tenants' signing keys.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// The institution's admins (the console at /t/<slug>/admin).
    Admins {
        #[command(subcommand)]
        command: admins::AdminsCommand,
    },
}

impl Cli {
    pub async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let url = &settings.database.url;
        match self.command {
            Command::Serve => {
                let app = Application::build(settings.clone()).await?;
                tracing::info!(
                    port = app.port(),
                    public_url = %settings.http.public_url,
                    "serving"
                );
                if let Some(port) = app.tls_port() {
                    tracing::info!(port, "serving HTTPS (client certificates asked for)");
                }
                app.run_until_stopped().await?;
            }
            Command::Openapi => {
                println!("{}", crate::api::openapi::json(None));
            }
            Command::Migrate => {
                let n = migrate::public(url).await?;
                println!("public: {n} migration(s) applied");
                for (slug, n) in migrate::all_tenants(url).await? {
                    println!("{slug}: {n} migration(s) applied");
                }
            }
            Command::Tenants { command } => command.run(&settings).await?,
            Command::Demo { command } => command.run(&settings).await?,
            Command::Customers { command } => command.run(&settings).await?,
            Command::Notices { command } => command.run(&settings).await?,
            Command::Bench { command } => command.run(&settings).await?,
            Command::Partners { command } => command.run(&settings).await?,
            Command::Admins { command } => command.run(&settings).await?,
            Command::Keys { command } => command.run(&settings).await?,
            Command::Core { command } => command.run(&settings).await?,
        }
        Ok(())
    }
}
