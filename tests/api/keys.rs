//! Tenants' signing keys and the key-encryption key: the JWKS, rotation, retired keys, sealing
//! at rest, and `serve` without a KEK.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use renkei::jose::{self, Alg, Expect, Refusal, SigningKey, VerifyingKeys};
use renkei::keys::kek::{self, Keyring};
use renkei::keys::{KeyError, KeyState, platform_secret, rekey, tenant};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TEST_KEK, TestApp, TestDb, settings};

/// Members of a JWK that hold a private part (RFC 7518 §6).
const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn keyring() -> Keyring {
    Keyring::load(&settings("postgres://x@127.0.0.1/x").keys).unwrap()
}

fn hours(app: &TestApp) -> Duration {
    app.settings.keys.retire_after()
}

async fn jwks(app: &TestApp, slug: &str) -> Value {
    let res = app.get(&format!("/t/{slug}/.well-known/jwks.json")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/jwk-set+json"
    );
    res.json().await.unwrap()
}

fn kids(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_jwks_is_served_for_both_demo_tenants_and_named_by_both_metadata_paths() {
    let app = TestApp::spawn().await;
    for slug in ["kitami", "hokuto"] {
        let set = jwks(&app, slug).await;
        let keys = set["keys"].as_array().unwrap();
        // Active and next, for ES256 and PS256.
        assert_eq!(keys.len(), 4, "{set}");
        for key in keys {
            assert_eq!(key["use"], "sig");
            assert!(["ES256", "PS256"].contains(&key["alg"].as_str().unwrap()));
            assert!(!key["kid"].as_str().unwrap().is_empty());
            for member in PRIVATE {
                assert!(key.get(member).is_none(), "{member} published: {key}");
            }
            if key["kty"] == "RSA" {
                let n = key["n"].as_str().unwrap();
                // base64url of at least 256 bytes.
                assert!(n.len() >= 342, "RSA key of {} characters", n.len());
            }
        }
        // The same keys on the next request: made once.
        assert_eq!(kids(&jwks(&app, slug).await), kids(&set));
        for path in [
            format!("/t/{slug}/.well-known/oauth-authorization-server"),
            format!("/.well-known/oauth-authorization-server/t/{slug}"),
        ] {
            let doc: Value = app.get(&path).await.json().await.unwrap();
            let iss = doc["issuer"].as_str().unwrap();
            assert!(iss.ends_with(&format!("/t/{slug}")));
            assert_eq!(
                doc["jwks_uri"],
                format!("{iss}/.well-known/jwks.json"),
                "{path}"
            );
        }
    }
    // One tenant's keys are not another's.
    let (a, b) = (
        kids(&jwks(&app, "kitami").await),
        kids(&jwks(&app, "hokuto").await),
    );
    assert!(a.iter().all(|k| !b.contains(k)));
}

#[tokio::test]
async fn rotation_signs_with_the_key_published_before_and_not_sooner_than_the_jwks_may_be_cached() {
    let app = TestApp::spawn().await;
    let (db, ring, slug) = (app.db_pool(2), keyring(), TestApp::slug("kitami"));
    let t0 = Utc::now();
    let before = tenant::published(&db, &ring, &slug, t0, hours(&app))
        .await
        .unwrap();
    let next: Vec<String> = before
        .iter()
        .filter(|k| k.state == KeyState::Next)
        .map(|k| k.kid.clone())
        .collect();
    let active: Vec<String> = before
        .iter()
        .filter(|k| k.state == KeyState::Active)
        .map(|k| k.kid.clone())
        .collect();
    assert_eq!((next.len(), active.len()), (2, 2));

    let too_soon = tenant::rotate(&db, &ring, &slug, t0 + Duration::seconds(10), hours(&app)).await;
    assert!(
        matches!(too_soon, Err(KeyError::TooSoon { .. })),
        "{too_soon:?}"
    );

    let t1 = t0 + Duration::minutes(10);
    let done = tenant::rotate(&db, &ring, &slug, t1, hours(&app))
        .await
        .unwrap();
    let mut activated: Vec<String> = done.activated.iter().map(|(_, k)| k.clone()).collect();
    activated.sort();
    let mut expected = next.clone();
    expected.sort();
    // What signs now is what was published as next before the rotation.
    assert_eq!(activated, expected);
    let mut retired = done.retired.clone();
    retired.sort();
    let mut was_active = active.clone();
    was_active.sort();
    assert_eq!(retired, was_active);
    let after = tenant::published(&db, &ring, &slug, t1, hours(&app))
        .await
        .unwrap();
    assert_eq!(after.len(), 6, "active, next and retired of each algorithm");
    for alg in ["ES256", "PS256"] {
        let signing = tenant::signing_key(
            &db,
            &ring,
            &slug,
            Alg::of_header(alg).unwrap(),
            t1,
            hours(&app),
        )
        .await
        .unwrap();
        assert!(next.contains(&signing.kid().to_owned()));
    }
    // The newly published next keys are in the JWKS served now.
    let served = kids(&jwks(&app, "kitami").await);
    for (_, kid) in &done.published {
        assert!(served.contains(kid));
    }
}

#[tokio::test]
async fn a_token_of_a_retired_key_verifies_until_the_key_is_dropped_and_an_unknown_key_never() {
    let app = TestApp::spawn().await;
    let (db, ring, slug) = (app.db_pool(2), keyring(), TestApp::slug("hokuto"));
    let t0 = Utc::now();
    let key = tenant::signing_key(&db, &ring, &slug, Alg::Es256, t0, hours(&app))
        .await
        .unwrap();
    let mut claims = serde_json::Map::new();
    claims.insert("iss".into(), app.url("/t/hokuto").into());
    claims.insert("exp".into(), (t0 + Duration::days(10)).timestamp().into());
    let token = jose::sign(&key, "test+jwt", claims.clone()).unwrap();
    let check = |keys: &VerifyingKeys, now| {
        jose::verify(
            &token,
            keys,
            &Expect {
                typ: Some("test+jwt"),
                now,
                skew_secs: 60,
                require_exp: true,
            },
        )
    };
    let keep = hours(&app);
    let at = |now| {
        let (db, ring, slug) = (&db, &ring, &slug);
        async move {
            tenant::verifying(&tenant::published(db, ring, slug, now, keep).await.unwrap()).unwrap()
        }
    };
    assert!(check(&at(t0).await, t0).is_ok());
    let t1 = t0 + Duration::minutes(10);
    tenant::rotate(&db, &ring, &slug, t1, hours(&app))
        .await
        .unwrap();
    assert!(check(&at(t1).await, t1).is_ok(), "retired, still published");
    let almost = t1 + hours(&app) - Duration::seconds(1);
    assert!(check(&at(almost).await, almost).is_ok());
    let dropped = t1 + hours(&app);
    assert_eq!(check(&at(dropped).await, dropped), Err(Refusal::UnknownKey));

    // A key of nobody's, the same claims: not the tenant's.
    let stranger = SigningKey::generate(Alg::Es256).unwrap();
    let forged = jose::sign(&stranger, "test+jwt", claims).unwrap();
    let expect = Expect {
        typ: Some("test+jwt"),
        now: t0,
        skew_secs: 60,
        require_exp: true,
    };
    assert_eq!(
        jose::verify(&forged, &at(t0).await, &expect),
        Err(Refusal::UnknownKey)
    );
    // The wrong type, from the right key.
    let wrong_typ = Expect {
        typ: Some("other+jwt"),
        ..expect
    };
    assert_eq!(
        jose::verify(&token, &at(t0).await, &wrong_typ),
        Err(Refusal::Type)
    );
}

/// Every `pg_dump` of the database: the secrets must be in none of it.
pub(crate) fn dump(url: &str) -> String {
    let pg_dump = std::iter::once(std::path::PathBuf::from("pg_dump"))
        .chain(
            std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .map(|d| d.path().join("bin/pg_dump")),
        )
        .find(|p| {
            std::process::Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("pg_dump (the PostgreSQL client tools)");
    let out = std::process::Command::new(pg_dump)
        .args(["--no-owner", "--data-only", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_dump_of_the_database_holds_no_private_key_and_no_server_secret_in_clear() {
    let app = TestApp::spawn().await;
    let (db, ring) = (app.db_pool(2), keyring());
    let mut secrets: Vec<String> = Vec::new();
    for slug in ["kitami", "hokuto"] {
        let slug = TestApp::slug(slug);
        for alg in tenant::ALGS {
            let key = tenant::signing_key(&db, &ring, &slug, alg, Utc::now(), hours(&app))
                .await
                .unwrap();
            let private: Value = serde_json::from_slice(&key.private_jwk()).unwrap();
            for member in ["d", "p", "q"] {
                if let Some(v) = private[member].as_str() {
                    secrets.push(v.to_owned());
                    secrets.push(hex(v.as_bytes()));
                }
            }
        }
    }
    let cursor = platform_secret(&db, &ring, "cursor").await.unwrap();
    secrets.push(hex(&cursor));
    let text = dump(&app.db.url);
    assert!(
        text.contains("signing_keys"),
        "the dump has the keys' table"
    );
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a secret is in the dump in clear"
        );
    }
}

#[tokio::test]
async fn a_platform_key_of_before_in_clear_is_sealed_and_keeps_its_value() {
    let db = TestDb::create().await;
    renkei::db::migrate::public(&db.url).await.unwrap();
    let clear: Vec<u8> = (0u8..32).collect();
    let pool = renkei::db::Db::connect(&settings(&db.url).database).unwrap();
    {
        use renkei::db::schema::platform::platform_keys;
        diesel::insert_into(platform_keys::table)
            .values((
                platform_keys::name.eq("cursor"),
                platform_keys::key.eq(&clear),
            ))
            .execute(&mut *pool.platform().await.unwrap())
            .await
            .unwrap();
    }
    let ring = keyring();
    assert_eq!(
        &*platform_secret(&pool, &ring, "cursor").await.unwrap(),
        &clear
    );
    {
        use renkei::db::schema::platform::platform_keys;
        let (stored, by): (Vec<u8>, Option<String>) = platform_keys::table
            .find("cursor")
            .select((platform_keys::key, platform_keys::sealed_by))
            .first(&mut *pool.platform().await.unwrap())
            .await
            .unwrap();
        assert_eq!(by.as_deref(), Some(ring.current_id()));
        assert!(!hex(&stored).contains(&hex(&clear)));
    }
    // And read back sealed, the same value.
    assert_eq!(
        &*platform_secret(&pool, &ring, "cursor").await.unwrap(),
        &clear
    );
}

#[tokio::test]
async fn rekey_seals_everything_under_the_new_kek_and_the_old_one_opens_nothing_after() {
    let app = TestApp::spawn().await;
    let (db, old, slug) = (app.db_pool(2), keyring(), TestApp::slug("kitami"));
    let cursor = platform_secret(&db, &old, "cursor").await.unwrap();
    let before = tenant::signing_key(&db, &old, &slug, Alg::Ps256, Utc::now(), hours(&app))
        .await
        .unwrap();
    tenant::published(&db, &old, &TestApp::slug("hokuto"), Utc::now(), hours(&app))
        .await
        .unwrap();
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("kek-{}", app.db.name));
    let new_file = dir.join("new");
    kek::create_file(&new_file).unwrap();
    // A KEK is never overwritten.
    assert!(
        kek::create_file(&new_file)
            .unwrap_err()
            .to_string()
            .contains("exists already")
    );
    let mut rotating = app.settings.keys.clone();
    rotating.kek_file = Some(new_file.clone());
    rotating.previous_kek_files = vec![TEST_KEK.clone()];
    let ring = Keyring::load(&rotating).unwrap();
    let tenants = [TestApp::slug("kitami"), TestApp::slug("hokuto")];
    let done = rekey::rekey(&db, &ring, &tenants).await.unwrap();
    assert_eq!(done.platform, 1);
    assert!(done.tenants.iter().all(|(_, n)| *n == 4), "{done:?}");
    // Again: nothing is left to do.
    let again = rekey::rekey(&db, &ring, &tenants).await.unwrap();
    assert_eq!(
        (
            again.platform,
            again.tenants.iter().map(|(_, n)| n).sum::<usize>()
        ),
        (0, 0)
    );

    let mut only_new = rotating.clone();
    only_new.previous_kek_files.clear();
    let new_ring = Keyring::load(&only_new).unwrap();
    assert_eq!(
        platform_secret(&db, &new_ring, "cursor").await.unwrap(),
        cursor
    );
    let after = tenant::signing_key(&db, &new_ring, &slug, Alg::Ps256, Utc::now(), hours(&app))
        .await
        .unwrap();
    assert_eq!(after.kid(), before.kid());
    let refused = platform_secret(&db, &old, "cursor")
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains(ring.current_id()), "{refused}");
    assert!(refused.contains("keys.previous_kek_files"), "{refused}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn serve_without_a_kek_stops_with_its_one_line_before_anything_else() {
    // A database nobody listens on: the refusal comes before any connection is tried.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_renkei"))
        .arg("serve")
        .env_remove("RENKEI__KEYS__KEK_FILE")
        .env(
            "RENKEI__DATABASE__URL",
            "postgres://renkei@127.0.0.1:9/nowhere",
        )
        .env("RENKEI__HTTP__BIND", "127.0.0.1:0")
        .env("RENKEI__METRICS__BIND", "127.0.0.1:0")
        .env("RENKEI__LOG__FILTER", "off")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr, format!("error: {}\n", kek::NO_KEK));

    // A file that is not a KEK: named, in one line.
    let bad = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("not-a-kek");
    std::fs::write(&bad, "hunter2\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_renkei"))
        .arg("serve")
        .env("RENKEI__KEYS__KEK_FILE", &bad)
        .env(
            "RENKEI__DATABASE__URL",
            "postgres://renkei@127.0.0.1:9/nowhere",
        )
        .env("RENKEI__LOG__FILTER", "off")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error: keys.kek_file "), "{stderr}");
    assert!(stderr.contains("not a key-encryption key"), "{stderr}");
    assert!(!stderr.contains("hunter2"));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[tokio::test]
async fn the_console_lists_the_keys_and_their_state_and_never_a_private_part() {
    use crate::admin_helpers::{AdminBrowser, add_admin};
    let app = TestApp::spawn().await;
    add_admin(
        &app,
        "kitami",
        "viewer@kitami.example",
        renkei::admin::Role::Viewer,
    )
    .await;
    let v = AdminBrowser::new(&app, "kitami")
        .sign_in("viewer@kitami.example")
        .await;
    let res = v.get("/keys").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let served = kids(&jwks(&app, "kitami").await);
    assert_eq!(served.len(), 4);
    for kid in &served {
        assert!(page.contains(kid.as_str()), "{kid} not listed");
    }
    assert_eq!(page.matches("class=\"key-active\"").count(), 2);
    assert_eq!(page.matches("class=\"key-next\"").count(), 2);
    assert!(page.contains("使用中") && page.contains("次の鍵"));
    // No private member of any key.
    let ring = keyring();
    let key = tenant::signing_key(
        &app.db_pool(1),
        &ring,
        &TestApp::slug("kitami"),
        Alg::Es256,
        Utc::now(),
        hours(&app),
    )
    .await
    .unwrap();
    let private: Value = serde_json::from_slice(&key.private_jwk()).unwrap();
    assert!(!page.contains(private["d"].as_str().unwrap()));
}
