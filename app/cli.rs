//! The `renkei` command line.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::{Db, migrate};
use crate::i18n::Lang;
use crate::oauth::clients::{self, AuthMethod, NewPartner};
use crate::oauth::scopes::Scopes;
use crate::sandbox::{self, Email, LoginId, NewAccount, NewCustomer};
use crate::startup::Application;
use crate::tenancy::{TenantSlug, folder};

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
        command: TenantsCommand,
    },
    /// Demo data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Customers of the sandbox core banking.
    Customers {
        #[command(subcommand)]
        command: CustomersCommand,
    },
    /// Expiry notices by e-mail.
    Notices {
        #[command(subcommand)]
        command: NoticesCommand,
    },
    /// Benchmark data (used by `make bench`; never on a production database).
    #[command(hide = true)]
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Print the partner API's OpenAPI document (as kept in docs/openapi.json).
    Openapi,
    /// Partners (OAuth clients) of a tenant.
    Partners {
        #[command(subcommand)]
        command: PartnersCommand,
    },
    /// The institution's admins (the console at /t/<slug>/admin).
    Admins {
        #[command(subcommand)]
        command: AdminsCommand,
    },
}

#[derive(Subcommand)]
enum AdminsCommand {
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

#[derive(Subcommand)]
enum BenchCommand {
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

#[derive(Subcommand)]
enum NoticesCommand {
    /// Send due notices: one pass with --once, else every notices.interval_secs.
    Run {
        #[arg(long)]
        once: bool,
        /// Act as if it were this time (RFC 3339), e.g. 2027-01-25T09:00:00+09:00.
        #[arg(long, value_parser = parse_rfc3339)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
}

fn parse_rfc3339(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| {
            format!("'{raw}' is not an RFC 3339 time such as 2027-01-25T09:00:00+09:00: {e}")
        })
}

#[derive(Subcommand)]
enum PartnersCommand {
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

#[derive(Subcommand)]
enum TenantsCommand {
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

#[derive(Subcommand)]
enum DemoCommand {
    /// Demo customers with 18 months of transactions in kitami and hokuto. Idempotent.
    Seed,
    /// A development CA, the HTTPS certificate, Yamada01's electronic certificate (PKCS#12) and
    /// a tls_client_auth partner's certificate; the CA becomes the demo tenants' customer CA.
    Certs {
        #[arg(long, default_value = ".data/tls")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum CustomersCommand {
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

impl Cli {
    pub async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let url = settings.database.url.clone();
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
            Command::Notices {
                command: NoticesCommand::Run { once, now },
            } => {
                let db = Db::connect(&settings.database)?;
                let sender = crate::notices::pass::OwnedSender {
                    registry: std::sync::Arc::new(crate::tenancy::TenantRegistry::new(
                        db.clone(),
                        std::time::Duration::from_secs(settings.tenancy.cache_ttl_secs),
                    )),
                    db,
                    mailer: crate::notices::Mailer::from_settings(&settings.mail)?,
                    pages: std::sync::Arc::new(crate::web::Pages::new()?),
                    settings: settings.clone(),
                };
                if !once {
                    println!(
                        "sending due notices every {} s through {} (Ctrl-C stops)",
                        settings.notices.interval_secs,
                        sender.mailer.describe()
                    );
                    tokio::select! {
                        () = crate::notices::scheduler(sender) => {}
                        _ = tokio::signal::ctrl_c() => {}
                    }
                    return Ok(());
                }
                let at = now.unwrap_or_else(chrono::Utc::now);
                for (tenant, r) in crate::notices::run_pass(&sender.borrow(), at).await? {
                    println!(
                        "{tenant}: {} sent, {} skipped, {} to retry, {} failed",
                        r.sent, r.skipped, r.retrying, r.failed
                    );
                }
            }
            Command::Bench { command } => match command {
                BenchCommand::Seed {
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
                BenchCommand::Tenants { count } => {
                    let template = folder::load_file(
                        &PathBuf::from(&settings.tenancy.dir).join("kitami/tenant.toml"),
                    )
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                    let created = crate::bench::provision_tenants(&url, &template, count).await?;
                    println!("{created} tenant schema(s) created");
                }
                BenchCommand::Explain {
                    tenant,
                    token,
                    account,
                    from,
                    to,
                } => {
                    let slug =
                        TenantSlug::parse(&tenant).map_err(|e| anyhow::anyhow!("--tenant {e}"))?;
                    let db = Db::connect(&settings.database)?;
                    println!(
                        "{}",
                        crate::bench::explain_transactions(&db, &slug, &token, &account, from, to)
                            .await?
                    );
                }
            },
            Command::Openapi => {
                println!("{}", crate::api::openapi::json(None));
            }
            Command::Migrate => {
                let n = migrate::public(&url).await?;
                println!("public: {n} migration(s) applied");
                for (slug, n) in migrate::all_tenants(&url).await? {
                    println!("{slug}: {n} migration(s) applied");
                }
            }
            Command::Tenants {
                command: TenantsCommand::Apply { dir },
            } => {
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
                migrate::public(&url).await?;
                for m in manifests {
                    let report = migrate::apply_tenant(&url, m).await?;
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
            Command::Tenants {
                command: TenantsCommand::Crl { tenant, file },
            } => {
                let slug = TenantSlug::parse(&tenant)
                    .map_err(|e| anyhow::anyhow!("--tenant '{tenant}' {e}"))?;
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
            Command::Admins {
                command:
                    AdminsCommand::Add {
                        tenant,
                        email,
                        password,
                        role,
                    },
            } => {
                let slug = TenantSlug::parse(&tenant)
                    .map_err(|e| anyhow::anyhow!("--tenant '{tenant}' {e}"))?;
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
            Command::Demo {
                command: DemoCommand::Certs { dir },
            } => {
                let db = Db::connect(&settings.database)?;
                let https = settings
                    .tls
                    .https_base()
                    .unwrap_or_else(|| "https://127.0.0.1:8443".into());
                for line in crate::demo::certs::write_all(&db, &dir, &https).await? {
                    println!("{line}");
                }
            }
            Command::Customers {
                command:
                    CustomersCommand::AddCert {
                        tenant,
                        login_id,
                        cert,
                    },
            } => {
                let line = add_cert(&settings, &tenant, &login_id, &cert).await?;
                println!("{line}");
            }
            Command::Demo {
                command: DemoCommand::Seed,
            } => {
                let db = Db::connect(&settings.database)?;
                for line in crate::demo::seed(&db, crate::demo::today_jst()).await? {
                    println!("{line}");
                }
                print!("{}", crate::demo::credentials());
            }
            Command::Partners {
                command:
                    PartnersCommand::Add {
                        tenant,
                        name_ja,
                        name_en,
                        redirect_uris,
                        scopes,
                        auth,
                        cert_subject,
                        par_required,
                    },
            } => {
                let slug = TenantSlug::parse(&tenant)
                    .map_err(|e| anyhow::anyhow!("--tenant '{tenant}' {e}"))?;
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
            Command::Customers {
                command:
                    CustomersCommand::Add {
                        tenant,
                        login_id,
                        password,
                        email,
                        locale,
                        name,
                        name_kana,
                    },
            } => {
                let slug = TenantSlug::parse(&tenant)
                    .map_err(|e| anyhow::anyhow!("--tenant '{tenant}' {e}"))?;
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
    let slug = TenantSlug::parse(tenant).map_err(|e| anyhow::anyhow!("--tenant '{tenant}' {e}"))?;
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
