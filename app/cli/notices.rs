//! `renkei notices`: send the due e-mail notices.

use clap::Subcommand;

use crate::config::Settings;
use crate::db::Db;

#[derive(Subcommand)]
pub(super) enum NoticesCommand {
    /// Send due notices: one pass with --once, else every notices.interval_secs.
    Run {
        #[arg(long)]
        once: bool,
        /// Act as if it were this time (RFC 3339), e.g. 2027-01-25T09:00:00+09:00.
        #[arg(long, value_parser = parse_rfc3339)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
}

impl NoticesCommand {
    pub(super) async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        match self {
            Self::Run { once, now } => {
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
        }
        Ok(())
    }
}

fn parse_rfc3339(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| {
            format!("'{raw}' is not an RFC 3339 time such as 2027-01-25T09:00:00+09:00: {e}")
        })
}
