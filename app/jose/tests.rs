//! Round trips per algorithm, and each refusal the JOSE floor owes: `none`, a symmetric
//! algorithm keyed with a public key, an unknown or dropped key, Ed448, a wrong `typ`, a
//! changed payload, and times out of range.

use base64::Engine as _;
use chrono::{Duration, Utc};
use josekit::jws::HS256;
use serde_json::{Map, Value, json};

use super::*;

const ALGS: [Alg; 3] = [Alg::Ps256, Alg::Es256, Alg::Ed25519];

fn claims(now: chrono::DateTime<Utc>) -> Map<String, Value> {
    let Value::Object(map) = json!({
        "iss": "https://renkei.example/t/kitami",
        "sub": "customer-1",
        "iat": now.timestamp(),
        "exp": (now + Duration::minutes(5)).timestamp(),
    }) else {
        unreachable!()
    };
    map
}

fn expect(now: chrono::DateTime<Utc>) -> Expect<'static> {
    Expect {
        typ: Some("JWT"),
        now,
        skew_secs: 30,
        require_exp: true,
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS of `header` and `claims`, signed by `sign` over the signing input.
fn forged(header: Value, claims: &Map<String, Value>, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(Value::Object(claims.clone()).to_string().as_bytes())
    );
    let signature = sign(input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

#[test]
fn each_algorithm_signs_and_verifies() {
    let now = Utc::now();
    for alg in ALGS {
        let key = SigningKey::generate(alg).unwrap();
        let token = sign(&key, "JWT", claims(now)).unwrap();
        let keys = VerifyingKeys::of(&[&key]).unwrap();
        assert_eq!(
            verify(&token, &keys, &expect(now)),
            Ok(claims(now)),
            "{alg:?}"
        );
        // The key as the store keeps it signs what the published half verifies.
        let again = SigningKey::from_private_jwk(&key.private_jwk()).unwrap();
        assert_eq!(again.kid(), key.kid());
        let token = sign(&again, "JWT", claims(now)).unwrap();
        assert!(verify(&token, &keys, &expect(now)).is_ok(), "{alg:?}");
    }
}

#[test]
fn the_fully_specified_ed25519_name_is_accepted() {
    let now = Utc::now();
    let key = SigningKey::generate(Alg::Ed25519).unwrap();
    let signer = key.signer().unwrap();
    let token = forged(
        json!({"alg": "Ed25519", "kid": key.kid(), "typ": "JWT"}),
        &claims(now),
        |m| signer.sign(m).unwrap(),
    );
    let keys = VerifyingKeys::of(&[&key]).unwrap();
    assert_eq!(verify(&token, &keys, &expect(now)), Ok(claims(now)));
}

#[test]
fn alg_none_is_refused() {
    let now = Utc::now();
    let key = SigningKey::generate(Alg::Es256).unwrap();
    let keys = VerifyingKeys::of(&[&key]).unwrap();
    let token = forged(
        json!({"alg": "none", "kid": key.kid()}),
        &claims(now),
        |_| vec![],
    );
    assert_eq!(
        verify(&token, &keys, &expect(now)),
        Err(Refusal::Algorithm("alg-none"))
    );
}

/// The classic confusion: HS256 keyed with the published public key, which anyone has.
#[test]
fn hs256_keyed_with_the_public_key_is_refused() {
    let now = Utc::now();
    for alg in ALGS {
        let key = SigningKey::generate(alg).unwrap();
        let public = key.public_jwk().unwrap().to_string();
        let hmac = HS256.signer_from_bytes(public.as_bytes()).unwrap();
        let token = forged(
            json!({"alg": "HS256", "kid": key.kid(), "typ": "JWT"}),
            &claims(now),
            |m| josekit::jws::JwsSigner::sign(&hmac, m).unwrap(),
        );
        let keys = VerifyingKeys::of(&[&key]).unwrap();
        assert_eq!(
            verify(&token, &keys, &expect(now)),
            Err(Refusal::Algorithm("alg-symmetric")),
            "{alg:?}"
        );
    }
}

#[test]
fn a_wrong_typ_is_refused_and_the_media_type_prefix_is_optional() {
    let now = Utc::now();
    let key = SigningKey::generate(Alg::Es256).unwrap();
    let keys = VerifyingKeys::of(&[&key]).unwrap();
    let token = sign(&key, "JWT", claims(now)).unwrap();
    let dpop = Expect {
        typ: Some("dpop+jwt"),
        ..expect(now)
    };
    assert_eq!(verify(&token, &keys, &dpop), Err(Refusal::Type));
    let prefixed = sign(&key, "application/jwt", claims(now)).unwrap();
    assert!(verify(&prefixed, &keys, &expect(now)).is_ok());
}

/// A retired key verifies while the set still holds it; once dropped, or for a key never
/// published, nothing verifies.
#[test]
fn only_keys_in_the_set_verify() {
    let now = Utc::now();
    let retired = SigningKey::generate(Alg::Es256).unwrap();
    let active = SigningKey::generate(Alg::Es256).unwrap();
    let token = sign(&retired, "JWT", claims(now)).unwrap();
    let both = VerifyingKeys::of(&[&active, &retired]).unwrap();
    assert!(verify(&token, &both, &expect(now)).is_ok());
    let dropped = VerifyingKeys::of(&[&active]).unwrap();
    assert_eq!(
        verify(&token, &dropped, &expect(now)),
        Err(Refusal::UnknownKey)
    );
    // The right kid on a key of another algorithm is no key either.
    let other = SigningKey::generate(Alg::Ps256).unwrap();
    let token = forged(
        json!({"alg": "PS256", "kid": active.kid(), "typ": "JWT"}),
        &claims(now),
        |m| other.signer().unwrap().sign(m).unwrap(),
    );
    assert_eq!(
        verify(&token, &both, &expect(now)),
        Err(Refusal::UnknownKey)
    );
}

#[test]
fn a_changed_payload_does_not_verify() {
    let now = Utc::now();
    for alg in ALGS {
        let key = SigningKey::generate(alg).unwrap();
        let keys = VerifyingKeys::of(&[&key]).unwrap();
        let token = sign(&key, "JWT", claims(now)).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut changed = claims(now);
        changed.insert("sub".into(), json!("customer-2"));
        parts[1] = b64(Value::Object(changed).to_string().as_bytes());
        assert_eq!(
            verify(&parts.join("."), &keys, &expect(now)),
            Err(Refusal::Signature),
            "{alg:?}"
        );
    }
}

/// A JWK Set from elsewhere: its Ed448, encryption and symmetric keys are left out, so a token
/// signed by the Ed448 key (header `EdDSA`) finds no key.
#[test]
fn a_jwks_keeps_only_the_signature_keys_spoken_here() {
    let now = Utc::now();
    let ed25519 = SigningKey::generate(Alg::Ed25519).unwrap();
    let mut ed448 = josekit::jwk::Jwk::generate_ed_key(josekit::jwk::Ed448).unwrap();
    ed448.set_key_id("ed448");
    let ed448_signer = josekit::jws::EdDSA.signer_from_jwk(&ed448).unwrap();
    let mut enc = SigningKey::generate(Alg::Es256)
        .unwrap()
        .public_jwk()
        .unwrap();
    enc.set_key_use("enc");
    let set = json!({"keys": [
        serde_json::to_value(ed25519.public_jwk().unwrap().as_ref()).unwrap(),
        serde_json::to_value(ed448.to_public_key().unwrap().as_ref()).unwrap(),
        serde_json::to_value(enc.as_ref()).unwrap(),
        {"kty": "oct", "kid": "shared", "k": "c2VjcmV0"},
    ]});
    let keys = VerifyingKeys::from_jwks(set.to_string().as_bytes()).unwrap();
    assert_eq!(keys.to_jwks()["keys"].as_array().unwrap().len(), 1);
    let token = forged(
        json!({"alg": "EdDSA", "kid": "ed448", "typ": "JWT"}),
        &claims(now),
        |m| josekit::jws::JwsSigner::sign(&ed448_signer, m).unwrap(),
    );
    assert_eq!(
        verify(&token, &keys, &expect(now)),
        Err(Refusal::UnknownKey)
    );
    let token = sign(&ed25519, "JWT", claims(now)).unwrap();
    assert!(verify(&token, &keys, &expect(now)).is_ok());
}

#[test]
fn the_published_set_has_no_private_member() {
    let keys: Vec<SigningKey> = ALGS
        .iter()
        .map(|a| SigningKey::generate(*a).unwrap())
        .collect();
    let set = VerifyingKeys::of(&keys.iter().collect::<Vec<_>>())
        .unwrap()
        .to_jwks();
    let published = set["keys"].as_array().unwrap();
    assert_eq!(published.len(), 3);
    for (jwk, key) in published.iter().zip(&keys) {
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(jwk.get(private).is_none(), "{private} in {jwk}");
        }
        assert_eq!(jwk["kid"], key.kid());
        assert_eq!(jwk["alg"], key.alg().name());
        assert_eq!(jwk["use"], "sig");
    }
    // The private JWK the store keeps does hold it.
    let private: Value = serde_json::from_slice(&keys[0].private_jwk()).unwrap();
    assert!(private.get("d").is_some());
}

/// RFC 7638 §3.1: the example RSA key and its thumbprint.
#[test]
fn thumbprints_are_those_of_rfc_7638() {
    let jwk = josekit::jwk::Jwk::from_bytes(
        json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        })
        .to_string(),
    )
    .unwrap();
    assert_eq!(
        thumbprint(&jwk).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn times_are_checked_with_the_skew_allowed() {
    let now = Utc::now();
    let key = SigningKey::generate(Alg::Es256).unwrap();
    let keys = VerifyingKeys::of(&[&key]).unwrap();
    let with = |name: &str, at: chrono::DateTime<Utc>| {
        let mut c = claims(now);
        c.insert(name.into(), json!(at.timestamp()));
        sign(&key, "JWT", c).unwrap()
    };
    let e = expect(now);
    // exp a little past is within the skew; further past is not.
    assert!(verify(&with("exp", now - Duration::seconds(10)), &keys, &e).is_ok());
    assert_eq!(
        verify(&with("exp", now - Duration::seconds(31)), &keys, &e),
        Err(Refusal::Expired)
    );
    assert_eq!(
        verify(&with("nbf", now + Duration::seconds(31)), &keys, &e),
        Err(Refusal::NotYetValid)
    );
    assert_eq!(
        verify(&with("iat", now + Duration::minutes(2)), &keys, &e),
        Err(Refusal::IssuedInFuture)
    );
    let mut no_exp = claims(now);
    no_exp.remove("exp");
    let token = sign(&key, "JWT", no_exp).unwrap();
    assert_eq!(verify(&token, &keys, &e), Err(Refusal::NoExpiry));
    let lenient = Expect {
        require_exp: false,
        ..expect(now)
    };
    assert!(verify(&token, &keys, &lenient).is_ok());
    assert_eq!(verify("not.a-jwt", &keys, &e), Err(Refusal::Malformed));
}
