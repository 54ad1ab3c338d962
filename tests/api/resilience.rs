//! Promises kept under load and attack: replicas that share all state through PostgreSQL, rate
//! limits counted across them, and hostile input that never gets a 500 or an unescaped echo.

use renkei::admin::Role;
use reqwest::StatusCode;

use crate::admin_helpers::{AdminBrowser, add_admin};
use crate::helpers::TestApp;
use crate::oauth_helpers::{CLIENT, Flow, REDIRECT, SECRET, VERIFIER, csrf_of, location, query_of};

#[tokio::test]
async fn a_consent_flow_alternating_between_two_replicas_succeeds() {
    let app = TestApp::spawn_seeded().await;
    let replica = app.replica().await;
    let (a, b) = (app.address.clone(), replica.address.clone());
    // One browser; the load balancer sends each request to the other replica.
    let mut flow = Flow::over(&app, "kitami", app.browser(), &a);
    assert_eq!(flow.authorize(&[]).await.status(), StatusCode::SEE_OTHER);
    flow.base = b.clone();
    assert_eq!(
        flow.login("Yamada01", "Shinkin-2026!").await.status(),
        StatusCode::SEE_OTHER
    );
    flow.base = a.clone();
    let page = flow.consent_page().await;
    flow.base = b.clone();
    let res = flow
        .browser
        .post(flow.url("/t/kitami/oauth/consent"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("action", "allow"),
            ("agree", "yes"),
            ("accounts", "001010123456"),
        ])
        .send()
        .await
        .unwrap();
    let code = query_of(&location(&res))["code"].clone();
    // The partner exchanges at one replica, refreshes at the other, reads at the first.
    let token = |base: &str, form: Vec<(&'static str, String)>| {
        let url = format!("{base}/t/kitami/oauth/token");
        let client = app.client.clone();
        async move {
            client
                .post(url)
                .basic_auth(CLIENT, Some(SECRET))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let res = token(
        &a,
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", code),
            ("redirect_uri", REDIRECT.into()),
            ("code_verifier", VERIFIER.into()),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: serde_json::Value = res.json().await.unwrap();
    let res = token(
        &b,
        vec![
            ("grant_type", "refresh_token".into()),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().unwrap().into(),
            ),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let refreshed: serde_json::Value = res.json().await.unwrap();
    let res = app
        .client
        .get(format!("{a}/t/kitami/api/v1/accounts"))
        .bearer_auth(refreshed["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // An admin's session and a customer's sign-in work on either replica.
    add_admin(&app, "kitami", "admin@kitami.example.jp", Role::Admin).await;
    let admin = AdminBrowser::new(&app, "kitami")
        .sign_in("admin@kitami.example.jp")
        .await;
    let res = admin
        .client
        .get(format!("{b}/t/kitami/admin/grants?status=all"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let browser = app.browser();
    let page = browser
        .get(format!("{b}/t/kitami/my"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = browser
        .post(format!("{a}/t/kitami/my/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("login_id", "Yamada01"),
            ("password", "Shinkin-2026!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let home = browser
        .get(format!("{b}/t/kitami/my"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("デモ家計簿"));
}

/// A login attempt as from `ip` (through the trusted proxy on 127.0.0.1).
async fn attempt(flow: &Flow<'_>, ip: &str, login_id: &str, password: &str) -> reqwest::Response {
    let page = flow.login_page().await;
    flow.browser
        .post(flow.url("/t/kitami/oauth/login"))
        .header("x-forwarded-for", ip)
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("login_id", login_id),
            ("password", password),
            ("action", "login"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn logins_are_limited_per_address_across_replicas_and_a_429_is_no_failure() {
    let app = TestApp::builder()
        .with_tenant("kitami")
        .with_tenant("hokuto")
        .with_settings(|s| {
            s.limits.login_per_ip.max = 3;
            s.tls.trusted_proxies = vec!["127.0.0.1".into()];
        })
        .spawn()
        .await;
    renkei::demo::seed(&app.db_pool(2), renkei::demo::today_jst())
        .await
        .unwrap();
    let replica = app.replica().await;
    let mut flow = Flow::new(&app, "kitami");
    flow.authorize(&[]).await;
    // The attacker's address: three wrong passwords, alternating replicas, then 429s.
    let attacker = "203.0.113.7";
    for (i, base) in [&app.address, &replica.address, &app.address]
        .into_iter()
        .enumerate()
    {
        flow.base = base.clone();
        let res = attempt(&flow, attacker, "Yamada01", &format!("guess-{i}")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    for base in [&replica.address, &app.address, &replica.address] {
        flow.base = base.clone();
        let res = attempt(&flow, attacker, "Yamada01", "guess-again").await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: i64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=300).contains(&wait), "{wait}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("一時的に受け付けを止めています")
        );
    }
    // Three failures counted, not six: the customer, from home, is not locked out.
    let res = attempt(&flow, "198.51.100.9", "Yamada01", "Shinkin-2026!").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/t/kitami/oauth/consent");
}

#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_a_customer_out_faster_than_the_policy() {
    let app = TestApp::builder()
        .with_tenant("kitami")
        .with_tenant("hokuto")
        .with_settings(|s| s.tls.trusted_proxies = vec!["127.0.0.1".into()])
        .spawn()
        .await;
    renkei::demo::seed(&app.db_pool(2), renkei::demo::today_jst())
        .await
        .unwrap();
    let flow = Flow::new(&app, "kitami");
    flow.authorize(&[]).await;
    // One short of the lockout threshold (5), all at once from four addresses.
    let tries = (0..4).map(|i| {
        let flow = &flow;
        async move {
            attempt(flow, &format!("203.0.113.{i}"), "Yamada01", "wrong")
                .await
                .status()
        }
    });
    for status in futures_util::future::join_all(tries).await {
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let res = attempt(&flow, "198.51.100.9", "Yamada01", "Shinkin-2026!").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "four failures lock nobody"
    );
}

#[tokio::test]
async fn the_token_endpoint_is_limited_per_partner() {
    let app = TestApp::builder()
        .with_tenant("kitami")
        .with_tenant("hokuto")
        .with_settings(|s| s.limits.token_per_client.max = 8)
        .spawn()
        .await;
    renkei::demo::seed(&app.db_pool(2), renkei::demo::today_jst())
        .await
        .unwrap();
    // Eight rows share the limit: the ninth request lands on a row already used.
    let mut limited = None;
    for _ in 0..9 {
        let res = app
            .token(
                "kitami",
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "not-a-token"),
                ],
            )
            .await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(res);
            break;
        }
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
    let res = limited.expect("a 429 within nine requests");
    assert!(res.headers().contains_key("retry-after"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    // Another tenant's partner of the same name has its own count.
    let res = app
        .token(
            "hokuto",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "not-a-token"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn hostile_input_never_gets_a_500_nor_an_unescaped_echo() {
    let app = TestApp::spawn_seeded().await;
    add_admin(&app, "kitami", "admin@kitami.example.jp", Role::Admin).await;
    let flow = Flow::new(&app, "kitami");
    flow.authorize(&[]).await;
    let csrf = csrf_of(&flow.login_page().await);
    let evil = "<script>alert(1)</script>{{7*7}}{% raw %}' OR 1=1 --";
    // Echoed back in the form: escaped, and the template syntax left as typed.
    let res = flow
        .post(
            "/t/kitami/oauth/login",
            &[
                ("csrf", &csrf),
                ("login_id", evil),
                ("password", "x"),
                ("action", "login"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let page = res.text().await.unwrap();
    assert!(!page.contains("<script>alert(1)"), "unescaped echo");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;{{7*7}}")
            || page.contains("&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}"),
        "{page}"
    );
    // Bodies that are not UTF-8, too long, or repeat a parameter, on every form.
    let admin = app.browser();
    let login = admin
        .get(app.url("/t/kitami/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let admin_csrf = csrf_of(&login);
    let forms = [
        (&flow.browser, "/t/kitami/oauth/login", csrf.clone()),
        (&flow.browser, "/t/kitami/oauth/consent", csrf.clone()),
        (&flow.browser, "/t/kitami/oauth/certificate", csrf.clone()),
        (&admin, "/t/kitami/admin/login", admin_csrf.clone()),
        (&admin, "/t/kitami/admin/totp", admin_csrf.clone()),
        (&flow.browser, "/t/kitami/my/login", csrf.clone()),
        (&flow.browser, "/t/kitami/oauth/token", String::new()),
        (&flow.browser, "/t/kitami/oauth/par", String::new()),
    ];
    for (client, path, csrf) in forms {
        let bodies: [(Vec<u8>, &[u16]); 4] = [
            (
                format!("csrf={csrf}&login_id=%FF%FE&password=x").into_bytes(),
                &[400, 401, 403],
            ),
            (
                format!("csrf={csrf}&login_id={}", "a".repeat(3000)).into_bytes(),
                &[400, 401, 403],
            ),
            (
                format!("csrf={csrf}&login_id=a&login_id=b").into_bytes(),
                &[400, 401, 403],
            ),
            (
                format!("csrf={csrf}&x={}", "a".repeat(20_000)).into_bytes(),
                &[413],
            ),
        ];
        for (body, allowed) in bodies {
            let res = client
                .post(app.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            assert!(
                allowed.contains(&status) || status == 303,
                "{path}: {status}"
            );
            assert_ne!(status, 500, "{path}");
        }
    }
    // A redirect URI with a header break or another host is never redirected to.
    for uri in [
        "http://127.0.0.1:8765/callback%0d%0aSet-Cookie:%20x=1",
        "https://attacker.example/cb",
        "//attacker.example/cb",
    ] {
        let q = app.authorize_query(&[("redirect_uri", "")]) + &format!("&redirect_uri={uri}");
        let res = Flow::new(&app, "kitami")
            .get(&format!("/t/kitami/oauth/authorize?{q}"))
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{uri}");
        assert!(res.headers().get("location").is_none(), "{uri}");
        assert!(
            res.headers()
                .get("set-cookie")
                .is_none_or(|c| !c.to_str().unwrap().contains("x=1"))
        );
    }
}
