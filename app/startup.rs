//! Builds the application: migrations, shared state, routes, the listener.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use diesel_async::RunQueryDsl;
use openssl::ssl::SslAcceptorBuilder;
use tracing_actix_web::TracingLogger;

use crate::api::{CursorKey, Ledger};
use crate::certs::ClientCertificates;
use crate::config::Settings;
use crate::db::prepared::Prepared;
use crate::db::{Db, migrate};
use crate::error::AppError;
use crate::keys::Keyring;
use crate::notices::Mailer;
use crate::notices::pass::OwnedSender;
use crate::tenancy::{TenantRegistry, pages};
use crate::web::metrics::{self, Metrics};
use crate::web::{self as edge, Pages};

pub struct Application {
    port: u16,
    tls_port: Option<u16>,
    metrics_port: u16,
    server: Server,
    ledger: tokio::task::JoinHandle<()>,
    scheduler: Option<tokio::task::JoinHandle<()>>,
}

/// What the request handlers and background tasks share.
struct Shared {
    settings: Settings,
    pages: Arc<Pages>,
    registry: Arc<TenantRegistry>,
    ledger: Ledger,
    cursor_key: CursorKey,
    certs: ClientCertificates,
    keyring: Arc<Keyring>,
}

/// Where to listen: HTTP, HTTPS beside it when configured, and the metrics listener.
struct Listeners {
    http: TcpListener,
    https: Option<(TcpListener, SslAcceptorBuilder)>,
    metrics: TcpListener,
}

impl Application {
    /// Migrates (public, then every tenant), then binds `http.bind` (port 0 picks a free one).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Before anything else: without the key-encryption key no stored secret can be read.
        let keyring = Arc::new(Keyring::load(&settings.keys)?);
        migrate::public(&settings.database.url).await?;
        for (slug, applied) in migrate::all_tenants(&settings.database.url).await? {
            if applied > 0 {
                tracing::info!(tenant = %slug, applied, "tenant migrations applied");
            }
        }
        // Background work (tenant lookups, the access ledger, notices) has a small pool of its
        // own; request handlers get one pool per worker thread.
        let mut background = settings.database.clone();
        background.pool_size = background.pool_size.clamp(1, 4);
        let db = Db::connect(&background)?;
        let cursor_key = crate::api::cursor_key(&db, &keyring).await?;
        let (ledger, ledger_task) = Ledger::start(db.clone());
        let listener = TcpListener::bind(settings.http.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.http.bind))?;
        let port = listener.local_addr()?.port();
        let https = match (&settings.tls.bind, &settings.tls.cert, &settings.tls.key) {
            (Some(bind), Some(cert), Some(key)) => {
                let acceptor = crate::certs::tls::acceptor(cert, key)?;
                let l = TcpListener::bind(bind)
                    .map_err(|e| anyhow::anyhow!("cannot listen on {bind} (tls.bind): {e}"))?;
                Some((l, acceptor))
            }
            _ => None,
        };
        let metrics_listener = TcpListener::bind(settings.metrics.bind).map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {} (metrics.bind): {e}",
                settings.metrics.bind
            )
        })?;
        let metrics_port = metrics_listener.local_addr()?.port();
        let tls_port = match &https {
            Some((l, _)) => Some(l.local_addr()?.port()),
            None => None,
        };
        let certs = client_certificates(&settings, tls_port)?;
        let pages = Arc::new(Pages::new()?);
        let registry = Arc::new(TenantRegistry::new(
            db.clone(),
            Duration::from_secs(settings.tenancy.cache_ttl_secs),
        ));
        let scheduler = if settings.notices.scheduler {
            let sender = OwnedSender {
                db: db.clone(),
                registry: registry.clone(),
                mailer: Mailer::from_settings(&settings.mail)?,
                pages: pages.clone(),
                settings: settings.clone(),
            };
            tracing::info!(
                mail = sender.mailer.describe(),
                every_secs = settings.notices.interval_secs,
                "notice scheduler started"
            );
            Some(tokio::spawn(crate::notices::scheduler(sender)))
        } else {
            None
        };
        let server = server(
            Shared {
                settings,
                pages,
                registry,
                ledger,
                cursor_key,
                certs,
                keyring,
            },
            Listeners {
                http: listener,
                https,
                metrics: metrics_listener,
            },
        )?;
        Ok(Self {
            port,
            tls_port,
            metrics_port,
            server,
            ledger: ledger_task,
            scheduler,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `GET /metrics` (`metrics.bind`).
    pub fn metrics_port(&self) -> u16 {
        self.metrics_port
    }

    /// The HTTPS port, when `tls.bind` is set.
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, then finishes in-flight requests and writes the access
    /// ledger rows still queued.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(scheduler) = self.scheduler {
            // A pass cut short rolls back: its notices stay pending for the next process.
            scheduler.abort();
        }
        if tokio::time::timeout(Duration::from_secs(30), self.ledger)
            .await
            .is_err()
        {
            tracing::error!("the access ledger did not finish writing within 30 s");
        }
        served
    }
}

/// The partners' CA and the proxy settings, read once at start-up.
fn client_certificates(
    settings: &Settings,
    tls_port: Option<u16>,
) -> anyhow::Result<ClientCertificates> {
    let tls = &settings.tls;
    let partners = tls
        .partner_ca
        .as_ref()
        .map(|ca| crate::certs::partners::PartnerTrust::load(ca, tls.partner_crl.as_deref()))
        .transpose()?;
    let header = tls
        .client_cert_header
        .as_deref()
        .map(actix_web::http::header::HeaderName::try_from)
        .transpose()?;
    // With port 0 (tests), the https address is the port actually bound.
    let https_base = match (&tls.public_url, tls.bind, tls_port) {
        (None, Some(bind), Some(port)) => Some(format!("https://{}:{port}", bind.ip())),
        _ => tls.https_base(),
    };
    Ok(ClientCertificates::new(
        header,
        tls.proxy_networks()?,
        partners,
        https_base,
    ))
}

fn server(shared: Shared, listeners: Listeners) -> anyhow::Result<Server> {
    let certs = web::Data::new(shared.certs);
    let ledger = web::Data::new(shared.ledger);
    let cursor_key = web::Data::new(shared.cursor_key);
    let keyring = web::Data::from(shared.keyring);
    let pages = web::Data::from(shared.pages);
    let registry = web::Data::from(shared.registry);
    let metrics = web::Data::new(Metrics::default());
    let settings = web::Data::new(shared.settings);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut worker_db = settings.database.clone();
    worker_db.pool_size = (settings.database.pool_size / workers).max(2);
    let shutdown = settings.http.shutdown_timeout_secs;
    let metrics_addr = web::Data::new(metrics::Listener(listeners.metrics.local_addr()?));
    let server = HttpServer::new(move || {
        // A pool per worker thread: each connection's socket is driven by the thread whose
        // requests use it, so no query waits on another thread's event loop.
        let db = web::Data::new(
            Db::connect_tenant_affine(&worker_db).expect("pool settings were validated"),
        );
        // Balance inquiries that come together share a statement, and so do introspection
        // calls ([`crate::db::batch`]).
        let balance_batches =
            web::Data::new(crate::bank::partner_data::BalanceBatches::new("balances"));
        let introspection_batches = web::Data::new(
            crate::oauth::tokens::IntrospectionBatches::new("introspection"),
        );
        App::new()
            .wrap(from_fn(edge::i18n))
            .wrap(from_fn(edge::error_pages))
            .wrap(from_fn(edge::headers::security_headers))
            .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
            .wrap(from_fn(metrics::track))
            .wrap(from_fn(metrics::listener))
            .app_data(metrics_addr.clone())
            .app_data(pages.clone())
            .app_data(registry.clone())
            .app_data(metrics.clone())
            .app_data(db.clone())
            .app_data(balance_batches)
            .app_data(introspection_batches)
            .app_data(settings.clone())
            .app_data(ledger.clone())
            .app_data(cursor_key.clone())
            .app_data(keyring.clone())
            .app_data(certs.clone())
            // Forms and OAuth requests are small; anything larger is refused with 413.
            .app_data(web::PayloadConfig::new(16 * 1024))
            .route("/", web::get().to(platform_home))
            .route("/healthz", web::get().to(healthz))
            .configure(edge::config)
            // RFC 8414 §3.1: the well-known segment goes before the issuer's path.
            .service(
                web::scope("/.well-known/oauth-authorization-server/t/{tenant}")
                    .wrap(from_fn(pages::resolve))
                    .route("", web::get().to(crate::oauth::endpoints::metadata)),
            )
            .service(
                web::scope("/t/{tenant}")
                    .wrap(from_fn(pages::resolve))
                    .configure(pages::config)
                    .configure(crate::oauth::config)
                    .configure(crate::consent::config)
                    .configure(crate::admin::config)
                    .configure(crate::my::config)
                    .configure(crate::api::config)
                    .configure(crate::ingest::config),
            )
            .default_service(web::to(edge::not_found))
    })
    .on_connect(crate::certs::tls::on_connect)
    .workers(workers)
    .shutdown_timeout(shutdown)
    .listen(listeners.http)?
    .listen(listeners.metrics)?;
    let server = match listeners.https {
        Some((listener, acceptor)) => server.listen_openssl(listener, acceptor)?,
        None => server,
    };
    Ok(server.run())
}

crate::statement!(
    /// The health check's question to the database.
    PingSql,
    "SELECT 1"
);

/// 200 when the database answers, 503 otherwise. The question is prepared once per
/// connection, so a check costs one round trip.
async fn healthz(db: web::Data<Db>) -> HttpResponse {
    let check = async {
        let mut conn = db.platform().await?;
        Prepared::<PingSql>::new().execute(&mut *conn).await?;
        Ok::<_, anyhow::Error>(())
    };
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(())) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Ok(Err(e)) => {
            tracing::warn!(error = format!("{e:#}"), "health check failed");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "unavailable"}))
        }
        Err(_) => HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "timeout"})),
    }
}

async fn platform_home(
    req: actix_web::HttpRequest,
    lang: crate::i18n::Lang,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let ctx = pages.context(lang, req.path(), req.query_string(), None);
    Ok(crate::web::respond::html(
        pages.render("platform.html", &ctx)?,
    ))
}
