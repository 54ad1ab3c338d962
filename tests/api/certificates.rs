//! Electronic certificates over real TLS: customers' certificate login (電子証明書認証), the
//! proxy header, and partners' mutual TLS with certificate-bound tokens (RFC 8705).

use renkei::certs::dev::{Issued, Leaf, Usage};
use renkei::oauth::clients::{self, AuthMethod, NewPartner};
use renkei::oauth::scopes::Scopes;
use renkei::sandbox::{self, LoginId};
use reqwest::StatusCode;

use crate::cert_helpers::{Pki, customer_leaf, presented};
use crate::helpers::{TestApp, count, renkei};
use crate::oauth_helpers::{CLIENT, Flow, REDIRECT, SECRET, VERIFIER, csrf_of, location, query_of};

/// kitami with the PKI's customer CA (and `revoked` serials), HTTPS on, demo data seeded.
pub async fn spawn(
    pki: &Pki,
    revoked: &[&str],
    tweak: impl FnOnce(&mut renkei::config::Settings) + 'static,
) -> TestApp {
    spawn_with(pki, &pki.kitami_folder(revoked), tweak).await
}

/// [`spawn`] with kitami from `folder` (e.g. with a CRL beside its CA).
pub async fn spawn_with(
    pki: &Pki,
    folder: &std::path::Path,
    tweak: impl FnOnce(&mut renkei::config::Settings) + 'static,
) -> TestApp {
    let tls = (
        pki.dir.join("server.pem"),
        pki.dir.join("server-key.pem"),
        pki.dir.join("partner-ca.pem"),
    );
    let app = TestApp::builder()
        .with_tenant_folder(folder)
        .with_tenant("hokuto")
        .with_settings(move |s| {
            s.tls.bind = Some("127.0.0.1:0".parse().unwrap());
            s.tls.cert = Some(tls.0);
            s.tls.key = Some(tls.1);
            s.tls.partner_ca = Some(tls.2);
            tweak(s);
        })
        .spawn()
        .await;
    renkei::demo::seed(&app.db_pool(2), renkei::demo::today_jst())
        .await
        .expect("demo seed");
    app
}

pub async fn bind(app: &TestApp, login_id: &str, cert: &Issued) {
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let customer = sandbox::find_customer(&mut conn, &LoginId::parse(login_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        sandbox::bind_certificate(&mut conn, customer, &presented(cert))
            .await
            .unwrap()
    );
}

/// A flow over HTTPS with this certificate (or none), started at /authorize.
pub async fn started<'a>(app: &'a TestApp, pki: &Pki, cert: Option<&Issued>) -> Flow<'a> {
    let flow = Flow::over(app, "kitami", pki.client(cert), &app.https(""));
    let res = flow.authorize(&[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    flow
}

/// Still at the login step: the consent page sends the browser back to log in.
pub async fn assert_not_logged_in(flow: &Flow<'_>) {
    let res = flow.get("/t/kitami/oauth/consent").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/t/kitami/oauth/login");
}

#[tokio::test]
async fn a_valid_certificate_logs_in_and_completes_a_consent() {
    let pki = Pki::new();
    let app = spawn(&pki, &[], |_| {}).await;
    let cert = pki.customer_ca.issue(&customer_leaf("山田商店")).unwrap();
    bind(&app, "Yamada01", &cert).await;
    let flow = started(&app, &pki, Some(&cert)).await;

    let login = flow.login_page().await;
    assert!(login.contains("href=\"/t/kitami/oauth/certificate\""));
    assert!(login.contains("電子証明書認証"));
    let res = flow.get("/t/kitami/oauth/certificate").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("山田商店"), "{page}");
    assert!(page.contains("Kitami Customer CA"));
    assert!(page.contains(&presented(&cert).serial));
    // GET only shows the certificate: nothing is logged in yet.
    assert_not_logged_in(&flow).await;

    let res = flow
        .post(
            "/t/kitami/oauth/certificate",
            &[("csrf", &csrf_of(&page)), ("action", "login")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/t/kitami/oauth/consent");
    let res = flow.allow(true, None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let q = query_of(&location(&res));
    assert_eq!(q["state"], "st-123");

    // The partner's server exchanges the code as usual and reads Yamada01's accounts.
    let res = app.exchange("kitami", &q["code"]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: serde_json::Value = res.json().await.unwrap();
    let res = app
        .client
        .get(app.url("/t/kitami/api/v1/accounts"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["accounts"].as_array().unwrap().len(), 2);

    let logins = count(
        &app,
        "SELECT count(*) AS n FROM audit_log WHERE event = 'login.ok' AND detail->>'method' = 'certificate'",
    )
    .await;
    assert_eq!(logins, 1);
}

/// A flow started over HTTP moves to the HTTPS listener for the certificate. The sign-in there
/// sets a new, `Secure` handle where the consent page follows; the handle of before opens
/// nothing on either listener.
#[tokio::test]
async fn a_certificate_sign_in_leaves_the_handle_of_before_dead_on_both_listeners() {
    use crate::hardening::{authorize_url, bare_client, post_with_handle, set_cookie, with_handle};
    let pki = Pki::new();
    let app = spawn(&pki, &[], |_| {}).await;
    let cert = pki.customer_ca.issue(&customer_leaf("山田商店")).unwrap();
    bind(&app, "Yamada01", &cert).await;
    let res = bare_client()
        .get(authorize_url(&app, &[]))
        .send()
        .await
        .unwrap();
    let (old, line) = set_cookie(&res, "renkei_flow").unwrap();
    assert!(!line.contains("Secure"), "plain HTTP: {line}");

    // The browser follows the certificate link to HTTPS, carrying its cookie.
    let browser = pki.client(Some(&cert));
    let res = with_handle(&browser, &app.url("/t/kitami/oauth/certificate"), &old).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res);
    assert!(to.starts_with("https://"), "{to}");
    let res = with_handle(&browser, &to, &old).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csrf = csrf_of(&res.text().await.unwrap());
    let res = post_with_handle(&browser, &to, &old, &[("csrf", &csrf), ("action", "login")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/t/kitami/oauth/consent");
    let (fresh, line) = set_cookie(&res, "renkei_flow").expect("a new handle at sign-in");
    assert_ne!(fresh, old);
    assert!(line.contains("Secure"), "{line}");
    assert!(line.contains("Path=/t/kitami/oauth"), "{line}");

    for base in [app.url(""), app.https("")] {
        let res = with_handle(&browser, &format!("{base}/t/kitami/oauth/consent"), &old).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{base}");
    }
    let res = with_handle(&browser, &app.https("/t/kitami/oauth/consent"), &fresh).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("name=\"accounts\""));
}

#[tokio::test]
async fn each_unusable_certificate_gets_its_own_page_and_no_login() {
    let pki = Pki::new();
    let revoked = pki.customer_ca.issue(&customer_leaf("山田商店")).unwrap();
    let revoked_serial = presented(&revoked).serial;
    let app = spawn(&pki, &[&revoked_serial], |_| {}).await;
    bind(&app, "Yamada01", &revoked).await;

    let stranger = pki.stranger_ca.issue(&customer_leaf("山田商店")).unwrap();
    let mut old = customer_leaf("山田商店");
    old.not_before = chrono::Utc::now() - chrono::Duration::days(400);
    old.not_after = chrono::Utc::now() - chrono::Duration::days(1);
    let expired = pki.customer_ca.issue(&old).unwrap();
    bind(&app, "Yamada01", &expired).await;
    let unbound = pki.customer_ca.issue(&customer_leaf("鈴木")).unwrap();

    let cases: [(Option<&Issued>, StatusCode, &str, &str); 5] = [
        (
            Some(&stranger),
            StatusCode::FORBIDDEN,
            "この電子証明書はご利用いただけません",
            "This certificate cannot be used",
        ),
        (
            Some(&expired),
            StatusCode::FORBIDDEN,
            "電子証明書の有効期限が切れています",
            "Your certificate has expired",
        ),
        (
            Some(&revoked),
            StatusCode::FORBIDDEN,
            "この電子証明書は失効しています",
            "This certificate has been revoked",
        ),
        (
            Some(&unbound),
            StatusCode::FORBIDDEN,
            "この電子証明書は登録されていません",
            "This certificate is not registered",
        ),
        (
            None,
            StatusCode::UNAUTHORIZED,
            "電子証明書を確認できませんでした",
            "No certificate was received",
        ),
    ];
    for (cert, status, ja, en) in cases {
        let flow = started(&app, &pki, cert).await;
        let csrf = csrf_of(&flow.login_page().await);
        let res = flow.get("/t/kitami/oauth/certificate").await;
        assert_eq!(res.status(), status, "{ja}");
        let page = res.text().await.unwrap();
        assert!(page.contains(ja), "{ja}: {page}");
        assert!(
            page.contains("href=\"/t/kitami/oauth/login\""),
            "the way back to the password"
        );
        let res = flow.get("/t/kitami/oauth/certificate?lang=en").await;
        assert_eq!(res.status(), status);
        assert!(res.text().await.unwrap().contains(en), "{en}");
        // Posting anyway changes nothing.
        let res = flow
            .post(
                "/t/kitami/oauth/certificate",
                &[("csrf", &csrf), ("action", "login")],
            )
            .await;
        assert_eq!(res.status(), status, "{ja} (POST)");
        assert_not_logged_in(&flow).await;
    }
}

#[tokio::test]
async fn the_proxy_header_counts_only_from_a_trusted_proxy() {
    let pki = Pki::new();
    let cert = pki.customer_ca.issue(&customer_leaf("山田商店")).unwrap();
    let header: String =
        percent_encoding::utf8_percent_encode(&cert.cert_pem(), percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    for (proxies, trusted) in [
        (vec!["10.9.9.9".to_owned()], false),
        (vec!["127.0.0.0/8".to_owned()], true),
    ] {
        let app = spawn(&pki, &[], move |s| {
            s.tls.client_cert_header = Some("X-Client-Cert".into());
            s.tls.trusted_proxies = proxies;
        })
        .await;
        bind(&app, "Yamada01", &cert).await;
        // Plain HTTP from 127.0.0.1, the header set by whoever sent the request.
        let flow = Flow::new(&app, "kitami");
        assert_eq!(flow.authorize(&[]).await.status(), StatusCode::SEE_OTHER);
        let csrf = csrf_of(&flow.login_page().await);
        let get = flow
            .browser
            .get(flow.url("/t/kitami/oauth/certificate"))
            .header("X-Client-Cert", &header)
            .send()
            .await
            .unwrap();
        let post = flow
            .browser
            .post(flow.url("/t/kitami/oauth/certificate"))
            .header("X-Client-Cert", &header)
            .form(&[("csrf", csrf.as_str()), ("action", "login")])
            .send()
            .await
            .unwrap();
        if trusted {
            assert_eq!(get.status(), StatusCode::OK);
            assert!(get.text().await.unwrap().contains("山田商店"));
            assert_eq!(post.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&post), "/t/kitami/oauth/consent");
        } else {
            // Ignored: the same answer as with no header, the way to the HTTPS listener.
            let https = app.https("/t/kitami/oauth/certificate");
            assert_eq!(get.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&get), https);
            assert_eq!(post.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&post), https);
            assert_not_logged_in(&flow).await;
        }
    }
}

pub const MTLS_CLIENT: &str = "mirai-mtls";
pub const MTLS_DN: &str = "CN=mirai-mtls,O=Mirai Inc.,C=JP";

pub fn partner_leaf() -> Leaf {
    Leaf::with_subject(
        &[("C", "JP"), ("O", "Mirai Inc."), ("CN", MTLS_CLIENT)],
        Usage::Client,
    )
}

pub async fn register_mtls_partner(app: &TestApp) {
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    clients::register(
        &mut conn,
        NewPartner {
            client_id: Some(MTLS_CLIENT.into()),
            secret: None,
            name_ja: "みらい家計簿".into(),
            name_en: "Mirai Budget".into(),
            redirect_uris: vec![REDIRECT.into()],
            scopes: Scopes::parse("balance:read transactions:read").unwrap(),
            auth_method: AuthMethod::TlsClientAuth,
            cert_subject: Some(MTLS_DN.into()),
            par_required: false,
        },
    )
    .await
    .unwrap();
}

/// The customer allows `client_id` with the password; returns the code.
pub async fn code_for(app: &TestApp, client_id: &str) -> String {
    let flow = Flow::new(app, "kitami");
    let res = flow.authorize(&[("client_id", client_id)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        flow.login("Yamada01", "Shinkin-2026!").await.status(),
        StatusCode::SEE_OTHER
    );
    let res = flow.allow(true, None).await;
    query_of(&location(&res))["code"].clone()
}

pub async fn post_form(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> (StatusCode, serde_json::Value) {
    let res = client.post(url).form(form).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or_default())
}

#[tokio::test]
async fn a_tls_client_auth_partner_gets_certificate_bound_tokens() {
    let pki = Pki::new();
    let app = spawn(&pki, &[], |_| {}).await;
    register_mtls_partner(&app).await;
    let cert = pki.partner_ca.issue(&partner_leaf()).unwrap();
    let partner = pki.client(Some(&cert));
    let token_url = app.https("/t/kitami/oauth/token");

    // Authentication refused: no certificate, a stranger's CA with the right DN, the wrong DN.
    let code = code_for(&app, MTLS_CLIENT).await;
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", MTLS_CLIENT),
    ];
    let stranger = pki.stranger_ca.issue(&partner_leaf()).unwrap();
    let wrong_dn = pki
        .partner_ca
        .issue(&Leaf::with_subject(
            &[("C", "JP"), ("O", "Mirai Inc."), ("CN", "someone-else")],
            Usage::Client,
        ))
        .unwrap();
    for (client, url) in [
        (pki.client(None), token_url.clone()),
        (app.client.clone(), app.url("/t/kitami/oauth/token")),
        (pki.client(Some(&stranger)), token_url.clone()),
        (pki.client(Some(&wrong_dn)), token_url.clone()),
    ] {
        let (status, body) = post_form(&client, &url, &exchange).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"], "invalid_client");
    }

    // With its certificate: a token bound to it.
    let code = code_for(&app, MTLS_CLIENT).await;
    let mut exchange = exchange;
    exchange[1].1 = &code;
    let (status, tokens) = post_form(&partner, &token_url, &exchange).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, info) = post_form(
        &partner,
        &app.https("/t/kitami/oauth/introspect"),
        &[("token", &access), ("client_id", MTLS_CLIENT)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["active"], true);
    assert_eq!(info["cnf"]["x5t#S256"], presented(&cert).x5t_s256());

    let balances = "/t/kitami/api/v1/accounts/balances";
    let res = partner
        .get(app.https(balances))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // The same token with another certificate of the same partner, or with none: 401.
    let other = pki.partner_ca.issue(&partner_leaf()).unwrap();
    for (client, url) in [
        (pki.client(Some(&other)), app.https(balances)),
        (pki.client(None), app.https(balances)),
        (app.client.clone(), app.url(balances)),
    ] {
        let res = client.get(url).bearer_auth(&access).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let challenge = res.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
            "{challenge}"
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["errorCode"], "invalid_token");
    }

    // Refreshing with a renewed certificate (same DN) binds the new token to the new one.
    let renewed = pki.client(Some(&other));
    let (status, refreshed) = post_form(
        &renewed,
        &token_url,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", MTLS_CLIENT),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let res = renewed
        .get(app.https(balances))
        .bearer_auth(refreshed["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // The metadata says so.
    let meta: serde_json::Value = app
        .get("/t/kitami/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        meta["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&"tls_client_auth".into())
    );
    assert_eq!(meta["tls_client_certificate_bound_access_tokens"], true);
    assert_eq!(meta["mtls_endpoint_aliases"]["token_endpoint"], token_url);
}

#[tokio::test]
async fn a_client_secret_basic_partner_is_unaffected_by_certificates() {
    let pki = Pki::new();
    let app = spawn(&pki, &[], |_| {}).await;
    let code = code_for(&app, CLIENT).await;
    // Over HTTPS, presenting a certificate it does not authenticate with.
    let cert = pki.partner_ca.issue(&partner_leaf()).unwrap();
    let over_tls = pki.client(Some(&cert));
    let res = over_tls
        .post(app.https("/t/kitami/oauth/token"))
        .basic_auth(CLIENT, Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: serde_json::Value = res.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let res = app
        .client
        .post(app.url("/t/kitami/oauth/introspect"))
        .basic_auth(CLIENT, Some(SECRET))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    let info: serde_json::Value = res.json().await.unwrap();
    assert_eq!(info["active"], true);
    assert!(info.get("cnf").is_none(), "{info}");
    // Plain HTTP, no certificate: the API answers.
    let res = app
        .client
        .get(app.url("/t/kitami/api/v1/accounts/balances"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn customers_add_cert_registers_only_certificates_the_tenant_trusts() {
    let pki = Pki::new();
    let app = spawn(&pki, &[], |_| {}).await;
    let run = |file: &std::path::Path| {
        let args = [
            "customers",
            "add-cert",
            "--tenant",
            "kitami",
            "--login-id",
            "Suzuki02",
        ];
        let mut args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        args.extend(["--cert".into(), file.into()]);
        renkei(&app.db.url, &args)
    };
    let write = |name: &str, issued: &Issued| {
        let path = pki.dir.join(name);
        std::fs::write(&path, issued.cert_pem()).unwrap();
        path
    };
    let good = pki.customer_ca.issue(&customer_leaf("鈴木")).unwrap();
    let out = run(&write("good.pem", &good));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], "registered");
    assert_eq!(json["serial"], presented(&good).serial);
    let again: serde_json::Value =
        serde_json::from_slice(&run(&pki.dir.join("good.pem")).stdout).unwrap();
    assert_eq!(again["status"], "already registered");

    let mut old = customer_leaf("鈴木");
    old.not_after = chrono::Utc::now() - chrono::Duration::days(1);
    old.not_before = chrono::Utc::now() - chrono::Duration::days(30);
    for (name, issued, why) in [
        (
            "expired.pem",
            pki.customer_ca.issue(&old).unwrap(),
            "expired",
        ),
        (
            "stranger.pem",
            pki.stranger_ca.issue(&customer_leaf("鈴木")).unwrap(),
            "not issued for client authentication by the tenant's customer CA",
        ),
    ] {
        let out = run(&write(name, &issued));
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{err}");
    }

    // Registered, so the certificate logs Suzuki02 in.
    let flow = started(&app, &pki, Some(&good)).await;
    let page = flow
        .get("/t/kitami/oauth/certificate")
        .await
        .text()
        .await
        .unwrap();
    let res = flow
        .post(
            "/t/kitami/oauth/certificate",
            &[("csrf", &csrf_of(&page)), ("action", "login")],
        )
        .await;
    assert_eq!(location(&res), "/t/kitami/oauth/consent");
}
