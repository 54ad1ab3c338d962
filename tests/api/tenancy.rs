//! A request bound to one tenant can never reach another tenant's rows.

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use renkei::db::schema::tenant::customers;
use renkei::i18n::Lang;
use renkei::sandbox::{self, Email, LoginId, NewCustomer};

use crate::helpers::TestApp;

#[derive(QueryableByName)]
struct Path {
    #[diesel(sql_type = Text)]
    search_path: String,
}

async fn add(db: &renkei::db::Db, tenant: &str, login: &str) {
    let mut conn = db.tenant(&TestApp::slug(tenant)).await.unwrap();
    sandbox::add_customer(
        &mut conn,
        NewCustomer {
            login_id: LoginId::parse(login).unwrap(),
            password: "Secret-pass-1".into(),
            email: Email::parse("x@example.jp").unwrap(),
            locale: Lang::Ja,
            name: login.into(),
            name_kana: login.into(),
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn tenant_connection_sees_only_its_own_schema() {
    let app = TestApp::spawn().await;
    // One connection in the pool: every checkout reuses the one that last served the other tenant.
    let db = app.db_pool(1);
    add(&db, "kitami", "OnlyInKitami").await;
    add(&db, "hokuto", "OnlyInHokuto").await;

    for _ in 0..3 {
        for (tenant, mine, theirs) in [
            ("hokuto", "OnlyInHokuto", "OnlyInKitami"),
            ("kitami", "OnlyInKitami", "OnlyInHokuto"),
        ] {
            let mut conn = db.tenant(&TestApp::slug(tenant)).await.unwrap();
            let logins: Vec<String> = customers::table
                .select(customers::login_id)
                .load(&mut *conn)
                .await
                .unwrap();
            assert_eq!(logins, vec![mine.to_owned()], "{tenant} saw {logins:?}");
            assert!(!logins.contains(&theirs.to_owned()));
            let path: Path = diesel::sql_query("SHOW search_path")
                .get_result(&mut *conn)
                .await
                .unwrap();
            assert_eq!(
                path.search_path.trim_matches('"'),
                format!("tenant_{tenant}")
            );
        }
    }
}

#[tokio::test]
async fn tenant_connection_cannot_name_a_table_without_its_schema() {
    let app = TestApp::spawn().await;
    let db = app.db_pool(1);
    add(&db, "hokuto", "OnlyInHokuto").await;
    // Platform tables are reachable only by their qualified name; another tenant's only by
    // spelling out its schema, which no query in the code does.
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let err = diesel::sql_query("SELECT slug FROM tenants")
        .execute(&mut *conn)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[tokio::test]
async fn http_pages_are_bound_to_their_tenant() {
    let app = TestApp::spawn().await;
    let kitami = app.get("/t/kitami/").await;
    assert_eq!(kitami.status(), 200);
    let body = kitami.text().await.unwrap();
    assert!(body.contains("北見信用金庫"));
    assert!(!body.contains("北斗信用金庫"));
    assert!(body.contains("/t/kitami/theme.css"));

    let hokuto = app.get("/t/hokuto/").await.text().await.unwrap();
    assert!(hokuto.contains("北斗信用金庫"));
    assert!(!hokuto.contains("北見信用金庫"));

    let theme = app.get("/t/hokuto/theme.css").await.text().await.unwrap();
    assert!(theme.contains("#0f5e52"), "{theme}");
    let logo = app.get("/t/kitami/logo").await;
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert!(logo.text().await.unwrap().contains("#00559f"));
}

#[tokio::test]
async fn unknown_tenant_is_a_404_page() {
    let app = TestApp::spawn().await;
    for path in [
        "/t/nosuchbank/",
        "/t/NoSuch/",
        "/t/kitami%22%3B/",
        "/t/admin/",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let body = res.text().await.unwrap();
        assert!(body.contains("ページが見つかりません"), "{path}: {body}");
    }
    let res = app.get("/t/nosuchbank/?lang=en").await;
    assert!(res.text().await.unwrap().contains("Page not found"));
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

async fn backend(db: &renkei::db::Db, tenant: &str) -> (i32, Vec<String>) {
    let mut conn = db.tenant(&TestApp::slug(tenant)).await.unwrap();
    let pid: Pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result(&mut *conn)
        .await
        .unwrap();
    let logins: Vec<String> = customers::table
        .select(customers::login_id)
        .load(&mut *conn)
        .await
        .unwrap();
    (pid.pid, logins)
}

#[tokio::test]
async fn affine_pool_prefers_the_connection_pinned_to_the_tenant_and_still_isolates() {
    let app = TestApp::spawn().await;
    let plain = app.db_pool(1);
    add(&plain, "kitami", "OnlyInKitami").await;
    add(&plain, "hokuto", "OnlyInHokuto").await;

    let mut settings = app.settings.database.clone();
    settings.pool_size = 2;
    let db = renkei::db::Db::connect_tenant_affine(&settings).unwrap();
    let (kitami_pid, rows) = backend(&db, "kitami").await;
    assert_eq!(rows, vec!["OnlyInKitami"]);
    let (hokuto_pid, rows) = backend(&db, "hokuto").await;
    assert_eq!(rows, vec!["OnlyInHokuto"]);
    assert_ne!(
        kitami_pid, hokuto_pid,
        "a free slot is used before re-pinning"
    );
    for _ in 0..3 {
        assert_eq!(
            backend(&db, "kitami").await,
            (kitami_pid, vec!["OnlyInKitami".to_owned()])
        );
        assert_eq!(
            backend(&db, "hokuto").await,
            (hokuto_pid, vec!["OnlyInHokuto".to_owned()])
        );
    }

    // Full pool, both connections idle for kitami: hokuto takes one and re-pins it.
    let one = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let two = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    drop((one, two));
    assert_eq!(backend(&db, "hokuto").await.1, vec!["OnlyInHokuto"]);
    assert_eq!(backend(&db, "kitami").await.1, vec!["OnlyInKitami"]);
    // The platform tables stay reachable when every connection is parked.
    let mut conn = db.platform().await.unwrap();
    diesel::sql_query("SELECT 1")
        .execute(&mut *conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_tenant_copy_serves_until_its_check_finds_the_change() {
    let app = TestApp::builder()
        .with_tenant("kitami")
        .with_settings(|s| s.tenancy.cache_ttl_secs = 2)
        .spawn()
        .await;
    let home = app.get("/t/kitami/").await.text().await.unwrap();
    assert!(home.contains("北見信用金庫"));

    // Another replica's admin renames the institution.
    let db = app.db_pool(1);
    let mut conn = db.platform().await.unwrap();
    diesel::sql_query(
        "UPDATE public.tenants
            SET settings = jsonb_set(settings, '{name,ja}', '\"北見しんきん（新）\"'),
                updated_at = now()
          WHERE slug = 'kitami'",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    drop(conn);

    // Within its time, this replica's copy serves as it is.
    let home = app.get("/t/kitami/").await.text().await.unwrap();
    assert!(home.contains("北見信用金庫"));
    assert!(!home.contains("北見しんきん（新）"));

    // Past it, a check finds updated_at moved and reads the settings again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let home = app.get("/t/kitami/").await.text().await.unwrap();
        if home.contains("北見しんきん（新）") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the renamed institution never showed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
