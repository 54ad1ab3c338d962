//! `[bank]` and `[bank.oidc]` of `tenant.toml`: the bank's own sign-in, checked against
//! `bank.directory`, with the client secret its file holds.

use serde::Deserialize;

use crate::i18n::Message;
use crate::tenancy::checks::check_url;
use crate::tenancy::settings::{BankOidc, ClientAuth, CoreKind, DirectoryKind, OidcShow};

/// `[bank]`, and `[bank.oidc]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBank {
    #[serde(default)]
    pub(super) directory: DirectoryKind,
    #[serde(default)]
    pub(super) core: CoreKind,
    oidc: Option<RawOidc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOidc {
    issuer: String,
    client_id: String,
    client_auth: ClientAuth,
    client_secret_file: Option<String>,
    claim: Option<String>,
    #[serde(default)]
    acr_values: Vec<String>,
    max_age: Option<i64>,
    #[serde(default)]
    show: OidcShow,
    timeout_ms: Option<i64>,
}

/// A secret of the bank's read from the tenant's folder: never printed.
#[derive(Clone, PartialEq)]
pub struct BankSecret(pub zeroize::Zeroizing<Vec<u8>>);

impl std::fmt::Debug for BankSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BankSecret(..)")
    }
}

const DEFAULT_OIDC_TIMEOUT_MS: u32 = 3000;
/// `[bank.oidc]` checked against `bank.directory`, with the client secret its file holds.
pub(super) fn oidc(
    bank: &RawBank,
    read: &impl Fn(&str) -> Result<Vec<u8>, Message>,
    error: &mut impl FnMut(&str, Message),
) -> Option<(BankOidc, Option<BankSecret>)> {
    let o = match (&bank.oidc, bank.directory) {
        (Some(o), DirectoryKind::Oidc) => o,
        (None, DirectoryKind::Oidc) => {
            error("bank.oidc", Message::new("check-oidc-needed"));
            return None;
        }
        (Some(_), _) => {
            error("bank.directory", Message::new("check-oidc-directory"));
            return None;
        }
        (None, _) => return None,
    };
    let mut bad = false;
    let mut fail = |k: &str, m: Message| {
        bad = true;
        error(k, m)
    };
    if let Err(why) = check_url(&o.issuer) {
        fail("bank.oidc.issuer", why);
    } else if o.issuer.contains(['?', '#']) {
        fail(
            "bank.oidc.issuer",
            Message::new("check-oidc-issuer").with("value", &o.issuer),
        );
    }
    if o.client_id.trim().is_empty() || o.client_id.len() > 255 {
        fail("bank.oidc.client_id", Message::new("check-required"));
    }
    let secret = match (o.client_auth, &o.client_secret_file) {
        (ClientAuth::ClientSecretBasic, Some(file)) => match read(file) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).unwrap_or_default();
                let trimmed = text.trim();
                if trimmed.is_empty() || trimmed.contains(char::is_control) {
                    fail(
                        "bank.oidc.client_secret_file",
                        Message::new("check-oidc-secret"),
                    );
                    None
                } else {
                    Some(BankSecret(zeroize::Zeroizing::new(
                        trimmed.as_bytes().to_vec(),
                    )))
                }
            }
            Err(why) => {
                fail("bank.oidc.client_secret_file", why);
                None
            }
        },
        (ClientAuth::ClientSecretBasic, None) => {
            fail(
                "bank.oidc.client_secret_file",
                Message::new("check-oidc-secret-needed"),
            );
            None
        }
        (ClientAuth::PrivateKeyJwt, Some(_)) => {
            fail(
                "bank.oidc.client_secret_file",
                Message::new("check-oidc-secret-unused"),
            );
            None
        }
        (ClientAuth::PrivateKeyJwt, None) => None,
    };
    let claim = o.claim.clone().unwrap_or_else(|| "sub".to_owned());
    if claim.is_empty() || !claim.bytes().all(|b| b.is_ascii_graphic()) {
        fail(
            "bank.oidc.claim",
            Message::new("check-oidc-claim").with("value", &claim),
        );
    }
    for acr in &o.acr_values {
        if acr.is_empty() || !acr.bytes().all(|b| b.is_ascii_graphic()) {
            fail(
                "bank.oidc.acr_values",
                Message::new("check-oidc-acr").with("value", acr),
            );
        }
    }
    let max_age = match o.max_age {
        None => None,
        Some(n) if (0..=86_400 * 30).contains(&n) => Some(n as u32),
        Some(n) => {
            fail(
                "bank.oidc.max_age",
                Message::new("check-oidc-max-age").with("value", n),
            );
            None
        }
    };
    let timeout_ms = match o.timeout_ms {
        None => DEFAULT_OIDC_TIMEOUT_MS,
        Some(n) if (100..=30_000).contains(&n) => n as u32,
        Some(n) => {
            fail(
                "bank.oidc.timeout_ms",
                Message::new("check-oidc-timeout").with("value", n),
            );
            DEFAULT_OIDC_TIMEOUT_MS
        }
    };
    if bad {
        return None;
    }
    let settings = BankOidc {
        issuer: o.issuer.clone(),
        client_id: o.client_id.clone(),
        client_auth: o.client_auth,
        claim,
        acr_values: o.acr_values.clone(),
        max_age,
        show: o.show,
        timeout_ms,
    };
    Some((settings, secret))
}
