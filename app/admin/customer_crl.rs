//! The customer CA's revocation list in the console: its dates on the settings page and, from
//! seven days before its `nextUpdate`, a warning on the dashboard; and the upload of the CA's
//! new list, which is in force on every replica at once (it is read with each certificate).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use serde::Serialize;

use super::{console, see_other};
use crate::audit::{self, Event};
use crate::db::Db;
use crate::error::AppError;
use crate::tenancy::customer_ca::{self, CrlError};
use crate::tenancy::settings::StaleCrl;
use crate::tenancy::{CurrentTenant, Tenant};
use crate::web::format::{jst, long_date};
use crate::web::i18n::Message;
use crate::web::{Lang, Pages};

/// How long before `nextUpdate` the dashboard starts to warn.
const WARN_DAYS: i64 = 7;
/// A bank's CRL lists every certificate it revoked and has not seen expire: a few megabytes.
const MAX_CRL_BYTES: usize = 4 * 1024 * 1024;

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

/// `POST /admin/settings/crl`: the CA's new CRL, PEM or DER.
pub async fn upload(
    req: HttpRequest,
    mut payload: actix_multipart::Multipart,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<Db>,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    // The session and the role first: nobody else gets the upload read.
    let mut c = console(&req, &tenant, &db).await?;
    c.must_be_admin()?;
    let upload = super::upload::read(&mut payload, "crl", MAX_CRL_BYTES).await?;
    c.may_change_with(upload.csrf.as_deref())?;
    let replaced = match (upload.too_big, upload.file) {
        (true, _) => Err(CrlError::Refused(
            Message::new("check-crl-over").with("max", MAX_CRL_BYTES / (1024 * 1024)),
        )),
        (false, None) => Err(CrlError::Refused(Message::new("check-crl-choose"))),
        (false, Some(bytes)) => customer_ca::replace_crl(&db, &tenant.slug, &bytes).await,
    };
    let dates = match replaced {
        Ok(dates) => dates,
        Err(CrlError::Refused(why)) => {
            let errors = [("crl".to_owned(), why)];
            return super::settings::page(&req, &pages, &tenant, lang, &db, &c, None, &errors)
                .await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = c.actor();
    audit::record(
        &mut c.conn,
        Event::AdminChange,
        &actor,
        Some("settings"),
        None,
        serde_json::json!({"what": "customer_crl.replaced", "crl": dates}),
    )
    .await?;
    Ok(see_other(&format!(
        "/t/{}/admin/settings?saved=1",
        tenant.slug
    )))
}
