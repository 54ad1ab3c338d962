//! `renkei admins`: the institution's console accounts.

use clap::Subcommand;

use crate::config::Settings;
use crate::db::Db;

#[derive(Subcommand)]
pub(super) enum AdminsCommand {
    /// Add an admin; they set up their TOTP second factor at the first sign-in.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        /// Also read from RENKEI_ADMIN_PASSWORD, which keeps it out of shell history.
        #[arg(long, env = "RENKEI_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "admin", value_parser = ["admin", "viewer"])]
        role: String,
    },
}

impl AdminsCommand {
    pub(super) async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        match self {
            Self::Add {
                tenant,
                email,
                password,
                role,
            } => {
                let slug = super::args::tenant(&tenant)?;
                let role = crate::admin::Role::parse(&role).unwrap_or(crate::admin::Role::Viewer);
                let db = Db::connect(&settings.database)?;
                let mut conn = db.tenant(&slug).await?;
                let id = crate::admin::accounts::add(&mut conn, &email, password, role).await?;
                crate::audit::record(
                    &mut conn,
                    crate::audit::Event::AdminChange,
                    "cli",
                    Some(&format!("admin:{}", email.trim().to_ascii_lowercase())),
                    None,
                    serde_json::json!({"what": "admin.added", "role": role.as_str()}),
                )
                .await?;
                println!(
                    "{}",
                    serde_json::json!({"tenant": slug.as_str(), "admin_id": id, "email": email.trim().to_ascii_lowercase(), "role": role.as_str(), "sign_in": format!("{}/t/{slug}/admin", settings.public_base())})
                );
            }
        }
        Ok(())
    }
}
