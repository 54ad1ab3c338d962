//! `TestApp`: a fresh database (dropped afterwards), the demo tenants applied, the real server
//! on a random port, and typed request helpers. Logs stay silent unless `TEST_LOG` is set.

use std::path::Path;
use std::sync::LazyLock;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use renkei::config::{LogFormat, LogSettings, Settings};
use renkei::db::{Db, migrate};
use renkei::startup::Application;
use renkei::tenancy::{TenantManifest, TenantSlug, folder};

/// The server that `make test` provides (a project-local cluster unless configured otherwise);
/// without either variable, the settings' default, which follows the cluster's `.data/pg-port`.
pub static ADMIN_URL: LazyLock<String> = LazyLock::new(|| {
    std::env::var("RENKEI_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("RENKEI__DATABASE__URL"))
        .unwrap_or_else(|_| Settings::load().expect("default settings").database.url)
});

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        renkei::telemetry::init(&LogSettings {
            filter: "info,renkei=debug".into(),
            format: LogFormat::Text,
        });
    }
});

/// The key-encryption key of the tests' servers: one file, made by the first test that needs it.
pub static TEST_KEK: LazyLock<std::path::PathBuf> = LazyLock::new(|| {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-kek");
    if !path.exists() {
        // Another test binary may make it at the same moment: then its file is the one.
        let _ = renkei::keys::kek::create_file(&path);
    }
    path
});

/// A database of its own, dropped (with any open connections) when this goes away.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn create() -> Self {
        let name = format!("renkei_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = AsyncPgConnection::establish(&ADMIN_URL)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot reach the test database server at {}: {e} (run `make test`)",
                    *ADMIN_URL
                )
            });
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&ADMIN_URL).expect("test database URL");
        url.set_path(&name);
        Self {
            name,
            url: url.to_string(),
        }
    }

    /// Runs SQL as the server's admin, e.g. to cut this database off.
    pub async fn admin(&self, sql: &str) {
        let mut admin = AsyncPgConnection::establish(&ADMIN_URL)
            .await
            .expect("admin");
        admin.batch_execute(sql).await.expect(sql);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) = AsyncPgConnection::establish(&ADMIN_URL).await {
                    let _ = admin.batch_execute(&sql).await;
                }
            });
        })
        .join();
    }
}

pub fn settings(db_url: &str) -> Settings {
    LazyLock::force(&TRACING);
    let mut s = Settings::load().expect("default settings");
    s.database.url = db_url.to_owned();
    s.database.pool_size = 4;
    s.database.acquire_timeout_ms = 1000;
    s.http.bind = "127.0.0.1:0".parse().unwrap();
    s.metrics.bind = "127.0.0.1:0".parse().unwrap();
    s.http.shutdown_timeout_secs = 0;
    s.tenancy.cache_ttl_secs = 0;
    s.keys.kek_file = Some(TEST_KEK.clone());
    // Tests run notice passes themselves, against an SMTP server of their own.
    s.notices.scheduler = false;
    s.mail.spool_dir = std::env::temp_dir()
        .join("renkei-test-mail")
        .display()
        .to_string();
    s
}

/// Applies `tenants/<slug>/tenant.toml` from the repository.
pub async fn apply_tenant(db_url: &str, slug: &str) {
    apply_tenant_folder(db_url, &repo_tenant_folder(slug)).await;
}

fn repo_tenant_folder(slug: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tenants")
        .join(slug)
}

/// The manifest `tenants/<slug>/tenant.toml` of the repository, for tests that apply it
/// themselves.
pub fn repo_manifest(slug: &str) -> TenantManifest {
    manifest_in(&repo_tenant_folder(slug))
}

fn manifest_in(folder: &Path) -> TenantManifest {
    let file = folder.join("tenant.toml");
    folder::load_file(&file).unwrap_or_else(|e| panic!("{}: {e:?}", file.display()))
}

/// Applies `<folder>/tenant.toml`, with what lies beside it (logo, customer CA).
pub async fn apply_tenant_folder(db_url: &str, folder: &Path) {
    let m = manifest_in(folder);
    migrate::public(db_url).await.expect("public migrations");
    // The bank's secrets a folder holds are sealed under the tests' KEK.
    let keyring = renkei::keys::Keyring::load(&settings(db_url).keys).expect("the tests' KEK");
    migrate::apply_tenant(db_url, m, Some(std::sync::Arc::new(keyring)))
        .await
        .expect("apply tenant");
}

pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:<port>` of the metrics listener (`metrics.bind`).
    pub metrics_address: String,
    /// `https://127.0.0.1:<port>` when built `with_settings` that set `tls.bind`.
    pub https_address: Option<String>,
    pub db: TestDb,
    pub settings: Settings,
    pub client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

/// A change to the settings before the app starts.
type SettingsTweak = Box<dyn FnOnce(&mut Settings)>;

pub struct TestAppBuilder {
    tenants: Vec<&'static str>,
    folders: Vec<std::path::PathBuf>,
    tweak: Option<SettingsTweak>,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            tenants: vec![],
            folders: vec![],
            tweak: None,
        }
    }

    /// Both demo tenants, kitami and hokuto.
    pub async fn spawn() -> Self {
        Self::builder()
            .with_tenant("kitami")
            .with_tenant("hokuto")
            .spawn()
            .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `GET /metrics` from the metrics listener.
    pub async fn metrics(&self) -> String {
        let res = self
            .client
            .get(format!("{}/metrics", self.metrics_address))
            .send()
            .await
            .expect("metrics request");
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        res.text().await.expect("metrics text")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// A pool of its own onto the test database (not the server's).
    pub fn db_pool(&self, size: usize) -> Db {
        let mut s = self.settings.database.clone();
        s.pool_size = size;
        Db::connect(&s).expect("pool")
    }

    pub fn slug(s: &str) -> TenantSlug {
        TenantSlug::parse(s).unwrap()
    }

    /// A second `renkei serve` on the same database (its own pools, caches and port), as a
    /// replica behind a load balancer would be. Stops when dropped.
    pub async fn replica(&self) -> Replica {
        let app = Application::build(self.settings.clone())
            .await
            .expect("replica builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        Replica { address, handle }
    }
}

pub struct Replica {
    pub address: String,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Replica {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; nothing needs to wait for it.
        drop(self.handle.stop(false));
    }
}

impl TestAppBuilder {
    pub fn with_tenant(mut self, slug: &'static str) -> Self {
        self.tenants.push(slug);
        self
    }

    /// A tenant from a folder of the test's own (e.g. with a customer CA beside it).
    pub fn with_tenant_folder(mut self, folder: &Path) -> Self {
        self.folders.push(folder.to_owned());
        self
    }

    /// Changes the settings before the app starts.
    pub fn with_settings(mut self, tweak: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.tweak = Some(Box::new(tweak));
        self
    }

    pub async fn spawn(self) -> TestApp {
        let db = TestDb::create().await;
        for slug in &self.tenants {
            apply_tenant(&db.url, slug).await;
        }
        for folder in &self.folders {
            apply_tenant_folder(&db.url, folder).await;
        }
        let mut settings = settings(&db.url);
        if let Some(tweak) = self.tweak {
            tweak(&mut settings);
        }
        let app = Application::build(settings.clone())
            .await
            .expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let https_address = app.tls_port().map(|p| format!("https://127.0.0.1:{p}"));
        let metrics_address = format!("http://127.0.0.1:{}", app.metrics_port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        TestApp {
            address,
            metrics_address,
            https_address,
            db,
            settings,
            client,
            handle,
        }
    }
}

/// `SELECT count(*) AS n …` in kitami's schema.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    count_in(app, "kitami", sql).await
}

/// `SELECT count(*) AS n …` in the schema of the tenant `slug`.
pub async fn count_in(app: &TestApp, slug: &str, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug(slug)).await.unwrap();
    diesel_async::RunQueryDsl::get_result::<N>(diesel::sql_query(sql), &mut conn)
        .await
        .unwrap()
        .n
}

/// `renkei <args>` on the database `db_url`, from the repository (where `tenants/` is).
pub fn renkei<S: AsRef<std::ffi::OsStr>>(db_url: &str, args: &[S]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(args)
        .env("RENKEI__DATABASE__URL", db_url)
        .env("RENKEI__KEYS__KEK_FILE", &*TEST_KEK)
        .env("RENKEI__LOG__FILTER", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run renkei")
}

/// The body of `GET url` from `client`.
pub async fn text_of(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}
