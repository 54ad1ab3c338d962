//! The key-encryption key (KEK): every secret Renkei stores that it must read back in clear (the
//! paging key, tenants' private signing keys) is sealed under it with AES-256-GCM (openssl's),
//! bound to the row it belongs to. The KEK lives in a file outside the database
//! (`keys.kek_file`), so a copy of the database alone gives none of them away.
//!
//! A sealed value is the 12-byte nonce, the ciphertext and the 16-byte tag; beside it the row
//! keeps which KEK sealed it (its id: the first 8 bytes of its SHA-256, in hex), so that a KEK
//! can be rotated: the new one seals, the previous ones (`keys.previous_kek_files`) still open
//! until `renkei keys rekey` has sealed everything again.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};

use crate::config::KeySettings;

const NONCE: usize = 12;
const TAG: usize = 16;

/// What `serve` and every command that reads a sealed secret say when no KEK is configured.
pub const NO_KEK: &str = "keys.kek_file is not set: Renkei keeps its secrets sealed under a \
    key-encryption key; create one with `renkei keys new-kek FILE` and set keys.kek_file \
    (RENKEI__KEYS__KEK_FILE) to it";

/// One key-encryption key, read from its file.
struct Kek {
    id: String,
    key: zeroize::Zeroizing<[u8; 32]>,
}

impl Kek {
    fn read(path: &Path, setting: &str) -> anyhow::Result<Self> {
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("{setting} {}: cannot read it", path.display()))?,
        );
        let bytes = zeroize::Zeroizing::new(STANDARD.decode(text.trim()).ok().filter(|b| b.len() == 32).with_context(|| {
            format!(
                "{setting} {}: not a key-encryption key (32 bytes in base64, as `renkei keys new-kek` writes)",
                path.display()
            )
        })?);
        warn_if_shared(path, setting);
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&bytes);
        Ok(Self::of(key))
    }

    fn of(key: zeroize::Zeroizing<[u8; 32]>) -> Self {
        let id = crate::secrets::hex(&crate::secrets::sha256_bytes(&key[..])[..8]);
        Self { id, key }
    }
}

#[cfg(unix)]
fn warn_if_shared(path: &Path, setting: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            file = %path.display(),
            "{setting}: the key-encryption key is readable by other users; chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_: &Path, _: &str) {}

/// A value sealed under a KEK, with the id of the KEK that sealed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub sealed_by: String,
    pub bytes: Vec<u8>,
}

/// The KEK that seals, and the previous ones that still open.
pub struct Keyring {
    current: Kek,
    previous: Vec<Kek>,
}

impl std::fmt::Debug for Keyring {
    /// The ids only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Keyring {
    /// The KEKs of the settings; the error is one line ([`NO_KEK`] when none is set).
    pub fn load(settings: &KeySettings) -> anyhow::Result<Self> {
        let path = settings.kek_file.as_ref().context(NO_KEK)?;
        let current = Kek::read(path, "keys.kek_file")?;
        let previous = settings
            .previous_kek_files
            .iter()
            .map(|p| Kek::read(p, "keys.previous_kek_files"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { current, previous })
    }

    /// A keyring of one fresh KEK that no file holds (tests of sealing).
    pub fn ephemeral() -> Self {
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        rand::fill(&mut key[..]);
        Self {
            current: Kek::of(key),
            previous: Vec::new(),
        }
    }

    /// The id of the KEK that seals.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `clear` under the current KEK, bound to `label` (the row it is stored in): opened
    /// with another label, it does not open.
    pub fn seal(&self, label: &str, clear: &[u8]) -> anyhow::Result<Sealed> {
        let mut nonce = [0u8; NONCE];
        rand::fill(&mut nonce);
        let mut tag = [0u8; TAG];
        let sealed = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.current.key[..],
            Some(&nonce),
            label.as_bytes(),
            clear,
            &mut tag,
        )?;
        let mut bytes = Vec::with_capacity(NONCE + sealed.len() + TAG);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        bytes.extend_from_slice(&tag);
        Ok(Sealed {
            sealed_by: self.current.id.clone(),
            bytes,
        })
    }

    /// Opens what [`Keyring::seal`] sealed under `label`, with whichever KEK of the ring sealed
    /// it. The error says which KEK is missing, or that the value is not the row's.
    pub fn open(
        &self,
        label: &str,
        sealed: &Sealed,
    ) -> anyhow::Result<zeroize::Zeroizing<Vec<u8>>> {
        let kek = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == sealed.sealed_by)
            .with_context(|| {
                format!(
                    "{label} is sealed under the key-encryption key {}, which is neither keys.kek_file ({}) \
                     nor one of keys.previous_kek_files",
                    sealed.sealed_by, self.current.id
                )
            })?;
        let bytes = &sealed.bytes;
        anyhow::ensure!(
            bytes.len() >= NONCE + TAG,
            "{label}: the sealed value is cut short"
        );
        let (nonce, rest) = bytes.split_at(NONCE);
        let (body, tag) = rest.split_at(rest.len() - TAG);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &kek.key[..],
            Some(nonce),
            label.as_bytes(),
            body,
            tag,
        )
        .map(zeroize::Zeroizing::new)
        .map_err(|_| {
            anyhow::anyhow!("{label}: the sealed value does not open (altered, or not this row's)")
        })
    }
}

/// Writes a fresh KEK to `path` (readable by its owner only) and answers its id. An existing
/// file is never overwritten: a KEK lost is every sealed secret lost.
pub fn create_file(path: &Path) -> anyhow::Result<String> {
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    rand::fill(&mut key[..]);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = options.open(path).with_context(|| {
        if path.exists() {
            format!(
                "{} exists already; a key-encryption key is never overwritten",
                path.display()
            )
        } else {
            format!("cannot create {}", path.display())
        }
    })?;
    let text = zeroize::Zeroizing::new(STANDARD.encode(&key[..]));
    writeln!(file, "{}", text.as_str())
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.sync_all()?;
    Ok(Kek::of(key).id)
}
