//! Expiry notices through a real SMTP server: exactly once across processes, retried after SMTP
//! failure, none for ended grants, no burst of stale ones, and readable in both languages.

use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use mail_parser::MessageParser;
use renkei::db::schema::tenant::{customers, grants, notices};
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::mail_helpers::{SmtpSink, free_port};
use crate::oauth_helpers::Flow;

fn run(app: &TestApp, smtp: &str, now: DateTime<Utc>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_renkei"));
    cmd.args(["notices", "run", "--once", "--now", &now.to_rfc3339()])
        .env("RENKEI__DATABASE__URL", &app.db.url)
        .env("RENKEI__MAIL__SMTP_URL", smtp)
        .env("RENKEI__MAIL__TIMEOUT_SECS", "5")
        .env("RENKEI__NOTICES__BACKOFF_SECS", "60")
        .env("RUST_LOG", "error");
    cmd
}

fn pass(app: &TestApp, smtp: &str, now: DateTime<Utc>) -> String {
    let out = run(app, smtp, now).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn status_of(app: &TestApp, grant: Uuid) -> Vec<(String, i16, String)> {
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    notices::table
        .filter(notices::grant_id.eq(grant))
        .order((notices::kind, notices::days_before))
        .select((notices::kind, notices::days_before, notices::status))
        .load(&mut conn)
        .await
        .unwrap()
}

/// A grant of `login` to the demo partner expiring at `expires`, with its three expiry notices.
async fn grant_expiring(app: &TestApp, login: &str, expires: DateTime<Utc>, revoked: bool) -> Uuid {
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let customer: Uuid = customers::table
        .filter(customers::login_id.eq(login))
        .select(customers::id)
        .first(&mut conn)
        .await
        .unwrap();
    let partner = renkei::oauth::clients::find(conn.statements(), "demo-kakeibo")
        .await
        .unwrap()
        .unwrap();
    diesel::update(
        grants::table
            .filter(grants::customer_id.eq(customer))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(Utc::now()))
    .execute(&mut conn)
    .await
    .unwrap();
    let id = Uuid::now_v7();
    diesel::insert_into(grants::table)
        .values((
            grants::id.eq(id),
            grants::customer_id.eq(customer),
            grants::partner_id.eq(partner.id),
            grants::scopes.eq(vec![
                "balance:read".to_owned(),
                "transactions:read".to_owned(),
            ]),
            grants::created_at.eq(expires - Duration::days(90)),
            grants::expires_at.eq(expires),
            grants::terms_version.eq("2026-04-01"),
            grants::revoked_at.eq(revoked.then(Utc::now)),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    renkei::notices::schedule(
        &mut conn,
        id,
        expires - Duration::days(90),
        expires,
        &[30, 7, 1],
        false,
    )
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn two_processes_over_1000_due_notices_deliver_exactly_1000_mails() {
    let app = TestApp::spawn_seeded().await;
    let sink = SmtpSink::start();
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    conn.batch_execute(
        "INSERT INTO customers (id, login_id, password_hash, email, locale, name, name_kana)
           SELECT gen_random_uuid(), 'Bulk' || i, 'x', 'bulk' || i || '@example.jp',
                  CASE WHEN i % 2 = 0 THEN 'ja' ELSE 'en' END, '顧客' || i, 'コキャク'
             FROM generate_series(1, 1000) i;
         INSERT INTO grants (id, customer_id, partner_id, scopes, created_at, expires_at, terms_version)
           SELECT gen_random_uuid(), c.id, p.id, ARRAY['balance:read'], now() - interval '65 days',
                  now() + interval '25 days', '2026-04-01'
             FROM customers c, partners p WHERE c.login_id LIKE 'Bulk%' AND p.client_id = 'demo-kakeibo';
         INSERT INTO notices (grant_id, kind, days_before, due_at, next_attempt_at)
           SELECT g.id, 'expiry', 30, g.expires_at - interval '30 days', g.expires_at - interval '30 days'
             FROM grants g JOIN customers c ON c.id = g.customer_id WHERE c.login_id LIKE 'Bulk%';",
    )
    .await
    .unwrap();

    let now = Utc::now();
    let spawn = || {
        run(&app, &sink.url(), now)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success());
    let sent = |o: &std::process::Output| -> usize {
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let line = text
            .lines()
            .find(|l| l.starts_with("kitami:"))
            .unwrap_or_default()
            .to_owned();
        line.split(' ')
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    assert_eq!(
        sent(&a) + sent(&b),
        1000,
        "{:?} {:?}",
        String::from_utf8_lossy(&a.stdout),
        String::from_utf8_lossy(&b.stdout)
    );

    let mails = sink.messages();
    assert_eq!(mails.len(), 1000);
    let recipients: std::collections::HashSet<String> = mails
        .iter()
        .map(|m| {
            MessageParser::default()
                .parse(m)
                .unwrap()
                .to()
                .unwrap()
                .first()
                .unwrap()
                .address()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(recipients.len(), 1000, "someone got two mails");
    let sent_rows: i64 = notices::table
        .filter(notices::status.eq("sent"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(sent_rows, 1000);
}

#[tokio::test]
async fn smtp_down_keeps_notices_pending_and_each_arrives_once_when_back() {
    let app = TestApp::spawn_seeded().await;
    let port = free_port();
    let mut sink = SmtpSink::down(port);
    let expires = Utc::now() + Duration::days(20);
    let grant = grant_expiring(&app, "Suzuki02", expires, false).await;

    let now = Utc::now();
    let out = pass(&app, &sink.url(), now);
    assert!(
        out.contains("kitami: 0 sent, 0 skipped, 1 to retry, 0 failed"),
        "{out}"
    );
    assert_eq!(
        status_of(&app, grant).await[2],
        ("expiry".into(), 30, "pending".into())
    );

    // Before the backoff has passed, nothing is tried again.
    sink.up();
    let out = pass(&app, &sink.url(), now + Duration::seconds(30));
    assert!(out.contains("kitami: 0 sent"), "{out}");
    assert!(sink.messages().is_empty());

    let out = pass(&app, &sink.url(), now + Duration::minutes(2));
    assert!(out.contains("kitami: 1 sent"), "{out}");
    let out = pass(&app, &sink.url(), now + Duration::minutes(10));
    assert!(out.contains("kitami: 0 sent"), "{out}");
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(
        status_of(&app, grant).await[2],
        ("expiry".into(), 30, "sent".into())
    );
}

#[tokio::test]
async fn revoked_grants_get_nothing_and_missed_passes_send_only_the_nearest_notice() {
    let app = TestApp::spawn_seeded().await;
    let sink = SmtpSink::start();
    let expires = Utc::now() + Duration::days(5);
    let revoked = grant_expiring(&app, "Suzuki02", expires, true).await;
    let stale = grant_expiring(&app, "Brown03", expires, false).await;

    // The scheduler was stopped past the 30- and 7-day thresholds.
    let out = pass(&app, &sink.url(), Utc::now());
    assert!(out.contains("kitami: 1 sent, 3 skipped"), "{out}");
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    let m = MessageParser::default().parse(&mails[0]).unwrap();
    assert_eq!(
        m.to().unwrap().first().unwrap().address().unwrap(),
        "brown@example.jp"
    );
    assert_eq!(
        status_of(&app, stale).await,
        vec![
            ("expiry".into(), 1, "pending".into()),
            ("expiry".into(), 7, "sent".into()),
            ("expiry".into(), 30, "skipped".into())
        ]
    );
    assert!(
        status_of(&app, revoked)
            .await
            .iter()
            .all(|(_, d, s)| s == "skipped" || *d == 1)
    );

    // The last one still goes out on its day.
    let out = pass(&app, &sink.url(), expires - Duration::hours(12));
    assert!(out.contains("kitami: 1 sent, 1 skipped"), "{out}");
    assert_eq!(sink.messages().len(), 2);
}

fn expected_date_ja(at: DateTime<Utc>) -> String {
    renkei::format::long_date(renkei::format::jst_date(at), renkei::i18n::Lang::Ja)
}

#[tokio::test]
async fn mails_are_branded_bilingual_and_well_formed() {
    let app = TestApp::spawn_seeded().await;
    let sink = SmtpSink::start();
    // Real consents: they schedule the notices themselves, and the link notice.
    for (login, lang) in [("Suzuki02", "ja"), ("Brown03", "en")] {
        let flow = Flow::new(&app, "kitami");
        let res = flow.authorize(&[("lang", lang)]).await;
        assert_eq!(res.status(), 303);
        flow.login(login, "Shinkin-2026!").await;
        let res = flow.allow(true, None).await;
        assert_eq!(res.status(), 303);
    }
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let expires: DateTime<Utc> = grants::table
        .filter(grants::revoked_at.is_null())
        .order(grants::created_at.desc())
        .select(grants::expires_at)
        .first(&mut conn)
        .await
        .unwrap();

    let out = pass(&app, &sink.url(), expires - Duration::days(29));
    // Each customer: the new-link notice and the 30-day notice (and the demo grant's own).
    assert!(out.contains("kitami: 5 sent, 0 skipped"), "{out}");
    let mails = sink.messages();
    let parsed: Vec<_> = mails
        .iter()
        .map(|m| MessageParser::default().parse(m).unwrap())
        .collect();

    let find = |to: &str, word: &str| {
        parsed
            .iter()
            .find(|m| {
                m.to().unwrap().first().unwrap().address().unwrap() == to
                    && m.subject().unwrap().contains(word)
            })
            .unwrap_or_else(|| panic!("no mail to {to} with {word}"))
    };
    let ja = find("suzuki@example.jp", "有効期限");
    assert_eq!(
        ja.subject().unwrap(),
        format!(
            "【北見信用金庫】デモ家計簿との連携の有効期限が近づいています（{}まで）",
            expected_date_ja(expires)
        )
    );
    let from = ja.from().unwrap().first().unwrap();
    assert_eq!(from.name().unwrap(), "北見信用金庫");
    assert_eq!(from.address().unwrap(), "api-service@kitami.example.jp");
    assert!(ja.date().is_some());
    assert!(ja.message_id().is_some());
    let text = ja.body_text(0).unwrap();
    assert!(text.contains("デモ家計簿"));
    assert!(text.contains(&expected_date_ja(expires)));
    assert!(text.contains("改めて登録"), "{text}");
    assert!(text.contains("残高照会、入出金明細照会"));
    // kitami keeps mail.links at its default, "none": no URL at all.
    assert!(!text.contains("http"), "{text}");
    assert!(ja.body_html(0).unwrap().contains("<strong>"));
    // The raw subject is RFC 2047-encoded, never raw UTF-8 in a header.
    let raw = String::from_utf8_lossy(
        mails
            .iter()
            .find(|m| String::from_utf8_lossy(m).contains("suzuki@example.jp"))
            .unwrap(),
    )
    .into_owned();
    let subject_line = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
    assert!(
        subject_line.is_ascii() && subject_line.to_ascii_lowercase().contains("=?utf-8?"),
        "{subject_line}"
    );

    let en = find("brown@example.jp", "expires");
    assert!(
        en.subject()
            .unwrap()
            .starts_with("[Kitami Shinkin Bank] Your link with Demo Kakeibo expires on ")
    );
    let text = en.body_text(0).unwrap();
    assert!(text.contains("register (link) again"), "{text}");
    assert!(text.contains("Balance inquiry, Transaction history"));

    let linked = find("suzuki@example.jp", "新しいサービスと連携しました");
    assert!(linked.body_text(0).unwrap().contains("デモ家計簿"));
    find("brown@example.jp", "A new service was linked");
}

/// kitami's folder with `mail.links = links` (and a `site_url`), applied, seeded, and one
/// consent of Suzuki02's; returns the plain text and HTML of every mail a pass sends then.
async fn mails_with_links(links: Option<&str>) -> Vec<(String, String)> {
    let dir = std::env::temp_dir().join(format!("renkei-links-{}", Uuid::new_v4().simple()));
    let folder = dir.join("kitami");
    std::fs::create_dir_all(&folder).unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tenants/kitami");
    let mut toml = std::fs::read_to_string(repo.join("tenant.toml")).unwrap();
    toml = toml.replacen(
        "password_help_url",
        "site_url = \"https://www.kitami-shinkin.example.jp/\"\npassword_help_url",
        1,
    );
    if let Some(links) = links {
        toml = toml.replacen("[mail]\n", &format!("[mail]\nlinks = \"{links}\"\n"), 1);
    }
    std::fs::write(folder.join("tenant.toml"), toml).unwrap();
    std::fs::copy(repo.join("logo.svg"), folder.join("logo.svg")).unwrap();
    let app = TestApp::builder()
        .with_tenant_folder(&folder)
        .with_tenant("hokuto")
        .spawn()
        .await;
    renkei::demo::seed(&app.db_pool(2), renkei::demo::today_jst())
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let flow = Flow::new(&app, "kitami");
    assert_eq!(flow.authorize(&[]).await.status(), 303);
    flow.login("Suzuki02", "Shinkin-2026!").await;
    assert_eq!(flow.allow(true, None).await.status(), 303);
    let sink = SmtpSink::start();
    let out = pass(&app, &sink.url(), Utc::now() + Duration::days(61));
    assert!(out.contains("sent"), "{out}");
    let mails: Vec<(String, String)> = sink
        .messages()
        .iter()
        .map(|m| {
            let m = MessageParser::default().parse(m).unwrap();
            (
                m.body_text(0).unwrap().into_owned(),
                m.body_html(0).unwrap().into_owned(),
            )
        })
        .filter(|(text, _)| text.contains("北見信用金庫") || text.contains("Kitami Shinkin"))
        .collect();
    assert!(mails.len() >= 2, "the link notice and an expiry notice");
    mails
}

/// `mail.links`: by default a mail carries no URL at all and says how to reach the service
/// from the institution's own site; "site" links that site only; "signin" links `/my`.
#[tokio::test]
async fn mails_link_only_where_mail_links_allows() {
    for links in [None, Some("none")] {
        for (text, html) in mails_with_links(links).await {
            assert!(!text.contains("http"), "{links:?}: {text}");
            assert!(!html.contains("href"), "{links:?}: {html}");
            assert!(text.contains("ホームページから"), "{text}");
            assert!(text.contains("ログイン画面へのリンクをご案内することはございません"));
        }
    }
    for (text, html) in mails_with_links(Some("site")).await {
        assert!(
            text.contains("https://www.kitami-shinkin.example.jp/"),
            "{text}"
        );
        assert!(!text.contains("/t/kitami"), "{text}");
        let hrefs: Vec<&str> = html.split("href=\"").skip(1).collect();
        assert!(!hrefs.is_empty(), "{html}");
        for h in hrefs {
            assert!(
                h.starts_with("https://www.kitami-shinkin.example.jp/"),
                "{html}"
            );
        }
        assert!(text.contains("ログイン画面へのリンクをご案内することはございません"));
    }
    for (text, _) in mails_with_links(Some("signin")).await {
        assert!(text.contains("/t/kitami/my"), "{text}");
        assert!(!text.contains("ご案内することはございません"), "{text}");
    }
}
