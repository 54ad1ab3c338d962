//! Sections of the settings that keep to themselves.

use std::path::PathBuf;

use serde::Deserialize;

/// The key-encryption key that seals stored secrets (`crate::keys::kek`), and tenants' keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    /// The KEK that seals; `serve` refuses to start without it.
    pub kek_file: Option<PathBuf>,
    /// KEKs of before, that still open what they sealed until `renkei keys rekey` has run.
    pub previous_kek_files: Vec<PathBuf>,
    /// How long a retired signing key stays published for verification.
    pub retire_after_hours: i64,
}

impl KeySettings {
    /// [`KeySettings::retire_after_hours`] as a duration.
    pub fn retire_after(&self) -> chrono::Duration {
        chrono::Duration::hours(self.retire_after_hours)
    }
}

/// The hosted core's intake of the bank's files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreSettings {
    /// The largest file `POST /t/<slug>/core/v1/imports` takes.
    pub max_upload_mb: u64,
    /// Business days (Monday to Friday) without an import after which the console warns that
    /// an account's data is stale.
    pub stale_after_days: u32,
}
