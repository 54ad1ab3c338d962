//! The hosted core's door for the bank's systems: `POST /t/<slug>/core/v1/imports` takes a
//! file (a 全銀協 入出金取引明細 or a directory CSV) as the request body, streamed, and answers
//! 202 with the job's `Location`, whose `GET` gives the report. Reached only with the bank's
//! certificate (`[core]` in `tenant.toml`, over the mutual-TLS listener or a trusted proxy) or
//! over HTTPS with an ingest key (`renkei core ingest-keys add`); a partner's token or an
//! admin's session opens nothing here.

pub mod jobs;
pub mod keys;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt as _;

use crate::config::Settings;
use crate::db::Db;
use crate::tenancy::CurrentTenant;

fn refuse(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((
            header::WWW_AUTHENTICATE,
            format!("Bearer realm=\"core\", error=\"{error}\""),
        ));
    }
    res.json(serde_json::json!({"error": error, "error_description": description}))
}

fn unavailable() -> HttpResponse {
    let mut res = refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "the database cannot answer now; send the file again shortly",
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    res
}

/// The subject of the bank's certificate, when the request came with the one `[core]` of
/// `tenant.toml` names: issued by its `client_ca`, with its `client_cert_subject`.
fn bank_certificate(req: &HttpRequest, tenant: &CurrentTenant) -> Option<String> {
    let core = tenant.settings.core.as_ref()?;
    let certs = req.app_data::<web::Data<crate::certs::ClientCertificates>>()?;
    let presented = certs.presented(req).certificate()?;
    let trust =
        crate::certs::CertificateTrust::new(core.client_ca_pem.as_bytes(), None, &[]).ok()?;
    trust.check(&presented).ok()?;
    let wanted = crate::certs::DistinguishedName::parse(&core.client_cert_subject).ok()?;
    (presented.subject() == wanted).then(|| core.client_cert_subject.clone())
}

/// Who sends (the bank's certificate, or an ingest key's name), or the answer that refuses the
/// request.
async fn admitted(
    req: &HttpRequest,
    tenant: &CurrentTenant,
    db: &Db,
) -> Result<String, HttpResponse> {
    if let Some(subject) = bank_certificate(req, tenant) {
        return Ok(format!("bank-certificate:{subject}"));
    }
    if !crate::web::is_https(req) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "https_required",
            "the bank's files are taken over HTTPS only",
        ));
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| k.starts_with("rki_"));
    let Some(presented) = presented else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_key",
            "an ingest key is needed",
        ));
    };
    let mut conn = db.tenant(&tenant.slug).await.map_err(|_| unavailable())?;
    match keys::check(&mut conn, presented).await {
        Ok(Some(name)) => Ok(format!("ingest:{name}")),
        Ok(None) => Err(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_key",
            "not a live ingest key of this institution",
        )),
        Err(_) => Err(unavailable()),
    }
}

pub async fn receive(
    req: HttpRequest,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<std::collections::HashMap<String, String>>,
    mut body: web::Payload,
) -> HttpResponse {
    let actor = match admitted(&req, &tenant, &db).await {
        Ok(actor) => actor,
        Err(refused) => return refused,
    };
    let Some(bank_code) = tenant.settings.bank_code.clone() else {
        return refuse(
            StatusCode::CONFLICT,
            "no_bank_code",
            "the institution's tenant.toml has no bank_code to check the files against",
        );
    };
    let format = query.get("format").cloned();
    if format
        .as_deref()
        .is_some_and(|f| !["zengin-03", "zengin-01", "customers", "accounts"].contains(&f))
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "format is zengin-03, zengin-01, customers or accounts",
        );
    }
    let file_name: String = query
        .get("name")
        .map_or("upload", String::as_str)
        .chars()
        .take(200)
        .collect();
    let limit = settings.core.max_upload_mb as usize * 1024 * 1024;
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the body was cut off",
            );
        };
        if bytes.len() + chunk.len() > limit {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                &format!(
                    "a file of at most {} MB (core.max_upload_mb)",
                    settings.core.max_upload_mb
                ),
            );
        }
        bytes.extend_from_slice(&chunk);
    }
    let created = async {
        let mut conn = db.tenant(&tenant.slug).await?;
        anyhow::Ok(
            jobs::create(
                &mut conn,
                &actor,
                &file_name,
                bytes.len(),
                chrono::Utc::now(),
            )
            .await?,
        )
    };
    let Ok(id) = created.await else {
        return unavailable();
    };
    tokio::spawn(jobs::run(jobs::Work {
        db: db.get_ref().clone(),
        slug: tenant.slug.clone(),
        id,
        actor,
        file_name,
        format,
        bank_code,
        bytes,
    }));
    HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/t/{}/core/v1/imports/{id}", tenant.slug),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({"id": id, "status": "pending"}))
}

pub async fn show(
    req: HttpRequest,
    tenant: CurrentTenant,
    db: web::Data<Db>,
    path: web::Path<(String, i64)>,
) -> HttpResponse {
    if let Err(refused) = admitted(&req, &tenant, &db).await {
        return refused;
    }
    let found = async {
        let mut conn = db.tenant(&tenant.slug).await?;
        anyhow::Ok(jobs::find(&mut conn, path.1).await?)
    };
    match found.await {
        Ok(Some(job)) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(job),
        Ok(None) => refuse(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such import of this institution",
        ),
        Err(_) => unavailable(),
    }
}

/// Routes under `/t/{tenant}`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/core/v1/imports", web::post().to(receive))
        .route("/core/v1/imports/{id}", web::get().to(show));
}
