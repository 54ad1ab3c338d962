//! A console upload: a multipart form with the CSRF token and one file, read only after the
//! session and the role were checked, and never beyond `max` bytes.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use futures_util::StreamExt as _;

use actix_web::HttpRequest;

use crate::db::Db;
use crate::error::AppError;
use crate::tenancy::CurrentTenant;

pub(super) struct Upload {
    pub csrf: Option<String>,
    /// The file's bytes; `None` when none was chosen or it was over the limit.
    pub file: Option<Vec<u8>>,
    /// The file's name as the browser gave it (at most 200 characters).
    pub file_name: Option<String>,
    pub too_big: bool,
}

/// Reads the `csrf` field and the file field `name` (at most a few fields in all).
pub(super) async fn read(
    payload: &mut Multipart,
    name: &str,
    max: usize,
) -> Result<Upload, AppError> {
    let bad = || AppError::Page(StatusCode::BAD_REQUEST, "page-bad-request");
    let mut upload = Upload {
        csrf: None,
        file: None,
        file_name: None,
        too_big: false,
    };
    for _ in 0..4 {
        let Some(field) = payload.next().await else {
            break;
        };
        let mut field = field.map_err(|_| bad())?;
        match field.name() {
            Some("csrf") => {
                let b = field
                    .bytes(128)
                    .await
                    .map_err(|_| bad())?
                    .map_err(|_| bad())?;
                upload.csrf = Some(String::from_utf8(b.to_vec()).map_err(|_| bad())?);
            }
            Some(n) if n == name => {
                upload.file_name = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .map(|f| f.chars().take(200).collect());
                match field.bytes(max + 1).await {
                    Ok(Ok(b)) => upload.file = Some(b.to_vec()).filter(|b| !b.is_empty()),
                    Ok(Err(_)) => return Err(bad()),
                    Err(_) => upload.too_big = true,
                }
            }
            _ => return Err(bad()),
        }
    }
    Ok(upload)
}

/// A console upload, read once the session and the admin role are checked
/// (nobody else gets it read) and then its CSRF token.
pub(super) async fn admitted(
    req: &HttpRequest,
    tenant: &CurrentTenant,
    db: &Db,
    payload: &mut actix_multipart::Multipart,
    field: &str,
    max: usize,
) -> Result<(super::Console, super::upload::Upload), AppError> {
    let c = super::console(req, tenant, db).await?;
    c.must_be_admin()?;
    let upload = super::upload::read(payload, field, max).await?;
    c.may_change_with(upload.csrf.as_deref())?;
    Ok((c, upload))
}
