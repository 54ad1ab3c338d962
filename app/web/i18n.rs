//! The request's language at the HTTP edge: the extractor, and the link that switches it.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};

use crate::i18n::{COOKIE, Lang};

impl Lang {
    /// `?lang=` first, then the cookie, then Japanese.
    pub fn of_request(req: &HttpRequest) -> (Self, bool) {
        if let Some(lang) = query_lang(req.query_string()) {
            return (lang, true);
        }
        let from_cookie = req.cookie(COOKIE).and_then(|c| Lang::parse(c.value()));
        (from_cookie.unwrap_or_default(), false)
    }
}

fn query_lang(query: &str) -> Option<Lang> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

/// The request's language, chosen once by the i18n middleware.
impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let lang = req
            .extensions()
            .get::<Lang>()
            .copied()
            .unwrap_or_else(|| Lang::of_request(req).0);
        ready(Ok(lang))
    }
}

/// The current URL with `lang` set to `lang`, every other parameter kept. Only a path of our own
/// site is kept: one that would leave it (`//host/`, `/\\host`) becomes `/`.
pub fn switch_url(path: &str, query: &str, lang: Lang) -> String {
    let path = if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') {
        path
    } else {
        "/"
    };
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k != "lang" {
            out.append_pair(&k, &v);
        }
    }
    out.append_pair("lang", lang.code());
    format!("{path}?{}", out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_stays_on_the_site() {
        assert_eq!(
            switch_url("/t/kitami/my", "a=1&lang=ja", Lang::En),
            "/t/kitami/my?a=1&lang=en"
        );
        for away in [
            "//evil.example/",
            "/\\evil.example/",
            "https://evil.example/",
            "",
        ] {
            assert_eq!(switch_url(away, "", Lang::En), "/?lang=en", "{away}");
        }
    }

    #[test]
    fn switch_keeps_other_parameters() {
        assert_eq!(
            switch_url("/t/kitami/", "a=1&lang=ja&b=x+y", Lang::En),
            "/t/kitami/?a=1&b=x+y&lang=en"
        );
        assert_eq!(switch_url("/t/kitami/", "", Lang::Ja), "/t/kitami/?lang=ja");
    }

    #[test]
    fn query_wins_and_bad_values_are_ignored() {
        assert_eq!(query_lang("lang=en"), Some(Lang::En));
        assert_eq!(query_lang("lang=fr"), None);
        assert_eq!(query_lang(""), None);
    }
}
