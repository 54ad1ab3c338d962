//! The token rules as functions of their inputs and the time, without HTTP: a code used twice,
//! a code too old, a refresh token spent and presented again, a grant that has ended, a narrowed
//! scope, another partner's token. The clock is handed in, so no test waits for it.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use renkei::bank::CoreBanking as _;
use renkei::bank::Hosted;
use renkei::db::{Db, TenantConn};
use renkei::grants::{self, NewGrant};
use renkei::oauth::clients::{self, AuthMethod, NewPartner, Partner};
use renkei::oauth::error::OAuthCode;
use renkei::oauth::pkce;
use renkei::oauth::scopes::Scopes;
use renkei::oauth::tokens::{self, CodeExchange, Issued};
use renkei::sandbox::{self, LoginId};
use uuid::Uuid;

use crate::helpers::{TestApp, TestDb, apply_tenant, settings};
use crate::oauth_helpers::{CLIENT, REDIRECT, VERIFIER};

pub(crate) struct World {
    _db: TestDb,
    pool: Db,
    pub(crate) partner: Partner,
    pub(crate) other: Partner,
    customer: Uuid,
}

/// `oauth.refresh_retry_secs` as the rules are given it here.
pub(crate) const RETRY_SECS: i64 = 60;

/// The demo tenants with their data, a second partner in kitami, and no server.
pub(crate) async fn world() -> World {
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
    pub(crate) async fn conn(&self) -> TenantConn {
        self.pool.tenant(&TestApp::slug("kitami")).await.unwrap()
    }

    /// A grant to the partner made at `at` for `days`, and a code for it.
    pub(crate) async fn consent(&self, at: DateTime<Utc>, days: u16) -> (Uuid, String) {
        let accounts: Vec<_> = Hosted
            .accounts(
                &self.pool,
                &TestApp::slug("kitami"),
                sandbox::CustomerId(self.customer),
            )
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.account_id)
            .collect();
        let mut conn = self.conn().await;
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

    pub(crate) async fn exchange(
        &self,
        code: &str,
        at: DateTime<Utc>,
    ) -> Result<Issued, OAuthCode> {
        let x = CodeExchange {
            code,
            redirect_uri: REDIRECT,
            verifier: VERIFIER,
            access_ttl: 900,
            retry_secs: RETRY_SECS,
            certificate: None,
            at,
        };
        tokens::redeem_code(&mut self.conn().await, &self.partner, x)
            .await
            .map_err(|e| e.code)
    }

    pub(crate) async fn refresh(
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
        let lifetimes = tokens::Lifetimes {
            access_secs: 900,
            retry_secs: RETRY_SECS,
        };
        tokens::refresh(conn, by, token, narrower, lifetimes, None, at)
            .await
            .map_err(|e| e.code)
    }

    pub(crate) async fn revoked(&self, grant: Uuid) -> bool {
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
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

#[tokio::test]
async fn a_code_is_single_use_for_sixty_seconds() {
    let w = world().await;
    let t = now();
    let (grant, code) = w.consent(t, 90).await;
    assert!(w.exchange(&code, t + Duration::seconds(59)).await.is_ok());
    // Presented again past the retry window: stolen, so its grant ends.
    assert_eq!(
        w.exchange(&code, t + Duration::seconds(59 + RETRY_SECS + 1))
            .await
            .err(),
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

/// 許可 as a use case: the grant covers the accounts ticked and no other, starts when the
/// customer allowed, and its code exchanges; the same page submitted again stores nothing; a
/// later approval replaces the grant of before.
#[tokio::test]
async fn approving_a_consent_grants_the_ticked_accounts_once() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use renkei::consent::approve::{Approval, approve};
    use renkei::db::schema::tenant::{grant_accounts as ga, grants as g};
    use renkei::oauth::flow::{self, Stage};
    use renkei::oauth::request::AuthorizationRequest;

    let w = world().await;
    let slug = TestApp::slug("kitami");
    let tenant = renkei::tenancy::TenantRegistry::new(w.pool.clone(), std::time::Duration::ZERO)
        .find("kitami")
        .await
        .unwrap()
        .unwrap();
    let held = Hosted
        .accounts(&w.pool, &slug, sandbox::CustomerId(w.customer))
        .await
        .unwrap();
    assert!(held.len() >= 2, "Yamada01 holds two accounts");
    let ticked = vec![held[1].account_id.clone()];
    // A request the customer signed in to, as the login page leaves it.
    let pending = async || {
        let mut conn = w.conn().await;
        let request = AuthorizationRequest {
            redirect_uri: REDIRECT.into(),
            scopes: Scopes::parse("balance:read").unwrap(),
            state: "s".into(),
            code_challenge: pkce::challenge_of(VERIFIER),
        };
        let handle = flow::create(&mut conn, w.partner.id, &request, Stage::Login)
            .await
            .unwrap();
        let handle = flow::logged_in(&mut conn, &renkei::secrets::sha256(&handle), w.customer)
            .await
            .unwrap()
            .unwrap();
        flow::load(&mut conn, &handle).await.unwrap().unwrap()
    };
    let live = async || -> Vec<Uuid> {
        g::table
            .filter(g::customer_id.eq(w.customer))
            .filter(g::partner_id.eq(w.partner.id))
            .filter(g::revoked_at.is_null())
            .select(g::id)
            .load(&mut w.conn().await)
            .await
            .unwrap()
    };
    let before = live().await;
    let at = now() - Duration::days(10);
    let first = pending().await;
    let approval = |p| Approval {
        pending: p,
        partner: &w.partner,
        customer: sandbox::CustomerId(w.customer),
        accounts: &ticked,
        settings: &tenant.settings,
        lang: renkei::i18n::Lang::Ja,
        ip: Some("192.0.2.1"),
        at,
    };
    let code = approve(&mut w.conn().await, approval(&first))
        .await
        .unwrap()
        .expect("a code");
    let granted = live().await;
    assert_eq!(granted.len(), 1, "one live grant to the partner");
    assert!(!before.contains(&granted[0]), "the demo grant was replaced");
    let (created, expires): (DateTime<Utc>, DateTime<Utc>) = g::table
        .find(granted[0])
        .select((g::created_at, g::expires_at))
        .first(&mut w.conn().await)
        .await
        .unwrap();
    assert_eq!((created, expires), (at, at + Duration::days(90)));
    let accounts: Vec<String> = ga::table
        .filter(ga::grant_id.eq(granted[0]))
        .select(ga::account_id)
        .load(&mut w.conn().await)
        .await
        .unwrap();
    assert_eq!(accounts, vec![ticked[0].to_string()]);
    assert!(w.exchange(&code, at + Duration::seconds(5)).await.is_ok());

    // The same page again: nothing stored, nothing ended.
    assert_eq!(
        approve(&mut w.conn().await, approval(&first))
            .await
            .unwrap(),
        None
    );
    assert_eq!(live().await, granted);

    // A new request approved: the grant of before gives way to it.
    let second = pending().await;
    approve(&mut w.conn().await, approval(&second))
        .await
        .unwrap()
        .expect("a code");
    let now_live = live().await;
    assert_eq!(now_live.len(), 1);
    assert_ne!(now_live, granted);
    assert!(w.revoked(granted[0]).await);
}
