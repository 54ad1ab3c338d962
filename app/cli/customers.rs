//! `renkei customers`: customers of the hosted core, and their electronic certificates.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;

use crate::config::Settings;
use crate::db::Db;
use crate::i18n::Lang;
use crate::sandbox::{self, Email, LoginId, NewAccount, NewCustomer};

#[derive(Subcommand)]
pub(super) enum CustomersCommand {
    /// Add a customer and open one 普通預金 account for them.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        login_id: String,
        /// Also read from RENKEI_CUSTOMER_PASSWORD, which keeps it out of shell history.
        #[arg(long, env = "RENKEI_CUSTOMER_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "ja", value_parser = ["ja", "en"])]
        locale: String,
        /// Account holder name (default: the login ID).
        #[arg(long)]
        name: Option<String>,
        /// Account holder name in katakana.
        #[arg(long)]
        name_kana: Option<String>,
    },
    /// Set a customer's login password, read from standard input (the first line), so that it
    /// is never in the command line or the shell's history: for customers the bank's directory
    /// brought without one.
    SetPassword {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        login_id: String,
    },
    /// Register an electronic certificate (PEM or DER) to a customer, by its SHA-256.
    AddCert {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        login_id: String,
        #[arg(long)]
        cert: PathBuf,
    },
}

impl CustomersCommand {
    pub(super) async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        match self {
            Self::SetPassword { tenant, login_id } => {
                let slug = super::args::tenant(&tenant)?;
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let password = line.trim_end_matches(['\r', '\n']);
                anyhow::ensure!(
                    password.chars().count() >= 8,
                    "the password (standard input's first line) must have 8 characters or more"
                );
                let phc = crate::secrets::hash_password(password.to_owned()).await?;
                let db = Db::connect(&settings.database)?;
                let set =
                    sandbox::set_password(&mut db.tenant(&slug).await?, &login_id, &phc).await?;
                anyhow::ensure!(set, "{slug}: no customer '{login_id}'");
                println!("{slug}: {login_id}'s password is set");
            }
            Self::AddCert {
                tenant,
                login_id,
                cert,
            } => {
                let line = add_cert(settings, &tenant, &login_id, &cert).await?;
                println!("{line}");
            }
            Self::Add {
                tenant,
                login_id,
                password,
                email,
                locale,
                name,
                name_kana,
            } => {
                let slug = super::args::tenant(&tenant)?;
                let login_id =
                    LoginId::parse(&login_id).map_err(|e| anyhow::anyhow!("--login-id {e}"))?;
                let email =
                    Email::parse(&email).map_err(|e| anyhow::anyhow!("--email '{email}' {e}"))?;
                anyhow::ensure!(
                    password.chars().count() >= 8,
                    "--password must be at least 8 characters"
                );
                let db = Db::connect(&settings.database)?;
                let mut conn = db.tenant(&slug).await?;
                anyhow::ensure!(
                    sandbox::find_customer(&mut conn, &login_id)
                        .await
                        .with_context(|| format!(
                            "tenant '{slug}' is not ready; run `renkei tenants apply`"
                        ))?
                        .is_none(),
                    "customer '{login_id}' already exists in '{slug}'"
                );
                let name = name.unwrap_or_else(|| login_id.to_string());
                let kana = name_kana.unwrap_or_else(|| name.clone());
                let customer = sandbox::add_customer(
                    &mut conn,
                    NewCustomer {
                        login_id: login_id.clone(),
                        password,
                        email,
                        locale: Lang::parse(&locale).unwrap_or_default(),
                        name: name.clone(),
                        name_kana: kana.clone(),
                    },
                )
                .await?;
                let number = sandbox::next_account_number(&mut conn, "001", "01").await?;
                let account = sandbox::open_account(
                    &mut conn,
                    customer,
                    NewAccount {
                        branch_code: "001".into(),
                        branch_name: "本店営業部".into(),
                        account_type_code: "01".into(),
                        account_type_name: "普通預金".into(),
                        account_number: number,
                        account_name: name,
                        account_name_kana: kana,
                        opened_on: crate::demo::today_jst(),
                    },
                )
                .await?;
                println!(
                    "{}",
                    serde_json::json!({"tenant": slug.as_str(), "login_id": login_id.as_str(), "account_id": account.as_str()})
                );
            }
        }
        Ok(())
    }
}

/// `customers add-cert`: the certificate must be one the tenant's CA would accept today.
async fn add_cert(
    settings: &Settings,
    tenant: &str,
    login_id: &str,
    cert: &std::path::Path,
) -> anyhow::Result<serde_json::Value> {
    use crate::certs::{Presented, Refusal};
    let slug = super::args::tenant(tenant)?;
    let login_id = LoginId::parse(login_id).map_err(|e| anyhow::anyhow!("--login-id {e}"))?;
    let bytes =
        std::fs::read(cert).with_context(|| format!("--cert: cannot read {}", cert.display()))?;
    let presented =
        Presented::parse(&bytes).map_err(|e| anyhow::anyhow!("--cert {}: {e}", cert.display()))?;
    let db = Db::connect(&settings.database)?;
    let revoked = crate::tenancy::TenantRegistry::new(db.clone(), std::time::Duration::ZERO)
        .find(slug.as_str())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no tenant '{slug}'; run `renkei tenants apply`"))?
        .settings
        .revoked_serials
        .clone();
    let trust = crate::tenancy::customer_ca::load(&db, &slug, &revoked)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "tenant '{slug}' has no customer CA: put customer-ca.pem beside its tenant.toml and run `renkei tenants apply`"
            )
        })?;
    if let Err(refusal) = trust.check(&presented) {
        anyhow::bail!(
            "--cert {}: {}",
            cert.display(),
            match refusal {
                Refusal::Untrusted =>
                    "not issued for client authentication by the tenant's customer CA",
                Refusal::Expired => "expired",
                Refusal::NotYetValid => "not valid yet",
                Refusal::Revoked => "revoked",
            }
        );
    }
    let mut conn = db.tenant(&slug).await?;
    let customer = sandbox::find_customer(&mut conn, &login_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no customer '{login_id}' in '{slug}'"))?;
    let added = sandbox::bind_certificate(&mut conn, customer, &presented).await?;
    if added {
        crate::audit::record(
            &mut conn,
            crate::audit::Event::CertificateBound,
            "cli",
            Some(&format!("customer:{}", customer.0)),
            None,
            serde_json::json!({"serial": presented.serial, "subject": presented.subject().to_string()}),
        )
        .await?;
    }
    Ok(serde_json::json!({
        "tenant": slug.as_str(),
        "login_id": login_id.as_str(),
        "fingerprint_sha256": presented.thumbprint.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":"),
        "subject": presented.subject().to_string(),
        "serial": presented.serial,
        "not_after": presented.not_after().to_rfc3339(),
        "status": if added { "registered" } else { "already registered" },
    }))
}
