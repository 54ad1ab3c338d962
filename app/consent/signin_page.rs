//! The one shape of a customer's sign-in page (`templates/signin.html`), which the consent flow's
//! login page and `/my` each fill: where the form goes, its CSRF token, what was typed, the way
//! to 電子証明書認証 and to the bank's own sign-in, and why the last attempt was refused.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use tera::Context;

use crate::error::AppError;
use crate::tenancy::Tenant;
use crate::web::Pages;
use crate::web::respond::html;

pub struct SignInPage<'a> {
    /// `login.html` or `my/login.html`.
    pub template: &'static str,
    pub action: String,
    pub csrf: &'a str,
    pub login_id: &'a str,
    pub certificate_url: String,
    /// Where インターネットバンキングのIDでログイン posts, shown when the tenant signs its
    /// customers in at the bank (`bank.oidc`).
    pub bank_action: String,
    /// A locale key.
    pub error: Option<&'a str>,
    pub status: StatusCode,
}

impl SignInPage<'_> {
    /// The page, from a context that already holds what the template adds of its own.
    pub fn render(
        self,
        pages: &Pages,
        tenant: &Tenant,
        mut ctx: Context,
    ) -> Result<HttpResponse, AppError> {
        ctx.insert("csrf", self.csrf);
        ctx.insert("action", &self.action);
        ctx.insert("login_id", self.login_id);
        ctx.insert("password_help_url", &tenant.settings.password_help_url);
        ctx.insert("certificate_url", &self.certificate_url);
        if tenant.settings.bank.oidc.is_some() {
            ctx.insert("bank_action", &self.bank_action);
        }
        ctx.insert("password_form", &tenant.settings.bank.password_form());
        if let Some(error) = self.error {
            ctx.insert("error", error);
        }
        let mut res = html(pages.render(self.template, &ctx)?);
        *res.status_mut() = self.status;
        Ok(res)
    }
}
