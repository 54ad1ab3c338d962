//! `renkei keys rekey`: every stored secret not sealed under the current key-encryption key
//! (sealed by a previous one, or a platform key of before still in clear) is sealed under it:
//! the platform's keys, and each tenant's signing keys and bank secrets.
//! Each table is done in a transaction of its own; what is done stays done, so a rekey that
//! stops half-way is run again.

use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use zeroize::Zeroizing;

use super::kek::{Keyring, Sealed};
use super::{bank, platform, tenant};
use crate::db::Db;
use crate::db::schema::platform::platform_keys;
use crate::db::schema::tenant::{bank_secrets, signing_keys};
use crate::tenancy::TenantSlug;

/// How many secrets were sealed again, where.
#[derive(Debug, Default)]
pub struct Rekeyed {
    pub platform: usize,
    pub tenants: Vec<(TenantSlug, usize)>,
}

pub async fn rekey(db: &Db, keyring: &Keyring, tenants: &[TenantSlug]) -> anyhow::Result<Rekeyed> {
    let current = keyring.current_id().to_owned();
    let mut conn = db.platform().await?;
    let platform = conn
        .transaction::<_, anyhow::Error, _>(async |conn| {
            let rows: Vec<(String, Vec<u8>, Option<String>)> = platform_keys::table
                .filter(
                    platform_keys::sealed_by
                        .is_null()
                        .or(platform_keys::sealed_by.ne(&current)),
                )
                .select((
                    platform_keys::name,
                    platform_keys::key,
                    platform_keys::sealed_by,
                ))
                .for_update()
                .load(conn)
                .await?;
            for (name, bytes, sealed_by) in &rows {
                let label = platform::label(name);
                let clear = match sealed_by {
                    Some(by) => keyring.open(
                        &label,
                        &Sealed {
                            sealed_by: by.clone(),
                            bytes: bytes.clone(),
                        },
                    )?,
                    None => Zeroizing::new(bytes.clone()),
                };
                let sealed = keyring.seal(&label, &clear)?;
                diesel::update(platform_keys::table.find(name))
                    .set((
                        platform_keys::key.eq(sealed.bytes),
                        platform_keys::sealed_by.eq(sealed.sealed_by),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok(rows.len())
        })
        .await?;
    drop(conn);
    let mut done = Rekeyed {
        platform,
        tenants: Vec::new(),
    };
    for slug in tenants {
        let mut conn = db.tenant(slug).await?;
        let n = conn
            .transaction::<_, anyhow::Error, _>(async |conn| {
                let rows: Vec<(String, Vec<u8>, String)> = signing_keys::table
                    .filter(signing_keys::sealed_by.ne(&current))
                    .select((
                        signing_keys::kid,
                        signing_keys::private_jwk,
                        signing_keys::sealed_by,
                    ))
                    .for_update()
                    .load(conn)
                    .await?;
                let n = rows.len();
                for (kid, sealed) in resealed(keyring, rows, |kid| tenant::label(slug, kid))? {
                    diesel::update(signing_keys::table.find(&kid))
                        .set((
                            signing_keys::private_jwk.eq(sealed.bytes),
                            signing_keys::sealed_by.eq(sealed.sealed_by),
                        ))
                        .execute(conn)
                        .await?;
                }
                let secrets: Vec<(String, Vec<u8>, String)> = bank_secrets::table
                    .filter(bank_secrets::sealed_by.ne(&current))
                    .select((
                        bank_secrets::name,
                        bank_secrets::secret,
                        bank_secrets::sealed_by,
                    ))
                    .for_update()
                    .load(conn)
                    .await?;
                let n = n + secrets.len();
                for (name, sealed) in resealed(keyring, secrets, |name| bank::label(slug, name))? {
                    diesel::update(bank_secrets::table.find(&name))
                        .set((
                            bank_secrets::secret.eq(sealed.bytes),
                            bank_secrets::sealed_by.eq(sealed.sealed_by),
                        ))
                        .execute(conn)
                        .await?;
                }
                Ok(n)
            })
            .await?;
        done.tenants.push((slug.clone(), n));
    }
    Ok(done)
}

/// Rows of `(key, sealed value, sealed by)` opened under their labels and sealed again under the
/// current KEK.
fn resealed(
    keyring: &Keyring,
    rows: Vec<(String, Vec<u8>, String)>,
    label: impl Fn(&str) -> String,
) -> anyhow::Result<Vec<(String, Sealed)>> {
    rows.into_iter()
        .map(|(key, bytes, sealed_by)| {
            let label = label(&key);
            let clear = keyring.open(&label, &Sealed { sealed_by, bytes })?;
            Ok((key, keyring.seal(&label, &clear)?))
        })
        .collect()
}
