//! A tenant's folder, `tenants/<slug>/`: its `tenant.toml` (checked by [`super::manifest`]), the
//! logo it names, and the customer CA and CRL beside it.

use std::path::{Path, PathBuf};

use super::manifest::{CustomerCa, FieldError, TenantManifest, detail, parse};
use crate::i18n::Message;

pub const CUSTOMER_CA_FILE: &str = "customer-ca.pem";
pub const CUSTOMER_CRL_FILE: &str = "customer-crl.pem";

/// Reads every `*/tenant.toml` under `dir`. Either all are valid, or every problem is returned.
pub fn load_dir(dir: &Path) -> Result<Vec<TenantManifest>, Vec<FieldError>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            return Err(vec![FieldError {
                file: dir.to_owned(),
                key: "-".into(),
                message: detail(format!("cannot read the directory: {e}")),
            }]);
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path().join("tenant.toml"))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(vec![FieldError {
            file: dir.to_owned(),
            key: "-".into(),
            message: detail("no */tenant.toml found"),
        }]);
    }
    let mut manifests = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        match load_file(file) {
            Ok(m) => manifests.push(m),
            Err(mut e) => errors.append(&mut e),
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (m, file) in manifests.iter().zip(&files) {
        if !seen.insert(m.slug.clone()) {
            errors.push(FieldError {
                file: file.clone(),
                key: "slug".into(),
                message: Message::new("check-slug-twice").with("slug", &m.slug),
            });
        }
    }
    if errors.is_empty() {
        Ok(manifests)
    } else {
        Err(errors)
    }
}

/// Reads one `tenant.toml`; the logo path is relative to its folder.
pub fn load_file(file: &Path) -> Result<TenantManifest, Vec<FieldError>> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        vec![FieldError {
            file: file.to_owned(),
            key: "-".into(),
            message: detail(format!("cannot read: {e}")),
        }]
    })?;
    let folder = file.parent().unwrap_or(Path::new("."));
    let mut manifest = parse(file, &text, |name| read_beside(folder, name))?;
    manifest.customer_ca = read_customer_ca(folder, &manifest.settings.revoked_serials)?;
    Ok(manifest)
}

/// `customer-ca.pem` (and `customer-crl.pem`, which needs it), checked before anything is applied.
fn read_customer_ca(
    folder: &Path,
    revoked_serials: &[String],
) -> Result<Option<CustomerCa>, Vec<FieldError>> {
    let read = |name: &str| -> Result<Option<String>, FieldError> {
        let path = folder.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FieldError {
                file: path,
                key: "-".into(),
                message: detail(format!("cannot read: {e}")),
            }),
        }
    };
    let ca = read(CUSTOMER_CA_FILE).map_err(|e| vec![e])?;
    let crl = read(CUSTOMER_CRL_FILE).map_err(|e| vec![e])?;
    let problem = |name: &str, message: String| {
        vec![FieldError {
            file: folder.join(name),
            key: "-".into(),
            message: detail(message),
        }]
    };
    match (ca, crl) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(problem(
            CUSTOMER_CRL_FILE,
            format!("a CRL needs the CA bundle {CUSTOMER_CA_FILE} beside it"),
        )),
        (Some(ca_pem), crl_pem) => {
            crate::certs::CertificateTrust::new(
                ca_pem.as_bytes(),
                crl_pem.as_deref().map(str::as_bytes),
                revoked_serials,
            )
            .map_err(|why| {
                let file = if why.contains("CRL") {
                    CUSTOMER_CRL_FILE
                } else {
                    CUSTOMER_CA_FILE
                };
                problem(file, why)
            })?;
            Ok(Some(CustomerCa { ca_pem, crl_pem }))
        }
    }
}

fn read_beside(folder: &Path, name: &str) -> Result<Vec<u8>, Message> {
    if name.contains("..") || name.starts_with('/') {
        return Err(detail("must be a file name inside the tenant's folder"));
    }
    std::fs::read(folder.join(name)).map_err(|e| detail(format!("cannot read '{name}': {e}")))
}
