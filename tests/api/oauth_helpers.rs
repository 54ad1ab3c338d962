//! Drives the consent flow over real HTTP, as a browser and a partner's server would.

use renkei::oauth::pkce;
use reqwest::StatusCode;

use crate::helpers::{TestApp, text_of};

pub const CLIENT: &str = "demo-kakeibo";
pub const SECRET: &str = "demo-kakeibo-secret";
pub const REDIRECT: &str = "http://127.0.0.1:8765/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

impl TestApp {
    /// Both demo tenants with their demo customers and the demo partner.
    pub async fn spawn_seeded() -> TestApp {
        Self::spawn_seeded_with(|_| {}).await
    }

    /// [`TestApp::spawn_seeded`] with settings of the test's own.
    pub async fn spawn_seeded_with(
        tweak: impl FnOnce(&mut renkei::config::Settings) + 'static,
    ) -> TestApp {
        let app = TestApp::builder()
            .with_tenant("kitami")
            .with_tenant("hokuto")
            .with_settings(tweak)
            .spawn()
            .await;
        let db = app.db_pool(2);
        renkei::demo::seed(&db, renkei::demo::today_jst())
            .await
            .expect("demo seed");
        app
    }

    /// A browser of its own (its own cookies). It lets go of a connection idle for 2 s, before
    /// the server's keep-alive (5 s) closes it: a request sent on a connection the server is
    /// closing that moment finds no answer (hyper's `IncompleteMessage`), which a test that sets
    /// up many flows before it posts would otherwise meet now and then.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap()
    }

    pub fn authorize_query(&self, extra: &[(&str, &str)]) -> String {
        let challenge = pkce::challenge_of(VERIFIER);
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        let base = [
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", REDIRECT),
            ("scope", "balance:read transactions:read"),
            ("state", "st-123"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in base {
            if let Some((_, over)) = extra.iter().find(|(ek, _)| *ek == k) {
                if !over.is_empty() {
                    q.append_pair(k, over);
                }
            } else {
                q.append_pair(k, v);
            }
        }
        for (k, v) in extra {
            if !base.iter().any(|(bk, _)| bk == k) {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }

    pub async fn token(&self, tenant: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/t/{tenant}/oauth/token")))
            .basic_auth(CLIENT, Some(SECRET))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn exchange(&self, tenant: &str, code: &str) -> reqwest::Response {
        self.token(
            tenant,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await
    }

    /// The token response (JSON) for Yamada01's consent to the demo partner at kitami.
    pub async fn yamadas_tokens(&self) -> serde_json::Value {
        let code = Flow::new(self, "kitami")
            .code_for("Yamada01", "Shinkin-2026!")
            .await;
        self.exchange("kitami", &code).await.json().await.unwrap()
    }
}

/// A customer signs in at `/t/{tenant}/my` in `browser`: the sign-in page's form, posted.
pub async fn my_sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    tenant: &str,
    login_id: &str,
    password: &str,
) -> reqwest::Response {
    let page = text_of(browser, &app.url(&format!("/t/{tenant}/my"))).await;
    browser
        .post(app.url(&format!("/t/{tenant}/my/login")))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("login_id", login_id),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

pub fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on {}", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// One browser going through authorize → login → consent.
pub struct Flow<'a> {
    pub app: &'a TestApp,
    pub browser: reqwest::Client,
    pub tenant: &'a str,
    /// Where the browser goes: the app's HTTP address unless [`Flow::over`] says otherwise.
    pub base: String,
}

impl<'a> Flow<'a> {
    pub fn new(app: &'a TestApp, tenant: &'a str) -> Self {
        Self {
            app,
            browser: app.browser(),
            tenant,
            base: app.address.clone(),
        }
    }

    /// A browser of the caller's making (e.g. with a client certificate) at `base`.
    pub fn over(app: &'a TestApp, tenant: &'a str, browser: reqwest::Client, base: &str) -> Self {
        Self {
            app,
            browser,
            tenant,
            base: base.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.browser.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.browser
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// GET /authorize; returns the response (a 303 to the login page when all is well).
    pub async fn authorize(&self, extra: &[(&str, &str)]) -> reqwest::Response {
        self.get(&format!(
            "/t/{}/oauth/authorize?{}",
            self.tenant,
            self.app.authorize_query(extra)
        ))
        .await
    }

    pub async fn login_page(&self) -> String {
        let res = self.get(&format!("/t/{}/oauth/login", self.tenant)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    }

    pub async fn login(&self, login_id: &str, password: &str) -> reqwest::Response {
        let csrf = csrf_of(&self.login_page().await);
        self.post(
            &format!("/t/{}/oauth/login", self.tenant),
            &[
                ("csrf", &csrf),
                ("login_id", login_id),
                ("password", password),
                ("action", "login"),
            ],
        )
        .await
    }

    pub async fn consent_page(&self) -> String {
        let res = self.get(&format!("/t/{}/oauth/consent", self.tenant)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    }

    /// Allows with the accounts given (all of them when `None`) and returns the redirect.
    pub async fn allow(&self, agree: bool, accounts: Option<&[&str]>) -> reqwest::Response {
        let page = self.consent_page().await;
        let csrf = csrf_of(&page);
        let mut form: Vec<(String, String)> =
            vec![("csrf".into(), csrf), ("action".into(), "allow".into())];
        if agree {
            form.push(("agree".into(), "yes".into()));
        }
        let all: Vec<String> = page
            .match_indices("name=\"accounts\" value=\"")
            .map(|(i, m)| page[i + m.len()..i + m.len() + 12].to_owned())
            .collect();
        for a in accounts.map_or(all.clone(), |a| a.iter().map(|s| (*s).to_owned()).collect()) {
            form.push(("accounts".into(), a));
        }
        self.browser
            .post(self.url(&format!("/t/{}/oauth/consent", self.tenant)))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// The whole browser side: returns the authorization code.
    pub async fn code_for(&self, login_id: &str, password: &str) -> String {
        let res = self.authorize(&[]).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{}",
            res.text().await.unwrap()
        );
        let res = self.login(login_id, password).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login failed");
        let res = self.allow(true, None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let q = query_of(&location(&res));
        assert_eq!(q["state"], "st-123");
        q["code"].clone()
    }
}
