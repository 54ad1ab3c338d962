//! What belongs to a tenant as a whole: its resolution from `/t/{tenant}`, home page, logo, theme.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, web};

use super::{CurrentTenant, TenantRegistry};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::Pages;
use crate::web::respond::html;

/// Binds the request to the tenant named in its path; an unknown slug ends here with a 404 page.
pub async fn resolve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let registry = req
        .app_data::<web::Data<TenantRegistry>>()
        .expect("TenantRegistry registered")
        .clone();
    let slug = req
        .match_info()
        .get("tenant")
        .unwrap_or_default()
        .to_owned();
    let found = match registry.find(&slug).await {
        Ok(found) => found,
        Err(e) => return Ok(error(req, AppError::from(e))),
    };
    let Some(tenant) = found else {
        return Ok(error(req, AppError::NotFound));
    };
    req.extensions_mut().insert(CurrentTenant(tenant));
    Ok(next.call(req).await?.map_into_left_body())
}

fn error<B>(req: ServiceRequest, e: AppError) -> ServiceResponse<actix_web::body::EitherBody<B>> {
    req.into_response(e.error_response()).map_into_right_body()
}

pub async fn home(
    req: HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(&tenant));
    let terms = &tenant.settings.terms;
    ctx.insert("grant_days", &tenant.settings.grant_days);
    ctx.insert("terms_url", &terms.url);
    ctx.insert(
        "terms_name",
        match lang {
            Lang::Ja => &terms.name.ja,
            Lang::En => &terms.name.en,
        },
    );
    Ok(html(pages.render("home.html", &ctx)?))
}

pub async fn logo(tenant: CurrentTenant) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(tenant.logo.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        // An SVG opened on its own must not run anything.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ))
        .body(tenant.logo.bytes.clone())
}

/// The tenant's colours as CSS variables; colours were validated as `#rrggbb` on apply.
pub async fn theme(tenant: CurrentTenant) -> HttpResponse {
    let c = &tenant.settings.colors;
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(format!(
            ":root {{ --primary: {}; --accent: {}; }}\n",
            c.primary, c.accent
        ))
}

/// ご利用いただける外部企業: the partners this institution works with, from the registry.
pub async fn partners(
    req: actix_web::HttpRequest,
    tenant: CurrentTenant,
    lang: Lang,
    db: web::Data<crate::db::Db>,
    pages: web::Data<Pages>,
) -> Result<HttpResponse, AppError> {
    #[derive(serde::Serialize)]
    struct Listed {
        name: String,
        operations: Vec<String>,
    }
    let mut active: Vec<_> = crate::oauth::clients::all(&mut db.tenant(&tenant.slug).await?)
        .await?
        .into_iter()
        .filter(|p| p.active)
        .collect();
    active.sort_by(|a, b| a.name_ja.cmp(&b.name_ja));
    let listed: Vec<Listed> = active
        .iter()
        .map(|p| Listed {
            name: p.name(lang).to_owned(),
            operations: p.scopes.iter().map(|s| lang.t(s.label_key())).collect(),
        })
        .collect();
    let mut ctx = pages.context(lang, req.path(), req.query_string(), Some(&tenant));
    ctx.insert("partners", &listed);
    Ok(html(pages.render("partners.html", &ctx)?))
}

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/logo", web::get().to(logo))
        .route("/theme.css", web::get().to(theme));
}
