//! Attacks on the edges that every area shares: a planted flow handle, NUL characters, paths and
//! headers that try to lead the site elsewhere. Each test tries the attack and asserts the refusal.

use reqwest::StatusCode;

use crate::admin_helpers::{AdminBrowser, add_admin};
use crate::helpers::{TestApp, count, text_of};
use crate::oauth_helpers::{CLIENT, REDIRECT, SECRET, csrf_of, location, my_sign_in, query_of};

/// A browser that sends only the cookies it is told to.
pub fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value `res` sets for cookie `name`, with the whole `Set-Cookie` line.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<(String, String)> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|line| {
            let value = line[name.len() + 1..].split(';').next().unwrap().to_owned();
            (value, line.to_owned())
        })
}

/// GET with exactly this flow handle.
pub async fn with_handle(client: &reqwest::Client, url: &str, handle: &str) -> reqwest::Response {
    client
        .get(url)
        .header("cookie", format!("renkei_flow={handle}"))
        .send()
        .await
        .unwrap()
}

pub async fn post_with_handle(
    client: &reqwest::Client,
    url: &str,
    handle: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(url)
        .header("cookie", format!("renkei_flow={handle}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// An attacker starts a flow and plants its handle in the customer's browser; the customer
/// signs in. The sign-in moves the flow to a new handle and a new CSRF token: the planted
/// handle then opens neither the consent page nor its form.
#[tokio::test]
async fn a_flow_handle_planted_before_sign_in_opens_nothing_after_it() {
    let app = TestApp::spawn_seeded().await;
    let attacker = bare_client();
    let res = attacker.get(authorize_url(&app, &[])).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (planted, _) = set_cookie(&res, "renkei_flow").expect("flow cookie");

    // The customer's browser carries the planted handle and signs in.
    let victim = bare_client();
    let login_url = app.url("/t/kitami/oauth/login");
    let page = with_handle(&victim, &login_url, &planted).await;
    assert_eq!(page.status(), StatusCode::OK);
    let old_csrf = csrf_of(&page.text().await.unwrap());
    let res = post_with_handle(
        &victim,
        &login_url,
        &planted,
        &[
            ("csrf", &old_csrf),
            ("login_id", "Yamada01"),
            ("password", "Shinkin-2026!"),
            ("action", "login"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/t/kitami/oauth/consent");
    let (fresh, line) = set_cookie(&res, "renkei_flow").expect("a new flow cookie at sign-in");
    assert_ne!(fresh, planted);
    assert!(line.contains("Path=/t/kitami/oauth"), "{line}");
    assert!(line.contains("HttpOnly"), "{line}");

    // The planted handle: no consent page (its account numbers), no form to submit.
    let consent_url = app.url("/t/kitami/oauth/consent");
    let res = with_handle(&attacker, &consent_url, &planted).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = res.text().await.unwrap();
    assert!(!body.contains("name=\"accounts\""), "{body}");
    let res = post_with_handle(
        &attacker,
        &consent_url,
        &planted,
        &[("csrf", &old_csrf), ("action", "allow"), ("agree", "yes")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get("location").is_none());
    let res = with_handle(&attacker, &login_url, &planted).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // The customer goes on with the new handle; the CSRF token of before is no longer accepted.
    let res = with_handle(&victim, &consent_url, &fresh).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let new_csrf = csrf_of(&page);
    assert_ne!(new_csrf, old_csrf);
    let account = &page[page.find("name=\"accounts\" value=\"").unwrap() + 23..][..12];
    let res = post_with_handle(
        &victim,
        &consent_url,
        &fresh,
        &[
            ("csrf", &old_csrf),
            ("action", "allow"),
            ("agree", "yes"),
            ("accounts", account),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post_with_handle(
        &victim,
        &consent_url,
        &fresh,
        &[
            ("csrf", &new_csrf),
            ("action", "allow"),
            ("agree", "yes"),
            ("accounts", account),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let q = query_of(&location(&res));
    assert_eq!(q["state"], "st-123");
    assert!(q.contains_key("code"));
}

pub fn authorize_url(app: &TestApp, extra: &[(&str, &str)]) -> String {
    app.url(&format!(
        "/t/kitami/oauth/authorize?{}",
        app.authorize_query(extra)
    ))
}

/// U+0000 where the partner or its redirect URI is named shows the error page; anywhere else the
/// partner gets `invalid_request`. Nothing reaches PostgreSQL as an internal error.
#[tokio::test]
async fn a_nul_at_authorize_is_an_error_page_or_invalid_request() {
    let app = TestApp::spawn_seeded().await;
    let browser = bare_client();
    for (key, value) in [
        ("client_id", "demo-kakeibo\0"),
        ("redirect_uri", "http://127.0.0.1:8765/callback\0"),
    ] {
        let res = browser
            .get(authorize_url(&app, &[(key, value)]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{key}");
        assert!(res.headers().get("location").is_none(), "{key}");
        let body = res.text().await.unwrap();
        assert!(body.contains("<html"), "{key}: {body}");
    }
    for (key, value) in [
        ("state", "st\0-123"),
        ("scope", "balance:read\0"),
        ("code_challenge", "\0"),
        ("nonce", "\0"),
    ] {
        let res = browser
            .get(authorize_url(&app, &[(key, value)]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{key}");
        let to = location(&res);
        assert!(to.starts_with(REDIRECT), "{key}: {to}");
        let q = query_of(&to);
        assert_eq!(q["error"], "invalid_request", "{key}");
        assert!(q["error_description"].contains("NUL"), "{key}");
        assert_eq!(q["iss"], app.settings.issuer(&TestApp::slug("kitami")));
        assert!(q.get("state").is_none_or(|s| !s.contains('\0')));
        assert!(set_cookie(&res, "renkei_flow").is_none(), "{key}");
    }
    assert_no_pending_requests(&app).await;
}

async fn assert_no_pending_requests(app: &TestApp) {
    let n = count(app, "SELECT count(*) AS n FROM auth_requests").await;
    assert_eq!(n, 0, "a refused request wrote a pending row");
}

/// The partner endpoints answer 400 `invalid_request` for U+0000 in `client_id` (Basic and
/// form) and in any other parameter.
#[tokio::test]
async fn a_nul_at_the_partner_endpoints_is_invalid_request() {
    let app = TestApp::spawn_seeded().await;
    let client = bare_client();
    for endpoint in ["token", "introspect", "revoke", "par"] {
        let url = app.url(&format!("/t/kitami/oauth/{endpoint}"));
        let basic = client
            .post(&url)
            .basic_auth("demo-kakeibo\0", Some(SECRET))
            .form(&[("grant_type", "refresh_token"), ("token", "x")])
            .send()
            .await
            .unwrap();
        let post = client
            .post(&url)
            .form(&[
                ("client_id", "demo-kakeibo\0"),
                ("client_secret", SECRET),
                ("token", "x"),
            ])
            .send()
            .await
            .unwrap();
        let other = client
            .post(&url)
            .basic_auth(CLIENT, Some(SECRET))
            .form(&[("state", "st\0"), ("token", "x\0")])
            .send()
            .await
            .unwrap();
        for (how, res) in [("basic", basic), ("post", post), ("other", other)] {
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{endpoint} {how}");
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["error"], "invalid_request", "{endpoint} {how}: {body}");
        }
    }
}

/// Sign-in forms and the console's searches say on their own page that a character cannot be
/// used; nothing is counted against the typed ID.
#[tokio::test]
async fn a_nul_in_a_form_gets_the_forms_own_message() {
    let app = TestApp::spawn_seeded().await;

    // The consent flow's sign-in.
    let flow = crate::oauth_helpers::Flow::new(&app, "kitami");
    assert_eq!(flow.authorize(&[]).await.status(), StatusCode::SEE_OTHER);
    let res = flow.login("Yamada01\0", "Shinkin-2026!").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("使用できない文字"), "{page}");
    assert!(page.contains("name=\"login_id\""), "{page}");

    // /my.
    let browser = app.browser();
    let res = my_sign_in(&app, &browser, "kitami", "Yamada01\0", "Shinkin-2026!").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("使用できない文字"), "{page}");

    // The console's sign-in.
    let admin = AdminBrowser::new(&app, "kitami");
    let res = admin.password("demo-admin@kitami.example.jp\0", "x").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("使用できない文字"));

    // The console's searches.
    add_admin(
        &app,
        "kitami",
        "nul@kitami.example.jp",
        renkei::admin::Role::Admin,
    )
    .await;
    let admin = AdminBrowser::new(&app, "kitami")
        .sign_in("nul@kitami.example.jp")
        .await;
    for path in [
        "/customers?login_id=Yamada01%00",
        "/grants?customer=Yamada01%00",
        "/audit?actor=customer%00",
        "/audit?event=login.ok%00",
    ] {
        let res = admin.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let page = res.text().await.unwrap();
        assert!(page.contains("使用できない文字"), "{path}: {page}");
    }

    // No failure was counted for the typed ID, no lockout row written.
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM login_guard").await,
        0
    );
}

/// RFC 8414 §3.1 puts the metadata of issuer `…/t/kitami` at
/// `/.well-known/oauth-authorization-server/t/kitami`; the tenant's own path serves the same.
#[tokio::test]
async fn metadata_is_served_where_rfc_8414_puts_it_and_beside_the_tenant() {
    let app = TestApp::spawn().await;
    let inserted = app
        .get("/.well-known/oauth-authorization-server/t/kitami")
        .await;
    assert_eq!(inserted.status(), StatusCode::OK);
    let inserted: serde_json::Value = inserted.json().await.unwrap();
    let beside: serde_json::Value = app
        .get("/t/kitami/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inserted, beside);
    assert_eq!(
        inserted["issuer"],
        app.settings.issuer(&TestApp::slug("kitami"))
    );
    let unknown = app
        .get("/.well-known/oauth-authorization-server/t/nowhere")
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

/// A path that no route matches gets a 404 page whose language switch stays on the site.
#[tokio::test]
async fn the_language_switch_of_a_404_never_leaves_the_site() {
    let app = TestApp::spawn().await;
    for path in [
        "//evil.example/",
        "//evil.example/t/kitami/",
        "/\\evil.example/",
    ] {
        let res = bare_client().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let page = res.text().await.unwrap();
        assert!(!page.contains("evil.example"), "{path}: {page}");
        assert!(page.contains("href=\"/?lang=en\""), "{path}: {page}");
    }
    let res = app.get("/t/kitami/nothing-here").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = res.text().await.unwrap();
    assert!(page.contains("href=\"/t/kitami/?lang=en\""), "{page}");
}

/// `X-Forwarded-Proto` and `Forwarded` count only from a trusted proxy: from anyone else they
/// switch on neither HSTS nor `Secure` cookies.
#[tokio::test]
async fn the_forwarded_scheme_is_believed_only_from_a_trusted_proxy() {
    for (trusted, expect_https) in [(false, false), (true, true)] {
        let app = TestApp::spawn_seeded_with(move |s| {
            if trusted {
                s.tls.trusted_proxies = vec!["127.0.0.1".into()];
            }
        })
        .await;
        for header in [
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=203.0.113.9;proto=https"),
        ] {
            let res = bare_client()
                .get(authorize_url(&app, &[]))
                .header(header.0, header.1)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(
                res.headers().contains_key("strict-transport-security"),
                expect_https,
                "trusted {trusted}, {header:?}"
            );
            let (_, line) = set_cookie(&res, "renkei_flow").unwrap();
            assert_eq!(
                line.contains("Secure"),
                expect_https,
                "trusted {trusted}: {line}"
            );
        }
        // Without the header, plain HTTP is plain HTTP.
        let res = bare_client()
            .get(authorize_url(&app, &[]))
            .send()
            .await
            .unwrap();
        assert!(!res.headers().contains_key("strict-transport-security"));
        let (_, line) = set_cookie(&res, "renkei_flow").unwrap();
        assert!(!line.contains("Secure"), "{line}");
    }
}

/// 64 wrong sign-ins at once on the consent page: they wait for their turn without a
/// connection and hold none while Argon2 runs, so the partner API keeps answering.
#[tokio::test]
async fn a_burst_of_wrong_sign_ins_leaves_the_partner_api_answering() {
    let app = TestApp::spawn_seeded().await;
    let tokens = app.yamadas_tokens().await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let mut flows = Vec::new();
    for _ in 0..64 {
        let flow = crate::oauth_helpers::Flow::new(&app, "kitami");
        assert_eq!(flow.authorize(&[]).await.status(), StatusCode::SEE_OTHER);
        let csrf = csrf_of(&flow.login_page().await);
        flows.push((flow, csrf));
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reads = {
        let (client, url, done) = (
            bare_client(),
            app.url("/t/kitami/api/v1/accounts/balances"),
            done.clone(),
        );
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let res = client.get(&url).bearer_auth(&access).send().await.unwrap();
                statuses.push(res.status());
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            statuses
        })
    };
    let sign_ins = flows
        .iter()
        .enumerate()
        .map(|(i, (flow, csrf))| async move {
            flow.post(
                "/t/kitami/oauth/login",
                &[
                    ("csrf", csrf.as_str()),
                    ("login_id", &format!("Nobody{i:02}")),
                    ("password", "wrong-password"),
                    ("action", "login"),
                ],
            )
            .await
            .status()
        });
    let answers = futures_util::future::join_all(sign_ins).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let statuses = reads.await.unwrap();
    assert!(
        answers.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{answers:?}"
    );
    assert!(statuses.len() >= 5, "{} reads", statuses.len());
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "balance reads during the burst: {statuses:?}"
    );
}

/// Whether `browser` is signed in at kitami's /my.
async fn signed_in_at_my(app: &TestApp, browser: &reqwest::Client) -> bool {
    !text_of(browser, &app.url("/t/kitami/my"))
        .await
        .contains("name=\"password\"")
}

/// A new sign-in ends the customer's sessions of before; so does a lockout.
#[tokio::test]
async fn a_new_sign_in_or_a_lockout_ends_the_customers_older_sessions() {
    let app = TestApp::spawn_seeded().await;
    let first = app.browser();
    let res = my_sign_in(&app, &first, "kitami", "Yamada01", "Shinkin-2026!").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(signed_in_at_my(&app, &first).await);
    let second = app.browser();
    my_sign_in(&app, &second, "kitami", "Yamada01", "Shinkin-2026!").await;
    assert!(signed_in_at_my(&app, &second).await);
    assert!(
        !signed_in_at_my(&app, &first).await,
        "the older session goes on"
    );

    // Wrong passwords until the ID locks: the signed-in session ends with it.
    let stranger = app.browser();
    let mut last = StatusCode::OK;
    for _ in 0..5 {
        last = my_sign_in(&app, &stranger, "kitami", "Yamada01", "wrong")
            .await
            .status();
    }
    assert_eq!(last, StatusCode::FORBIDDEN);
    assert!(
        !signed_in_at_my(&app, &second).await,
        "a locked customer stays signed in"
    );
}

/// A logout without the session's CSRF token (posted by another site) is refused: the session
/// and its cookie stay, at /my and in the console.
#[tokio::test]
async fn a_logout_without_the_csrf_token_is_refused_and_keeps_the_session() {
    let app = TestApp::spawn_seeded().await;
    let browser = app.browser();
    my_sign_in(&app, &browser, "kitami", "Yamada01", "Shinkin-2026!").await;
    let res = browser
        .post(app.url("/t/kitami/my/logout"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&res, "renkei_my").is_none());
    assert!(signed_in_at_my(&app, &browser).await);

    add_admin(
        &app,
        "kitami",
        "out@kitami.example.jp",
        renkei::admin::Role::Admin,
    )
    .await;
    let admin = AdminBrowser::new(&app, "kitami")
        .sign_in("out@kitami.example.jp")
        .await;
    let res = admin
        .client
        .post(admin.url("/logout"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&res, "renkei_admin").is_none());
    assert_eq!(admin.get("").await.status(), StatusCode::OK);
    // With the token, logging out works.
    let res = admin.post("/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(admin.get("").await.status(), StatusCode::SEE_OTHER);
}
