//! PKCE (RFC 7636), `S256` only.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// 43–128 characters of `[A-Za-z0-9-._~]`: the shape of both a verifier and an S256 challenge's
/// input, and (at exactly 43) of the challenge itself.
fn is_unreserved(s: &str, min: usize) -> bool {
    (min..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// An `S256` code challenge: base64url(SHA-256(verifier)), 43 characters.
pub fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// True when `verifier` is well-formed and hashes to `challenge` (compared in constant time).
pub fn verify(verifier: &str, challenge: &str) -> bool {
    is_unreserved(verifier, 43)
        && openssl::memcmp::eq(challenge_of(verifier).as_bytes(), challenge.as_bytes())
        && challenge.len() == 43
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(challenge_of(verifier), challenge);
        assert!(valid_challenge(challenge));
        assert!(verify(verifier, challenge));
    }

    #[test]
    fn refuses_wrong_or_malformed() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(!verify(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
            challenge
        ));
        assert!(!verify("short", &challenge_of("short")));
        assert!(!verify(&"a".repeat(129), &challenge_of(&"a".repeat(129))));
        assert!(!verify(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEj+k",
            challenge
        ));
        assert!(!valid_challenge("plain-challenge"));
        assert!(!valid_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"
        ));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn every_well_formed_verifier_matches_its_own_challenge_only(
                v in "[A-Za-z0-9._~-]{43,128}",
                w in "[A-Za-z0-9._~-]{43,128}",
            ) {
                let c = challenge_of(&v);
                prop_assert!(valid_challenge(&c));
                prop_assert!(verify(&v, &c));
                prop_assert_eq!(verify(&w, &c), v == w);
            }

            #[test]
            fn malformed_verifiers_never_verify(v in ".{0,42}|.{129,200}|[^A-Za-z0-9._~-]{43,60}") {
                prop_assert!(!verify(&v, &challenge_of(&v)));
            }

            #[test]
            fn anything_is_judged_without_panicking(v in "\\PC*", c in "\\PC*") {
                let _ = verify(&v, &c);
                let _ = valid_challenge(&c);
            }
        }
    }
}
