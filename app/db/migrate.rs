//! Embedded migrations: `migrations/public` for the platform, `migrations/tenant` replayed in every
//! `tenant_<slug>` schema. Each schema migrates in one transaction under advisory locks, so two
//! starting replicas never migrate the same schema at once, and a failing migration leaves its
//! schema as it was. Different tenants' schemas may migrate at once: a tenant's migrations touch
//! only its own schema.

use anyhow::Context as _;
use diesel::migration::{Migration as _, MigrationSource};
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Jsonb, Nullable, Text};
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use std::sync::Arc;

use crate::db::schema::platform::tenants;
use crate::keys::Keyring;
use crate::tenancy::{SchemaName, TenantManifest, TenantSlug};

pub const PUBLIC: EmbeddedMigrations = embed_migrations!("migrations/public");
pub const TENANT: EmbeddedMigrations = embed_migrations!("migrations/tenant");

/// Taken by the platform migrations: no other migration of any process on this database runs
/// beside them.
const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('renkei:migrate'))";

/// Taken by a tenant's migrations (`$1`: its schema): beside other tenants', never beside the
/// platform's or the same tenant's. The schema's lock is in the two-key space, apart from
/// [`LOCK`]'s.
const TENANT_LOCK: &str = "SELECT pg_advisory_xact_lock_shared(hashtext('renkei:migrate')),
        pg_advisory_xact_lock(hashtext('renkei:migrate'), hashtext($1))";

fn lock_tenant(conn: &mut SyncConn, schema: &SchemaName) -> QueryResult<()> {
    diesel::sql_query(TENANT_LOCK)
        .bind::<Text, _>(schema.as_str())
        .execute(conn)
        .map(drop)
}

type SyncConn = AsyncConnectionWrapper<AsyncPgConnection>;

/// What applying one tenant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantReport {
    pub slug: TenantSlug,
    pub schema_created: bool,
    pub migrations_applied: usize,
    pub settings_changed: bool,
}

impl TenantReport {
    pub fn changed(&self) -> bool {
        self.schema_created || self.migrations_applied > 0 || self.settings_changed
    }
}

/// Runs blocking diesel work on a fresh connection off the async workers.
async fn blocking<T: Send + 'static>(
    url: &str,
    work: impl FnOnce(&mut SyncConn) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = SyncConn::establish(&url).context("cannot connect to the database")?;
        work(&mut conn)
    })
    .await
    .context("migration task panicked")?
}

fn run(conn: &mut SyncConn, schema: &str, set: EmbeddedMigrations) -> anyhow::Result<usize> {
    diesel::sql_query(format!("SET LOCAL search_path TO {schema}")).execute(conn)?;
    let applied = conn
        .run_pending_migrations(set)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(applied.len())
}

/// Applies pending platform migrations; returns how many ran.
pub async fn public(url: &str) -> anyhow::Result<usize> {
    blocking(url, |conn| {
        conn.transaction(|conn| {
            diesel::sql_query(LOCK).execute(conn)?;
            run(conn, "public", PUBLIC)
        })
        .context("platform migrations failed")
    })
    .await
}

fn migrate_schema(conn: &mut SyncConn, schema: &SchemaName) -> anyhow::Result<(bool, usize)> {
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let existed = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists",
    )
    .bind::<Text, _>(schema.as_str())
    .get_result::<Exists>(conn)?
    .exists;
    if !existed {
        diesel::sql_query(format!("CREATE SCHEMA {}", schema.quoted())).execute(conn)?;
    }
    Ok((!existed, run(conn, &schema.quoted(), TENANT)?))
}

/// Creates or updates one tenant: schema, migrations and settings, all or nothing.
/// `keyring` seals the bank's secrets the folder holds; a folder with one and no keyring is
/// refused.
pub async fn apply_tenant(
    url: &str,
    manifest: TenantManifest,
    keyring: Option<Arc<Keyring>>,
) -> anyhow::Result<TenantReport> {
    let slug = manifest.slug.clone();
    blocking(url, move |conn| {
        conn.transaction(|conn| {
            let schema = manifest.slug.schema();
            lock_tenant(conn, &schema)?;
            let (schema_created, migrations_applied) = migrate_schema(conn, &schema)?;
            let settings = serde_json::to_value(&manifest.settings)?;
            // A folder without customer-ca.pem leaves the stored bundle as it is (an admin's,
            // or the development CA of `renkei demo certs`).
            let (ca, folder_crl) = manifest
                .customer_ca
                .as_ref()
                .map_or((None, None), |c| (Some(c.ca_pem.as_str()), c.crl_pem.as_deref()));
            // A newer CRL brought in since (console, `renkei tenants crl`) stays.
            let stored: Option<(Option<String>, Option<String>)> = tenants::table
                .find(manifest.slug.as_str())
                .select((tenants::customer_ca_pem, tenants::customer_crl_pem))
                .first(conn)
                .optional()?;
            let crl = match (ca, &stored) {
                (Some(ca), Some((stored_ca, stored_crl))) => crate::tenancy::customer_ca::kept_crl(
                    (stored_ca.as_deref(), stored_crl.as_deref()),
                    (ca, folder_crl),
                ),
                _ => folder_crl,
            };
            let changed = diesel::sql_query(
                "INSERT INTO public.tenants
                        (slug, settings, logo, logo_content_type, customer_ca_pem, customer_crl_pem)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (slug) DO UPDATE
                    SET settings = excluded.settings, logo = excluded.logo,
                        logo_content_type = excluded.logo_content_type,
                        customer_ca_pem = COALESCE(excluded.customer_ca_pem, tenants.customer_ca_pem),
                        customer_crl_pem = CASE WHEN excluded.customer_ca_pem IS NULL
                            THEN tenants.customer_crl_pem ELSE excluded.customer_crl_pem END,
                        updated_at = now()
                  WHERE tenants.settings IS DISTINCT FROM excluded.settings
                     OR tenants.logo IS DISTINCT FROM excluded.logo
                     OR (excluded.customer_ca_pem IS NOT NULL
                         AND (tenants.customer_ca_pem IS DISTINCT FROM excluded.customer_ca_pem
                              OR tenants.customer_crl_pem IS DISTINCT FROM excluded.customer_crl_pem))",
            )
            .bind::<Text, _>(manifest.slug.as_str())
            .bind::<Jsonb, _>(settings)
            .bind::<Bytea, _>(&manifest.logo.bytes)
            .bind::<Text, _>(manifest.logo.content_type)
            .bind::<Nullable<Text>, _>(ca)
            .bind::<Nullable<Text>, _>(crl)
            .execute(conn)?;
            // Back on the tenant's schema, which `run` set for the transaction.
            let secret_changed = crate::keys::bank::store(
                conn,
                keyring.as_deref(),
                &manifest.slug,
                crate::keys::bank::OIDC_CLIENT_SECRET,
                manifest.oidc_client_secret.as_ref().map(|s| &s.0[..]),
            )?;
            Ok(TenantReport {
                slug: manifest.slug.clone(),
                schema_created,
                migrations_applied,
                settings_changed: changed > 0 || secret_changed,
            })
        })
    })
    .await
    .with_context(|| format!("tenant '{slug}': apply failed; its schema is unchanged"))
}

/// Applies pending tenant migrations to every registered tenant; `(slug, applied)` for each.
/// One query first finds the schemas that already have every migration, so a start-up with
/// a thousand tenants up to date costs one round trip, not a thousand transactions.
pub async fn all_tenants(url: &str) -> anyhow::Result<Vec<(TenantSlug, usize)>> {
    blocking(url, |conn| {
        let slugs: Vec<String> = crate::db::schema::platform::tenants::table
            .select(crate::db::schema::platform::tenants::slug)
            .order(crate::db::schema::platform::tenants::slug)
            .load(conn)?;
        let slugs = slugs
            .iter()
            .map(|raw| {
                TenantSlug::parse(raw)
                    .map_err(|e| anyhow::anyhow!("tenant '{raw}' in public.tenants: slug {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let current = up_to_date(conn, &slugs)?;
        let mut out = Vec::new();
        for slug in slugs {
            let applied = if current.contains(slug.as_str()) {
                0
            } else {
                let schema = slug.schema();
                conn.transaction(|conn| {
                    lock_tenant(conn, &schema)?;
                    Ok::<_, anyhow::Error>(migrate_schema(conn, &schema)?.1)
                })
                .with_context(|| {
                    format!("tenant '{slug}': migration failed; its schema is unchanged")
                })?
            };
            out.push((slug, applied));
        }
        Ok(out)
    })
    .await
}

/// The tenants whose schema has recorded every embedded tenant migration.
fn up_to_date(
    conn: &mut SyncConn,
    slugs: &[TenantSlug],
) -> anyhow::Result<std::collections::HashSet<String>> {
    #[derive(QueryableByName)]
    struct Current {
        #[diesel(sql_type = Text)]
        slug: String,
    }
    let versions: Vec<String> = MigrationSource::<diesel::pg::Pg>::migrations(&TENANT)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    // Only schemas that have the migrations table can be asked; the others are migrated.
    let present: std::collections::HashSet<String> = {
        #[derive(QueryableByName)]
        struct Schema {
            #[diesel(sql_type = Text)]
            nspname: String,
        }
        diesel::sql_query(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid
              WHERE c.relname = '__diesel_schema_migrations' AND n.nspname LIKE 'tenant\\_%'",
        )
        .load::<Schema>(conn)?
        .into_iter()
        .map(|s| s.nspname)
        .collect()
    };
    let asks: Vec<String> = slugs
        .iter()
        .map(|s| (s, s.schema()))
        .filter(|(_, schema)| present.contains(schema.as_str()))
        .map(|(s, schema)| {
            format!(
                "SELECT '{}'::text AS slug FROM {}.__diesel_schema_migrations
                  HAVING count(*) FILTER (WHERE version = ANY($1)) = cardinality($1)",
                s.as_str(),
                schema.quoted()
            )
        })
        .collect();
    if asks.is_empty() {
        return Ok(Default::default());
    }
    Ok(diesel::sql_query(asks.join(" UNION ALL "))
        .bind::<diesel::sql_types::Array<Text>, _>(versions)
        .load::<Current>(conn)?
        .into_iter()
        .map(|c| c.slug)
        .collect())
}
