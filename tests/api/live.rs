//! One rule for a live grant and a live token, in Rust and in SQL: PostgreSQL runs the SQL
//! fragments every statement uses over the same rows as the Rust functions, at the edges.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::sql_types::{Bool, Nullable, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::helpers::TestDb;

#[derive(diesel::QueryableByName)]
struct Live {
    #[diesel(sql_type = Bool)]
    live: bool,
}

/// The times around `at` that the rules must tell apart.
fn around(at: DateTime<Utc>) -> [DateTime<Utc>; 3] {
    [at - Duration::seconds(1), at, at + Duration::seconds(1)]
}

#[tokio::test]
async fn the_sql_and_the_rust_of_a_live_grant_and_token_agree() {
    let db = TestDb::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let at = Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap();
    let mut cases = 0;
    for stamped in [None, Some(at - Duration::hours(1))] {
        for ends in around(at) {
            let sql = |rule: &str| {
                format!(
                    "SELECT {rule} AS live FROM (SELECT $2::timestamptz AS stamped, $3::timestamptz AS expires_at) x
                       CROSS JOIN LATERAL (SELECT x.stamped AS revoked_at, x.stamped AS rotated_at, x.expires_at) g"
                )
            };
            for (rule, rust) in [
                (
                    renkei::live_grant!("g", "$1"),
                    renkei::grants::is_live(stamped, ends, at),
                ),
                (
                    renkei::live_token!("g", "$1"),
                    renkei::oauth::tokens::is_live(ends, stamped, at),
                ),
            ] {
                let row: Live = diesel::sql_query(sql(rule))
                    .bind::<Timestamptz, _>(at)
                    .bind::<Nullable<Timestamptz>, _>(stamped)
                    .bind::<Timestamptz, _>(ends)
                    .get_result(&mut conn)
                    .await
                    .unwrap();
                assert_eq!(
                    row.live, rust,
                    "{rule} with stamped {stamped:?}, ending {ends}"
                );
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 12);
    // The edges are what they say: a grant ending now is over, one revoked is over.
    assert!(!renkei::grants::is_live(None, at, at));
    assert!(renkei::grants::is_live(None, at + Duration::seconds(1), at));
    assert!(!renkei::oauth::tokens::is_live(
        at + Duration::hours(1),
        Some(at),
        at
    ));
}
