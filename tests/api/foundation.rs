//! The service's edges: languages, health, metrics, headers, tenant provisioning.

use std::process::Command;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use renkei::db::migrate;
use renkei::db::schema::platform::tenants;

use crate::helpers::{TestApp, TestDb, apply_tenant, renkei, repo_manifest};

#[tokio::test]
async fn home_is_japanese_by_default_and_english_on_request() {
    let app = TestApp::spawn().await;
    let ja = app.get("/t/kitami/").await.text().await.unwrap();
    assert!(ja.contains("<html lang=\"ja\">"));
    assert!(ja.contains("APIサービス"));
    assert!(ja.contains("当ページの内容は著作権法により保護されています"));
    // A customer finds their links and the list of services from here.
    assert!(ja.contains("<a href=\"/t/kitami/my\">連携中のサービスを確認する・連携を解除する</a>"));
    assert!(ja.contains("<a href=\"/t/kitami/partners\">ご利用いただける外部企業の一覧</a>"));

    let en = app.get("/t/kitami/?lang=en").await;
    let cookie = en.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lang=en"), "{cookie}");
    let en = en.text().await.unwrap();
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("Kitami Shinkin Bank"));
    assert!(en.contains("protected by copyright"));

    // The cookie remembers the choice.
    let again = app.get("/t/kitami/").await.text().await.unwrap();
    assert!(again.contains("<html lang=\"en\">"));
    // And the switch link leads back to Japanese.
    assert!(again.contains("href=\"/t/kitami/?lang=ja\""));
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let app = TestApp::spawn().await;
    for path in ["/t/kitami/", "/t/nosuch/", "/healthz", "/static/app.css"] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        // Plain HTTP: HSTS would be meaningless and is not sent.
        assert!(h.get("strict-transport-security").is_none());
    }
}

#[tokio::test]
async fn healthz_follows_the_database() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);

    // Cut the database off: existing sessions are killed, new ones refused.
    let name = &app.db.name;
    app.db
        .admin(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_ne!(body["status"], "ok");

    // Pages answer 503 with a branded message too, never a hang or a 500.
    let res = app.get("/t/kitami/").await;
    assert_eq!(res.status(), 503);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("ただいまサービスをご利用いただけません")
    );

    // The database comes back: so does the service, with no restart.
    app.db
        .admin(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"
        ))
        .await;
    let mut status = 0;
    for _ in 0..20 {
        status = app.get("/healthz").await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let app = TestApp::spawn().await;
    app.get("/t/kitami/").await;
    app.get("/t/kitami/").await;
    let text = app.metrics().await;
    assert!(
        text.contains("renkei_http_requests_total{route=\"/t/{tenant}/\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(text.contains(
        "renkei_http_request_duration_seconds_bucket{route=\"/t/{tenant}/\",le=\"+Inf\"} 2"
    ));
    assert!(text.contains("renkei_db_pool_connections{state=\"idle\"}"));
}

/// `/metrics` is served on its own listener only: the public one answers 404, and the metrics
/// listener answers nothing but `/metrics`.
#[tokio::test]
async fn metrics_are_served_on_their_own_listener_only() {
    let app = TestApp::spawn().await;
    let public = app.get("/metrics").await;
    assert_eq!(public.status(), 404);
    let body = public.text().await.unwrap();
    assert!(!body.contains("renkei_http_requests_total"), "{body}");
    assert!(app.metrics().await.contains("renkei_http_requests_total"));
    for path in ["/healthz", "/t/kitami/", "/institutions.json"] {
        let res = app
            .client
            .get(format!("{}{path}", app.metrics_address))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path} on the metrics listener");
    }
}

async fn tenant_rows(url: &str) -> Vec<(String, chrono::DateTime<chrono::Utc>)> {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    tenants::table
        .select((tenants::slug, tenants::updated_at))
        .order(tenants::slug)
        .load(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn applying_tenants_twice_changes_nothing() {
    let db = TestDb::create().await;
    apply_tenant(&db.url, "kitami").await;
    let before = tenant_rows(&db.url).await;

    let again = migrate::apply_tenant(&db.url, repo_manifest("kitami"), None)
        .await
        .unwrap();
    assert!(!again.changed(), "{again:?}");
    assert_eq!(tenant_rows(&db.url).await, before);
}

#[tokio::test]
async fn cli_apply_reports_and_is_idempotent() {
    let db = TestDb::create().await;
    let first = renkei(&db.url, &["tenants", "apply", "tenants"]);
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(out.contains("kitami: schema created"), "{out}");
    assert!(out.contains("hokuto: schema created"), "{out}");

    let second = renkei(&db.url, &["tenants", "apply"]);
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success());
    assert_eq!(out, "hokuto: unchanged\nkitami: unchanged\n");
}

#[tokio::test]
async fn bad_tenant_toml_names_file_and_key_and_creates_nothing() {
    let db = TestDb::create().await;
    let dir = std::env::temp_dir().join(format!("renkei-bad-{}", uuid::Uuid::new_v4()));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tenants");
    for slug in ["kitami", "hokuto"] {
        std::fs::create_dir_all(dir.join(slug)).unwrap();
        std::fs::copy(
            root.join(slug).join("logo.svg"),
            dir.join(slug).join("logo.svg"),
        )
        .unwrap();
    }
    let good = std::fs::read_to_string(root.join("kitami/tenant.toml")).unwrap();
    std::fs::write(dir.join("kitami/tenant.toml"), &good).unwrap();
    let bad = std::fs::read_to_string(root.join("hokuto/tenant.toml"))
        .unwrap()
        .replace("#0f5e52", "green")
        .replace("days = 90", "days = 120");
    std::fs::write(dir.join("hokuto/tenant.toml"), bad).unwrap();

    let out = renkei(&db.url, &["tenants", "apply", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("hokuto/tenant.toml: colors.primary: 'green' is not a colour"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hokuto/tenant.toml: grants.days: 120 is outside 1..=90"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was applied"), "{stderr}");

    // Not even the valid kitami was created.
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N =
        diesel::sql_query("SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 'tenant_%'")
            .get_result(&mut conn)
            .await
            .unwrap();
    assert_eq!(n.n, 0);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn failing_tenant_migration_leaves_the_schema_as_it_was() {
    let db = TestDb::create().await;
    apply_tenant(&db.url, "kitami").await;
    // Sabotage: a table the migration set would create already exists with another shape
    // in a brand-new tenant's schema, so its first migration fails half-way.
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut conn,
        "CREATE SCHEMA \"tenant_hokuto\"; CREATE TABLE \"tenant_hokuto\".audit_log (x int);",
    )
    .await
    .unwrap();
    let err = migrate::apply_tenant(&db.url, repo_manifest("hokuto"), None)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("tenant 'hokuto'"), "{err:#}");

    #[derive(QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
    }
    let tables: Vec<T> = diesel::sql_query(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'tenant_hokuto' ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let names: Vec<_> = tables.into_iter().map(|t| t.table_name).collect();
    assert_eq!(
        names,
        vec!["audit_log"],
        "the failed migration left {names:?}"
    );
    assert_eq!(
        tenant_rows(&db.url).await.len(),
        1,
        "hokuto must not be registered"
    );
}

#[tokio::test]
async fn tenants_migrate_side_by_side_but_one_tenant_never_twice_at_once() {
    use std::time::Duration;
    let db = TestDb::create().await;
    migrate::public(&db.url).await.unwrap();
    // Another process is migrating kitami: it holds kitami's lock until it commits.
    let mut other = AsyncPgConnection::establish(&db.url).await.unwrap();
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut other,
        "BEGIN; SELECT pg_advisory_xact_lock_shared(hashtext('renkei:migrate')), \
         pg_advisory_xact_lock(hashtext('renkei:migrate'), hashtext('tenant_kitami'))",
    )
    .await
    .unwrap();

    let kitami = tokio::spawn({
        let url = db.url.clone();
        async move { migrate::apply_tenant(&url, repo_manifest("kitami"), None).await }
    });
    let hokuto = tokio::time::timeout(
        Duration::from_secs(20),
        migrate::apply_tenant(&db.url, repo_manifest("hokuto"), None),
    )
    .await
    .expect("hokuto migrates while kitami is locked")
    .unwrap();
    assert!(hokuto.schema_created, "{hokuto:?}");
    // The platform's migrations wait for every tenant's, so they are not run beside kitami's.
    let platform = tokio::time::timeout(Duration::from_millis(500), migrate::public(&db.url)).await;
    assert!(
        platform.is_err(),
        "platform migrations ran beside a tenant's"
    );
    assert!(
        !kitami.is_finished(),
        "kitami migrated beside another migration of kitami"
    );

    diesel_async::SimpleAsyncConnection::batch_execute(&mut other, "COMMIT")
        .await
        .unwrap();
    let kitami = tokio::time::timeout(Duration::from_secs(20), kitami)
        .await
        .expect("kitami migrates once the lock is free")
        .unwrap()
        .unwrap();
    assert!(kitami.schema_created, "{kitami:?}");
    assert_eq!(tenant_rows(&db.url).await.len(), 2);
}

#[tokio::test]
async fn demo_seed_is_idempotent_and_consistent() {
    let app = TestApp::spawn().await;
    let out = renkei(&app.db.url, &["demo", "seed"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("kitami: Yamada01 created with 2 account(s)"),
        "{text}"
    );
    assert!(text.contains("Sato01"));
    assert!(text.contains("Shinkin-2026!"));

    let again = renkei(&app.db.url, &["demo", "seed"]);
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        text.contains("kitami: Yamada01 exists, left as it is"),
        "{text}"
    );

    // Every account's balance equals its last running balance and the sum of its movements.
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    #[derive(QueryableByName, Debug)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        account_id: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        balance: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        summed: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        last: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        months: i32,
    }
    let checks: Vec<Check> = diesel::sql_query(
        "SELECT a.account_id, a.balance,
                sum(CASE t.transaction_type WHEN 1 THEN t.amount ELSE -t.amount END)::bigint AS summed,
                (array_agg(t.balance ORDER BY t.transaction_date DESC, t.id DESC))[1] AS last,
                count(*) AS rows,
                count(DISTINCT date_trunc('month', t.transaction_date))::int AS months
           FROM accounts a JOIN transactions t USING (account_id)
          GROUP BY a.account_id, a.balance ORDER BY 1",
    )
    .load(&mut *conn)
    .await
    .unwrap();
    assert_eq!(checks.len(), 4, "{checks:?}");
    for c in &checks {
        assert_eq!(c.account_id.len(), 12, "{c:?}");
        assert_eq!(c.balance, c.summed, "{c:?}");
        assert_eq!(c.balance, c.last, "{c:?}");
        assert!(c.rows > 100, "{c:?}");
        assert!(c.months >= 18, "{c:?}");
    }
}

#[tokio::test]
async fn customers_add_opens_an_ordinary_account() {
    let app = TestApp::spawn().await;
    let out = renkei(
        &app.db.url,
        &[
            "customers",
            "add",
            "--tenant",
            "hokuto",
            "--login-id",
            "New01",
            "--password",
            "Long-enough-1",
            "--email",
            "new@example.jp",
            "--locale",
            "en",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["account_id"], "001010000001");

    let dup = renkei(
        &app.db.url,
        &[
            "customers",
            "add",
            "--tenant",
            "hokuto",
            "--login-id",
            "New01",
            "--password",
            "Long-enough-1",
            "--email",
            "new@example.jp",
        ],
    );
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
}

#[tokio::test]
async fn bad_setting_stops_with_one_line_naming_the_key() {
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["migrate"])
        .env("RENKEI__DATABASE__POOL_SIZE", "lots")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("database.pool_size"), "{stderr}");
}

#[tokio::test]
async fn history_is_appended_never_rewritten() {
    use renkei::sandbox::{self, AccountId, Direction, Movement};
    let app = TestApp::spawn().await;
    renkei::demo::seed(&app.db_pool(1), renkei::demo::today_jst())
        .await
        .unwrap();
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let account = AccountId::parse("001010123456").unwrap();
    let move_on = |days_ago: i64, amount: i64, direction| Movement {
        date: renkei::demo::today_jst() - chrono::Duration::days(days_ago),
        direction,
        amount,
        remarks: "テスト".into(),
    };
    let err = sandbox::post(
        &mut conn,
        &account,
        vec![move_on(400, 1000, Direction::Deposit)],
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("predate"), "{err}");
    let err = sandbox::post(
        &mut conn,
        &account,
        vec![move_on(0, 1_000_000_000, Direction::Withdrawal)],
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("exceeds the balance"), "{err}");
    sandbox::post(
        &mut conn,
        &account,
        vec![move_on(0, 1000, Direction::Deposit)],
    )
    .await
    .unwrap();
}
