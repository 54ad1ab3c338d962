//! Secrets a bank gave a tenant (its OpenID provider's client secret), read from the tenant's
//! folder by `tenants apply` and kept in the tenant's `bank_secrets`, sealed under the
//! key-encryption key and bound to their row.

use diesel::prelude::*;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use zeroize::Zeroizing;

use super::kek::{Keyring, NO_KEK, Sealed};
use crate::db::Db;
use crate::db::schema::tenant::bank_secrets;
use crate::tenancy::TenantSlug;

/// The client secret of `bank.oidc.client_auth = "client_secret_basic"`.
pub const OIDC_CLIENT_SECRET: &str = "oidc_client_secret";

/// The row a bank's secret is bound to when sealed.
pub(crate) fn label(slug: &TenantSlug, name: &str) -> String {
    format!("{slug}/bank_secrets/{name}")
}

/// Makes the stored secret `name` the folder's (`None`: the folder names none, so none is
/// kept), in the caller's transaction on the tenant's `search_path`. The same secret as stored
/// is left as it is; answers whether anything changed.
pub(crate) fn store(
    conn: &mut AsyncConnectionWrapper<AsyncPgConnection>,
    keyring: Option<&Keyring>,
    slug: &TenantSlug,
    name: &str,
    clear: Option<&[u8]>,
) -> anyhow::Result<bool> {
    let Some(clear) = clear else {
        let n = diesel::delete(bank_secrets::table.find(name)).execute(conn)?;
        return Ok(n > 0);
    };
    let keyring = keyring.ok_or_else(|| anyhow::anyhow!("{NO_KEK}"))?;
    let label = label(slug, name);
    let stored: Option<(Vec<u8>, String)> = bank_secrets::table
        .find(name)
        .select((bank_secrets::secret, bank_secrets::sealed_by))
        .first(conn)
        .optional()?;
    if let Some((bytes, sealed_by)) = stored
        && let Ok(open) = keyring.open(&label, &Sealed { sealed_by, bytes })
        && open.len() == clear.len()
        && openssl::memcmp::eq(&open, clear)
    {
        return Ok(false);
    }
    let sealed = keyring.seal(&label, clear)?;
    diesel::insert_into(bank_secrets::table)
        .values((
            bank_secrets::name.eq(name),
            bank_secrets::secret.eq(&sealed.bytes),
            bank_secrets::sealed_by.eq(&sealed.sealed_by),
        ))
        .on_conflict(bank_secrets::name)
        .do_update()
        .set((
            bank_secrets::secret.eq(&sealed.bytes),
            bank_secrets::sealed_by.eq(&sealed.sealed_by),
            bank_secrets::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// The secret `name` of the tenant, opened; `None` when the tenant has none.
pub async fn open(
    db: &Db,
    keyring: &Keyring,
    slug: &TenantSlug,
    name: &str,
) -> anyhow::Result<Option<Zeroizing<Vec<u8>>>> {
    let mut conn = db.tenant(slug).await?;
    let query = bank_secrets::table
        .find(name)
        .select((bank_secrets::secret, bank_secrets::sealed_by));
    let stored: Option<(Vec<u8>, String)> = diesel_async::RunQueryDsl::first(query, &mut *conn)
        .await
        .optional()?;
    drop(conn);
    stored
        .map(|(bytes, sealed_by)| keyring.open(&label(slug, name), &Sealed { sealed_by, bytes }))
        .transpose()
}
