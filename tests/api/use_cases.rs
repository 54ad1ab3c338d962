//! The token rules as functions of their inputs and the time, without HTTP: a code used twice,
//! a code too old, a refresh token spent and presented again, a grant that has ended, a narrowed
//! scope, another partner's token. The clock is handed in, so no test waits for it.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use renkei::bank::CoreBanking as _;
use renkei::db::{Db, TenantConn};
use renkei::grants::{self, NewGrant};
use renkei::oauth::clients::{self, AuthMethod, NewPartner, Partner};
use renkei::oauth::error::OAuthCode;
use renkei::oauth::pkce;
use renkei::oauth::scopes::Scopes;
use renkei::oauth::tokens::{self, CodeExchange, Issued};
use renkei::sandbox::{self, LoginId, Sandbox};
use uuid::Uuid;

use crate::helpers::{TestApp, TestDb, apply_tenant, settings};
use crate::oauth_helpers::{CLIENT, REDIRECT, VERIFIER};

struct World {
    _db: TestDb,
    pool: Db,
    partner: Partner,
    other: Partner,
    customer: Uuid,
}

/// The demo tenants with their data, a second partner in kitami, and no server.
async fn world() -> World {
    let db = TestDb::create().await;
    apply_tenant(&db.url, "kitami").await;
    apply_tenant(&db.url, "hokuto").await;
    let pool = Db::connect(&settings(&db.url).database).unwrap();
    renkei::demo::seed(&pool, renkei::demo::today_jst())
        .await
        .unwrap();
    let mut conn = pool.tenant(&TestApp::slug("kitami")).await.unwrap();
    clients::register(
        &mut conn,
        NewPartner {
            client_id: Some("other-app".into()),
            secret: None,
            name_ja: "他のアプリ".into(),
            name_en: "Other app".into(),
            redirect_uris: vec![REDIRECT.into()],
            scopes: Scopes::parse("balance:read transactions:read").unwrap(),
            auth_method: AuthMethod::ClientSecretBasic,
            cert_subject: None,
            par_required: false,
        },
    )
    .await
    .unwrap();
    let find = async |conn: &mut TenantConn, id: &str| {
        clients::find(conn.statements(), id).await.unwrap().unwrap()
    };
    let partner = find(&mut conn, CLIENT).await;
    let other = find(&mut conn, "other-app").await;
    let customer = sandbox::find_customer(&mut conn, &LoginId::parse("Yamada01").unwrap())
        .await
        .unwrap()
        .unwrap()
        .0;
    drop(conn);
    World {
        _db: db,
        pool,
        partner,
        other,
        customer,
    }
}

impl World {
    async fn conn(&self) -> TenantConn {
        self.pool.tenant(&TestApp::slug("kitami")).await.unwrap()
    }

    /// A grant to the partner made at `at` for `days`, and a code for it.
    async fn consent(&self, at: DateTime<Utc>, days: u16) -> (Uuid, String) {
        let mut conn = self.conn().await;
        let accounts: Vec<_> = Sandbox
            .accounts(&mut conn, sandbox::CustomerId(self.customer))
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.account_id)
            .collect();
        let created = grants::create(
            &mut conn,
            NewGrant {
                customer: self.customer,
                partner: self.partner.id,
                scopes: &Scopes::parse("balance:read transactions:read").unwrap(),
                accounts: &accounts,
                terms_version: "2026-04",
                grant_days: days,
                notice_days: &[],
                link_notice: false,
                consent_text_hash: None,
                at,
            },
        )
        .await
        .unwrap();
        let challenge = pkce::challenge_of(VERIFIER);
        let code = tokens::issue_code(&mut conn, created.id, REDIRECT, &challenge, at)
            .await
            .unwrap();
        (created.id, code)
    }

    async fn exchange(&self, code: &str, at: DateTime<Utc>) -> Result<Issued, OAuthCode> {
        let x = CodeExchange {
            code,
            redirect_uri: REDIRECT,
            verifier: VERIFIER,
            access_ttl: 900,
            certificate: None,
            at,
        };
        tokens::redeem_code(&mut self.conn().await, &self.partner, x)
            .await
            .map_err(|e| e.code)
    }

    async fn refresh(
        &self,
        by: &Partner,
        token: &str,
        narrower: Option<Scopes>,
        at: DateTime<Utc>,
    ) -> Result<Issued, OAuthCode> {
        let conn = self
            .pool
            .tenant_statements(&TestApp::slug("kitami"))
            .await
            .unwrap();
        tokens::refresh(conn, by, token, narrower, 900, None, at)
            .await
            .map_err(|e| e.code)
    }

    async fn revoked(&self, grant: Uuid) -> bool {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use renkei::db::schema::tenant::grants as g;
        g::table
            .find(grant)
            .select(g::revoked_at.is_not_null())
            .first(&mut self.conn().await)
            .await
            .unwrap()
    }
}

/// Now, in whole seconds: PostgreSQL keeps microseconds, and the edges must be exact.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

#[tokio::test]
async fn a_code_is_single_use_for_sixty_seconds() {
    let w = world().await;
    let t = now();
    let (grant, code) = w.consent(t, 90).await;
    assert!(w.exchange(&code, t + Duration::seconds(59)).await.is_ok());
    // Presented again: stolen, so its grant ends.
    assert_eq!(
        w.exchange(&code, t + Duration::seconds(60)).await.err(),
        Some(OAuthCode::InvalidGrant)
    );
    assert!(w.revoked(grant).await);
    // A code too old is refused, and its grant stays.
    let (grant, code) = w.consent(t, 90).await;
    assert_eq!(
        w.exchange(&code, t + Duration::seconds(60)).await.err(),
        Some(OAuthCode::InvalidGrant)
    );
    assert!(!w.revoked(grant).await);
}

#[tokio::test]
async fn a_refresh_token_spent_and_presented_again_ends_the_grant() {
    let w = world().await;
    let t = now();
    let (grant, code) = w.consent(t, 90).await;
    let first = w.exchange(&code, t).await.unwrap();
    let second = w
        .refresh(
            &w.partner,
            &first.refresh_token,
            None,
            t + Duration::hours(1),
        )
        .await
        .unwrap();
    assert!(
        w.refresh(
            &w.partner,
            &second.refresh_token,
            None,
            t + Duration::hours(2)
        )
        .await
        .is_ok()
    );
    assert_eq!(
        w.refresh(
            &w.partner,
            &first.refresh_token,
            None,
            t + Duration::hours(3)
        )
        .await
        .err(),
        Some(OAuthCode::InvalidGrant)
    );
    assert!(w.revoked(grant).await);
}

#[tokio::test]
async fn a_grant_past_its_end_refreshes_nothing_and_scopes_only_narrow() {
    let w = world().await;
    let t = now();
    let (grant, code) = w.consent(t, 1).await;
    let issued = w.exchange(&code, t).await.unwrap();
    let balance = Scopes::parse("balance:read").unwrap();
    let narrowed = w
        .refresh(&w.partner, &issued.refresh_token, Some(balance), t)
        .await
        .unwrap();
    assert_eq!(narrowed.scope, "balance:read");
    // The grant ended a day after consent: nothing more, and it was not revoked for it.
    assert_eq!(
        w.refresh(
            &w.partner,
            &narrowed.refresh_token,
            None,
            t + Duration::days(1)
        )
        .await
        .err(),
        Some(OAuthCode::InvalidGrant)
    );
    assert!(!w.revoked(grant).await);
}

#[tokio::test]
async fn another_partners_token_gives_it_nothing_and_ends_nothing() {
    let w = world().await;
    let t = now();
    let (grant, code) = w.consent(t, 90).await;
    let issued = w.exchange(&code, t).await.unwrap();
    assert_eq!(
        w.refresh(&w.other, &issued.refresh_token, None, t)
            .await
            .err(),
        Some(OAuthCode::InvalidGrant)
    );
    let mut conn = w.conn().await;
    tokens::revoke(&mut conn, &w.other, &issued.refresh_token, t)
        .await
        .unwrap();
    assert!(!w.revoked(grant).await);
    // Its own partner's refresh still works, and its revocation ends the grant.
    let next = w
        .refresh(&w.partner, &issued.refresh_token, None, t)
        .await
        .unwrap();
    tokens::revoke(&mut conn, &w.partner, &next.access_token, t)
        .await
        .unwrap();
    assert!(w.revoked(grant).await);
}
