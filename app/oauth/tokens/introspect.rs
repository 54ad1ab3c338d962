//! Introspection (RFC 7662): the partner and the token read in one statement, batched per tenant.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

use crate::db::TenantStatements;
use crate::db::batch::{Answers, Batches};
use crate::oauth::clients::Partner;
use crate::oauth::scopes::Scopes;
use crate::secrets;
use crate::statement;

/// A token and its grant, as introspection reads them.
#[derive(QueryableByName)]
pub struct TokenRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    rotated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = SqlUuid)]
    partner_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    customer_id: Uuid,
    #[diesel(sql_type = Array<Text>, column_name = token_scopes)]
    scopes: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    grant_expires_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    revoked_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    cnf_x5t_s256: Option<Vec<u8>>,
}

/// The partner of a `client_id` and, when there is one, a token with its grant: introspection's
/// client authentication and lookup in one round trip. The token's columns are NULL when no
/// token has the hash (`token` is then `None`); they are read only once the partner has
/// authenticated.
#[derive(QueryableByName)]
pub struct PartnerTokenRow {
    /// Which of the batch's asks this row answers (from 0).
    #[diesel(sql_type = diesel::sql_types::Int8)]
    ask: i64,
    #[diesel(embed)]
    partner: crate::oauth::clients::Row,
    #[diesel(embed)]
    token: Option<TokenRow>,
}

statement!(
    /// For a batch of introspection calls ([`crate::db::batch`]), each a token's hash and the
    /// `client_id` presented with it: the partner, with the token and its grant. The subquery
    /// runs once per call (`OFFSET 0` keeps it from being merged into a join of the batch).
    PartnerAndTokenSql,
    "SELECT (r.i - 1)::int8 AS ask, q.*
       FROM unnest(?::bytea[], ?::text[]) WITH ORDINALITY AS r(token_hash, client_id, i)
      CROSS JOIN LATERAL (
        SELECT p.id, p.client_id, p.client_secret_hash, p.name_ja, p.name_en, p.redirect_uris, p.scopes,
               p.auth_method, p.cert_subject, p.cert_subject_next, p.par_required, p.status,
               x.kind, x.created_at, x.expires_at, x.rotated_at, x.partner_id, x.customer_id, x.token_scopes,
               x.grant_expires_at, x.revoked_at, x.cnf_x5t_s256
          FROM {schema}.partners p
          LEFT JOIN LATERAL (
            SELECT t.kind, t.created_at, t.expires_at, t.rotated_at, g.partner_id, g.customer_id,
                   COALESCE(t.scopes, g.scopes) AS token_scopes, g.expires_at AS grant_expires_at, g.revoked_at, t.cnf_x5t_s256
              FROM {schema}.tokens t JOIN {schema}.grants g ON g.id = t.grant_id
             WHERE t.token_hash = r.token_hash
          ) x ON true
         WHERE p.client_id = r.client_id
        OFFSET 0
      ) q"
);

/// RFC 7662 answer for a token of this partner.
#[derive(Debug, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// When the customer's consent ends (seconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_expires_at: Option<i64>,
    /// RFC 8705 §3.2: the certificate a bound access token must be presented with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

#[derive(Debug, Serialize)]
pub struct Confirmation {
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
}

impl Introspection {
    pub fn inactive() -> Self {
        Self {
            active: false,
            scope: None,
            client_id: None,
            token_type: None,
            exp: None,
            iat: None,
            sub: None,
            iss: None,
            grant_expires_at: None,
            cnf: None,
        }
    }
}

/// A subject identifier that differs per partner, so partners cannot correlate customers,
/// and never reveals the login ID.
pub fn pairwise_sub(tenant: &str, partner: Uuid, customer: Uuid) -> String {
    let h = secrets::sha256(&format!("renkei-sub|{tenant}|{partner}|{customer}"));
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &h[..16])
}

/// One introspection call: the `client_id` presented and the token asked about.
pub struct IntrospectionAsk {
    pub client_id: String,
    pub token_hash: Vec<u8>,
}

/// The introspection calls of one tenant made at the same moment, asked together.
pub type IntrospectionBatches = Batches<IntrospectionAsk, PartnerTokenRow>;

impl Answers for PartnerTokenRow {
    fn ask(&self) -> i64 {
        self.ask
    }
}

/// Answers a batch of introspection calls. Each row names the ask it answers; an ask whose
/// `client_id` is no partner's has no row.
pub async fn partners_and_tokens(
    mut conn: TenantStatements,
    asks: Vec<IntrospectionAsk>,
) -> QueryResult<Vec<PartnerTokenRow>> {
    let (hashes, clients): (Vec<_>, Vec<_>) = asks
        .into_iter()
        .map(|a| (a.token_hash, a.client_id))
        .unzip();
    conn.query::<PartnerAndTokenSql>()
        .bind::<Array<Bytea>, _>(hashes)
        .bind::<Array<Text>, _>(clients)
        .load()
        .await
}

/// The partner (`None`: no such partner) and the token (`None`: no such token) of an
/// introspection call's rows.
pub fn partner_and_token(rows: Vec<PartnerTokenRow>) -> (Option<Partner>, Option<TokenRow>) {
    match rows.into_iter().next() {
        Some(row) => (Some(row.partner.into()), row.token),
        None => (None, None),
    }
}

/// What introspection answers an authenticated `partner` about a token (RFC 7662): inactive
/// for no token, another partner's, and one that is revoked, expired or rotated.
pub fn introspection(
    partner: &Partner,
    token: Option<TokenRow>,
    tenant: &str,
    issuer: &str,
    now: DateTime<Utc>,
) -> Introspection {
    let Some(t) = token else {
        return Introspection::inactive();
    };
    if t.partner_id != partner.id
        || !crate::grants::is_live(t.revoked_at, t.grant_expires_at, now)
        || !super::live::is_live(t.expires_at, t.rotated_at, now)
    {
        return Introspection::inactive();
    }
    Introspection {
        active: true,
        scope: Some(Scopes::from_stored(&t.scopes).to_string()),
        client_id: Some(partner.client_id.clone()),
        token_type: Some(if t.kind == "access" {
            "Bearer"
        } else {
            "refresh_token"
        }),
        exp: Some(t.expires_at.timestamp()),
        iat: Some(t.created_at.timestamp()),
        sub: Some(pairwise_sub(tenant, partner.id, t.customer_id)),
        iss: Some(issuer.to_owned()),
        grant_expires_at: Some(t.grant_expires_at.timestamp()),
        cnf: t.cnf_x5t_s256.map(|b| Confirmation {
            x5t_s256: base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::clients::AuthMethod;

    fn token(partner: &Partner, at: DateTime<Utc>) -> TokenRow {
        TokenRow {
            kind: "access".into(),
            created_at: at,
            expires_at: at + chrono::Duration::minutes(15),
            rotated_at: None,
            partner_id: partner.id,
            customer_id: Uuid::now_v7(),
            scopes: vec!["balance:read".into()],
            grant_expires_at: at + chrono::Duration::days(90),
            revoked_at: None,
            cnf_x5t_s256: None,
        }
    }

    #[test]
    fn introspection_is_active_only_for_a_live_token_of_the_asking_partner() {
        let scopes = Scopes::parse("balance:read").unwrap();
        let partner = Partner::in_memory(scopes.clone(), AuthMethod::ClientSecretBasic);
        let other = Partner::in_memory(scopes, AuthMethod::ClientSecretBasic);
        let at = Utc::now();
        let ask = |p: &Partner, t: TokenRow, now| introspection(p, Some(t), "kitami", "iss", now);
        let live = ask(&partner, token(&partner, at), at);
        assert!(live.active);
        assert_eq!(live.scope.as_deref(), Some("balance:read"));
        assert!(
            !ask(&other, token(&partner, at), at).active,
            "another partner's"
        );
        let ended = at + chrono::Duration::minutes(15);
        assert!(!ask(&partner, token(&partner, at), ended).active, "expired");
        let mut revoked = token(&partner, at);
        revoked.revoked_at = Some(at);
        assert!(!ask(&partner, revoked, at).active, "its grant revoked");
        let mut rotated = token(&partner, at);
        rotated.rotated_at = Some(at);
        assert!(!ask(&partner, rotated, at).active, "spent");
        assert!(!introspection(&partner, None, "kitami", "iss", at).active);
    }

    #[test]
    fn pairwise_sub_differs_per_partner_and_is_stable() {
        let (p1, p2, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(pairwise_sub("kitami", p1, c), pairwise_sub("kitami", p1, c));
        assert_ne!(pairwise_sub("kitami", p1, c), pairwise_sub("kitami", p2, c));
        assert_ne!(pairwise_sub("kitami", p1, c), pairwise_sub("hokuto", p1, c));
        assert_eq!(pairwise_sub("kitami", p1, c).len(), 22);
    }
}
