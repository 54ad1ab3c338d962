//! One pass over every tenant: claim due notices, decide, send, record. Safe to run in several
//! processes at once: a claimed row stays locked until its outcome is committed, and the other
//! processes skip it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int2, Int4, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use super::compose::{self, Notice};
use super::mailer::Mailer;
use super::rules::{Decision, backoff, decide};
use crate::config::Settings;
use crate::db::prepared::Prepared;
use crate::db::schema::tenant::notices;
use crate::db::{Db, TenantConn};
use crate::i18n::Lang;
use crate::oauth::scopes::Scopes;
use crate::statement;
use crate::tenancy::{Tenant, TenantRegistry};
use crate::web::Pages;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub sent: usize,
    pub skipped: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl std::ops::AddAssign for PassReport {
    fn add_assign(&mut self, o: Self) {
        self.sent += o.sent;
        self.skipped += o.skipped;
        self.retrying += o.retrying;
        self.failed += o.failed;
    }
}

#[derive(Debug, QueryableByName)]
struct Due {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Int2)]
    days_before: i16,
    #[diesel(sql_type = Int4)]
    attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    revoked: bool,
    #[diesel(sql_type = Bool)]
    superseded: bool,
    #[diesel(sql_type = Array<Text>)]
    scopes: Vec<String>,
    #[diesel(sql_type = Text)]
    partner_ja: String,
    #[diesel(sql_type = Text)]
    partner_en: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    locale: String,
    #[diesel(sql_type = SqlUuid)]
    grant_id: Uuid,
}

statement!(
    /// Due notices, locked for this pass; rows another process holds are skipped.
    /// `superseded`: a nearer expiry notice of the same grant is due as well.
    ClaimDueSql,
    "SELECT n.id, n.kind, n.days_before, n.attempts, g.expires_at, g.revoked_at IS NOT NULL AS revoked,
            (n.kind = 'expiry' AND EXISTS (
                SELECT 1 FROM notices m
                 WHERE m.grant_id = n.grant_id AND m.kind = 'expiry'
                   AND m.days_before < n.days_before AND m.due_at <= ?)) AS superseded,
            g.scopes, p.name_ja AS partner_ja, p.name_en AS partner_en, c.email, c.locale, g.id AS grant_id
       FROM notices n
       JOIN grants g ON g.id = n.grant_id
       JOIN partners p ON p.id = g.partner_id
       JOIN customers c ON c.id = g.customer_id
      WHERE n.status = 'pending' AND n.due_at <= ? AND n.next_attempt_at <= ?
      ORDER BY n.due_at, n.id
      LIMIT ?
        FOR UPDATE OF n SKIP LOCKED"
);

/// Everything a pass needs.
pub struct Sender<'a> {
    pub db: &'a Db,
    pub registry: &'a TenantRegistry,
    pub mailer: &'a Mailer,
    pub pages: &'a Pages,
    pub settings: &'a Settings,
}

/// The same, owned, for the scheduler task.
pub struct OwnedSender {
    pub db: Db,
    pub registry: std::sync::Arc<TenantRegistry>,
    pub mailer: Mailer,
    pub pages: std::sync::Arc<Pages>,
    pub settings: Settings,
}

impl OwnedSender {
    pub fn borrow(&self) -> Sender<'_> {
        Sender {
            db: &self.db,
            registry: &self.registry,
            mailer: &self.mailer,
            pages: &self.pages,
            settings: &self.settings,
        }
    }
}

/// Sends every notice due at `now` in every tenant.
pub async fn run_pass(
    s: &Sender<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, PassReport)>> {
    let slugs: Vec<String> = {
        use crate::db::schema::platform::tenants;
        let mut conn = s.db.platform().await?;
        tenants::table
            .select(tenants::slug)
            .order(tenants::slug)
            .load(&mut *conn)
            .await?
    };
    let mut out = Vec::new();
    for slug in slugs {
        let Some(tenant) = s.registry.find(&slug).await? else {
            continue;
        };
        let mut conn = s.db.tenant(&tenant.slug).await?;
        let mut report = PassReport::default();
        loop {
            let batch = claim_and_send(s, &mut conn, &tenant, now).await?;
            let done = batch.sent + batch.skipped + batch.retrying + batch.failed;
            report += batch;
            if done == 0 {
                break;
            }
        }
        out.push((slug, report));
    }
    Ok(out)
}

/// One batch in one transaction: the rows stay locked until their outcome is committed.
async fn claim_and_send(
    s: &Sender<'_>,
    conn: &mut TenantConn,
    tenant: &Tenant,
    now: DateTime<Utc>,
) -> anyhow::Result<PassReport> {
    let batch = s.settings.notices.batch;
    let max_attempts = s.settings.notices.max_attempts;
    let backoff_secs = s.settings.notices.backoff_secs;
    let base = s.settings.public_base();
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        let due: Vec<Due> = Prepared::<ClaimDueSql>::new()
            .bind::<Timestamptz, _>(now)
            .bind::<Timestamptz, _>(now)
            .bind::<Timestamptz, _>(now)
            .bind::<BigInt, _>(batch)
            .load(conn)
            .await?;
        let mut report = PassReport::default();
        for n in due {
            if let Decision::Skip(reason) = decide(now, n.expires_at, n.revoked, n.superseded) {
                diesel::update(notices::table.find(n.id))
                    .set((notices::status.eq("skipped"), notices::skipped_reason.eq(reason)))
                    .execute(conn)
                    .await?;
                report.skipped += 1;
                continue;
            }
            let lang = Lang::parse(&n.locale).unwrap_or_default();
            let scopes = Scopes::from_stored(&n.scopes);
            let message = compose::message(
                s.pages,
                &Notice {
                    tenant,
                    public_base: &base,
                    lang,
                    to: &n.email,
                    partner: if lang == Lang::Ja { &n.partner_ja } else { &n.partner_en },
                    scopes: &scopes,
                    expires_at: n.expires_at,
                    days_before: (n.kind == "expiry").then_some(n.days_before),
                    now,
                },
            );
            let message_id = message
                .as_ref()
                .ok()
                .and_then(|m| m.headers().get_raw("Message-ID").map(str::to_owned));
            let outcome = match message {
                Ok(m) => s.mailer.send(m).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(()) => {
                    diesel::update(notices::table.find(n.id))
                        .set((
                            notices::status.eq("sent"),
                            notices::sent_at.eq(Utc::now()),
                            notices::attempts.eq(n.attempts + 1),
                            notices::message_id.eq(message_id),
                            notices::last_error.eq(None::<String>),
                        ))
                        .execute(conn)
                        .await?;
                    tracing::info!(tenant = %tenant.slug, notice = n.id, grant = %n.grant_id, kind = %n.kind, "notice sent");
                    report.sent += 1;
                }
                Err(e) => {
                    let attempts = n.attempts + 1;
                    let error: String = format!("{e:#}").chars().take(500).collect();
                    let give_up = attempts >= max_attempts;
                    diesel::update(notices::table.find(n.id))
                        .set((
                            notices::status.eq(if give_up { "failed" } else { "pending" }),
                            notices::attempts.eq(attempts),
                            notices::next_attempt_at.eq(now + backoff(backoff_secs, attempts)),
                            notices::last_error.eq(Some(&error)),
                        ))
                        .execute(conn)
                        .await?;
                    tracing::warn!(tenant = %tenant.slug, notice = n.id, attempts, give_up, error = %error, "notice not sent");
                    if give_up {
                        report.failed += 1;
                    } else {
                        report.retrying += 1;
                    }
                }
            }
        }
        Ok(report)
    })
    .await
}

/// Runs a pass every `notices.interval_secs` until the process stops (`renkei serve`).
pub async fn scheduler(sender: OwnedSender) {
    let every = std::time::Duration::from_secs(sender.settings.notices.interval_secs.max(1));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match run_pass(&sender.borrow(), Utc::now()).await {
            Ok(reports) => {
                for (tenant, r) in reports.iter().filter(|(_, r)| *r != PassReport::default()) {
                    tracing::info!(tenant = %tenant, sent = r.sent, skipped = r.skipped, retrying = r.retrying, failed = r.failed, "notice pass");
                }
            }
            Err(e) => tracing::warn!(
                error = format!("{e:#}"),
                "notice pass failed; next pass retries"
            ),
        }
    }
}
