//! Resolves `/t/<slug>` to a [`Tenant`]. Each replica keeps a copy of every tenant's settings and
//! checks it every `tenancy.cache_ttl_secs`, so an admin's change reaches all replicas within
//! about that time.
//!
//! A copy past its time goes on serving while one task asks whether the tenant's `updated_at`
//! moved, and loads the settings again only if it did: with a thousand tenants, checking each
//! every few seconds is a few hundred one-row reads a second, none of them on a request's path.
//! With a time of zero (tests, one-off commands) every lookup reads the tenant afresh.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::seams::{Core, Directory};
use super::{Logo, TenantSettings, TenantSlug};
use crate::db::schema::platform::tenants;
use crate::db::{Db, DbUnavailable};
use crate::error::AppError;
use crate::i18n::Lang;

/// Beyond this many remembered unknown slugs, forget them all. Tenants are kept apart from
/// them, so no number of made-up slugs makes a replica read its tenants again.
const MAX_UNKNOWN: usize = 10_000;

#[derive(Debug)]
pub struct Tenant {
    pub slug: TenantSlug,
    pub settings: TenantSettings,
    pub logo: Logo,
    pub updated_at: DateTime<Utc>,
    /// The bank's seams for this tenant, chosen when its settings were read.
    pub directory: Directory,
    pub core: Core,
}

impl Tenant {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.settings.name.ja,
            Lang::En => &self.settings.name.en,
        }
    }
}

/// When the copy was last read or checked, and the copy (`None`: no such tenant).
type Entry = (Instant, Option<Arc<Tenant>>);

pub struct TenantRegistry(Arc<Registry>);

struct Registry {
    db: Db,
    ttl: Duration,
    cache: RwLock<Cache>,
}

/// The tenants found, and apart from them the slugs found to be no tenant (with when).
#[derive(Default)]
struct Cache {
    tenants: HashMap<String, (Instant, Arc<Tenant>)>,
    unknown: HashMap<String, Instant>,
}

impl Cache {
    fn get(&self, raw: &str) -> Option<Entry> {
        if let Some((at, tenant)) = self.tenants.get(raw) {
            return Some((*at, Some(tenant.clone())));
        }
        self.unknown.get(raw).map(|at| (*at, None))
    }
}

impl TenantRegistry {
    pub fn new(db: Db, ttl: Duration) -> Self {
        Self(Arc::new(Registry {
            db,
            ttl,
            cache: RwLock::new(Cache::default()),
        }))
    }

    /// The tenant for a slug from a URL; `None` when there is no such tenant.
    pub async fn find(&self, raw: &str) -> Result<Option<Arc<Tenant>>, DbUnavailable> {
        let Ok(slug) = TenantSlug::parse(raw) else {
            return Ok(None);
        };
        if let Some(held) = self.held(raw) {
            return Ok(held);
        }
        let found = self.0.read(&slug).await?;
        self.0.store(raw, found.clone());
        Ok(found)
    }

    /// The copy held for `raw`, if it may serve: one in its time, or a tenant past it, which
    /// serves while a task checks it (the first request to find it past its time starts the
    /// task; the others go on serving it meanwhile). A "no such tenant" past its time does not
    /// serve: a tenant just provisioned should not wait for a check.
    fn held(&self, raw: &str) -> Option<Option<Arc<Tenant>>> {
        let ttl = self.0.ttl;
        {
            let cache = self.0.cache.read().expect("tenant cache");
            let (at, held) = cache.get(raw)?;
            if at.elapsed() < ttl {
                return Some(held);
            }
            if held.is_none() || ttl.is_zero() {
                return None;
            }
        }
        let mut cache = self.0.cache.write().expect("tenant cache");
        let (at, tenant) = cache.tenants.get_mut(raw)?;
        let tenant = tenant.clone();
        if at.elapsed() >= ttl {
            *at = Instant::now();
            let registry = self.0.clone();
            let (key, stale) = (raw.to_owned(), tenant.clone());
            tokio::spawn(async move { registry.check(key, stale).await });
        }
        Some(Some(tenant))
    }
}

impl Registry {
    fn store(&self, raw: &str, found: Option<Arc<Tenant>>) {
        let mut cache = self.cache.write().expect("tenant cache");
        let now = Instant::now();
        match found {
            Some(tenant) => {
                cache.unknown.remove(raw);
                cache.tenants.insert(raw.to_owned(), (now, tenant));
            }
            None => {
                // A tenant removed since it was read is no tenant now.
                cache.tenants.remove(raw);
                if cache.unknown.len() >= MAX_UNKNOWN {
                    cache.unknown.clear();
                }
                cache.unknown.insert(raw.to_owned(), now);
            }
        }
    }

    /// Reads the tenant again if its `updated_at` is no longer the copy's. When the database
    /// cannot be reached, the copy goes on serving until its next check.
    async fn check(&self, raw: String, held: Arc<Tenant>) {
        let checked = async {
            let mut conn = self.db.platform().await?;
            let updated_at: Option<DateTime<Utc>> = tenants::table
                .filter(tenants::slug.eq(held.slug.as_str()))
                .select(tenants::updated_at)
                .first(&mut *conn)
                .await
                .optional()?;
            drop(conn);
            if updated_at == Some(held.updated_at) {
                return Ok(None);
            }
            self.read(&held.slug).await.map(Some)
        };
        match checked.await {
            Ok(None) => {}
            Ok(Some(found)) => self.store(&raw, found),
            Err(e) => {
                tracing::warn!(tenant = %held.slug, error = %e, "tenant settings could not be checked; the copy held serves until the next check");
            }
        }
    }

    async fn read(&self, slug: &TenantSlug) -> Result<Option<Arc<Tenant>>, DbUnavailable> {
        let mut conn = self.db.platform().await?;
        let row: Option<(serde_json::Value, Vec<u8>, String, DateTime<Utc>)> = tenants::table
            .filter(tenants::slug.eq(slug.as_str()))
            .select((
                tenants::settings,
                tenants::logo,
                tenants::logo_content_type,
                tenants::updated_at,
            ))
            .first(&mut *conn)
            .await
            .optional()?;
        let Some((settings, logo, content_type, updated_at)) = row else {
            return Ok(None);
        };
        let settings: TenantSettings = match serde_json::from_value(settings) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(tenant = %slug, error = %e, "stored tenant settings do not parse; run `renkei tenants apply`");
                return Ok(None);
            }
        };
        let content_type = if content_type == "image/png" {
            "image/png"
        } else {
            "image/svg+xml"
        };
        let (directory, core) = (
            Directory::of(settings.bank.directory),
            Core::of(settings.bank.core),
        );
        Ok(Some(Arc::new(Tenant {
            slug: slug.clone(),
            settings,
            logo: Logo {
                content_type,
                bytes: logo,
            },
            updated_at,
            directory,
            core,
        })))
    }
}

/// The tenant this request is bound to, resolved by the `/t/{tenant}` scope's guard middleware.
#[derive(Clone)]
pub struct CurrentTenant(pub Arc<Tenant>);

impl std::ops::Deref for CurrentTenant {
    type Target = Tenant;
    fn deref(&self) -> &Tenant {
        &self.0
    }
}

impl FromRequest for CurrentTenant {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<CurrentTenant>()
                .cloned()
                .ok_or(AppError::NotFound),
        )
    }
}
