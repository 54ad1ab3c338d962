//! The consent flow and the authorization server, over real HTTP: the happy path and every refusal.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use renkei::db::schema::tenant::{audit_log, auth_codes, grants};
use renkei::oauth::clients::{self, AuthMethod, NewPartner};
use renkei::oauth::scopes::Scopes;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::oauth_helpers::{CLIENT, Flow, REDIRECT, SECRET, VERIFIER, location, query_of};

/// The demo with `oauth.refresh_retry_secs = 0`: a spent code or refresh token presented again
/// ends its grant however soon.
async fn without_retry_grace() -> TestApp {
    TestApp::spawn_seeded_with(|s| s.oauth.refresh_retry_secs = 0).await
}

pub(crate) async fn json(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

/// A refresh at kitami as the demo partner, asking for `scope` when given.
pub(crate) async fn refreshed(
    app: &TestApp,
    refresh_token: &str,
    scope: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    form.extend(scope.map(|s| ("scope", s)));
    app.token("kitami", &form).await
}

pub(crate) async fn introspect(app: &TestApp, tenant: &str, token: &str) -> Value {
    json(
        app.client
            .post(app.url(&format!("/t/{tenant}/oauth/introspect")))
            .basic_auth(CLIENT, Some(SECRET))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Registers a partner in kitami with the demo redirect URI; returns its client_id.
async fn register(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    scopes: &str,
    auth_method: AuthMethod,
    par_required: bool,
) -> String {
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    clients::register(
        &mut conn,
        NewPartner {
            client_id: Some(client_id.into()),
            secret: Some(secret.into()),
            name_ja: format!("{client_id}（テスト）"),
            name_en: format!("{client_id} (test)"),
            redirect_uris: vec![REDIRECT.into()],
            scopes: Scopes::parse(scopes).unwrap(),
            auth_method,
            cert_subject: None,
            par_required,
        },
    )
    .await
    .unwrap()
    .0
}

async fn grant_count(app: &TestApp, tenant: &str) -> i64 {
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug(tenant)).await.unwrap();
    grants::table.count().get_result(&mut conn).await.unwrap()
}

#[tokio::test]
async fn whole_flow_issues_refreshes_and_revokes() {
    let app = TestApp::spawn_seeded().await;
    let code = Flow::new(&app, "kitami")
        .code_for("Yamada01", "Shinkin-2026!")
        .await;

    let res = app.exchange("kitami", &code).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let t = json(res).await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 900);
    assert_eq!(t["scope"], "balance:read transactions:read");
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(access.len(), 43);

    let info = introspect(&app, "kitami", access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], CLIENT);
    assert_eq!(
        info["iss"],
        format!("{}/t/kitami", app.settings.public_base())
    );
    let sub = info["sub"].as_str().unwrap();
    assert!(!sub.contains("Yamada"), "sub must not reveal the login ID");
    let grant_exp = info["grant_expires_at"].as_i64().unwrap();
    let days = (grant_exp - chrono::Utc::now().timestamp()) as f64 / 86400.0;
    assert!((89.9..=90.0).contains(&days), "{days}");

    let res = refreshed(&app, t["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(res.status(), 200);
    let t2 = json(res).await;
    assert_ne!(t2["access_token"], t["access_token"]);

    // Revoking either token ends the whole grant.
    let res = app
        .client
        .post(app.url("/t/kitami/oauth/revoke"))
        .basic_auth(CLIENT, Some(SECRET))
        .form(&[("token", t2["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        introspect(&app, "kitami", t2["access_token"].as_str().unwrap()).await["active"],
        false
    );
    // Unknown tokens: 200, nothing happens.
    let res = app
        .client
        .post(app.url("/t/kitami/oauth/revoke"))
        .basic_auth(CLIENT, Some(SECRET))
        .form(&[("token", "no-such-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn metadata_describes_the_tenant_issuer() {
    let app = TestApp::spawn().await;
    let m = json(
        app.get("/t/hokuto/.well-known/oauth-authorization-server")
            .await,
    )
    .await;
    let iss = format!("{}/t/hokuto", app.settings.public_base());
    assert_eq!(m["issuer"], iss);
    assert_eq!(m["token_endpoint"], format!("{iss}/oauth/token"));
    assert_eq!(
        m["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        m["pushed_authorization_request_endpoint"],
        format!("{iss}/oauth/par")
    );
}

#[tokio::test]
async fn unregistered_redirect_uri_or_unknown_client_never_redirects() {
    let app = TestApp::spawn_seeded().await;
    let flow = Flow::new(&app, "kitami");
    for extra in [
        vec![("redirect_uri", "http://127.0.0.1:8765/callback/evil")],
        vec![("redirect_uri", "https://attacker.example/cb")],
        vec![("redirect_uri", "")],
        vec![("client_id", "no-such-client")],
    ] {
        let res = flow.authorize(&extra).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{extra:?}");
        assert!(
            res.headers().get("location").is_none(),
            "{extra:?} redirected"
        );
        let body = res.text().await.unwrap();
        assert!(body.contains("連携を始められません"), "{body}");
    }
}

#[tokio::test]
async fn bad_requests_go_back_to_the_partner_with_error_state_and_iss() {
    let app = TestApp::spawn_seeded().await;
    let flow = Flow::new(&app, "kitami");
    let iss = format!("{}/t/kitami", app.settings.public_base());
    for (extra, error) in [
        (
            vec![("code_challenge", ""), ("code_challenge_method", "")],
            "invalid_request",
        ),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (
            vec![("scope", "balance:read payments:write")],
            "invalid_scope",
        ),
    ] {
        let res = flow.authorize(&extra).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{extra:?}");
        let loc = location(&res);
        assert!(loc.starts_with(REDIRECT), "{loc}");
        let q = query_of(&loc);
        assert_eq!(q["error"], error, "{extra:?}");
        assert_eq!(q["state"], "st-123");
        assert_eq!(q["iss"], iss);
    }
    // No state at all: still an error, with iss.
    let res = flow.authorize(&[("state", "")]).await;
    let q = query_of(&location(&res));
    assert_eq!(q["error"], "invalid_request");
    assert!(!q.contains_key("state"));
}

#[tokio::test]
async fn scope_outside_the_partners_is_invalid_scope() {
    let app = TestApp::spawn_seeded().await;
    let client_id = register(
        &app,
        "balance-only",
        "balance-only-secret",
        "balance:read",
        AuthMethod::ClientSecretBasic,
        false,
    )
    .await;
    let res = Flow::new(&app, "kitami")
        .authorize(&[("client_id", &client_id)])
        .await;
    let q = query_of(&location(&res));
    assert_eq!(q["error"], "invalid_scope");
}

#[tokio::test]
async fn wrong_verifier_is_invalid_grant() {
    let app = TestApp::spawn_seeded().await;
    let code = Flow::new(&app, "kitami")
        .code_for("Yamada01", "Shinkin-2026!")
        .await;
    let res = app
        .token(
            "kitami",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &VERIFIER.replace('d', "e")),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["error"], "invalid_grant");
}

#[tokio::test]
async fn reused_code_is_refused_and_revokes_what_it_issued() {
    // Presented again at once by its partner, the code would be taken for a retry (see
    // retry_grace.rs): without the grace, any second use ends the grant.
    let app = without_retry_grace().await;
    let code = Flow::new(&app, "kitami")
        .code_for("Yamada01", "Shinkin-2026!")
        .await;
    let first = json(app.exchange("kitami", &code).await).await;
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, "kitami", access).await["active"], true);

    let again = app.exchange("kitami", &code).await;
    assert_eq!(again.status(), 400);
    assert_eq!(json(again).await["error"], "invalid_grant");
    assert_eq!(introspect(&app, "kitami", access).await["active"], false);
}

#[tokio::test]
async fn code_older_than_60_seconds_is_refused() {
    let app = TestApp::spawn_seeded().await;
    let code = Flow::new(&app, "kitami")
        .code_for("Yamada01", "Shinkin-2026!")
        .await;
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    diesel::update(auth_codes::table)
        .set((
            auth_codes::created_at.eq(chrono::Utc::now() - chrono::Duration::seconds(61)),
            auth_codes::expires_at.eq(chrono::Utc::now() - chrono::Duration::seconds(1)),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    let res = app.exchange("kitami", &code).await;
    assert_eq!(res.status(), 400);
    let body = json(res).await;
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn rotated_refresh_token_reused_revokes_the_grant() {
    let app = without_retry_grace().await;
    let t = app.yamadas_tokens().await;
    let old = t["refresh_token"].as_str().unwrap();
    let t2 = json(refreshed(&app, old, None).await).await;

    let reuse = refreshed(&app, old, None).await;
    assert_eq!(reuse.status(), 400);
    assert_eq!(json(reuse).await["error"], "invalid_grant");
    // The thief's replay ended the grant: the legitimate new tokens are dead too.
    assert_eq!(
        introspect(&app, "kitami", t2["access_token"].as_str().unwrap()).await["active"],
        false
    );
    let newer = refreshed(&app, t2["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(json(newer).await["error"], "invalid_grant");
}

/// One refresh token presented by eight calls at once: one call gets the next pair, and the
/// others are presented a token already spent, which ends the grant, once.
#[tokio::test]
async fn a_refresh_token_spent_by_calls_at_once_issues_one_pair() {
    let app = without_retry_grace().await;
    let t = app.yamadas_tokens().await;
    let refresh_token = t["refresh_token"].as_str().unwrap();
    let calls = (0..8).map(|_| refreshed(&app, refresh_token, None));
    let mut issued = Vec::new();
    let mut refused = 0;
    for res in futures_util::future::join_all(calls).await {
        match res.status().as_u16() {
            200 => issued.push(json(res).await),
            400 => {
                assert_eq!(json(res).await["error"], "invalid_grant");
                refused += 1;
            }
            other => panic!("status {other}"),
        }
    }
    assert_eq!((issued.len(), refused), (1, 7));
    let access = issued[0]["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, "kitami", access).await["active"], false);

    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let grant: uuid::Uuid = grants::table
        .select(grants::id)
        .filter(grants::revoked_reason.eq("refresh_reused"))
        .first(&mut conn)
        .await
        .unwrap();
    let events: Vec<String> = audit_log::table
        .select(audit_log::event)
        .filter(audit_log::subject.eq(grant.to_string()))
        .filter(audit_log::event.eq_any(["token.refreshed", "refresh.reused"]))
        .order(audit_log::id)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(events, ["token.refreshed", "refresh.reused"]);
}

#[tokio::test]
async fn expired_grant_cannot_be_refreshed() {
    let app = TestApp::spawn_seeded().await;
    let t = app.yamadas_tokens().await;
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let past = chrono::Utc::now() - chrono::Duration::days(91);
    diesel::update(grants::table)
        .set((
            grants::created_at.eq(past),
            grants::expires_at.eq(past + chrono::Duration::days(90)),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    let res = refreshed(&app, t["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["error"], "invalid_grant");
}

/// Yamada01's business account, one of the accounts the demo consent covers.
const SHOP: &str = "001020765432";

async fn api_status(app: &TestApp, access_token: &str, path_and_query: &str) -> (u16, Value) {
    let res = app
        .client
        .get(app.url(&format!("/t/kitami/api/v1/{path_and_query}")))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), json(res).await)
}

/// A refresh may ask for fewer scopes than the customer granted (RFC 6749 §6): its access token
/// can then do only that, and says so at introspection. The refresh token it comes with still
/// stands for the whole grant.
#[tokio::test]
async fn a_refresh_that_asks_for_less_gives_a_token_that_can_do_less() {
    let app = TestApp::spawn_seeded().await;
    let t = app.yamadas_tokens().await;
    let res = refreshed(
        &app,
        t["refresh_token"].as_str().unwrap(),
        Some("balance:read"),
    )
    .await;
    assert_eq!(res.status(), 200);
    let narrowed = json(res).await;
    assert_eq!(narrowed["scope"], "balance:read");
    let access = narrowed["access_token"].as_str().unwrap();
    assert_eq!(
        introspect(&app, "kitami", access).await["scope"],
        "balance:read"
    );
    assert_eq!(api_status(&app, access, "accounts/balances").await.0, 200);
    let shop_page = format!("accounts/transactions?accountId={SHOP}");
    let (status, body) = api_status(&app, access, &shop_page).await;
    assert_eq!(status, 403);
    assert_eq!(body["errorCode"], "insufficient_scope");

    let whole =
        json(refreshed(&app, narrowed["refresh_token"].as_str().unwrap(), None).await).await;
    assert_eq!(whole["scope"], "balance:read transactions:read");
    let access = whole["access_token"].as_str().unwrap();
    assert_eq!(
        introspect(&app, "kitami", access).await["scope"],
        "balance:read transactions:read"
    );
    assert_eq!(api_status(&app, access, &shop_page).await.0, 200);
}

/// A refresh may not ask for a scope the customer did not grant; the refresh token is not spent.
#[tokio::test]
async fn a_refresh_that_asks_for_more_than_was_granted_is_invalid_scope() {
    let app = TestApp::spawn_seeded().await;
    let flow = Flow::new(&app, "kitami");
    flow.authorize(&[("scope", "balance:read")]).await;
    flow.login("Yamada01", "Shinkin-2026!").await;
    let code = query_of(&location(&flow.allow(true, None).await))["code"].clone();
    let t = json(app.exchange("kitami", &code).await).await;
    assert_eq!(t["scope"], "balance:read");
    let refresh_token = t["refresh_token"].as_str().unwrap();

    let res = refreshed(&app, refresh_token, Some("balance:read transactions:read")).await;
    assert_eq!(res.status(), 400);
    let body = json(res).await;
    assert_eq!(body["error"], "invalid_scope");
    assert_eq!(
        body["error_description"],
        "scope exceeds what the customer granted"
    );
    let again = json(refreshed(&app, refresh_token, None).await).await;
    assert_eq!(again["scope"], "balance:read");
}

#[tokio::test]
async fn wrong_secret_is_401_invalid_client() {
    let app = TestApp::spawn_seeded().await;
    let res = app
        .client
        .post(app.url("/t/kitami/oauth/token"))
        .basic_auth(CLIENT, Some("wrong-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(json(res).await["error"], "invalid_client");

    // client_secret_post for a client registered for Basic: refused too.
    let res = app
        .client
        .post(app.url("/t/kitami/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn one_tenants_client_is_unknown_at_another() {
    let app = TestApp::spawn_seeded().await;
    register(
        &app,
        "kitami-only",
        "kitami-only-secret",
        "balance:read",
        AuthMethod::ClientSecretBasic,
        false,
    )
    .await;
    let res = app
        .client
        .post(app.url("/t/hokuto/oauth/token"))
        .basic_auth("kitami-only", Some("kitami-only-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(json(res).await["error"], "invalid_client");

    // And kitami's code cannot be redeemed at hokuto, even by the same-named demo partner.
    let code = Flow::new(&app, "kitami")
        .code_for("Yamada01", "Shinkin-2026!")
        .await;
    let res = app.exchange("hokuto", &code).await;
    assert_eq!(json(res).await["error"], "invalid_grant");
}

#[tokio::test]
async fn missing_or_wrong_csrf_token_is_403() {
    let app = TestApp::spawn_seeded().await;
    let flow = Flow::new(&app, "kitami");
    flow.authorize(&[]).await;
    flow.login_page().await;
    for form in [
        vec![
            ("login_id", "Yamada01"),
            ("password", "Shinkin-2026!"),
            ("action", "login"),
        ],
        vec![
            ("csrf", "forged"),
            ("login_id", "Yamada01"),
            ("password", "Shinkin-2026!"),
            ("action", "login"),
        ],
    ] {
        let res = flow.post("/t/kitami/oauth/login", &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("画面の操作を確認できませんでした")
        );
    }
}

#[tokio::test]
async fn sixth_wrong_password_finds_the_id_locked_existing_or_not() {
    let app = TestApp::spawn_seeded().await;
    for login_id in ["Yamada01", "NoSuchCustomer"] {
        let flow = Flow::new(&app, "kitami");
        flow.authorize(&[]).await;
        for attempt in 1..=4 {
            let res = flow.login(login_id, "wrong-password").await;
            assert_eq!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "{login_id} attempt {attempt}"
            );
            let body = res.text().await.unwrap();
            assert!(body.contains("お客様IDまたはログインパスワードが正しくありません"));
            assert!(
                body.contains(&format!("value=\"{login_id}\"")),
                "the typed ID is kept"
            );
        }
        // The fifth failure locks; the sixth attempt, even with the right password, is refused.
        let fifth = flow.login(login_id, "wrong-password").await;
        assert_eq!(fifth.status(), StatusCode::FORBIDDEN);
        let sixth = flow.login(login_id, "Shinkin-2026!").await;
        assert_eq!(sixth.status(), StatusCode::FORBIDDEN, "{login_id}");
        let body = sixth.text().await.unwrap();
        assert!(body.contains("ロック中"), "{body}");
    }
}

#[tokio::test]
async fn login_is_case_sensitive_and_empty_fields_are_explained() {
    let app = TestApp::spawn_seeded().await;
    let flow = Flow::new(&app, "kitami");
    flow.authorize(&[]).await;
    assert_eq!(
        flow.login("yamada01", "Shinkin-2026!").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        flow.login("Yamada01", "shinkin-2026!").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = flow.login("Yamada01", "").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("入力してください"));
    assert_eq!(
        flow.login("Yamada01", "Shinkin-2026!").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn allow_without_the_checkbox_stores_nothing() {
    let app = TestApp::spawn_seeded().await;
    // The demo seed made a grant already: count from here.
    let before = grant_count(&app, "kitami").await;
    let flow = Flow::new(&app, "kitami");
    flow.authorize(&[]).await;
    assert_eq!(
        flow.login("Yamada01", "Shinkin-2026!").await.status(),
        StatusCode::SEE_OTHER
    );
    let res = flow.allow(false, Some(&["001020765432"])).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("しんきんAPIサービス利用規約に同意しました」にチェックを入れてから"),
        "{body}"
    );
    // The account choice survives the re-shown page.
    assert!(body.contains("value=\"001020765432\" checked"));
    assert!(body.contains("value=\"001010123456\"> 本店営業部 普通預金 0123456</label>"));
    assert_eq!(grant_count(&app, "kitami").await, before);
    // In English, the account types are named in English.
    let english = flow
        .get("/t/kitami/oauth/consent?lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        english.contains("> 本店営業部 Current account 0765432</label>"),
        "{english}"
    );
    flow.get("/t/kitami/oauth/consent?lang=ja").await;

    // Its terms box comes back as the customer left it: not ticked.
    assert!(
        body.contains("name=\"agree\" value=\"yes\" aria-describedby"),
        "{body}"
    );

    // No account at all: refused too, and the terms box stays ticked, so the customer has
    // only the accounts to mend.
    let res = flow.allow(true, Some(&[])).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = res.text().await.unwrap();
    assert!(body.contains("口座を1つ以上選んでください"), "{body}");
    assert!(
        body.contains("name=\"agree\" value=\"yes\" checked"),
        "{body}"
    );
    assert_eq!(grant_count(&app, "kitami").await, before);

    // With it ticked, the same page goes through.
    let res = flow.allow(true, Some(&["001020765432"])).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(grant_count(&app, "kitami").await, before + 1);
}

#[tokio::test]
async fn cancel_returns_access_denied_from_login_and_consent() {
    let app = TestApp::spawn_seeded().await;
    // The demo seed made a grant already: count from here.
    let before = grant_count(&app, "kitami").await;
    let flow = Flow::new(&app, "kitami");
    flow.authorize(&[]).await;
    let csrf = crate::oauth_helpers::csrf_of(&flow.login_page().await);
    let res = flow
        .post(
            "/t/kitami/oauth/login",
            &[("csrf", &csrf), ("action", "cancel")],
        )
        .await;
    let q = query_of(&location(&res));
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-123");

    let flow = Flow::new(&app, "kitami");
    flow.authorize(&[]).await;
    flow.login("Yamada01", "Shinkin-2026!").await;
    let csrf = crate::oauth_helpers::csrf_of(&flow.consent_page().await);
    let res = flow
        .post(
            "/t/kitami/oauth/consent",
            &[("csrf", &csrf), ("action", "cancel")],
        )
        .await;
    assert_eq!(query_of(&location(&res))["error"], "access_denied");
    assert_eq!(grant_count(&app, "kitami").await, before);
    // The request is over: its pages are gone.
    let res = flow.get("/t/kitami/oauth/consent").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn consenting_again_replaces_the_grant_and_its_tokens() {
    let app = TestApp::spawn_seeded().await;
    // The demo seed made a grant already: count from here.
    let before = grant_count(&app, "kitami").await;
    let first = app.yamadas_tokens().await;
    let second = app.yamadas_tokens().await;
    assert_eq!(
        introspect(&app, "kitami", first["access_token"].as_str().unwrap()).await["active"],
        false
    );
    assert_eq!(
        introspect(&app, "kitami", second["access_token"].as_str().unwrap()).await["active"],
        true
    );
    assert_eq!(grant_count(&app, "kitami").await, before + 2);
}

#[tokio::test]
async fn pushed_request_is_single_use() {
    let app = TestApp::spawn_seeded().await;
    let query = app.authorize_query(&[]);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let res = app
        .client
        .post(app.url("/t/kitami/oauth/par"))
        .basic_auth(CLIENT, Some(SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body = json(res).await;
    assert_eq!(body["expires_in"], 60);
    let request_uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));

    let flow = Flow::new(&app, "kitami");
    let path = format!(
        "/t/kitami/oauth/authorize?client_id={CLIENT}&request_uri={}",
        urlencode(&request_uri)
    );
    let res = flow.get(&path).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        flow.login("Yamada01", "Shinkin-2026!").await.status(),
        StatusCode::SEE_OTHER
    );
    let res = flow.allow(true, None).await;
    let code = query_of(&location(&res))["code"].clone();
    assert_eq!(app.exchange("kitami", &code).await.status(), 200);

    // A second use of the same request_uri is refused.
    let res = Flow::new(&app, "kitami").get(&path).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // PAR needs client authentication.
    let res = app
        .client
        .post(app.url("/t/kitami/oauth/par"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A second partner in kitami, `other-app` (secret `other-app-secret`, `balance:read`).
async fn register_other_app(app: &TestApp, auth_method: AuthMethod) {
    register(
        app,
        "other-app",
        "other-app-secret",
        "balance:read",
        auth_method,
        false,
    )
    .await;
}

#[tokio::test]
async fn introspection_of_another_partners_token_is_inactive() {
    let app = TestApp::spawn_seeded().await;
    register_other_app(&app, AuthMethod::ClientSecretPost).await;
    let t = app.yamadas_tokens().await;
    let access = t["access_token"].as_str().unwrap();
    let other = |path: &'static str| {
        app.client
            .post(app.url(path))
            .form(&[
                ("token", access),
                ("client_id", "other-app"),
                ("client_secret", "other-app-secret"),
            ])
            .send()
    };
    assert_eq!(
        json(other("/t/kitami/oauth/introspect").await.unwrap()).await["active"],
        false
    );
    // Its revocation request changes nothing.
    assert_eq!(other("/t/kitami/oauth/revoke").await.unwrap().status(), 200);
    assert_eq!(introspect(&app, "kitami", access).await["active"], true);
}

#[tokio::test]
async fn introspection_tells_nothing_before_the_partner_authenticates() {
    let app = TestApp::spawn_seeded().await;
    let t = app.yamadas_tokens().await;
    let access = t["access_token"].as_str().unwrap();
    let ask = |client: &'static str, secret: &'static str, token: Option<&str>| {
        let form: Vec<(&str, &str)> = token.map(|t| ("token", t)).into_iter().collect();
        app.client
            .post(app.url("/t/kitami/oauth/introspect"))
            .basic_auth(client, Some(secret))
            .form(&form)
            .send()
    };
    // A live token, with a wrong secret or an unknown client: 401, and not a word on the token.
    for (client, secret) in [(CLIENT, "wrong-secret"), ("no-such-app", SECRET)] {
        let res = ask(client, secret, Some(access)).await.unwrap();
        assert_eq!(res.status(), 401, "{client}");
        let body = json(res).await;
        assert_eq!(body["error"], "invalid_client");
        assert!(body.get("active").is_none(), "{body}");
    }
    // No token: the client's authentication is still checked first.
    assert_eq!(
        ask(CLIENT, "wrong-secret", None).await.unwrap().status(),
        401
    );
    let res = ask(CLIENT, SECRET, None).await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["error"], "invalid_request");
    // An unknown token is inactive; the live one is active.
    let unknown = json(ask(CLIENT, SECRET, Some("no-such-token")).await.unwrap()).await;
    assert_eq!(unknown, serde_json::json!({ "active": false }));
    assert_eq!(
        json(ask(CLIENT, SECRET, Some(access)).await.unwrap()).await["active"],
        true
    );
}

/// Introspection calls that arrive together share statements: each is still answered for its
/// own client and token.
#[tokio::test]
async fn introspection_calls_made_at_once_each_get_their_own_answer() {
    let app = TestApp::spawn_seeded().await;
    register_other_app(&app, AuthMethod::ClientSecretBasic).await;
    let t = app.yamadas_tokens().await;
    let access = t["access_token"].as_str().unwrap();
    let refresh = t["refresh_token"].as_str().unwrap();
    let asks = [
        (CLIENT, SECRET, access, 200, Some("Bearer")),
        (CLIENT, SECRET, refresh, 200, Some("refresh_token")),
        (CLIENT, SECRET, "no-such-token", 200, None),
        ("other-app", "other-app-secret", access, 200, None),
        ("no-such-app", SECRET, access, 401, None),
        (CLIENT, "wrong-secret", access, 401, None),
    ];
    let calls = (0..20)
        .flat_map(|_| asks.iter())
        .map(|(client, secret, token, status, kind)| {
            let app = &app;
            async move {
                let res = app
                    .client
                    .post(app.url("/t/kitami/oauth/introspect"))
                    .basic_auth(client, Some(secret))
                    .form(&[("token", token)])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status().as_u16(), *status, "{client}");
                let body = json(res).await;
                match kind {
                    Some(kind) => {
                        assert_eq!(body["active"], true, "{client} {kind}");
                        assert_eq!(body["token_type"], *kind);
                        assert_eq!(body["client_id"], CLIENT);
                    }
                    None if *status == 200 => {
                        assert_eq!(body, serde_json::json!({ "active": false }), "{client}");
                    }
                    None => assert_eq!(body["error"], "invalid_client", "{client}"),
                }
            }
        });
    futures_util::future::join_all(calls).await;
}

#[tokio::test]
async fn a_par_required_partner_cannot_skip_par() {
    let app = TestApp::spawn_seeded().await;
    register(
        &app,
        "par-only",
        "par-only-secret",
        "balance:read",
        AuthMethod::ClientSecretBasic,
        true,
    )
    .await;
    let res = Flow::new(&app, "kitami")
        .authorize(&[("client_id", "par-only"), ("scope", "balance:read")])
        .await;
    let q = query_of(&location(&res));
    assert_eq!(q["error"], "invalid_request");
    assert!(q["error_description"].contains("pushed authorization"));
}

#[tokio::test]
async fn oauth_endpoints_refuse_repeated_parameters_and_large_bodies() {
    let app = TestApp::spawn_seeded().await;
    let res = app
        .client
        .post(app.url("/t/kitami/oauth/token"))
        .basic_auth(CLIENT, Some(SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=refresh_token&grant_type=authorization_code&refresh_token=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["error"], "invalid_request");

    let res = app
        .client
        .post(app.url("/t/kitami/oauth/token"))
        .basic_auth(CLIENT, Some(SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=refresh_token&refresh_token={}",
            "x".repeat(64 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);

    // Repeated parameters on /authorize: the customer gets a page, not a redirect.
    let flow = Flow::new(&app, "kitami");
    let q = app.authorize_query(&[]) + "&redirect_uri=https%3A%2F%2Fattacker.example%2Fcb";
    let res = flow.get(&format!("/t/kitami/oauth/authorize?{q}")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get("location").is_none());
}
