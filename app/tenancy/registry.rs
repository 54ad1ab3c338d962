//! Resolves `/t/<slug>` to a [`Tenant`]. Each replica keeps a short-lived copy of every tenant's
//! settings, so an admin's change reaches all replicas within `tenancy.cache_ttl_secs`.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{Logo, TenantSettings, TenantSlug};
use crate::db::schema::platform::tenants;
use crate::db::{Db, DbUnavailable};
use crate::error::AppError;
use crate::web::Lang;

/// Beyond this many cached slugs (most of them unknown ones someone typed), start afresh.
const MAX_CACHED: usize = 10_000;

#[derive(Debug)]
pub struct Tenant {
    pub slug: TenantSlug,
    pub settings: TenantSettings,
    pub logo: Logo,
    pub updated_at: DateTime<Utc>,
}

impl Tenant {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.settings.name.ja,
            Lang::En => &self.settings.name.en,
        }
    }
}

type Entry = (Instant, Option<Arc<Tenant>>);

pub struct TenantRegistry {
    db: Db,
    ttl: Duration,
    cache: RwLock<HashMap<String, Entry>>,
}

impl TenantRegistry {
    pub fn new(db: Db, ttl: Duration) -> Self {
        Self {
            db,
            ttl,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The tenant for a slug from a URL; `None` when there is no such tenant.
    pub async fn find(&self, raw: &str) -> Result<Option<Arc<Tenant>>, DbUnavailable> {
        let Ok(slug) = TenantSlug::parse(raw) else {
            return Ok(None);
        };
        if let Some((at, hit)) = self.cache.read().expect("tenant cache").get(raw)
            && at.elapsed() < self.ttl
        {
            return Ok(hit.clone());
        }
        let found = self.load(&slug).await?;
        let mut cache = self.cache.write().expect("tenant cache");
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(raw.to_owned(), (Instant::now(), found.clone()));
        Ok(found)
    }

    async fn load(&self, slug: &TenantSlug) -> Result<Option<Arc<Tenant>>, DbUnavailable> {
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
        Ok(Some(Arc::new(Tenant {
            slug: slug.clone(),
            settings,
            logo: Logo {
                content_type,
                bytes: logo,
            },
            updated_at,
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
