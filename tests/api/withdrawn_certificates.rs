//! Certificates that can be withdrawn: a partner's by the partner CA's CRL (`tls.partner_crl`,
//! read again when the file changes) or by a rollover of its subject in the console; and the
//! customers' CRL, refused once past its `nextUpdate` (unless `certificates.stale_crl =
//! "accept"`), renewed from the console or `renkei tenants crl`, warned of on the dashboard.

use chrono::{Duration, Utc};
use renkei::admin::Role;
use renkei::certs::dev::{Issued, Leaf, Usage, crl};
use renkei::oauth::clients;
use reqwest::StatusCode;

use crate::admin_helpers::{AdminBrowser, add_admin};
use crate::cert_helpers::{Pki, customer_leaf, presented};
use crate::certificates::{
    MTLS_CLIENT, bind, code_for, partner_leaf, post_form, register_mtls_partner, spawn_with,
    started,
};
use crate::helpers::{TestApp, count, renkei};
use crate::oauth_helpers::{REDIRECT, VERIFIER};

const BALANCES: &str = "/t/kitami/api/v1/accounts/balances";

/// Tokens for the mTLS partner, exchanged over `partner`'s connection.
async fn mtls_tokens(app: &TestApp, partner: &reqwest::Client) -> serde_json::Value {
    let code = code_for(app, MTLS_CLIENT).await;
    let (status, tokens) = post_form(
        partner,
        &app.https("/t/kitami/oauth/token"),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", MTLS_CLIENT),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens
}

/// A refresh over `partner`'s connection: the status and the answer.
async fn refresh(
    app: &TestApp,
    partner: &reqwest::Client,
    refresh_token: &str,
) -> (StatusCode, serde_json::Value) {
    post_form(
        partner,
        &app.https("/t/kitami/oauth/token"),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", MTLS_CLIENT),
        ],
    )
    .await
}

fn serial(issued: &Issued) -> String {
    presented(issued).serial
}

#[tokio::test]
async fn a_partner_certificate_the_ca_revokes_stops_at_once_without_a_restart() {
    let pki = Pki::new();
    let crl_file = pki.dir.join("partner-crl.pem");
    let now = Utc::now();
    let write_crl = |revoked: &[&str]| {
        let pem = crl(&pki.partner_ca, revoked, now, now + Duration::days(7)).unwrap();
        std::fs::write(&crl_file, pem).unwrap();
    };
    write_crl(&[]);
    let file = crl_file.clone();
    let app = spawn_with(&pki, &pki.kitami_folder(&[]), move |s| {
        s.tls.partner_crl = Some(file);
    })
    .await;
    register_mtls_partner(&app).await;
    let stolen = pki.partner_ca.issue(&partner_leaf()).unwrap();
    let thief = pki.client(Some(&stolen));
    let tokens = mtls_tokens(&app, &thief).await;
    let access = tokens["access_token"].as_str().unwrap();
    let res = thief
        .get(app.https(BALANCES))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // The CA lists the certificate; the next request sees the new file.
    write_crl(&[&serial(&stolen)]);
    let res = thief
        .get(app.https(BALANCES))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("invalid_token") && body.contains("revoked"),
        "{body}"
    );
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let (status, body) = refresh(&app, &thief, refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );
    // The partner's new certificate goes on.
    let renewed = pki.client(Some(&pki.partner_ca.issue(&partner_leaf()).unwrap()));
    let (status, body) = refresh(&app, &renewed, refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A file that does not load leaves the list of before in force.
    std::fs::write(&crl_file, "-----BEGIN X509 CRL-----\nhalf writ").unwrap();
    let (status, _) = refresh(&app, &thief, body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_console_rollover_accepts_two_subjects_until_it_is_finished() {
    let pki = Pki::new();
    let app = spawn_with(&pki, &pki.kitami_folder(&[]), |_| {}).await;
    register_mtls_partner(&app).await;
    let id = {
        let db = app.db_pool(1);
        let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
        clients::find(conn.statements(), MTLS_CLIENT)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let new_dn = "CN=mirai-mtls-2027,O=Mirai Inc.,C=JP";
    let old = pki.client(Some(&pki.partner_ca.issue(&partner_leaf()).unwrap()));
    let new = pki.client(Some(
        &pki.partner_ca
            .issue(&Leaf::with_subject(
                &[("C", "JP"), ("O", "Mirai Inc."), ("CN", "mirai-mtls-2027")],
                Usage::Client,
            ))
            .unwrap(),
    ));
    let tokens = mtls_tokens(&app, &old).await;
    let mut refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, _) = refresh(&app, &new, &refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "not registered yet");

    add_admin(&app, "kitami", "viewer@kitami.example.jp", Role::Viewer).await;
    let viewer = AdminBrowser::new(&app, "kitami")
        .sign_in("viewer@kitami.example.jp")
        .await;
    let path = format!("/partners/{id}/certificate");
    let res = viewer
        .post(&path, &[("action", "begin"), ("cert_subject", new_dn)])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    add_admin(&app, "kitami", "admin@kitami.example.jp", Role::Admin).await;
    let admin = AdminBrowser::new(&app, "kitami")
        .sign_in("admin@kitami.example.jp")
        .await;
    let res = admin
        .post(
            &path,
            &[
                ("action", "begin"),
                ("cert_subject", "CN=mirai-mtls, O=Mirai Inc., C=JP"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("すでに登録されているサブジェクトです")
    );
    let res = admin
        .post(&path, &[("action", "begin"), ("cert_subject", new_dn)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = admin
        .get(&format!("/partners/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("<code id=\"cert-subject-next\">{new_dn}</code>")),
        "{page}"
    );

    // During the rollover both certificates authenticate the partner.
    for partner in [&old, &new] {
        let (status, body) = refresh(&app, partner, &refresh_token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        refresh_token = body["refresh_token"].as_str().unwrap().to_owned();
    }
    let res = admin.post(&path, &[("action", "finish")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, body) = refresh(&app, &old, &refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("subject is not the registered one")
    );
    let (status, body) = refresh(&app, &new, &refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = admin.post(&path, &[("action", "cancel")]).await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "no rollover to cancel"
    );
    let audited = "SELECT count(*) AS n FROM audit_log WHERE detail->>'what' IN
        ('partner.cert_rollover_begun', 'partner.cert_rollover_finished')";
    assert_eq!(count(&app, audited).await, 2);
}

/// `GET path` with `cert`: the status and the page.
async fn with_cert(app: &TestApp, pki: &Pki, cert: &Issued, path: &str) -> (StatusCode, String) {
    let res = pki
        .client(Some(cert))
        .get(app.https(path))
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_stale_customer_crl_refuses_certificate_login_unless_the_tenant_accepts_it() {
    let now = Utc::now();
    for (setting, refused) in [("", true), ("stale_crl = \"accept\"", false)] {
        let pki = Pki::new();
        let stale = crl(
            &pki.customer_ca,
            &[],
            now - Duration::days(8),
            now - Duration::days(1),
        )
        .unwrap();
        let folder = pki.kitami_folder_with(&[], setting, Some(&stale));
        let app = spawn_with(&pki, &folder, |_| {}).await;
        let cert = pki.customer_ca.issue(&customer_leaf("山田商店")).unwrap();
        bind(&app, "Yamada01", &cert).await;
        let (status, page) = with_cert(&app, &pki, &cert, "/t/kitami/my/certificate").await;
        if refused {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(page.contains("失効リストの有効期限が切れている"), "{page}");
            assert!(
                page.contains("href=\"/t/kitami/my\""),
                "the password login is one link away"
            );
            let flow = started(&app, &pki, Some(&cert)).await;
            let res = flow.get("/t/kitami/oauth/certificate?lang=en").await;
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
            let page = res.text().await.unwrap();
            assert!(
                page.contains("list of withdrawn certificates is out of date"),
                "{page}"
            );
            assert!(page.contains("href=\"/t/kitami/oauth/login\""));
        } else {
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(page.contains("山田商店"));
        }
    }
}

async fn dashboard_warns(admin: &AdminBrowser<'_>) -> bool {
    let page = admin.get("").await.text().await.unwrap();
    page.contains("id=\"crl-warning\"")
}

/// `renkei tenants crl --tenant kitami FILE`.
fn crl_command(app: &TestApp, file: &std::path::Path) -> std::process::Output {
    let file = file.to_str().unwrap();
    renkei(&app.db.url, &["tenants", "crl", "--tenant", "kitami", file])
}

#[tokio::test]
async fn a_new_customer_crl_comes_from_the_console_or_the_cli_and_the_dashboard_warns_first() {
    let pki = Pki::new();
    let now = Utc::now();
    let ca = &pki.customer_ca;
    let due_soon = crl(ca, &[], now - Duration::days(4), now + Duration::days(3)).unwrap();
    let folder = pki.kitami_folder_with(&[], "", Some(&due_soon));
    let app = spawn_with(&pki, &folder, |_| {}).await;
    let cert = pki.customer_ca.issue(&customer_leaf("山田商店")).unwrap();
    bind(&app, "Yamada01", &cert).await;
    add_admin(&app, "kitami", "admin@kitami.example.jp", Role::Admin).await;
    let admin = AdminBrowser::new(&app, "kitami")
        .sign_in("admin@kitami.example.jp")
        .await;
    assert!(dashboard_warns(&admin).await);
    let dashboard = admin.get("").await.text().await.unwrap();
    assert!(dashboard.contains("更新期限を迎えます"), "{dashboard}");

    // Refused, each with its reason, and nothing changes.
    let older = crl(ca, &[], now - Duration::days(10), now + Duration::days(20)).unwrap();
    let foreign = crl(&pki.stranger_ca, &[], now, now + Duration::days(30)).unwrap();
    for (bytes, why) in [
        (older.as_bytes(), "使用中のもの"),
        (foreign.as_bytes(), "署名がありません"),
        (
            b"not a CRL".as_slice(),
            "証明書失効リスト（CRL）ではありません",
        ),
    ] {
        let res = admin.upload("/settings/crl", "crl", bytes).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let page = res.text().await.unwrap();
        assert!(page.contains(why), "{why}: {page}");
        assert!(page.contains("aria-invalid=\"true\""));
    }

    // The CA's new list, revoking the customer's certificate: in force at once.
    let fresh = crl(ca, &[&serial(&cert)], now, now + Duration::days(30)).unwrap();
    let res = admin.upload("/settings/crl", "crl", fresh.as_bytes()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!dashboard_warns(&admin).await);
    let (status, page) = with_cert(&app, &pki, &cert, "/t/kitami/my/certificate").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("この電子証明書は失効しています"));

    // The CLI takes a list as new, and refuses an older one.
    let file = pki.dir.join("cli.crl");
    std::fs::write(
        &file,
        crl(
            ca,
            &[],
            now + Duration::seconds(1),
            now + Duration::days(30),
        )
        .unwrap(),
    )
    .unwrap();
    let out = crl_command(&app, &file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], "in force");
    std::fs::write(&file, &older).unwrap();
    let out = crl_command(&app, &file);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("older than the one in force"), "{err}");
    let (status, _) = with_cert(&app, &pki, &cert, "/t/kitami/my/certificate").await;
    assert_eq!(status, StatusCode::OK);

    // `tenants apply` with the folder's older list keeps the newer one.
    let dir = folder.parent().unwrap().to_str().unwrap();
    let out = renkei(&app.db.url, &["tenants", "apply", dir]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dashboard_warns(&admin).await);
    let audited =
        "SELECT count(*) AS n FROM audit_log WHERE detail->>'what' = 'customer_crl.replaced'";
    assert_eq!(count(&app, audited).await, 2);
}
