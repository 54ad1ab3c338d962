//! The customer CA's revocation list in the console: its dates on the settings page and, from
//! seven days before its `nextUpdate`, a warning on the dashboard. The CA's new list is uploaded
//! on the settings page ([`super::settings::crl`]).

use chrono::{Duration, Utc};
use serde::Serialize;

use crate::db::Db;
use crate::error::AppError;
use crate::format::{jst, long_date};
use crate::i18n::Lang;
use crate::tenancy::Tenant;
use crate::tenancy::customer_ca;
use crate::tenancy::settings::StaleCrl;

/// How long before `nextUpdate` the dashboard starts to warn.
const WARN_DAYS: i64 = 7;
/// A bank's CRL lists every certificate it revoked and has not seen expire: a few megabytes.
pub(super) const MAX_CRL_BYTES: usize = 4 * 1024 * 1024;

/// The CRL in force, as the console shows it.
#[derive(Serialize)]
pub(super) struct CrlView {
    this_update: String,
    next_update: Option<String>,
    /// Past `nextUpdate`.
    stale: bool,
    /// Within [`WARN_DAYS`] of it.
    due_soon: bool,
    /// Certificate login is refused while stale (`certificates.stale_crl = "refuse"`).
    refusing: bool,
}

fn when(t: chrono::DateTime<Utc>, lang: Lang) -> String {
    let local = t.with_timezone(&jst());
    format!(
        "{} {}",
        long_date(local.date_naive(), lang),
        local.format("%H:%M")
    )
}

/// `None`: the tenant has no customer CA, or its CA no CRL.
pub(super) async fn view(
    db: &Db,
    tenant: &Tenant,
    lang: Lang,
) -> Result<Option<CrlView>, AppError> {
    let Some(trust) = customer_ca::load(db, &tenant.slug, &[]).await? else {
        return Ok(None);
    };
    let Some(dates) = trust.crl_dates() else {
        return Ok(None);
    };
    let now = Utc::now();
    let stale = dates.is_stale(now);
    Ok(Some(CrlView {
        this_update: when(dates.this_update, lang),
        next_update: dates.next_update.map(|t| when(t, lang)),
        stale,
        due_soon: !stale
            && dates
                .next_update
                .is_some_and(|next| next <= now + Duration::days(WARN_DAYS)),
        refusing: stale && tenant.settings.stale_crl == StaleCrl::Refuse,
    }))
}
