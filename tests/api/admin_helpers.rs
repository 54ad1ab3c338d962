//! An admin's browser: signing in with password and TOTP, and the console's forms.

use renkei::admin::{Role, accounts};
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::oauth_helpers::{csrf_of, location};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct AdminBrowser<'a> {
    pub app: &'a TestApp,
    pub tenant: &'a str,
    pub client: reqwest::Client,
    /// The signed-in session's CSRF token.
    pub csrf: String,
}

pub async fn add_admin(app: &TestApp, tenant: &str, email: &str, role: Role) {
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug(tenant)).await.unwrap();
    accounts::add(&mut conn, email, PASSWORD.into(), role)
        .await
        .unwrap();
}

/// A multipart/form-data body with the CSRF token and one file in the field `field`; with its
/// content type.
pub fn multipart(
    csrf: &str,
    field: &str,
    name: &str,
    content_type: &str,
    bytes: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "renkei-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The current code of the secret the set-up page shows.
pub fn code_from_setup(page: &str, email: &str, issuer: &str) -> String {
    let start = page
        .find("id=\"totp-secret\">")
        .expect("the set-up page shows the key")
        + 17;
    let b32 = &page[start..start + page[start..].find('<').unwrap()];
    let secret = totp_rs::Secret::try_from_base32(b32).unwrap();
    accounts::totp(secret.as_bytes(), email, issuer)
        .unwrap()
        .generate_current()
        .to_string()
}

impl<'a> AdminBrowser<'a> {
    pub fn new(app: &'a TestApp, tenant: &'a str) -> Self {
        Self {
            app,
            tenant,
            client: app.browser(),
            csrf: String::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.app.url(&format!("/t/{}/admin{path}", self.tenant))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        all.extend_from_slice(form);
        self.client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    /// Uploads `bytes` as the file `field` of the form at `path`.
    pub async fn upload(&self, path: &str, field: &str, bytes: &[u8]) -> reqwest::Response {
        let (content_type, body) = multipart(
            &self.csrf,
            field,
            "upload",
            "application/octet-stream",
            bytes,
        );
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// The settings page's form as it stands: each field's name and value.
    pub async fn settings_form(&self) -> Vec<(&'static str, String)> {
        let page = self.get("/settings").await.text().await.unwrap();
        let value = |name: &str| {
            let start = page.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
            page[start..start + page[start..].find('"').unwrap()].to_owned()
        };
        [
            "name_ja",
            "name_en",
            "primary",
            "accent",
            "terms_name_ja",
            "terms_name_en",
            "terms_url",
            "terms_version",
            "password_help_url",
            "notice_days",
            "grant_days",
        ]
        .into_iter()
        .map(|n| (n, value(n)))
        .collect()
    }

    /// E-mail and password; returns the response (303 to the code page when right).
    pub async fn password(&self, email: &str, password: &str) -> reqwest::Response {
        let page = self.get("/login").await.text().await.unwrap();
        self.client
            .post(self.url("/login"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .unwrap()
    }

    /// The whole sign-in of a new admin: password, TOTP set-up with the shown key, dashboard.
    pub async fn sign_in(mut self, email: &str) -> Self {
        let res = self.password(email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), format!("/t/{}/admin/totp", self.tenant));
        let page = self.get("/totp").await.text().await.unwrap();
        let issuer = format!(
            "Renkei {}",
            if self.tenant == "kitami" {
                "Kitami Shinkin Bank"
            } else {
                "Hokuto Shinkin Bank"
            }
        );
        let code = code_from_setup(&page, email, &issuer);
        let res = self
            .client
            .post(self.url("/totp"))
            .form(&[("csrf", csrf_of(&page).as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{}",
            res.text().await.unwrap()
        );
        let dashboard = self.get("").await;
        assert_eq!(dashboard.status(), StatusCode::OK);
        self.csrf = csrf_of(&dashboard.text().await.unwrap());
        self
    }
}
