//! `/oauth/authorize` and PAR: the query or form, then the request's checks and the redirect.
#![no_main]

use libfuzzer_sys::fuzz_target;
use renkei::oauth::clients::{AuthMethod, Partner};
use renkei::oauth::params::Params;
use renkei::oauth::request::{redirect_to, validate};
use renkei::oauth::scopes::Scopes;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Params::parse(data, &[]) else {
        return;
    };
    let partner = Partner::in_memory(
        Scopes::parse("balance:read transactions:read").expect("scopes"),
        AuthMethod::ClientSecretBasic,
    );
    if let Ok(request) = validate(&p, &partner, "https://a.example/cb") {
        let url = redirect_to(
            &request.redirect_uri,
            &[("code", "x"), ("state", &request.state)],
        );
        assert!(url.starts_with("https://a.example/cb?"), "{url}");
    }
});
