//! The customer signed in to `/my`, as a handler's argument: [`SignedIn`] when the page has
//! something to show either way, [`CustomerSession`] when it needs a customer (without one, a
//! redirect to `/my` to sign in). A database that cannot answer is an error, never "signed out".

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::error::AppError;
use crate::sessions::{self, Kind, Session, Stage};
use crate::tenancy::CurrentTenant;

/// The customer's session, if one is signed in.
pub struct SignedIn(pub Option<Session>);

/// A signed-in customer's session.
pub struct CustomerSession(pub Session);

async fn load(req: &HttpRequest) -> Result<Option<Session>, AppError> {
    let Some(token) = req.cookie(Kind::Customer.cookie_name()) else {
        return Ok(None);
    };
    let tenant = CurrentTenant::extract(req).await?;
    let mut conn = crate::web::pool_of(req)?.tenant(&tenant.slug).await?;
    Ok(sessions::load(&mut conn, Kind::Customer, token.value())
        .await?
        .filter(|s| s.stage == Stage::Active))
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load(&req).await.map(Self) })
    }
}

impl FromRequest for CustomerSession {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = load(&req).await?;
            let tenant = CurrentTenant::extract(&req).await?;
            session
                .map(Self)
                .ok_or_else(|| AppError::SignIn(format!("/t/{}/my", tenant.slug)))
        })
    }
}
