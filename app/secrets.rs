//! Human passwords (Argon2id, always off the async workers) and our own random secrets:
//! client secrets, codes and tokens are 256-bit random values stored only as SHA-256.

use std::sync::LazyLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// A fresh 256-bit secret, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut buf = [0u8; 32];
    rand::fill(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// What is stored for a secret we generated.
pub fn sha256(secret: &str) -> Vec<u8> {
    sha256_bytes(secret.as_bytes())
}

/// Bytes in lower-case hex (fingerprints, a file's SHA-256).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of bytes (a file brought in, say).
pub fn sha256_bytes(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// Compares a presented secret with a stored hash in constant time.
pub fn matches_hash(presented: &str, stored: &[u8]) -> bool {
    let hash = sha256(presented);
    hash.len() == stored.len() && openssl::memcmp::eq(&hash, stored)
}

/// A stand-in hash verified when a login ID does not exist, so the answer takes as long.
pub const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$xBBR3nsV+cRQTOh4W0qGIvSc4e3LRwfMSQWiP3n1nTM";

/// The Argon2 threads: one fewer than the cores, at least one (and one when the cores are
/// unknown).
fn hashing_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

/// Threads that compute Argon2 ([`hashing_threads`]). A storm of logins queues for them and
/// always leaves a core to the API. Dedicated threads, not tokio's blocking
/// pool: each thread keeps the 19 MiB of its last hash in its allocator, and the blocking pool
/// would spread hashes over dozens of threads.
static HASHERS: LazyLock<std::sync::mpsc::Sender<Job>> = LazyLock::new(|| {
    let (tx, rx) = std::sync::mpsc::channel::<Job>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    for i in 0..hashing_threads() {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || {
                loop {
                    let job = rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|r| r.recv().map_err(|_| ()));
                    match job {
                        Ok(job) => job(),
                        Err(()) => return,
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start an Argon2 thread");
        }
    }
    tx
});

type Job = Box<dyn FnOnce() + Send>;

/// Runs Argon2 work on the hashing threads, in turn.
async fn argon2<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    HASHERS.send(job).ok()?;
    rx.await.ok()
}

/// Sign-ins served at once; the others wait here, before they take a database connection, so
/// that a storm of logins queued for Argon2 cannot hold every connection of the pool.
static SIGN_INS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2 * hashing_threads()));

/// Waits for a sign-in's turn; hold it until the password has been checked.
pub async fn sign_in_turn() -> Option<tokio::sync::SemaphorePermit<'static>> {
    SIGN_INS.acquire().await.ok()
}

/// Argon2id with the crate's recommended parameters (19 MiB, 2 passes), salted.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    argon2(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await
    .ok_or_else(|| anyhow::anyhow!("hashing a password: the hashing task ended"))?
}

/// True when `password` matches the stored PHC string; any malformed hash is a mismatch.
pub async fn verify_password(password: String, phc: String) -> bool {
    argon2(move || {
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

    #[test]
    fn tokens_are_256_bit_and_distinct() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(matches_hash(&a, &sha256(&a)));
        assert!(!matches_hash(&b, &sha256(&a)));
        assert!(!matches_hash(&a, b"short"));
    }

    #[tokio::test]
    async fn round_trip_is_case_sensitive() {
        let phc = hash_password("Shinkin-2026!".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("Shinkin-2026!".into(), phc.clone()).await);
        assert!(!verify_password("shinkin-2026!".into(), phc.clone()).await);
        assert!(!verify_password("Shinkin-2026!".into(), "garbage".into()).await);
    }
}
