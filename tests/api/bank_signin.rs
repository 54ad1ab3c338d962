//! The bank's own sign-in as `tenant.toml` sets it (`[bank.oidc]`): the client secret sealed,
//! the sign-in page beside or instead of the password form, and a provider that cannot be
//! reached. The sign-in itself, against a real OpenID provider, is in the browser tests
//! (`tests/e2e/bank_signin.test.mjs`).

use std::path::{Path, PathBuf};

use crate::helpers::{TestApp, TestDb, count, renkei};
use crate::oauth_helpers::csrf_of;

const SECRET: &str = "the-client-secret-the-bank-issued-0123456789abcdef";

/// kitami's folder, in a directory of its own, with `[bank]` and `[bank.oidc]` as given and the
/// client secret beside it.
fn kitami_with(dir: &Path, bank: &str) -> PathBuf {
    let folder = dir.join("kitami");
    std::fs::create_dir_all(&folder).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tenants/kitami");
    let mut toml = std::fs::read_to_string(repo.join("tenant.toml")).unwrap();
    toml.push_str(bank);
    std::fs::write(folder.join("tenant.toml"), toml).unwrap();
    std::fs::copy(repo.join("logo.svg"), folder.join("logo.svg")).unwrap();
    std::fs::write(folder.join("oidc-secret"), format!("{SECRET}\n")).unwrap();
    folder
}

fn tempdir(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An issuer on a loopback port nothing listens on.
fn closed_issuer() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

fn oidc(issuer: &str, show: &str) -> String {
    format!(
        r#"
[bank]
directory = "oidc"

[bank.oidc]
issuer = "{issuer}"
client_id = "renkei-kitami"
client_auth = "client_secret_basic"
client_secret_file = "oidc-secret"
show = "{show}"
timeout_ms = 500
"#
    )
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_client_secret_is_sealed_applied_once_and_never_in_clear_in_the_database() {
    let db = TestDb::create().await;
    let dir = tempdir("bank-secret");
    kitami_with(&dir, &oidc("https://idp.kitami.example.jp", "beside"));
    let apply = |dir: &Path| renkei(&db.url, &["tenants", "apply", dir.to_str().unwrap()]);
    assert!(stdout(&apply(&dir)).contains("kitami: schema created"));
    // The same folder again changes nothing, the sealed secret included.
    assert_eq!(stdout(&apply(&dir)).trim(), "kitami: unchanged");

    let dump = crate::keys::dump(&db.url);
    assert!(
        !dump.contains(SECRET),
        "the client secret is in a dump in clear"
    );
    assert!(dump.contains("oidc_client_secret"));

    // A new secret from the bank is sealed in its place.
    std::fs::write(dir.join("kitami/oidc-secret"), "a-new-secret-0123456789").unwrap();
    assert_eq!(stdout(&apply(&dir)).trim(), "kitami: settings updated");
    assert!(!crate::keys::dump(&db.url).contains("a-new-secret-0123456789"));

    // Without the key-encryption key the folder is refused: a secret is never stored in clear.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["tenants", "apply", dir.to_str().unwrap()])
        .env("RENKEI__DATABASE__URL", &db.url)
        .env("RENKEI__LOG__FILTER", "warn")
        .env_remove("RENKEI__KEYS__KEK_FILE")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("keys.kek_file is not set"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn tenants_apply_names_the_key_of_each_bad_oidc_setting_and_applies_nothing() {
    let db = TestDb::create().await;
    let dir = tempdir("bank-bad");
    kitami_with(
        &dir,
        r#"
[bank]
directory = "oidc"

[bank.oidc]
issuer = "http://idp.kitami.example.jp"
client_id = "renkei-kitami"
client_auth = "client_secret_basic"
max_age = -5
timeout_ms = 10
"#,
    );
    let out = renkei(&db.url, &["tenants", "apply", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for key in [
        "bank.oidc.issuer",
        "bank.oidc.client_secret_file",
        "bank.oidc.max_age",
        "bank.oidc.timeout_ms",
    ] {
        assert!(
            err.contains(&format!("tenant.toml: {key}: ")),
            "{key}: {err}"
        );
    }
    assert!(err.contains("nothing was applied"), "{err}");
}

#[tokio::test]
async fn instead_the_login_page_offers_only_the_bank_and_a_password_is_refused() {
    let dir = tempdir("bank-instead");
    let folder = kitami_with(&dir, &oidc(&closed_issuer(), "instead"));
    let app = TestApp::builder().with_tenant_folder(&folder).spawn().await;
    let page = app.get("/t/kitami/my").await.text().await.unwrap();
    assert!(page.contains("インターネットバンキングのIDでログイン"));
    assert!(page.contains(r#"action="/t/kitami/my/login/bank""#));
    assert!(!page.contains(r#"name="password""#), "no password form");

    // The password form's address answers, but takes no password.
    let csrf = csrf_of(&page);
    let res = app
        .client
        .post(app.url("/t/kitami/my/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login_id", "Yamada01"),
            ("password", "Shinkin-2026!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("インターネットバンキングのIDでログインしてください")
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM web_sessions").await,
        0
    );
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_answers_503_with_its_page_and_is_counted() {
    let dir = tempdir("bank-down");
    let folder = kitami_with(&dir, &oidc(&closed_issuer(), "beside"));
    let app = TestApp::builder().with_tenant_folder(&folder).spawn().await;
    let page = app.get("/t/kitami/my?lang=en").await.text().await.unwrap();
    // Beside: the password form stays.
    assert!(page.contains("Sign in with internet banking"));
    assert!(page.contains(r#"name="password""#));
    let res = app
        .client
        .post(app.url("/t/kitami/my/login/bank"))
        .form(&[("csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("sign-in is not answering")
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM oidc_sign_ins").await,
        0
    );
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"renkei_bank_signins_total{tenant="kitami",outcome="unavailable"} 1"#),
        "{metrics}"
    );

    // Without the page's CSRF token the sign-in does not start.
    let res = app
        .client
        .post(app.url("/t/kitami/my/login/bank"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn keys_rekey_seals_the_client_secret_under_the_new_kek() {
    use renkei::keys::{Keyring, bank, kek, rekey};
    let dir = tempdir("bank-rekey");
    let folder = kitami_with(&dir, &oidc("https://idp.kitami.example.jp", "beside"));
    let app = TestApp::builder().with_tenant_folder(&folder).spawn().await;
    let (db, slug) = (app.db_pool(2), TestApp::slug("kitami"));
    let new_file = dir.join("new-kek");
    kek::create_file(&new_file).unwrap();
    let mut rotating = app.settings.keys.clone();
    rotating.kek_file = Some(new_file);
    rotating.previous_kek_files = vec![crate::helpers::TEST_KEK.clone()];
    let ring = Keyring::load(&rotating).unwrap();
    let done = rekey::rekey(&db, &ring, std::slice::from_ref(&slug))
        .await
        .unwrap();
    // kitami has no signing keys yet: the one secret is all there is to seal again.
    assert_eq!(done.tenants, vec![(slug.clone(), 1)]);
    let mut only_new = rotating.clone();
    only_new.previous_kek_files.clear();
    let new_ring = Keyring::load(&only_new).unwrap();
    let secret = bank::open(&db, &new_ring, &slug, bank::OIDC_CLIENT_SECRET)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&secret[..], SECRET.as_bytes());
}

#[tokio::test]
async fn sign_ins_started_from_one_address_are_limited() {
    let dir = tempdir("bank-limit");
    let folder = kitami_with(&dir, &oidc(&closed_issuer(), "beside"));
    let app = TestApp::builder()
        .with_tenant_folder(&folder)
        .with_settings(|s| s.limits.login_per_ip.max = 2)
        .spawn()
        .await;
    let page = app.get("/t/kitami/my").await.text().await.unwrap();
    let csrf = csrf_of(&page);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = app
            .client
            .post(app.url("/t/kitami/my/login/bank"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        statuses.push((
            res.status().as_u16(),
            res.headers().contains_key("retry-after"),
        ));
    }
    assert_eq!(statuses, [(503, true), (503, true), (429, true)]);
}
