//! What anyone can make Renkei write or forget, without an account: each is bounded. Pending
//! authorization requests and sign-in counters are limited per address for all tenants
//! together (an IPv6 address as its /64), a certificate the tenant's CA did not sign leaves no
//! audit row, and made-up slugs never push the tenants out of a replica's cache.

use std::time::Duration;

use renkei::certs::dev::Issued;
use renkei::i18n::Lang;
use renkei::tenancy::TenantRegistry;
use reqwest::StatusCode;

use crate::cert_helpers::{Pki, customer_leaf};
use crate::certificates::spawn;
use crate::helpers::{TestApp, count, count_in};
use crate::oauth_helpers::{Flow, REDIRECT, location, my_sign_in, query_of};

#[tokio::test]
async fn new_authorization_requests_from_one_address_are_bounded_across_tenants() {
    let app = TestApp::spawn_seeded_with(|s| s.limits.authorize_per_ip.max = 3).await;
    for tenant in ["kitami", "kitami", "hokuto"] {
        let res = Flow::new(&app, tenant).authorize(&[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), format!("/t/{tenant}/oauth/login"));
    }
    // The fourth, at either tenant, goes back to the partner and stores nothing.
    for tenant in ["kitami", "hokuto"] {
        let res = Flow::new(&app, tenant).authorize(&[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{tenant}");
        let to = location(&res);
        assert!(to.starts_with(REDIRECT), "{to}");
        let q = query_of(&to);
        assert_eq!(q["error"], "temporarily_unavailable");
        assert_eq!(q["state"], "st-123");
        assert!(
            q["error_description"].contains("try again in"),
            "{}",
            q["error_description"]
        );
    }
    let pending = "SELECT count(*) AS n FROM auth_requests";
    assert_eq!(count_in(&app, "kitami", pending).await, 2);
    assert_eq!(count_in(&app, "hokuto", pending).await, 1);
}

/// A browser whose requests reach the app through a trusted proxy that says they came from `ip`.
fn browser_at(ip: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", ip.parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test]
async fn sign_ins_are_counted_per_address_across_tenants_and_per_64_for_ipv6() {
    let app = TestApp::spawn_seeded_with(|s| {
        s.limits.login_per_ip.max = 3;
        s.tls.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let wrong = async |ip: &str, tenant: &str, login_id: &str| {
        my_sign_in(&app, &browser_at(ip), tenant, login_id, "wrong-password")
            .await
            .status()
    };
    // Three addresses of one /64, two credit unions, a made-up ID each time.
    assert_eq!(
        wrong("2001:db8:1:2::a", "kitami", "Made01").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        wrong("2001:db8:1:2::b", "kitami", "Made02").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        wrong("2001:db8:1:2:ffff::1", "hokuto", "Made03").await,
        StatusCode::UNAUTHORIZED
    );
    let res = my_sign_in(
        &app,
        &browser_at("2001:db8:1:2::c"),
        "hokuto",
        "Made04",
        "wrong-password",
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    // The refused attempt wrote no counter for the ID it made up.
    let guards = "SELECT count(*) AS n FROM login_guard WHERE login_id LIKE 'Made%'";
    assert_eq!(count_in(&app, "hokuto", guards).await, 1);
    let ids = "SELECT count(*) AS n FROM rate_limits WHERE key LIKE 'id:%Made%'";
    assert_eq!(count_in(&app, "hokuto", ids).await, 1);
    // The next /64 and an IPv4 address have allowances of their own.
    assert_eq!(
        wrong("2001:db8:1:3::a", "hokuto", "Made05").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        wrong("198.51.100.7", "hokuto", "Made06").await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_certificate_the_ca_did_not_sign_leaves_no_audit_row() {
    let pki = Pki::new();
    let app = spawn(&pki, &[], |_| {}).await;
    let refused = "SELECT count(*) AS n FROM audit_log WHERE event = 'login.certificate_refused'";
    // Self-signed, with the subject the sender likes.
    let forged = renkei::certs::dev::DevCa::generate("山田商店 <script>alert(1)</script>").unwrap();
    let forged = Issued {
        cert: forged.cert,
        key: forged.key,
    };
    let from_a_stranger = pki.stranger_ca.issue(&customer_leaf("鈴木")).unwrap();
    for cert in [&forged, &from_a_stranger] {
        for _ in 0..3 {
            let res = pki
                .client(Some(cert))
                .get(app.https("/t/kitami/my/certificate"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN);
            assert!(
                res.text()
                    .await
                    .unwrap()
                    .contains("この電子証明書はご利用いただけません")
            );
        }
    }
    assert_eq!(count(&app, refused).await, 0);
    // A certificate the CA issued but nobody registered is still audited.
    let unbound = pki.customer_ca.issue(&customer_leaf("鈴木")).unwrap();
    let res = pki
        .client(Some(&unbound))
        .get(app.https("/t/kitami/my/certificate"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, refused).await, 1);
}

#[tokio::test]
async fn made_up_slugs_never_push_the_tenants_out_of_the_cache() {
    let app = TestApp::spawn().await;
    let registry = TenantRegistry::new(app.db_pool(2), Duration::from_secs(3600));
    let kitami = registry.find("kitami").await.unwrap().expect("kitami");
    let name = kitami.name(Lang::En).to_owned();
    // The stored settings change; the copy held stays (for its hour) unless it is dropped.
    let db = app.db_pool(1);
    let mut conn = db.platform().await.unwrap();
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "UPDATE public.tenants SET settings = jsonb_set(settings, '{name,en}', '\"Renamed\"')
             WHERE slug = 'kitami'",
        ),
        &mut *conn,
    )
    .await
    .unwrap();
    drop(conn);
    for i in 0..10_001 {
        assert!(
            registry
                .find(&format!("made-up-{i}"))
                .await
                .unwrap()
                .is_none()
        );
    }
    let held = registry.find("kitami").await.unwrap().expect("kitami");
    assert_eq!(held.name(Lang::En), name);
    assert!(std::sync::Arc::ptr_eq(&held, &kitami));
    // What a replica that reads afresh sees.
    let fresh = TenantRegistry::new(app.db_pool(1), Duration::ZERO);
    let now = fresh.find("kitami").await.unwrap().expect("kitami");
    assert_eq!(now.name(Lang::En), "Renamed");
}
