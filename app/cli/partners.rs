//! `renkei partners`: register a partner (OAuth client) of a tenant.

use clap::Subcommand;

use crate::config::Settings;
use crate::db::Db;
use crate::oauth::clients::{self, AuthMethod, NewPartner};
use crate::oauth::scopes::Scopes;

#[derive(Subcommand)]
pub(super) enum PartnersCommand {
    /// Register a partner; prints {"client_id":..,"client_secret":..} once (the secret is stored hashed).
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name_ja: String,
        #[arg(long)]
        name_en: String,
        /// Exact redirect URI; repeat for several.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Comma-separated: balance:read,transactions:read
        #[arg(long)]
        scopes: String,
        #[arg(long, default_value = "client_secret_basic", value_parser = ["client_secret_basic", "client_secret_post", "tls_client_auth"])]
        auth: String,
        /// Subject DN of the partner's certificate (with --auth tls_client_auth).
        #[arg(long)]
        cert_subject: Option<String>,
        /// Accept authorization requests only through PAR (RFC 9126).
        #[arg(long)]
        par_required: bool,
    },
}

impl PartnersCommand {
    pub(super) async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        match self {
            Self::Add {
                tenant,
                name_ja,
                name_en,
                redirect_uris,
                scopes,
                auth,
                cert_subject,
                par_required,
            } => {
                let slug = super::args::tenant(&tenant)?;
                let scopes =
                    Scopes::parse(&scopes).map_err(|e| anyhow::anyhow!("--scopes: {e:?}"))?;
                let db = Db::connect(&settings.database)?;
                let mut conn = db.tenant(&slug).await?;
                let (client_id, secret) = clients::register(
                    &mut conn,
                    NewPartner {
                        client_id: None,
                        secret: None,
                        name_ja,
                        name_en,
                        redirect_uris,
                        scopes,
                        auth_method: AuthMethod::parse(&auth)
                            .unwrap_or(AuthMethod::ClientSecretBasic),
                        cert_subject,
                        par_required,
                    },
                )
                .await?;
                crate::audit::record(
                    &mut conn,
                    crate::audit::Event::PartnerRegistered,
                    "cli",
                    Some(&client_id),
                    None,
                    serde_json::json!({}),
                )
                .await?;
                println!(
                    "{}",
                    serde_json::json!({"client_id": client_id, "client_secret": secret})
                );
            }
        }
        Ok(())
    }
}
