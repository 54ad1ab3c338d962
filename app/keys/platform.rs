//! Secrets shared by every replica through `public.platform_keys` (the key that signs paging
//! cursors), sealed under the key-encryption key.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use zeroize::Zeroizing;

use super::kek::{Keyring, Sealed};
use crate::db::Db;
use crate::db::schema::platform::platform_keys;

/// The row a platform secret is bound to when sealed.
pub(crate) fn label(name: &str) -> String {
    format!("public.platform_keys/{name}")
}

/// The platform secret `name`, 32 random bytes: created sealed by the first replica that asks
/// for it. A value of before, still in clear, is sealed now (once, by whichever replica gets
/// there first).
pub async fn platform_secret(
    db: &Db,
    keyring: &Keyring,
    name: &str,
) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let label = label(name);
    let mut conn = db.platform().await?;
    let mut fresh = Zeroizing::new([0u8; 32]);
    rand::fill(&mut fresh[..]);
    let sealed = keyring.seal(&label, &fresh[..])?;
    diesel::insert_into(platform_keys::table)
        .values((
            platform_keys::name.eq(name),
            platform_keys::key.eq(&sealed.bytes),
            platform_keys::sealed_by.eq(&sealed.sealed_by),
        ))
        .on_conflict_do_nothing()
        .execute(&mut *conn)
        .await?;
    let (bytes, sealed_by): (Vec<u8>, Option<String>) = platform_keys::table
        .find(name)
        .select((platform_keys::key, platform_keys::sealed_by))
        .first(&mut *conn)
        .await?;
    match sealed_by {
        Some(sealed_by) => keyring.open(&label, &Sealed { sealed_by, bytes }),
        None => {
            let clear = Zeroizing::new(bytes);
            let sealed = keyring.seal(&label, &clear)?;
            let n = diesel::update(
                platform_keys::table
                    .find(name)
                    .filter(platform_keys::sealed_by.is_null()),
            )
            .set((
                platform_keys::key.eq(&sealed.bytes),
                platform_keys::sealed_by.eq(&sealed.sealed_by),
            ))
            .execute(&mut *conn)
            .await?;
            if n == 1 {
                tracing::info!(key = name, "a platform key stored in clear is sealed now");
            }
            Ok(clear)
        }
    }
}
