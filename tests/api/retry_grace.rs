//! A refresh or code exchange whose answer was lost (the database's primary lost as it
//! committed, a dropped connection) is retried by its partner: within
//! `oauth.refresh_retry_secs` the retry does not end the grant as reuse would. After the
//! window, once the lost pair was used, or by another partner, reuse detection holds as before.

use chrono::Duration;
use renkei::oauth::error::OAuthCode;
use renkei::oauth::tokens::Issued;

use crate::use_cases::{RETRY_SECS, World, now, world};

/// Whether the token with this secret is live at `at` (not expired, not rotated).
async fn live(w: &World, secret: &str, at: chrono::DateTime<chrono::Utc>) -> bool {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use renkei::db::schema::tenant::tokens as t;
    t::table
        .find(renkei::secrets::sha256(secret))
        .select(t::expires_at.gt(at).and(t::rotated_at.is_null()))
        .first(&mut w.conn().await)
        .await
        .unwrap()
}

/// A grant, its first pair from the code at `t`, and the pair of rotating that one at `t`.
async fn rotated_once(w: &World, t: chrono::DateTime<chrono::Utc>) -> (uuid::Uuid, Issued, Issued) {
    let (grant, code) = w.consent(t, 90).await;
    let first = w.exchange(&code, t).await.unwrap();
    let second = w
        .refresh(&w.partner, &first.refresh_token, None, t)
        .await
        .unwrap();
    (grant, first, second)
}

#[tokio::test]
async fn a_refresh_retried_within_the_window_gets_a_fresh_pair_and_the_lost_pair_is_revoked() {
    let w = world().await;
    let t = now();
    let (grant, code) = w.consent(t, 90).await;
    let first = w.exchange(&code, t).await.unwrap();
    let rotated = t + Duration::seconds(10);
    // Its answer never reached the partner.
    let lost = w
        .refresh(&w.partner, &first.refresh_token, None, rotated)
        .await
        .unwrap();
    // The partner tries again with the token it had, at the window's last second.
    let at = rotated + Duration::seconds(RETRY_SECS);
    let retried = w
        .refresh(&w.partner, &first.refresh_token, None, at)
        .await
        .unwrap();
    assert_ne!(retried.refresh_token, lost.refresh_token);
    assert_eq!(retried.scope, first.scope);
    assert!(!w.revoked(grant).await);
    assert!(
        !live(&w, &lost.access_token, at).await,
        "the lost access token is revoked"
    );
    assert!(!live(&w, &lost.refresh_token, at).await);
    assert!(live(&w, &retried.access_token, at).await);
    // The lost refresh token, should it turn up, is merely not valid; the grant goes on.
    assert_eq!(
        w.refresh(&w.partner, &lost.refresh_token, None, at)
            .await
            .err(),
        Some(OAuthCode::InvalidGrant)
    );
    assert!(!w.revoked(grant).await);
    assert!(
        w.refresh(
            &w.partner,
            &retried.refresh_token,
            None,
            at + Duration::hours(1)
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn after_the_window_once_the_lost_pair_was_used_or_by_another_partner_reuse_still_revokes() {
    let w = world().await;
    let t = now();
    // A second past the window.
    let (grant, first, _) = rotated_once(&w, t).await;
    let late = t + Duration::seconds(RETRY_SECS + 1);
    assert_eq!(
        w.refresh(&w.partner, &first.refresh_token, None, late)
            .await
            .err(),
        Some(OAuthCode::InvalidGrant)
    );
    assert!(w.revoked(grant).await);

    // Within the window, but the pair it issued was used: whoever presents it stole it.
    let (grant, first, second) = rotated_once(&w, t).await;
    w.refresh(
        &w.partner,
        &second.refresh_token,
        None,
        t + Duration::seconds(5),
    )
    .await
    .unwrap();
    assert_eq!(
        w.refresh(
            &w.partner,
            &first.refresh_token,
            None,
            t + Duration::seconds(10)
        )
        .await
        .err(),
        Some(OAuthCode::InvalidGrant)
    );
    assert!(w.revoked(grant).await);

    // Another partner within the window gets nothing, and the grant's own partner keeps it.
    let (grant, first, second) = rotated_once(&w, t).await;
    assert_eq!(
        w.refresh(
            &w.other,
            &first.refresh_token,
            None,
            t + Duration::seconds(1)
        )
        .await
        .err(),
        Some(OAuthCode::InvalidGrant)
    );
    assert!(!w.revoked(grant).await);
    assert!(live(&w, &second.refresh_token, t + Duration::seconds(1)).await);
}

#[tokio::test]
async fn a_code_presented_again_within_the_window_is_refused_without_ending_its_grant() {
    let w = world().await;
    let t = now();
    let (grant, code) = w.consent(t, 90).await;
    let issued = w.exchange(&code, t).await.unwrap();
    assert_eq!(
        w.exchange(&code, t + Duration::seconds(RETRY_SECS))
            .await
            .err(),
        Some(OAuthCode::InvalidGrant)
    );
    assert!(!w.revoked(grant).await);
    assert!(live(&w, &issued.refresh_token, t + Duration::seconds(RETRY_SECS)).await);
    // Once more a second after the window: stolen, the grant ends.
    assert_eq!(
        w.exchange(&code, t + Duration::seconds(RETRY_SECS + 1))
            .await
            .err(),
        Some(OAuthCode::InvalidGrant)
    );
    assert!(w.revoked(grant).await);
}

/// Through the token endpoint, with the default window: a refresh retried at once gets a pair,
/// and the pair of the first answer no longer works.
#[tokio::test]
async fn the_token_endpoint_answers_a_retried_refresh_with_a_fresh_pair() {
    use crate::helpers::TestApp;
    use crate::oauth::{introspect, json, refreshed};
    let app = TestApp::spawn_seeded().await;
    let t = app.yamadas_tokens().await;
    let old = t["refresh_token"].as_str().unwrap();
    let lost = json(refreshed(&app, old, None).await).await;
    let retried = refreshed(&app, old, None).await;
    assert_eq!(retried.status(), 200);
    let retried = json(retried).await;
    let active = async |token: &serde_json::Value| {
        introspect(&app, "kitami", token.as_str().unwrap()).await["active"] == true
    };
    assert!(!active(&lost["access_token"]).await);
    assert!(active(&retried["access_token"]).await);
    let audit = crate::helpers::count(
        &app,
        "SELECT count(*) AS n FROM audit_log WHERE event = 'token.refreshed' AND detail->>'retry' = 'true'",
    )
    .await;
    assert_eq!(audit, 1);
}
