//! A tenant's signing keys: ES256 and PS256, one active key per algorithm, the next one
//! published (in the tenant's JWKS) from the moment it is made, and a retired one kept published
//! for `keys.retire_after_hours` so that what it signed still verifies. Private parts are stored
//! sealed under the key-encryption key and leave this module only as a [`SigningKey`].

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, RunQueryDsl};

use super::kek::{Keyring, Sealed};
use crate::db::schema::tenant::signing_keys;
use crate::db::{Db, DbUnavailable, TenantConn};
use crate::jose::{Alg, SigningKey, VerifyingKeys};
use crate::tenancy::TenantSlug;

/// The algorithms every tenant holds a key for.
pub const ALGS: [Alg; 2] = [Alg::Es256, Alg::Ps256];

/// How long a partner may keep a tenant's JWKS (its `Cache-Control`): a next key becomes active
/// only once it has been published this long, so no verifier meets a `kid` it cannot know.
pub const JWKS_MAX_AGE_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    Next,
    Active,
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }

    fn parse(raw: &str) -> Self {
        match raw {
            "active" => Self::Active,
            "retired" => Self::Retired,
            _ => Self::Next,
        }
    }
}

/// A published key: what the JWKS, the console and `renkei keys list` show. No private part.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublishedKey {
    pub kid: String,
    pub alg: String,
    pub state: KeyState,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    /// When a retired key leaves the JWKS.
    pub dropped_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    public_jwk: serde_json::Value,
}

/// The keys a token of the tenant verifies with: every published one.
pub fn verifying(keys: &[PublishedKey]) -> anyhow::Result<VerifyingKeys> {
    let set = serde_json::json!({ "keys": keys.iter().map(|k| &k.public_jwk).collect::<Vec<_>>() });
    VerifyingKeys::from_jwks(set.to_string().as_bytes())
}

/// The JWK Set to publish: public members, `kid`, `alg` and `use`; a key that somehow carried
/// a private member is left out rather than published.
pub fn jwks(keys: &[PublishedKey]) -> anyhow::Result<serde_json::Value> {
    Ok(verifying(keys)?.to_jwks())
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Unavailable(#[from] DbUnavailable),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error(
        "the next {alg} key {kid} was published at {}; partners may keep the JWKS of before for \
         {JWKS_MAX_AGE_SECS} s, so rotate again after {}",
        .published.format("%F %T UTC"),
        .usable.format("%F %T UTC")
    )]
    TooSoon {
        alg: &'static str,
        kid: String,
        published: DateTime<Utc>,
        usable: DateTime<Utc>,
    },
    #[error("another rotation of these keys ran at the same time; run it again")]
    Concurrent,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<KeyError> for crate::error::AppError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Unavailable(e) => e.into(),
            KeyError::Query(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

/// The row a private key is bound to when sealed.
pub(crate) fn label(slug: &TenantSlug, kid: &str) -> String {
    format!("{slug}/signing_keys/{kid}")
}

/// The tenant's published keys, making the ones it lacks (a tenant's first keys, or a next key
/// after an interrupted rotation).
pub async fn published(
    db: &Db,
    keyring: &Keyring,
    slug: &TenantSlug,
    now: DateTime<Utc>,
    retire_after: Duration,
) -> Result<Vec<PublishedKey>, KeyError> {
    let keys = read(&mut db.tenant(slug).await?, now, retire_after).await?;
    let missing = missing(&keys);
    if missing.is_empty() {
        return Ok(keys);
    }
    let fresh = generate(keyring, slug, missing, now).await?;
    let mut conn = db.tenant(slug).await?;
    let made = diesel::insert_into(signing_keys::table)
        .values(&fresh)
        .on_conflict_do_nothing()
        .execute(&mut *conn)
        .await?;
    if made > 0 {
        tracing::info!(tenant = %slug, keys = made, "signing keys made");
    }
    Ok(read(&mut conn, now, retire_after).await?)
}

/// The tenant's active key for `alg`, with its private part, to sign with.
pub async fn signing_key(
    db: &Db,
    keyring: &Keyring,
    slug: &TenantSlug,
    alg: Alg,
    now: DateTime<Utc>,
    retire_after: Duration,
) -> Result<SigningKey, KeyError> {
    let active = async || -> Result<Option<(String, Vec<u8>, String)>, KeyError> {
        Ok(signing_keys::table
            .filter(signing_keys::alg.eq(alg.name()))
            .filter(signing_keys::state.eq("active"))
            .select((
                signing_keys::kid,
                signing_keys::private_jwk,
                signing_keys::sealed_by,
            ))
            .first(&mut *db.tenant(slug).await?)
            .await
            .optional()?)
    };
    // The tenant's keys are made only when it has none to sign with yet.
    let found = match active().await? {
        Some(found) => found,
        None => {
            published(db, keyring, slug, now, retire_after).await?;
            active().await?.ok_or(diesel::result::Error::NotFound)?
        }
    };
    let (kid, bytes, sealed_by) = found;
    let private = keyring.open(&label(slug, &kid), &Sealed { sealed_by, bytes })?;
    Ok(SigningKey::from_private_jwk(&private)?)
}

/// What a rotation did.
#[derive(Debug, Default)]
pub struct Rotation {
    /// (algorithm, kid) of the keys that sign from now on.
    pub activated: Vec<(&'static str, String)>,
    pub retired: Vec<String>,
    /// The next keys, published from now on.
    pub published: Vec<(&'static str, String)>,
    /// Retired keys past `keys.retire_after_hours`, no longer published.
    pub dropped: usize,
}

/// For each algorithm: the next key becomes active, the active one retired, and a new next
/// key is published. Refused while a next key has been published for less than
/// [`JWKS_MAX_AGE_SECS`].
pub async fn rotate(
    db: &Db,
    keyring: &Keyring,
    slug: &TenantSlug,
    now: DateTime<Utc>,
    retire_after: Duration,
) -> Result<Rotation, KeyError> {
    published(db, keyring, slug, now, retire_after).await?;
    let fresh = generate(
        keyring,
        slug,
        ALGS.iter().map(|a| (*a, KeyState::Next)).collect(),
        now,
    )
    .await?;
    let mut conn = db.tenant(slug).await?;
    conn.transaction::<_, KeyError, _>(async move |conn| {
        let dropped = diesel::delete(
            signing_keys::table
                .filter(signing_keys::state.eq("retired"))
                .filter(signing_keys::retired_at.le(now - retire_after)),
        )
        .execute(conn)
        .await?;
        let mut done = Rotation {
            dropped,
            ..Rotation::default()
        };
        for (alg, new) in ALGS.iter().zip(&fresh) {
            let (next, published): (String, DateTime<Utc>) = signing_keys::table
                .filter(signing_keys::alg.eq(alg.name()))
                .filter(signing_keys::state.eq("next"))
                .select((signing_keys::kid, signing_keys::created_at))
                .for_update()
                .first(conn)
                .await
                .optional()?
                .ok_or(KeyError::Concurrent)?;
            let usable = published + Duration::seconds(JWKS_MAX_AGE_SECS);
            if usable > now {
                return Err(KeyError::TooSoon {
                    alg: alg.name(),
                    kid: next,
                    published,
                    usable,
                });
            }
            let retired: Vec<String> = diesel::update(
                signing_keys::table
                    .filter(signing_keys::alg.eq(alg.name()))
                    .filter(signing_keys::state.eq("active")),
            )
            .set((
                signing_keys::state.eq("retired"),
                signing_keys::retired_at.eq(now),
            ))
            .returning(signing_keys::kid)
            .get_results(conn)
            .await?;
            diesel::update(signing_keys::table.find(&next))
                .set((
                    signing_keys::state.eq("active"),
                    signing_keys::activated_at.eq(now),
                ))
                .execute(conn)
                .await?;
            diesel::insert_into(signing_keys::table)
                .values(new)
                .execute(conn)
                .await?;
            done.retired.extend(retired);
            done.activated.push((alg.name(), next));
            done.published.push((alg.name(), new.kid.clone()));
        }
        Ok(done)
    })
    .await
}

/// Every key still published at `now`, by algorithm, the active one first.
async fn read(
    conn: &mut TenantConn,
    now: DateTime<Utc>,
    retire_after: Duration,
) -> QueryResult<Vec<PublishedKey>> {
    type Row = (
        String,
        String,
        String,
        serde_json::Value,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = signing_keys::table
        .filter(
            signing_keys::retired_at
                .is_null()
                .or(signing_keys::retired_at.gt(now - retire_after)),
        )
        .select((
            signing_keys::kid,
            signing_keys::alg,
            signing_keys::state,
            signing_keys::public_jwk,
            signing_keys::created_at,
            signing_keys::activated_at,
            signing_keys::retired_at,
        ))
        .order((signing_keys::alg, signing_keys::created_at))
        .load(&mut **conn)
        .await?;
    let mut keys: Vec<PublishedKey> = rows
        .into_iter()
        .map(
            |(kid, alg, state, public_jwk, created_at, activated_at, retired_at)| PublishedKey {
                kid,
                alg,
                state: KeyState::parse(&state),
                created_at,
                activated_at,
                retired_at,
                dropped_at: retired_at.map(|at| at + retire_after),
                public_jwk,
            },
        )
        .collect();
    let rank = |s: KeyState| match s {
        KeyState::Active => 0,
        KeyState::Next => 1,
        KeyState::Retired => 2,
    };
    keys.sort_by(|a, b| (&a.alg, rank(a.state)).cmp(&(&b.alg, rank(b.state))));
    Ok(keys)
}

/// The (algorithm, state) pairs of [`ALGS`] that have no key.
fn missing(keys: &[PublishedKey]) -> Vec<(Alg, KeyState)> {
    ALGS.iter()
        .flat_map(|alg| [(*alg, KeyState::Active), (*alg, KeyState::Next)])
        .filter(|(alg, state)| {
            !keys
                .iter()
                .any(|k| k.alg == alg.name() && k.state == *state)
        })
        .collect()
}

#[derive(Insertable)]
#[diesel(table_name = signing_keys)]
struct NewKey {
    kid: String,
    alg: &'static str,
    state: &'static str,
    public_jwk: serde_json::Value,
    private_jwk: Vec<u8>,
    sealed_by: String,
    created_at: DateTime<Utc>,
    activated_at: Option<DateTime<Utc>>,
}

/// New keys, sealed, off the async workers (an RSA key takes a while to find).
async fn generate(
    keyring: &Keyring,
    slug: &TenantSlug,
    wanted: Vec<(Alg, KeyState)>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<NewKey>> {
    let made = tokio::task::spawn_blocking(move || {
        wanted
            .into_iter()
            .map(|(alg, state)| Ok((state, SigningKey::generate(alg)?)))
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await??;
    made.into_iter()
        .map(|(state, key)| {
            let private = zeroize::Zeroizing::new(key.private_jwk());
            let sealed = keyring.seal(&label(slug, key.kid()), &private)?;
            Ok(NewKey {
                kid: key.kid().to_owned(),
                alg: key.alg().name(),
                state: state.as_str(),
                public_jwk: serde_json::to_value(key.public_jwk()?.as_ref())?,
                private_jwk: sealed.bytes,
                sealed_by: sealed.sealed_by,
                created_at: now,
                activated_at: (state == KeyState::Active).then_some(now),
            })
        })
        .collect()
}
