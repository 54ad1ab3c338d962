//! `POST /t/<slug>/core/v1/imports`: the bank's systems send a file with an ingest key over
//! HTTPS; nobody else's credentials open it.

use reqwest::StatusCode;
use serde_json::Value;

use crate::admin_helpers::{AdminBrowser, add_admin};
use crate::helpers::{TestApp, count, renkei};
use crate::zengin_files::{Account, File, Row};

/// Behind a TLS-terminating proxy on 127.0.0.1, as production runs.
async fn app_behind_proxy(max_mb: u64) -> TestApp {
    TestApp::spawn_seeded_with(move |s| {
        s.tls.trusted_proxies = vec!["127.0.0.1".into()];
        s.core.max_upload_mb = max_mb;
    })
    .await
}

fn ingest_key(app: &TestApp, tenant: &str) -> String {
    let out = renkei(
        &app.db.url,
        &[
            "core",
            "ingest-keys",
            "add",
            "--tenant",
            tenant,
            "--name",
            "fb-gateway",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["ingest_key"].as_str().unwrap().to_owned()
}

/// A day's statement of Yamada01's 普通 account, 取引前残高 as the core knows it.
async fn statement(app: &TestApp) -> Vec<u8> {
    let balance = count(
        app,
        "SELECT balance AS n FROM accounts WHERE account_id = '001010123456'",
    )
    .await;
    let day = renkei::demo::today_jst();
    File {
        bank_code: "9991",
        created: day,
        accounts: vec![Account {
            branch: "001",
            deposit_type: 1,
            number: "0123456".into(),
            from: day,
            to: day,
            opening: Some(balance),
            rows: vec![Row {
                reference: 90_001,
                day,
                deposit: true,
                kind: "10",
                amount: 3_000,
                party: "",
                summary: "ATM",
            }],
        }],
        crlf: true,
        code: '0',
    }
    .bytes()
}

async fn post(
    app: &TestApp,
    tenant: &str,
    auth: Option<&str>,
    https: bool,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/t/{tenant}/core/v1/imports?name=today.txt")))
        .body(body);
    if let Some(auth) = auth {
        req = req.header("Authorization", auth);
    }
    if https {
        req = req.header("X-Forwarded-Proto", "https");
    }
    req.send().await.unwrap()
}

/// The job at `location`, once it is no longer pending.
async fn finished(app: &TestApp, location: &str, key: &str) -> Value {
    for _ in 0..100 {
        let job: Value = app
            .client
            .get(app.url(location))
            .header("Authorization", format!("Bearer {key}"))
            .header("X-Forwarded-Proto", "https")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if job["status"] != "pending" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the job at {location} stayed pending");
}

#[tokio::test]
async fn the_banks_system_sends_a_file_and_reads_its_report() {
    let app = app_behind_proxy(100).await;
    let key = ingest_key(&app, "kitami");
    let res = post(
        &app,
        "kitami",
        Some(&format!("Bearer {key}")),
        true,
        statement(&app).await,
    )
    .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/t/kitami/core/v1/imports/"),
        "{location}"
    );
    let job = finished(&app, &location, &key).await;
    assert_eq!(job["status"], "imported", "{job}");
    assert_eq!(job["report"]["rows_added"], 1);
    assert_eq!(job["file_name"], "today.txt");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM audit_log WHERE event = 'core.imported' AND actor = 'ingest:fb-gateway'").await,
        1
    );
    // Sent again: accepted, nothing added.
    let res = post(
        &app,
        "kitami",
        Some(&format!("Bearer {key}")),
        true,
        statement(&app).await,
    )
    .await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let job = finished(&app, &location, &key).await;
    // The balance moved by the first file: this one no longer meets it, and says so.
    assert_eq!(job["status"], "refused", "{job}");
    assert!(
        job["error"].as_str().unwrap().contains("取引前残高"),
        "{job}"
    );
}

#[tokio::test]
async fn nobody_but_a_live_ingest_key_over_https_reaches_it() {
    let app = app_behind_proxy(1).await;
    let key = ingest_key(&app, "kitami");
    let hokuto = ingest_key(&app, "hokuto");
    let body = || b"1".to_vec();
    let refused = |res: &reqwest::Response, status: StatusCode| assert_eq!(res.status(), status);

    // Over plain HTTP, even with the key.
    let res = post(
        &app,
        "kitami",
        Some(&format!("Bearer {key}")),
        false,
        body(),
    )
    .await;
    refused(&res, StatusCode::FORBIDDEN);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "https_required"
    );
    // No key, a wrong one, another institution's.
    for auth in [
        None,
        Some("Bearer rki_not-a-key".to_owned()),
        Some(format!("Bearer {hokuto}")),
    ] {
        let res = post(&app, "kitami", auth.as_deref(), true, body()).await;
        refused(&res, StatusCode::UNAUTHORIZED);
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_key")
        );
    }
    // A partner's access token.
    let tokens = app.yamadas_tokens().await;
    let partner = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    refused(
        &post(&app, "kitami", Some(&partner), true, body()).await,
        StatusCode::UNAUTHORIZED,
    );
    // An admin's console session.
    add_admin(
        &app,
        "kitami",
        "admin@kitami.example",
        renkei::admin::Role::Admin,
    )
    .await;
    let admin = AdminBrowser::new(&app, "kitami")
        .sign_in("admin@kitami.example")
        .await;
    let res = admin
        .client
        .post(app.url("/t/kitami/core/v1/imports"))
        .header("X-Forwarded-Proto", "https")
        .body(body())
        .send()
        .await
        .unwrap();
    refused(&res, StatusCode::UNAUTHORIZED);
    // A report is read with the key only.
    let res = app
        .client
        .get(app.url("/t/kitami/core/v1/imports/1"))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    refused(&res, StatusCode::UNAUTHORIZED);
    // Larger than core.max_upload_mb.
    let res = post(
        &app,
        "kitami",
        Some(&format!("Bearer {key}")),
        true,
        vec![b' '; 1024 * 1024 + 1],
    )
    .await;
    refused(&res, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM core_ingests").await,
        0,
        "nothing was received"
    );
}

#[tokio::test]
async fn the_banks_certificate_opens_the_intake_and_no_other_certificate_does() {
    use renkei::certs::dev::{DevCa, Leaf};
    let pki = crate::cert_helpers::Pki::new();
    let bank_ca = DevCa::generate("Kitami Core Systems CA").unwrap();
    let folder = pki.kitami_folder(&[]);
    // As RFC 4514 writes it, the most specific part first (as a partner's cert_subject is).
    let subject = "CN=fb.kitami.example.jp, O=Kitami Shinkin Bank, C=JP";
    let mut toml = std::fs::read_to_string(folder.join("tenant.toml")).unwrap();
    toml.push_str(&format!(
        "\n[core]\nclient_ca = \"core-ca.pem\"\nclient_cert_subject = \"{subject}\"\n"
    ));
    std::fs::write(folder.join("tenant.toml"), toml).unwrap();
    std::fs::write(folder.join("core-ca.pem"), bank_ca.cert_pem()).unwrap();
    let app = crate::certificates::spawn_with(&pki, &folder, |_| {}).await;
    let bank = bank_ca
        .issue(&Leaf::with_subject(
            &[
                ("C", "JP"),
                ("O", "Kitami Shinkin Bank"),
                ("CN", "fb.kitami.example.jp"),
            ],
            renkei::certs::dev::Usage::Client,
        ))
        .unwrap();
    let send = |identity: Option<&renkei::certs::dev::Issued>| {
        let client = pki.client(identity);
        let url = app.https("/t/kitami/core/v1/imports?name=today.txt");
        async move {
            client
                .post(url)
                .body(b"1".to_vec())
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(send(Some(&bank)).await, StatusCode::ACCEPTED);
    // The same CA, another subject; the right subject from another CA; a partner's; none.
    let other = bank_ca
        .issue(&Leaf::client("someone.kitami.example.jp"))
        .unwrap();
    let forged = pki
        .stranger_ca
        .issue(&Leaf::with_subject(
            &[
                ("C", "JP"),
                ("O", "Kitami Shinkin Bank"),
                ("CN", "fb.kitami.example.jp"),
            ],
            renkei::certs::dev::Usage::Client,
        ))
        .unwrap();
    let partner = pki.partner_ca.issue(&Leaf::client("demo-kakeibo")).unwrap();
    for identity in [Some(&other), Some(&forged), Some(&partner), None] {
        assert_eq!(send(identity).await, StatusCode::UNAUTHORIZED);
    }
    // Saved from the console's settings page, [core] and bank_code stay as they were.
    add_admin(
        &app,
        "kitami",
        "admin@kitami.example",
        renkei::admin::Role::Admin,
    )
    .await;
    let admin = AdminBrowser::new(&app, "kitami")
        .sign_in("admin@kitami.example")
        .await;
    let form = admin.settings_form().await;
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        admin.post("/settings", &borrowed).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(send(Some(&bank)).await, StatusCode::ACCEPTED);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM core_ingests WHERE actor LIKE 'bank-certificate:%'"
        )
        .await,
        2
    );
}
