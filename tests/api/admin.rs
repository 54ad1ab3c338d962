//! The admin console, the customer's /my page and the public partner list, over real HTTP.

use renkei::admin::Role;
use reqwest::StatusCode;

use crate::admin_helpers::{AdminBrowser, PASSWORD, add_admin, code_from_setup, multipart};
use crate::helpers::{TestApp, text_of};
use crate::oauth_helpers::{Flow, REDIRECT, VERIFIER, csrf_of, location, my_sign_in, query_of};

const ADMIN: &str = "admin@kitami.example.jp";
const VIEWER: &str = "viewer@kitami.example.jp";

/// Yamada01 allows demo-kakeibo; returns (grant id, access token, refresh token).
async fn linked(app: &TestApp) -> (String, String, String) {
    let tokens = app.yamadas_tokens().await;
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let id: Id = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query(
            "SELECT g.id::text AS id FROM grants g JOIN customers c ON c.id = g.customer_id
              WHERE c.login_id = 'Yamada01' AND g.revoked_at IS NULL",
        ),
        &mut conn,
    )
    .await
    .unwrap();
    (
        id.id,
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn balances(app: &TestApp, access: &str) -> StatusCode {
    app.client
        .get(app.url("/t/kitami/api/v1/accounts/balances"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn an_admin_signs_in_with_password_then_totp_and_a_code_works_once() {
    let app = TestApp::spawn_seeded().await;
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    let b = AdminBrowser::new(&app, "kitami");
    // Not signed in: the console sends the browser to sign in.
    let res = b.get("/grants").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/t/kitami/admin/login");
    // A wrong password says so and keeps nothing.
    let res = b.password(ADMIN, "wrong password!").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("メールアドレスまたはパスワードが正しくありません。")
    );
    // Password right, code not yet given: still no console.
    assert_eq!(
        b.password(ADMIN, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let res = b.get("").await;
    assert_eq!(location(&res), "/t/kitami/admin/totp");
    let page = b.get("/totp").await.text().await.unwrap();
    assert!(
        page.contains("data:image/svg+xml;base64,"),
        "a QR code to scan"
    );
    let res = b
        .client
        .post(b.url("/totp"))
        .form(&[("csrf", csrf_of(&page).as_str()), ("code", "000000")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let code = code_from_setup(&page, ADMIN, "Renkei Kitami Shinkin Bank");
    let ok = b
        .client
        .post(b.url("/totp"))
        .form(&[("csrf", csrf_of(&page).as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let dashboard = b.get("").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    let html = dashboard.text().await.unwrap();
    assert!(html.contains("誰がお客さまのデータを見られるか"));
    assert!(html.contains("<svg"), "the chart is drawn on the server");
    assert!(html.contains("id=\"stat-active\">1<"), "the demo grant");

    // Logged out, the same code cannot sign in again.
    let res = b
        .client
        .post(b.url("/logout"))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/t/kitami/admin/login");
    assert_eq!(b.get("").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        b.password(ADMIN, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = b.get("/totp").await.text().await.unwrap();
    assert!(!page.contains("totp-secret"), "set up once");
    let res = b
        .client
        .post(b.url("/totp"))
        .form(&[("csrf", csrf_of(&page).as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "a code is good once"
    );
}

#[tokio::test]
async fn a_viewer_reads_everything_and_gets_403_on_every_change() {
    let app = TestApp::spawn_seeded().await;
    let (grant, access, _) = linked(&app).await;
    add_admin(&app, "kitami", VIEWER, Role::Viewer).await;
    let v = AdminBrowser::new(&app, "kitami").sign_in(VIEWER).await;
    for page in [
        "",
        "/grants",
        "/partners",
        "/customers?login_id=Yamada01",
        "/settings",
        "/audit",
        &format!("/grants/{grant}"),
    ] {
        assert_eq!(v.get(page).await.status(), StatusCode::OK, "{page}");
    }
    let partners = v.get("/partners").await.text().await.unwrap();
    let partner = partners.split("/admin/partners/").nth(1).unwrap()[..36].to_owned();
    let customer = v
        .get("/customers?login_id=Yamada01")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !customer.contains("/unlock"),
        "no change buttons for a viewer"
    );
    let changes: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/partners".into(),
            vec![
                ("name_ja", "x"),
                ("name_en", "x"),
                ("redirect_uris", "https://x.example/cb"),
                ("scopes", "balance:read"),
            ],
        ),
        (
            format!("/partners/{partner}"),
            vec![
                ("name_ja", "x"),
                ("name_en", "x"),
                ("redirect_uris", "https://x.example/cb"),
                ("scopes", "balance:read"),
            ],
        ),
        (format!("/partners/{partner}/secret"), vec![]),
        (
            format!("/partners/{partner}/status"),
            vec![("status", "suspended")],
        ),
        (format!("/grants/{grant}/revoke"), vec![("reason", "test")]),
        (
            format!("/customers/{}/unlock", uuid::Uuid::now_v7()),
            vec![],
        ),
        (format!("/certificates/{}/revoke", "ab".repeat(32)), vec![]),
        ("/settings".into(), vec![("name_ja", "x")]),
    ];
    for (path, form) in changes {
        let res = v.post(&path, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("この操作の権限がありません"),
            "{path}"
        );
    }
    // Nothing changed: the grant and its token still work.
    assert_eq!(balances(&app, &access).await, StatusCode::OK);
}

#[tokio::test]
async fn an_admin_of_kitami_cannot_open_hokuto() {
    let app = TestApp::spawn_seeded().await;
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    add_admin(&app, "hokuto", "admin@hokuto.example.jp", Role::Admin).await;
    let k = AdminBrowser::new(&app, "kitami").sign_in(ADMIN).await;
    for path in [
        "/t/hokuto/admin",
        "/t/hokuto/admin/grants?status=all",
        "/t/hokuto/admin/audit.csv",
    ] {
        let res = k.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res), "/t/hokuto/admin/login");
    }
    // Even with a kitami session token sent to hokuto's paths by hand.
    let token = kitami_session_token(&k).await;
    let res = app
        .client
        .get(app.url("/t/hokuto/admin/grants?status=all"))
        .header("cookie", format!("renkei_admin={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/t/hokuto/admin/login");
}

/// A kitami session token (past the password step), from a sign-in made by hand so that the
/// Set-Cookie header can be read.
async fn kitami_session_token(k: &AdminBrowser<'_>) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(k.url("/login")).send().await.unwrap();
    let login_cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let res = client
        .post(k.url("/login"))
        .header("cookie", login_cookie)
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", ADMIN),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res.headers()["set-cookie"].to_str().unwrap();
    set.split(';')
        .next()
        .unwrap()
        .trim_start_matches("renkei_admin=")
        .to_owned()
}

#[tokio::test]
async fn revoking_in_the_console_ends_the_partners_access_at_once() {
    let app = TestApp::spawn_seeded().await;
    let (grant, access, refresh) = linked(&app).await;
    assert_eq!(balances(&app, &access).await, StatusCode::OK);
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    let a = AdminBrowser::new(&app, "kitami").sign_in(ADMIN).await;
    let found = a
        .get("/grants?customer=Yamada01&status=active")
        .await
        .text()
        .await
        .unwrap();
    assert!(found.contains(&grant));
    // A reason is required.
    let res = a
        .post(&format!("/grants/{grant}/revoke"), &[("reason", "  ")])
        .await;
    assert_eq!(
        location(&res),
        format!("/t/kitami/admin/grants/{grant}?error=reason")
    );
    assert_eq!(balances(&app, &access).await, StatusCode::OK);
    let res = a
        .post(
            &format!("/grants/{grant}/revoke"),
            &[("reason", "お客さまから電話で依頼")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(balances(&app, &access).await, StatusCode::UNAUTHORIZED);
    let res = app
        .token(
            "kitami",
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The ledger is written off the request path: give it a moment.
    let mut detail = String::new();
    for _ in 0..50 {
        detail = a
            .get(&format!("/grants/{grant}"))
            .await
            .text()
            .await
            .unwrap();
        if detail.contains("<td>残高照会</td>") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        detail.contains("<td>残高照会</td>"),
        "the ledger shows what was read: {detail}"
    );
    // When, and that an administrator did it, in words; the history names its events so too.
    let ended = detail.split("id=\"grant-status\">").nth(1).unwrap();
    let ended = &ended[..ended.find("</dd>").unwrap()];
    assert!(
        ended.starts_with("解除済み（20") && ended.ends_with("、管理者が解除）"),
        "{ended}"
    );
    assert!(detail.contains("<td>連携を解除</td>"), "{detail}");
    assert!(
        detail.contains("お客さまから電話で依頼"),
        "the reason is in the history"
    );
}

#[tokio::test]
async fn the_audit_log_exports_as_csv_for_excel() {
    let app = TestApp::spawn_seeded().await;
    linked(&app).await;
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    let a = AdminBrowser::new(&app, "kitami").sign_in(ADMIN).await;
    let res = a.get("/audit.csv?event=consent.granted").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"audit-kitami-")
    );
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "id,at_jst,event,actor,subject,ip,detail");
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].contains(",consent.granted,customer:"));
    let all = a.get("/audit.csv").await.text().await.unwrap();
    assert!(all.lines().count() > 4, "every event without a filter");
    let page = a
        .get("/audit?event=admin.login")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("admin:admin@kitami.example.jp"));
    // Events are named in the console's language, their stored names beside; the filter
    // offers them so too, and still filters by the stored name.
    assert!(
        page.contains("<td>管理者のログイン<br><code class=\"event\">admin.login</code></td>"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"admin.login\" selected>管理者のログイン</option>"),
        "{page}"
    );
    assert!(!page.contains("<code class=\"event\">consent.granted</code>"));
}

#[tokio::test]
async fn a_partner_registered_in_the_console_completes_a_consent_and_can_be_suspended() {
    let app = TestApp::spawn_seeded().await;
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    let a = AdminBrowser::new(&app, "kitami").sign_in(ADMIN).await;
    let res = a
        .post(
            "/partners",
            &[
                ("name_ja", "みらい家計簿"),
                ("name_en", "Mirai Budget"),
                ("redirect_uris", REDIRECT),
                ("scopes", "balance:read"),
                ("scopes", "transactions:read"),
                ("auth_method", "client_secret_basic"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let grab = |id: &str| {
        let start = page.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
        page[start..start + page[start..].find('<').unwrap()].to_owned()
    };
    let (client_id, secret) = (grab("new-client-id"), grab("new-secret"));
    // The public list shows it.
    assert!(
        app.get("/t/kitami/partners")
            .await
            .text()
            .await
            .unwrap()
            .contains("みらい家計簿")
    );

    let flow = Flow::new(&app, "kitami");
    assert_eq!(
        flow.authorize(&[("client_id", &client_id)]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        flow.login("Yamada01", "Shinkin-2026!").await.status(),
        StatusCode::SEE_OTHER
    );
    let code = query_of(&location(&flow.allow(true, None).await))["code"].clone();
    let token = |form: Vec<(&'static str, String)>| {
        let (c, s) = (client_id.clone(), secret.clone());
        let app = &app;
        async move {
            app.client
                .post(app.url("/t/kitami/oauth/token"))
                .basic_auth(c, Some(s))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let res = token(vec![
        ("grant_type", "authorization_code".into()),
        ("code", code),
        ("redirect_uri", REDIRECT.into()),
        ("code_verifier", VERIFIER.into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: serde_json::Value = res.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(balances(&app, &access).await, StatusCode::OK);

    // Suspended: no API data, no tokens, not on the public list.
    let partners = a.get("/partners").await.text().await.unwrap();
    let row = partners
        .split("<tr>")
        .find(|r| r.contains(&client_id))
        .unwrap();
    let partner_id = row.split("/admin/partners/").nth(1).unwrap()[..36].to_owned();
    assert_eq!(
        a.post(
            &format!("/partners/{partner_id}/status"),
            &[("status", "suspended")]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(balances(&app, &access).await, StatusCode::UNAUTHORIZED);
    let res = token(vec![
        ("grant_type", "refresh_token".into()),
        (
            "refresh_token",
            tokens["refresh_token"].as_str().unwrap().into(),
        ),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        !app.get("/t/kitami/partners")
            .await
            .text()
            .await
            .unwrap()
            .contains("みらい家計簿")
    );
    assert_eq!(
        a.post(
            &format!("/partners/{partner_id}/status"),
            &[("status", "active")]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(balances(&app, &access).await, StatusCode::OK);
}

#[tokio::test]
async fn a_customer_revokes_at_my_and_the_partners_refresh_fails() {
    let app = TestApp::spawn_seeded().await;
    let (grant, access, refresh) = linked(&app).await;
    let browser = app.browser();
    let my = app.url("/t/kitami/my");
    let page = browser.get(&my).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("お客様ID") && page.contains("電子証明書認証"));
    let res = my_sign_in(&app, &browser, "kitami", "Yamada01", "Shinkin-2026!").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let home = browser.get(&my).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("デモ家計簿"), "{home}");
    assert!(home.contains("最後に残高を照会した日時"));
    assert!(
        home.contains("<dd>本店営業部 普通預金 0123456、本店営業部 当座預金 0765432</dd>"),
        "{home}"
    );
    assert!(home.contains("<dd>残高照会・入出金明細照会</dd>"), "{home}");
    // In English the account types and the lists read as English.
    let english = text_of(&browser, &app.url("/t/kitami/my?lang=en")).await;
    assert!(
        english.contains(
            "<dd>本店営業部 Ordinary deposit 0123456, 本店営業部 Current account 0765432</dd>"
        ),
        "{english}"
    );
    assert!(
        english.contains("<dd>Balance inquiry, Transaction history</dd>"),
        "{english}"
    );
    browser
        .get(app.url("/t/kitami/my?lang=ja"))
        .send()
        .await
        .unwrap();
    let confirm = browser
        .get(app.url(&format!("/t/kitami/my/links/{grant}/revoke")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("デモ家計簿との連携を解除しますか。"));
    // Without the CSRF token nothing happens.
    let res = browser
        .post(app.url(&format!("/t/kitami/my/links/{grant}/revoke")))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The page tells the customer what to do here, not to go back to a partner's service.
    let body = res.text().await.unwrap();
    assert!(
        body.contains("ページを開き直してからもう一度お試しください"),
        "{body}"
    );
    assert_eq!(balances(&app, &access).await, StatusCode::OK);
    let res = browser
        .post(app.url(&format!("/t/kitami/my/links/{grant}/revoke")))
        .form(&[("csrf", csrf_of(&confirm).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/t/kitami/my?revoked=1");
    let res = app
        .token(
            "kitami",
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(balances(&app, &access).await, StatusCode::UNAUTHORIZED);
    // Another customer cannot even see the link.
    let other = app.browser();
    my_sign_in(&app, &other, "kitami", "Suzuki02", "Shinkin-2026!").await;
    let res = other
        .get(app.url(&format!("/t/kitami/my/links/{grant}/revoke")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn settings_take_effect_without_restart_and_bad_values_name_their_key() {
    let app = TestApp::spawn_seeded().await;
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    let a = AdminBrowser::new(&app, "kitami").sign_in(ADMIN).await;
    let mut form = a.settings_form().await;
    form[0].1 = "北見しんきん".into();
    form[2].1 = "green".into();
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = a.post("/settings", &borrowed).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Named by the field's label, in the console's language, and linked to the field, which is
    // marked invalid; the other fields are not.
    let page = res.text().await.unwrap();
    assert!(
        page.contains("<a href=\"#primary\">メインの色: 「green」は色として読めません。#1a5fb4 のように、# と16進数6桁で入力してください。</a>"),
        "{page}"
    );
    assert!(page.contains("name=\"primary\" value=\"green\" pattern=\"#[0-9a-fA-F]{6}\" aria-invalid=\"true\" aria-describedby=\"settings-errors\""), "{page}");
    assert_eq!(page.matches("aria-invalid").count(), 1, "{page}");
    assert!(
        page.contains("name=\"name_ja\" value=\"北見しんきん\""),
        "what was typed is kept"
    );
    form[2].1 = "#123456".into();
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = a.post("/settings", &borrowed).await;
    assert_eq!(location(&res), "/t/kitami/admin/settings?saved=1");
    let home = app.get("/t/kitami/").await.text().await.unwrap();
    assert!(home.contains("北見しんきん"));
    let theme = app.get("/t/kitami/theme.css").await.text().await.unwrap();
    assert!(theme.contains("#123456"));
}

#[tokio::test]
async fn an_admin_unlocks_a_locked_customer() {
    let app = TestApp::spawn_seeded().await;
    let flow = Flow::new(&app, "kitami");
    flow.authorize(&[]).await;
    for _ in 0..5 {
        flow.login("Yamada01", "wrong-password").await;
    }
    assert_eq!(
        flow.login("Yamada01", "Shinkin-2026!").await.status(),
        StatusCode::FORBIDDEN
    );
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    let a = AdminBrowser::new(&app, "kitami").sign_in(ADMIN).await;
    let page = a
        .get("/customers?login_id=Yamada01")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("ロック中"));
    let id = page.split("/admin/customers/").nth(1).unwrap()[..36].to_owned();
    assert_eq!(
        a.post(&format!("/customers/{id}/unlock"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        a.get("/customers?login_id=Yamada01")
            .await
            .text()
            .await
            .unwrap()
            .contains("利用可能")
    );
    assert_eq!(
        flow.login("Yamada01", "Shinkin-2026!").await.status(),
        StatusCode::SEE_OTHER
    );
}

/// A logo upload's body.
fn upload(csrf: &str, name: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    multipart(csrf, "logo", name, content_type, bytes)
}

#[tokio::test]
async fn a_logo_upload_is_png_or_a_safe_svg_within_the_limit() {
    let app = TestApp::spawn_seeded().await;
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    let a = AdminBrowser::new(&app, "kitami").sign_in(ADMIN).await;
    let send = |(content_type, body): (String, Vec<u8>)| {
        let a = &a;
        async move {
            a.client
                .post(a.url("/settings/logo"))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let evil = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let res = send(upload(&a.csrf, "evil.svg", "image/svg+xml", evil)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains(
        "<a href=\"#logo\">ロゴ: SVG に使えない「&lt;script&gt;」が含まれています。</a>"
    ));
    // What a list of forbidden strings let through.
    for bypass in [
        &br#"<svg/onload=alert(1)>"#[..],
        br#"<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:script>alert(1)</svg:script></svg:svg>"#,
        br#"<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript&#58;alert(1)"><rect width="9" height="9"/></a></svg>"#,
        br#"<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9" fill="url(https://tracker.example/t)"/></svg>"#,
    ] {
        let res = send(upload(&a.csrf, "bypass.svg", "image/svg+xml", bypass)).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(bypass));
    }
    let huge = vec![b' '; 300 * 1024];
    let res = send(upload(&a.csrf, "huge.svg", "image/svg+xml", &huge)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = send(upload("forged", "ok.svg", "image/svg+xml", b"<svg/>")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let good = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#123456"/></svg>"##;
    let res = send(upload(&a.csrf, "ok.svg", "image/svg+xml", good)).await;
    assert_eq!(location(&res), "/t/kitami/admin/settings?saved=1");
    let served = app.get("/t/kitami/logo").await;
    assert_eq!(served.headers()["content-type"], "image/svg+xml");
    assert_eq!(served.bytes().await.unwrap().as_ref(), good.as_slice());
}

/// The language link of a page sent in answer to a form's POST points at the path the form
/// posted to. Asked for with GET, that path sends the browser on to the form's page in the
/// other language, instead of to a page that does not exist.
#[tokio::test]
async fn the_language_link_of_a_page_answering_a_form_leads_to_the_form_page() {
    let app = TestApp::spawn_seeded().await;
    let switch_of = |page: &str| {
        let at = page.find("hreflang=").expect("a language link");
        let link = &page[..at];
        let href = &link[link.rfind("href=\"").unwrap() + 6..];
        href[..href.find('"').unwrap()].replace("&amp;", "&")
    };

    // A customer's failed sign-in at /my.
    let browser = app.browser();
    let res = my_sign_in(&app, &browser, "kitami", "Yamada01", "wrong").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let switch = switch_of(&res.text().await.unwrap());
    assert_eq!(switch, "/t/kitami/my/login?lang=en");
    let res = browser.get(app.url(&switch)).send().await.unwrap();
    assert_eq!(location(&res), "/t/kitami/my?lang=en");
    let res = browser.get(app.url(&location(&res))).send().await.unwrap();
    let page = res.text().await.unwrap();
    assert!(page.contains("Customer ID"), "{page}");

    // An admin's refused logo upload and a partner's new secret.
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    let a = AdminBrowser::new(&app, "kitami").sign_in(ADMIN).await;
    let (content_type, body) = upload(&a.csrf, "huge.svg", "image/svg+xml", &[b' '; 300 * 1024]);
    let res = a
        .client
        .post(a.url("/settings/logo"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let switch = switch_of(&res.text().await.unwrap());
    assert_eq!(switch, "/t/kitami/admin/settings/logo?lang=en");
    let res = a.client.get(app.url(&switch)).send().await.unwrap();
    assert_eq!(location(&res), "/t/kitami/admin/settings?lang=en");

    let partners = a.get("/partners").await.text().await.unwrap();
    let partner = partners.split("/admin/partners/").nth(1).unwrap()[..36].to_owned();
    let res = a
        .client
        .post(a.url(&format!("/partners/{partner}/secret")))
        .form(&[("csrf", a.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The console is in English now (the switch above), so its link leads back to Japanese.
    let switch = switch_of(&res.text().await.unwrap());
    assert_eq!(
        switch,
        format!("/t/kitami/admin/partners/{partner}/secret?lang=ja")
    );
    let res = a.client.get(app.url(&switch)).send().await.unwrap();
    assert_eq!(
        location(&res),
        format!("/t/kitami/admin/partners/{partner}?lang=ja")
    );
    // Only a partner's id goes into the address it sends the browser to.
    let res = a.get("/partners/%0d%0aSet-Cookie:x=1/secret").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// A refused registration comes back with what the admin typed and chose, so fixing one field
/// does not mean entering the others again (or sending the defaults by mistake).
#[tokio::test]
async fn a_refused_partner_registration_keeps_what_was_entered() {
    let app = TestApp::spawn_seeded().await;
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    let a = AdminBrowser::new(&app, "kitami").sign_in(ADMIN).await;
    let res = a
        .post(
            "/partners",
            &[
                ("name_ja", "みらい家計簿"),
                ("name_en", "Mirai <Budget>"),
                ("redirect_uris", "http://mirai.example/cb"),
                ("scopes", "transactions:read"),
                ("auth_method", "client_secret_post"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("「http://mirai.example/cb」は https にしてください（http は 127.0.0.1 と localhost のときだけ使えます）。"),
        "{page}"
    );
    assert!(
        page.contains("name=\"name_ja\" value=\"みらい家計簿\""),
        "{page}"
    );
    // Escaped, as everything typed is.
    assert!(page.contains("value=\"Mirai &lt;Budget&gt;\""), "{page}");
    assert!(page.contains(">http://mirai.example/cb</textarea>"));
    assert!(page.contains("value=\"balance:read\">"));
    assert!(page.contains("value=\"transactions:read\" checked>"));
    assert!(page.contains("<option selected>client_secret_post</option>"));
    // Nothing was registered.
    assert!(
        !a.get("/partners")
            .await
            .text()
            .await
            .unwrap()
            .contains("みらい家計簿")
    );
    // The first showing: empty, both scopes ticked, the default method.
    let page = a.get("/partners").await.text().await.unwrap();
    assert!(page.contains("name=\"name_ja\" value=\"\""));
    assert!(page.contains("value=\"balance:read\" checked>"));
    assert!(page.contains("<option selected>client_secret_basic</option>"));

    // Editing: the form shows what is stored; a refused change keeps what was typed instead.
    let partners = a.get("/partners").await.text().await.unwrap();
    let partner = partners.split("/admin/partners/").nth(1).unwrap()[..36].to_owned();
    let page = a
        .get(&format!("/partners/{partner}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("name=\"name_ja\" value=\"デモ家計簿\""),
        "{page}"
    );
    assert!(page.contains(&format!(">{REDIRECT}</textarea>")), "{page}");
    assert!(page.contains("value=\"balance:read\" checked>"), "{page}");
    let res = a
        .post(
            &format!("/partners/{partner}"),
            &[
                ("name_ja", "デモ家計簿２"),
                ("name_en", "Demo Kakeibo 2"),
                ("redirect_uris", "ftp://demo.example/cb"),
                ("scopes", "balance:read"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("value=\"デモ家計簿２\""), "{page}");
    assert!(page.contains(">ftp://demo.example/cb</textarea>"));
    assert!(page.contains("value=\"transactions:read\">"));
}

/// A partner that signs in with its certificate needs that certificate's subject, written so
/// that it can be read; the console says so in its own language, and registers nothing until
/// it can.
#[tokio::test]
async fn a_certificate_partner_needs_a_readable_subject_and_is_told_so_in_the_consoles_language() {
    let app = TestApp::spawn_seeded().await;
    add_admin(&app, "kitami", ADMIN, Role::Admin).await;
    let a = AdminBrowser::new(&app, "kitami").sign_in(ADMIN).await;
    let register = |path: &'static str, subject: &'static str| {
        let a = &a;
        async move {
            let res = a
                .post(
                    path,
                    &[
                        ("name_ja", "証明書家計簿"),
                        ("name_en", "Certificate Budget"),
                        ("redirect_uris", "https://cert.example/cb"),
                        ("scopes", "balance:read"),
                        ("auth_method", "tls_client_auth"),
                        ("cert_subject", subject),
                    ],
                )
                .await;
            (res.status(), res.text().await.unwrap())
        }
    };
    let (status, page) = register("/partners", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("tls_client_auth には、サービスの証明書のサブジェクトDNが必要です。"),
        "{page}"
    );
    assert!(page.contains("<option selected>tls_client_auth</option>"));
    let (status, page) = register("/partners", "cert-budget").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("「cert-budget」はサブジェクトDNとして読めません。CN=mirai-budget,O=Mirai Inc.,C=JP のように入力してください。"),
        "{page}"
    );
    // The same refusal in English, where the reader's why is given too.
    let (status, page) = register("/partners?lang=en", "cert-budget").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("The subject DN cannot be read (&#39;cert-budget&#39; is not TYPE=value); write it like CN=mirai-budget,O=Mirai Inc.,C=JP"),
        "{page}"
    );
    let list = a.get("/partners").await.text().await.unwrap();
    assert!(
        !list.contains("Certificate Budget") && !list.contains("証明書家計簿"),
        "nothing was registered"
    );

    let (status, page) = register("/partners?lang=ja", "CN=cert-budget,O=Cert Inc.,C=JP").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(">証明書家計簿</a>"), "{page}");
    assert!(
        !page.contains("id=\"new-secret\""),
        "a certificate partner has no secret"
    );
}
