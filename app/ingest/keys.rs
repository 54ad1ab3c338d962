//! Ingest keys: what the bank's systems present to send files. 256-bit random values shown
//! once and stored as SHA-256, compared in constant time by the index of their hash.

use diesel::sql_types::{Bytea, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;

use crate::db::TenantConn;

/// A new key named `name`; the key itself is answered once and never stored.
pub async fn add(conn: &mut TenantConn, name: &str) -> diesel::QueryResult<String> {
    let key = format!("rki_{}", crate::secrets::random_token());
    diesel::sql_query("INSERT INTO core_ingest_keys (id, name, key_hash) VALUES ($1, $2, $3)")
        .bind::<SqlUuid, _>(uuid::Uuid::now_v7())
        .bind::<Text, _>(name)
        .bind::<Bytea, _>(crate::secrets::sha256(&key))
        .execute(&mut **conn)
        .await?;
    Ok(key)
}

#[derive(diesel::QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The name of the live key `presented` is, if it is one.
pub async fn check(conn: &mut TenantConn, presented: &str) -> diesel::QueryResult<Option<String>> {
    let found: Vec<Named> = diesel::sql_query(
        "SELECT name FROM core_ingest_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind::<Bytea, _>(crate::secrets::sha256(presented))
    .load(&mut **conn)
    .await?;
    Ok(found.into_iter().next().map(|n| n.name))
}
