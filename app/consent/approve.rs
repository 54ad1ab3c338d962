//! 許可: a customer approves a partner's request. One use case of its inputs and the time: the
//! request is consumed, the grant made (replacing the customer's earlier grant to the partner),
//! a code issued and both audited, in one transaction. The consent page checks the form; this
//! decides nothing about pages.

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::audit::{self, Event};
use crate::bank::{AccountId, CustomerId};
use crate::db::TenantConn;
use crate::format::{jst_date, long_date};
use crate::grants;
use crate::i18n::Lang;
use crate::oauth::clients::Partner;
use crate::oauth::flow::{self, Pending};
use crate::oauth::tokens;
use crate::tenancy::TenantSettings;

pub struct Approval<'a> {
    pub pending: &'a Pending,
    pub partner: &'a Partner,
    pub customer: CustomerId,
    /// The accounts the customer ticked, each one of the customer's own.
    pub accounts: &'a [AccountId],
    pub settings: &'a TenantSettings,
    /// The language the consent page was shown in, for its receipt.
    pub lang: Lang,
    pub ip: Option<&'a str>,
    /// When the customer pressed 許可: the grant's start.
    pub at: DateTime<Utc>,
}

/// The date a grant made at `at` ends, as the consent page states it.
pub fn expiry_shown(settings: &TenantSettings, at: DateTime<Utc>, lang: Lang) -> String {
    long_date(jst_date(grants::expiry(at, settings.grant_days)), lang)
}

/// The code for the partner, or `None` when this request was already answered (a second submit
/// of the same page), in which case nothing is stored.
pub async fn approve(
    conn: &mut TenantConn,
    a: Approval<'_>,
) -> diesel::QueryResult<Option<String>> {
    let terms = &a.settings.terms;
    let operations: Vec<String> = a
        .pending
        .request
        .scopes
        .iter()
        .map(|s| a.lang.t(s.label_key()))
        .collect();
    let receipt = grants::receipt(&grants::Shown {
        lang: a.lang.code(),
        partner: a.partner.name(a.lang),
        operations: &operations,
        accounts: a.accounts,
        expiry_date: &expiry_shown(a.settings, a.at, a.lang),
        terms_name: match a.lang {
            Lang::Ja => &terms.name.ja,
            Lang::En => &terms.name.en,
        },
        terms_url: &terms.url,
        terms_version: &terms.version,
    });
    conn.transaction(async |conn| {
        // Consumed first: a double submit finds nothing and stores nothing.
        if !flow::finish(conn, &a.pending.handle_hash).await? {
            return Ok(None);
        }
        let created = grants::create(
            conn,
            grants::NewGrant {
                customer: a.customer.0,
                partner: a.partner.id,
                scopes: &a.pending.request.scopes,
                accounts: a.accounts,
                terms_version: &terms.version,
                grant_days: a.settings.grant_days,
                notice_days: &a.settings.notice_days,
                link_notice: a.settings.mail.link_notice,
                consent_text_hash: Some(receipt),
                at: a.at,
            },
        )
        .await?;
        let code = tokens::issue_code(
            conn,
            created.id,
            &a.pending.request.redirect_uri,
            &a.pending.request.code_challenge,
            created.created_at,
        )
        .await?;
        let actor = format!("customer:{}", a.customer.0);
        if let Some(old) = created.replaced {
            audit::record(
                conn,
                Event::GrantReplaced,
                &actor,
                Some(&old.to_string()),
                a.ip,
                serde_json::json!({"by": created.id}),
            )
            .await?;
        }
        audit::record(
            conn,
            Event::ConsentGranted,
            &actor,
            Some(&created.id.to_string()),
            a.ip,
            serde_json::json!({
                "partner": a.partner.client_id,
                "scopes": a.pending.request.scopes.to_vec(),
                "accounts": a.accounts.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                "expires_at": created.expires_at,
                "terms_version": terms.version,
            }),
        )
        .await?;
        Ok(Some(code))
    })
    .await
}
