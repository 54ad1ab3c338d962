//! The token endpoint's form: grant type, scope narrowing and the PKCE verifier.
#![no_main]

use libfuzzer_sys::fuzz_target;
use renkei::oauth::params::Params;
use renkei::oauth::{pkce, scopes::Scopes};

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Params::parse(data, &[]) else {
        return;
    };
    if let Some(scope) = p.get("scope")
        && let Ok(s) = Scopes::parse(scope)
    {
        assert_eq!(Scopes::parse(&s.to_string()).ok(), Some(s));
    }
    if let Some(verifier) = p.get("code_verifier") {
        let challenge = pkce::challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let _ = pkce::verify(verifier, &challenge);
    }
});
