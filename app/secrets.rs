//! Human passwords (Argon2id, always off the async workers) and our own random secrets.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Argon2id with the crate's recommended parameters (19 MiB, 2 passes), salted.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// True when `password` matches the stored PHC string; any malformed hash is a mismatch.
pub async fn verify_password(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), phc.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip_is_case_sensitive() {
        let phc = hash_password("Shinkin-2026!".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("Shinkin-2026!".into(), phc.clone()).await);
        assert!(!verify_password("shinkin-2026!".into(), phc.clone()).await);
        assert!(!verify_password("Shinkin-2026!".into(), "garbage".into()).await);
    }
}
