//! The bank's directory CSVs through `renkei core import`: customers and accounts added and
//! brought up to date, UTF-8 or Shift_JIS, and what a customer's status does to sign-in and to
//! the partner API.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, count, renkei};
use crate::oauth_helpers::Flow;
use crate::zengin_files::{Account, File, Row};

const PASSWORD: &str = "Shinkin-2026!";

fn write(app: &TestApp, name: &str, bytes: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("directory-{}", app.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// `renkei core import --tenant kitami FILE`: (success, stdout or stderr).
fn import(app: &TestApp, name: &str, bytes: &[u8]) -> (bool, String) {
    let path = write(app, name, bytes);
    let out = renkei(
        &app.db.url,
        &["core", "import", "--tenant", "kitami", &path],
    );
    let text = if out.status.success() {
        out.stdout
    } else {
        out.stderr
    };
    (out.status.success(), String::from_utf8(text).unwrap())
}

fn imported(out: (bool, String)) -> Value {
    assert!(out.0, "refused: {}", out.1);
    serde_json::from_str(out.1.trim()).unwrap()
}

fn customers(rows: &[&str]) -> Vec<u8> {
    let mut text =
        String::from("\u{feff}login_id,name,name_kana,email,locale,status,password_hash\r\n");
    for r in rows {
        text.push_str(r);
        text.push_str("\r\n");
    }
    text.into_bytes()
}

async fn api_status(app: &TestApp, token: &str) -> StatusCode {
    app.client
        .get(app.url("/t/kitami/api/v1/accounts/balances"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Whether the customer gets past the consent flow's sign-in.
async fn signs_in(app: &TestApp, login: &str, password: &str) -> bool {
    let flow = Flow::new(app, "kitami");
    assert_eq!(flow.authorize(&[]).await.status(), StatusCode::SEE_OTHER);
    flow.login(login, password).await.status() == StatusCode::SEE_OTHER
}

async fn token_of(app: &TestApp, login: &str, password: &str) -> String {
    let code = Flow::new(app, "kitami").code_for(login, password).await;
    let tokens: Value = app.exchange("kitami", &code).await.json().await.unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_banks_directory_brings_customers_and_accounts_in_utf8_and_shift_jis() {
    let app = TestApp::spawn_seeded().await;
    let phc = renkei::secrets::hash_password(PASSWORD.to_owned())
        .await
        .unwrap();
    let file = customers(&[
        &format!("Suzuki08,鈴木商店,スズキシヨウテン,suzuki@example.jp,ja,active,\"{phc}\""),
        "Sato09,佐藤一郎,サトウイチロウ,sato@example.jp,en,active,",
    ]);
    let r = imported(import(&app, "customers.csv", &file));
    assert_eq!(
        (r["format"].as_str(), r["rows_added"].as_i64()),
        (Some("customers"), Some(2)),
        "{r}"
    );
    // Again: both there already, nothing added.
    let r = imported(import(&app, "customers.csv", &file));
    assert_eq!(
        (r["rows_added"].as_i64(), r["rows_present"].as_i64()),
        (Some(0), Some(2))
    );

    let accounts = "login_id,branch_code,branch_name,account_type_code,account_number,account_name,account_name_kana,opening_balance\r\n\
                    Suzuki08,001,本店営業部,01,7777777,鈴木商店,スズキシヨウテン,5000\r\n\
                    Sato09,012,駅前支店,01,8888888,佐藤一郎,サトウイチロウ,\r\n";
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(accounts);
    assert!(!unmappable);
    let r = imported(import(&app, "accounts.csv", &sjis));
    assert_eq!(r["rows_added"], 2, "{r}");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM accounts WHERE account_id = '001017777777' AND branch_name = '本店営業部' AND balance = 5000").await,
        1
    );

    // The opening balance is what the first statement must start from.
    let day = renkei::demo::today_jst() - Duration::days(1);
    let statement = |opening| File {
        bank_code: "9991",
        created: renkei::demo::today_jst(),
        accounts: vec![Account {
            branch: "001",
            deposit_type: 1,
            number: "7777777".into(),
            from: day,
            to: day,
            opening: Some(opening),
            rows: vec![Row {
                reference: 1,
                day,
                deposit: true,
                kind: "10",
                amount: 1_000,
                party: "",
                summary: "ATM",
            }],
        }],
        crlf: true,
        code: '0',
    };
    let (ok, err) = import(&app, "gap.txt", &statement(4_000).bytes());
    assert!(
        !ok && err.contains("4000 yen does not meet 5000 yen"),
        "{err}"
    );
    imported(import(&app, "first.txt", &statement(5_000).bytes()));

    // Suzuki08 signs in with the password the bank moved; Sato09 with none until one is set.
    token_of(&app, "Suzuki08", PASSWORD).await;
    assert!(
        !signs_in(&app, "Sato09", "Sato-Pass-2026").await,
        "no password yet"
    );
    let mut set = std::process::Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args([
            "customers",
            "set-password",
            "--tenant",
            "kitami",
            "--login-id",
            "Sato09",
        ])
        .env("RENKEI__DATABASE__URL", &app.db.url)
        .env("RENKEI__LOG__FILTER", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    set.stdin
        .take()
        .unwrap()
        .write_all(b"Sato-Pass-2026\n")
        .unwrap();
    assert!(set.wait_with_output().unwrap().status.success());
    token_of(&app, "Sato09", "Sato-Pass-2026").await;
}

#[tokio::test]
async fn closed_ends_every_grant_and_locked_holds_them_while_it_lasts() {
    let app = TestApp::spawn_seeded().await;
    let phc = renkei::secrets::hash_password(PASSWORD.to_owned())
        .await
        .unwrap();
    let suzuki = |status: &str| {
        customers(&[&format!(
            "Suzuki08,鈴木商店,スズキシヨウテン,suzuki@example.jp,ja,{status},\"{phc}\""
        )])
    };
    imported(import(&app, "c.csv", &suzuki("active")));
    imported(import(
        &app,
        "a.csv",
        "login_id,branch_code,branch_name,account_type_code,account_number,account_name,account_name_kana\n\
          Suzuki08,001,HQ,01,7777777,Suzuki,スズキ\n"
            .as_bytes(),
    ));
    let token = token_of(&app, "Suzuki08", PASSWORD).await;
    assert_eq!(api_status(&app, &token).await, StatusCode::OK);

    imported(import(&app, "locked.csv", &suzuki("locked")));
    assert_eq!(api_status(&app, &token).await, StatusCode::UNAUTHORIZED);
    assert!(
        !signs_in(&app, "Suzuki08", PASSWORD).await,
        "a locked customer signs in"
    );
    imported(import(&app, "active.csv", &suzuki("active")));
    assert_eq!(
        api_status(&app, &token).await,
        StatusCode::OK,
        "the grant was kept"
    );

    let yamada = app.yamadas_tokens().await;
    let yamada = yamada["access_token"].as_str().unwrap();
    let live = "SELECT count(*) AS n FROM grants g JOIN customers c ON c.id = g.customer_id \
                WHERE c.login_id = 'Yamada01' AND g.revoked_at IS NULL";
    assert!(count(&app, live).await >= 1);
    let phc_y = renkei::secrets::hash_password(PASSWORD.to_owned())
        .await
        .unwrap();
    let r = imported(import(
        &app,
        "closed.csv",
        &customers(&[&format!(
            "Yamada01,山田商店,ヤマダシヨウテン,yamada@example.jp,ja,closed,\"{phc_y}\""
        )]),
    ));
    assert_eq!(r["rows_present"], 1);
    assert_eq!(count(&app, live).await, 0, "every grant ended");
    assert_eq!(api_status(&app, yamada).await, StatusCode::UNAUTHORIZED);
    assert!(
        !signs_in(&app, "Yamada01", PASSWORD).await,
        "a closed customer signs in"
    );
    assert!(count(&app, "SELECT count(*) AS n FROM audit_log WHERE event = 'grant.revoked' AND detail->>'reason' = 'customer.closed'").await >= 1);
}

#[tokio::test]
async fn a_wrong_directory_line_is_named_and_nothing_is_written() {
    let app = TestApp::spawn_seeded().await;
    let before = count(&app, "SELECT count(*) AS n FROM customers").await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("status", customers(&["Ok01,A,エー,a@example.jp,ja,active,", "Bad02,B,ビー,b@example.jp,ja,gone,"]), "line 3, status: 'gone' is not active, locked or closed"),
        ("header", b"login_id,name,email\nX,Y,z@example.jp\n".to_vec(), "line 1: the header is 'login_id,name,email'"),
        ("email", customers(&["Ok01,A,エー,not-mail,ja,active,"]), "line 2, email: 'not-mail' is not an e-mail address"),
        (
            "owner",
            "login_id,branch_code,branch_name,account_type_code,account_number,account_name,account_name_kana\nNobody,001,HQ,01,1111111,N,エヌ\n".as_bytes().to_vec(),
            "line 2, login_id: 'Nobody' is no customer",
        ),
        (
            "type",
            "login_id,branch_code,branch_name,account_type_code,account_number,account_name,account_name_kana\nYamada01,001,HQ,06,1111111,N,エヌ\n".as_bytes().to_vec(),
            "line 2, account_type_code: '06' is not 01, 02 or 04",
        ),
        ("encoding", b"login_id,name,name_kana,email,locale,status\n\xff\xfe\xfd,x,y,z@example.jp,ja,active\n".to_vec(), "neither UTF-8 nor Shift_JIS"),
    ];
    for (name, bytes, expected) in cases {
        let path = write(&app, name, &bytes);
        // The encoding case is recognised only once it is decoded: name its format.
        let out = renkei(
            &app.db.url,
            &[
                "core",
                "import",
                "--tenant",
                "kitami",
                "--format",
                if name == "owner" || name == "type" {
                    "accounts"
                } else {
                    "customers"
                },
                &path,
            ],
        );
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!out.status.success(), "{name} was imported");
        assert!(err.contains(expected), "{name}: {err}");
        assert!(err.contains("nothing"), "{name}: {err}");
    }
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM customers").await,
        before
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM core_imports").await,
        0
    );
}

#[tokio::test]
async fn the_bank_customer_id_column_names_a_customer_once_and_is_kept_when_left_empty() {
    let app = TestApp::spawn_seeded().await;
    let with_ids = |rows: &[&str]| {
        let mut text = String::from(
            "login_id,name,name_kana,email,locale,status,password_hash,bank_customer_id\n",
        );
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        text.into_bytes()
    };
    let bank_id = |login: &'static str| {
        let app = &app;
        async move {
            count(
                app,
                &format!(
                    "SELECT count(*) AS n FROM customers WHERE login_id = '{login}' AND bank_customer_id = 'IB-0001'"
                ),
            )
            .await
        }
    };
    imported(import(
        &app,
        "ids.csv",
        &with_ids(&["Suzuki02,鈴木 花子,スズキ ハナコ,suzuki@example.jp,ja,active,,IB-0001"]),
    ));
    assert_eq!(bank_id("Suzuki02").await, 1);
    // A file without the column, or with it empty, leaves the ID as it is.
    imported(import(
        &app,
        "no-ids.csv",
        &customers(&["Suzuki02,鈴木 花子,スズキ ハナコ,suzuki@example.jp,ja,active,"]),
    ));
    assert_eq!(bank_id("Suzuki02").await, 1);
    // Another customer cannot take it, nor can one file give it twice.
    let (ok, err) = import(
        &app,
        "taken.csv",
        &with_ids(&["Brown03,Brown,ブラウン,brown@example.jp,en,active,,IB-0001"]),
    );
    assert!(!ok);
    assert!(
        err.contains("line 2, bank_customer_id: IB-0001 is already that of customer Suzuki02"),
        "{err}"
    );
    let (ok, err) = import(
        &app,
        "twice.csv",
        &with_ids(&[
            "Brown03,Brown,ブラウン,brown@example.jp,en,active,,IB-0002",
            "Yamada01,山田,ヤマダ,yamada@example.jp,ja,active,,IB-0002",
        ]),
    );
    assert!(!ok);
    assert!(
        err.contains("line 3, bank_customer_id: 'IB-0002' is too long or listed twice"),
        "{err}"
    );
    assert_eq!(bank_id("Brown03").await, 0);
}
