//! `renkei core import` of 全銀協 入出金取引明細 (03) files into the hosted core, read back
//! through the partner API; each refusal with its message and nothing written.

use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, count, renkei};
use crate::oauth_helpers::Flow;
use crate::zengin_files::{Account, File, Row};

const PASSWORD: &str = "Shinkin-2026!";

fn today() -> NaiveDate {
    renkei::demo::today_jst()
}

/// A customer of kitami with one 普通 account and no history; its account id.
fn new_customer(app: &TestApp, login: &str) -> String {
    let out = renkei(
        &app.db.url,
        &[
            "customers",
            "add",
            "--tenant",
            "kitami",
            "--login-id",
            login,
            "--password",
            PASSWORD,
            "--email",
            "kato@example.jp",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["account_id"].as_str().unwrap().to_owned()
}

fn account(
    id: &str,
    from: NaiveDate,
    to: NaiveDate,
    opening: Option<i64>,
    rows: Vec<Row>,
) -> Account {
    Account {
        branch: Box::leak(id[0..3].to_owned().into_boxed_str()),
        deposit_type: id[3..5].parse().unwrap(),
        number: id[5..12].to_owned(),
        from,
        to,
        opening,
        rows,
    }
}

fn file(accounts: Vec<Account>) -> File {
    File {
        bank_code: "9991",
        created: today(),
        accounts,
        crlf: true,
        code: '0',
    }
}

fn salary(reference: u32, day: NaiveDate) -> Row {
    Row {
        reference,
        day,
        deposit: true,
        kind: "11",
        amount: 250_000,
        party: "ｶ)ｵﾎｰﾂｸｽｰﾊﾟｰ",
        summary: "ｳﾘｱｹﾞﾆﾕｳｷﾝ",
    }
}

fn bill(reference: u32, day: NaiveDate) -> Row {
    Row {
        reference,
        day,
        deposit: false,
        kind: "14",
        amount: 12_345,
        party: "00000000001234567890",
        summary: "ﾃﾞﾝｷﾀﾞｲ",
    }
}

fn cash(reference: u32, day: NaiveDate) -> Row {
    Row {
        reference,
        day,
        deposit: true,
        kind: "10",
        amount: 1_000,
        party: "",
        summary: "ATM",
    }
}

/// `renkei core import --tenant kitami [args] FILE`: (success, the report or the error line).
fn import(app: &TestApp, name: &str, bytes: &[u8], args: &[&str]) -> (bool, String) {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("zengin-{}", app.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut all = vec!["core", "import", "--tenant", "kitami"];
    all.extend_from_slice(args);
    let p = path.display().to_string();
    all.push(&p);
    let out = renkei(&app.db.url, &all);
    if out.status.success() {
        (true, String::from_utf8(out.stdout).unwrap())
    } else {
        (false, String::from_utf8(out.stderr).unwrap())
    }
}

fn report(out: &(bool, String)) -> Value {
    assert!(out.0, "import refused: {}", out.1);
    serde_json::from_str(out.1.trim()).unwrap()
}

async fn imported(app: &TestApp) -> i64 {
    count(
        app,
        "SELECT count(*) AS n FROM transactions WHERE import_id IS NOT NULL",
    )
    .await
}

async fn token_of(app: &TestApp, login: &str) -> String {
    let code = Flow::new(app, "kitami").code_for(login, PASSWORD).await;
    let tokens: Value = app.exchange("kitami", &code).await.json().await.unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_statement_imported_is_what_the_partner_api_serves_and_importing_it_again_adds_nothing() {
    let app = TestApp::spawn_seeded().await;
    let id = new_customer(&app, "Kato07");
    let (d1, d2) = (today() - Duration::days(3), today() - Duration::days(2));
    let bytes = file(vec![account(
        &id,
        d1,
        d2,
        Some(0),
        vec![salary(1, d1), bill(2, d2), cash(3, d2)],
    )])
    .bytes();
    let first = report(&import(&app, "statement.txt", &bytes, &[]));
    assert_eq!(first["rows_added"], 3, "{first}");
    assert_eq!(first["accounts"][0]["note"], "checked");
    assert_eq!(first["accounts"][0]["balance"], 238_655);

    let token = token_of(&app, "Kato07").await;
    let res = app
        .client
        .get(app.url(&format!(
            "/t/kitami/api/v1/accounts/transactions?accountId={id}&dateFrom={d1}&dateTo={d2}"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = res.json().await.unwrap();
    let rows = page["transactions"].as_array().unwrap();
    assert_eq!(page["count"], 3);
    let got: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["transactionDate"].as_str().unwrap(),
                r["transactionType"].as_str().unwrap(),
                r["amount"].as_str().unwrap(),
                r["balance"].as_str().unwrap(),
                r["remarks"].as_str().unwrap(),
            )
        })
        .collect();
    let (d1s, d2s) = (d1.to_string(), d2.to_string());
    assert_eq!(
        got,
        vec![
            (
                d1s.as_str(),
                "1",
                "250000",
                "250000",
                "ウリアゲニユウキン\u{3000}カ）オホーツクスーパー"
            ),
            (d2s.as_str(), "2", "12345", "237655", "デンキダイ"),
            (d2s.as_str(), "1", "1000", "238655", "ＡＴＭ"),
        ]
    );
    let balances: Value = app
        .client
        .get(app.url(&format!(
            "/t/kitami/api/v1/accounts/balances?accountId={id}"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(balances["balances"][0]["balance"], "238655", "{balances}");
    assert_eq!(balances["balances"][0]["withdrawableAmount"], "238655");
    // As of the latest 勘定日 imported, at its end: the file was brought in on a later day.
    assert_eq!(balances["balances"][0]["baseDate"], d2.to_string());
    assert_eq!(balances["balances"][0]["baseTime"], "23:59:59+09:00");
    assert_eq!(page["baseDate"], d2.to_string());
    // The customer reads the same "as of" at /my.
    let browser = app.browser();
    crate::oauth_helpers::my_sign_in(&app, &browser, "kitami", "Kato07", PASSWORD).await;
    let my = crate::helpers::text_of(&browser, &app.url("/t/kitami/my")).await;
    let as_of = format!(
        "{}現在のデータ",
        renkei::format::long_date(d2, renkei::i18n::Lang::Ja)
    );
    assert!(my.contains(&as_of), "{as_of} not at /my: {my}");

    // The same file again, without CR LF this time: nothing added.
    let mut plain = file(vec![account(
        &id,
        d1,
        d2,
        Some(0),
        vec![salary(1, d1), bill(2, d2), cash(3, d2)],
    )]);
    plain.crlf = false;
    let again = report(&import(&app, "statement-again.txt", &plain.bytes(), &[]));
    assert_eq!(
        (again["rows_added"].as_i64(), again["rows_present"].as_i64()),
        (Some(0), Some(3))
    );
    assert_eq!(imported(&app).await, 3);
    // The records are kept as they came, and each import is recorded and audited.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM transactions WHERE octet_length(record) = 200"
        )
        .await,
        3
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM core_imports").await,
        2
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM audit_log WHERE event = 'core.imported'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn days_imported_come_again_only_as_they_were_and_balances_must_meet() {
    let app = TestApp::spawn_seeded().await;
    let id = new_customer(&app, "Kato07");
    let d = |n: i64| today() - Duration::days(10 - n);
    report(&import(
        &app,
        "a.txt",
        &file(vec![account(
            &id,
            d(1),
            d(2),
            Some(0),
            vec![salary(1, d(1)), bill(2, d(2))],
        )])
        .bytes(),
        &[],
    ));

    // d(2) again, identical, and a new day: accepted, the new day added.
    let b = file(vec![account(
        &id,
        d(2),
        d(3),
        Some(250_000),
        vec![bill(2, d(2)), cash(3, d(3))],
    )]);
    let r = report(&import(&app, "b.txt", &b.bytes(), &[]));
    assert_eq!(
        (r["rows_added"].as_i64(), r["rows_present"].as_i64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(imported(&app).await, 3);

    // d(3) with another movement: refused, naming the day.
    let c = file(vec![account(
        &id,
        d(3),
        d(3),
        Some(237_655),
        vec![cash(3, d(3)), cash(4, d(3))],
    )]);
    let (ok, err) = import(&app, "c.txt", &c.bytes(), &[]);
    assert!(!ok);
    assert!(
        err.contains("照会番号: 00000004 is not among the movements imported for 勘定日"),
        "{err}"
    );
    assert!(err.contains(&d(3).to_string()), "{err}");

    // A period that ends before the latest day imported.
    let old = file(vec![account(
        &id,
        d(1),
        d(1),
        Some(0),
        vec![salary(1, d(1))],
    )]);
    let (ok, err) = import(&app, "old.txt", &old.bytes(), &[]);
    assert!(!ok);
    assert!(
        err.contains(&format!("{} is before {}", d(1), d(3))),
        "{err}"
    );

    // A gap: the file's 取引前残高 is not the balance known.
    let gap = file(vec![account(
        &id,
        d(5),
        d(5),
        Some(300_000),
        vec![cash(5, d(5))],
    )]);
    let (ok, err) = import(&app, "gap.txt", &gap.bytes(), &[]);
    assert!(!ok);
    assert!(
        err.contains("取引前残高: 300000 yen does not meet 238655 yen"),
        "{err}"
    );
    assert_eq!(
        imported(&app).await,
        3,
        "nothing of the refused files written"
    );

    // Without balances: continued from the known balance, and said so.
    let loose = file(vec![account(&id, d(5), d(5), None, vec![cash(5, d(5))])]);
    let r = report(&import(&app, "loose.txt", &loose.bytes(), &[]));
    assert_eq!(r["accounts"][0]["note"], "balance chain not checked");
    assert_eq!(r["accounts"][0]["balance"], 239_655);
}

#[tokio::test]
async fn each_broken_file_is_refused_with_its_place_and_writes_nothing() {
    let app = TestApp::spawn_seeded().await;
    let id = new_customer(&app, "Kato07");
    let (d1, d2) = (today() - Duration::days(3), today() - Duration::days(2));
    let good = || {
        file(vec![account(
            &id,
            d1,
            d2,
            Some(0),
            vec![salary(1, d1), bill(2, d2)],
        )])
    };
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
    // The trailer's 入金額合計 (record 4, bytes 8–20) one yen off.
    let mut total = good().bytes();
    total[3 * 202 + 19] = b'1';
    cases.push(("total", total, "record 4, 入金額合計: 250001 yen"));
    let mut short = good().bytes();
    short.remove(202 + 50);
    cases.push((
        "short",
        short,
        "record 2, レコード長: 199 bytes before the line break",
    ));
    let mut cr = good();
    cr.crlf = false;
    let cr_only: Vec<u8> = cr
        .bytes()
        .chunks(200)
        .flat_map(|r| [r, b"\r"].concat())
        .collect();
    cases.push(("cr", cr_only, "record 1, 改行: CR or LF alone"));
    let unknown = file(vec![account(
        "001010999999",
        d1,
        d2,
        Some(0),
        vec![salary(1, d1)],
    )]);
    cases.push(("unknown", unknown.bytes(), "is not in the core"));
    let mut other_bank = good();
    other_bank.bank_code = "0001";
    cases.push((
        "bank",
        other_bank.bytes(),
        "銀行コード: 0001 is not this institution's bank_code 9991",
    ));
    let mut ebcdic = good();
    ebcdic.code = '1';
    cases.push((
        "ebcdic",
        ebcdic.bytes(),
        "コード区分: 1 (EBCDIC) is not read",
    ));
    let mut date = good().bytes();
    let at = 202 + 9 + 2;
    date[at..at + 2].copy_from_slice(b"13");
    cases.push(("date", date, "record 2, 勘定日:"));
    for (name, bytes, expected) in cases {
        let (ok, err) = import(&app, name, &bytes, &[]);
        assert!(!ok, "{name} was imported");
        assert!(err.contains(expected), "{name}: {err}");
        assert!(err.contains("nothing"), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
    }
    // Unknown accounts skipped when asked.
    let (ok, out) = import(&app, "skip", &unknown.bytes(), &["--skip-unknown-accounts"]);
    assert!(ok, "{out}");
    assert!(out.contains("skipped: no such account"), "{out}");
    // --check reports and writes nothing.
    let r = report(&import(&app, "checked", &good().bytes(), &["--check"]));
    assert_eq!(r["rows_added"], 2);
    assert!(r["id"].is_null());
    assert_eq!(imported(&app).await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM core_imports").await,
        1,
        "only the skipping one"
    );
}

#[tokio::test]
async fn a_heisei_statement_is_dated_in_heisei() {
    let app = TestApp::spawn_seeded().await;
    let id = new_customer(&app, "Kato07");
    let (d1, d2) = (
        NaiveDate::from_ymd_opt(2019, 4, 26).unwrap(),
        NaiveDate::from_ymd_opt(2019, 4, 30).unwrap(),
    );
    let mut f = file(vec![account(
        &id,
        d1,
        d2,
        Some(0),
        vec![salary(1, d1), bill(2, d2)],
    )]);
    f.created = d2;
    let bytes = f.bytes();
    // 平成31年4月30日, as the header writes it.
    assert_eq!(&bytes[4..10], b"310430");
    let r = report(&import(&app, "heisei.txt", &bytes, &[]));
    assert_eq!(r["created"], "2019-04-30");
    assert_eq!(
        count(&app, &format!(
            "SELECT count(*) AS n FROM transactions WHERE account_id = '{id}' AND transaction_date = '2019-04-30'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn the_demo_banks_file_imports_and_yamada_sees_it_through_the_partner_api() {
    let app = TestApp::spawn_seeded().await;
    let out =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("demo-{}.txt", app.db.name));
    let p = out.display().to_string();
    let made = renkei(
        &app.db.url,
        &["demo", "zengin", "--tenant", "kitami", "--out", &p],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let bytes = std::fs::read(&out).unwrap();
    let first = report(&import(&app, "demo.txt", &bytes, &[]));
    assert!(first["rows_added"].as_i64().unwrap() >= 8, "{first}");
    assert!(
        first["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["note"] == "checked")
    );
    let again = report(&import(&app, "demo.txt", &bytes, &[]));
    assert_eq!(again["rows_added"], 0);

    let tokens = app.yamadas_tokens().await;
    let token = tokens["access_token"].as_str().unwrap();
    let day = today();
    let page: Value = app
        .client
        .get(app.url(&format!(
            "/t/kitami/api/v1/accounts/transactions?accountId=001010123456&dateFrom={day}&dateTo={day}"
        )))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let remarks: Vec<&str> = page["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["remarks"].as_str().unwrap())
        .collect();
    assert!(
        remarks.contains(&"ウリアゲニユウキン\u{3000}カ）オホーツクスーパー"),
        "{remarks:?}"
    );
    assert!(remarks.contains(&"デンキダイ"), "{remarks:?}");
    // An intraday file: as of the import's time on that day.
    assert_eq!(page["baseDate"], day.to_string());
    let time = page["baseTime"].as_str().unwrap();
    assert!(
        time.ends_with("+09:00") && time != "23:59:59+09:00",
        "{time}"
    );
    let _ = std::fs::remove_file(out);
}

#[tokio::test]
async fn an_import_is_reverted_when_nothing_after_it_touched_its_accounts() {
    let app = TestApp::spawn_seeded().await;
    let id = new_customer(&app, "Kato07");
    let d = |n: i64| today() - Duration::days(10 - n);
    let a = file(vec![account(
        &id,
        d(1),
        d(2),
        Some(0),
        vec![salary(1, d(1)), bill(2, d(2))],
    )]);
    let first = report(&import(&app, "a.txt", &a.bytes(), &[]))["id"]
        .as_i64()
        .unwrap();
    let b = file(vec![account(
        &id,
        d(3),
        d(3),
        Some(237_655),
        vec![cash(3, d(3))],
    )]);
    let second = report(&import(&app, "b.txt", &b.bytes(), &[]))["id"]
        .as_i64()
        .unwrap();
    assert!(second > first);
    let revert = |id: i64| {
        let out = renkei(&app.db.url, &["core", "imports", "revert", &id.to_string()]);
        (
            out.status.success(),
            String::from_utf8_lossy(if out.status.success() {
                &out.stdout
            } else {
                &out.stderr
            })
            .into_owned(),
        )
    };
    let (ok, err) = revert(first);
    assert!(!ok);
    assert!(
        err.contains(&format!("import {second} came after import {first}")),
        "{err}"
    );
    let (ok, out) = revert(second);
    assert!(ok, "{out}");
    assert!(out.contains("1 movement(s) removed"), "{out}");
    let (ok, out) = revert(first);
    assert!(ok, "{out}");
    assert_eq!(imported(&app).await, 0);
    assert_eq!(
        count(&app, &format!(
            "SELECT count(*) AS n FROM accounts WHERE account_id = '{id}' AND balance = 0 AND imported_through IS NULL"
        ))
        .await,
        1
    );
    let (ok, err) = revert(first);
    assert!(!ok && err.contains("reverted already"), "{err}");
    let (ok, err) = revert(999_999);
    assert!(!ok && err.contains("there is no import 999999"), "{err}");
    // Undone, the file comes in again as new.
    assert_eq!(
        report(&import(&app, "a.txt", &a.bytes(), &[]))["rows_added"],
        2
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM audit_log WHERE event = 'core.import_reverted'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_transfer_notice_is_kept_and_cancelled_but_never_served() {
    let app = TestApp::spawn_seeded().await;
    let day = today();
    let before = count(&app, "SELECT count(*) AS n FROM transactions").await;
    let first = crate::zengin_files::notice(
        "9991",
        "001",
        "0123456",
        day,
        &[
            (101, 50_000, "ｶ)ｵﾎｰﾂｸｽｰﾊﾟｰ", false),
            (102, 8_000, "ﾀﾅｶ ｲﾁﾛｳ", false),
        ],
    );
    let r = report(&import(&app, "notice.txt", &first, &[]));
    assert_eq!(
        (r["format"].as_str(), r["rows_added"].as_i64()),
        (Some("zengin-01"), Some(2)),
        "{r}"
    );
    let again = report(&import(&app, "notice.txt", &first, &[]));
    assert_eq!(
        (again["rows_added"].as_i64(), again["rows_present"].as_i64()),
        (Some(0), Some(2))
    );
    // The bank cancels 102.
    let cancel = crate::zengin_files::notice(
        "9991",
        "001",
        "0123456",
        day,
        &[(102, 8_000, "ﾀﾅｶ ｲﾁﾛｳ", true)],
    );
    report(&import(&app, "cancel.txt", &cancel, &[]));
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM transfer_notices WHERE cancelled_at IS NOT NULL AND reference = '000102'").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM transfer_notices WHERE remitter = 'カ）オホーツクスーパー' AND amount = 50000").await,
        1
    );
    // The partner API serves the day's 入出金取引明細 only: no movement came with the notices.
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM transactions").await,
        before
    );
    // A wrong total is refused like any file.
    let mut broken =
        crate::zengin_files::notice("9991", "001", "0123456", day, &[(103, 1_000, "ｱ", false)]);
    let trailer = 2 * 202 + 7;
    broken[trailer + 11] = b'9';
    let (ok, err) = import(&app, "broken.txt", &broken, &[]);
    assert!(!ok && err.contains("振込合計金額"), "{err}");
}

#[tokio::test]
async fn an_admin_imports_from_the_console_and_sees_how_fresh_each_account_is() {
    use crate::admin_helpers::{AdminBrowser, add_admin};
    let app = TestApp::spawn_seeded().await;
    let id = new_customer(&app, "Kato07");
    add_admin(
        &app,
        "kitami",
        "admin@kitami.example",
        renkei::admin::Role::Admin,
    )
    .await;
    add_admin(
        &app,
        "kitami",
        "viewer@kitami.example",
        renkei::admin::Role::Viewer,
    )
    .await;
    let admin = AdminBrowser::new(&app, "kitami")
        .sign_in("admin@kitami.example")
        .await;
    // A statement that ends ten days ago: the account is stale by now.
    let (d1, d2) = (today() - Duration::days(12), today() - Duration::days(10));
    let bytes = file(vec![account(
        &id,
        d1,
        d2,
        Some(0),
        vec![salary(1, d1), bill(2, d2)],
    )])
    .bytes();
    let res = admin.upload("/bank-data", "file", &bytes).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("取り込みました"), "{page}");
    assert!(page.contains("追加 2 件、取込済み 0 件"), "{page}");
    assert!(page.contains(&id));
    assert!(page.contains("id=\"bank-data-stale\""), "the stale warning");
    assert!(page.contains("admin:admin@kitami.example"));
    // The import keeps the name the browser gave the file.
    assert!(page.contains("<small>upload</small>"), "{page}");
    assert_eq!(imported(&app).await, 2);
    // A broken file: said so, nothing written.
    let res = admin.upload("/bank-data", "file", b"not a file").await;
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"bank-data-error\""), "{page}");
    assert_eq!(imported(&app).await, 2);

    // A viewer reads the page, without the form, and cannot upload.
    let viewer = AdminBrowser::new(&app, "kitami")
        .sign_in("viewer@kitami.example")
        .await;
    let page = viewer.get("/bank-data").await.text().await.unwrap();
    assert!(page.contains(&id) && !page.contains("name=\"file\""));
    let res = viewer.upload("/bank-data", "file", &bytes).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
