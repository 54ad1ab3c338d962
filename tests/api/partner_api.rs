//! The partner API through real tokens from the consent flow: shapes, paging, dates, refusals.

use std::collections::HashSet;

use chrono::{Datelike, Months, NaiveDate};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use renkei::bank::Hosted;
use renkei::db::schema::tenant::{access_ledger, grants, partners, tokens, transactions};
use renkei::sandbox::{self, AccountId, Direction, Movement};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::oauth_helpers::{CLIENT, Flow};

const SHOP: &str = "001020765432";
const HOUSEHOLD: &str = "001010123456";
const SUZUKI: &str = "012010234567";

/// Yamada01's access token from the real flow.
async fn token(app: &TestApp, tenant: &str, login: &str, password: &str) -> String {
    let code = Flow::new(app, tenant).code_for(login, password).await;
    let t: Value = app.exchange(tenant, &code).await.json().await.unwrap();
    t["access_token"].as_str().unwrap().to_owned()
}

async fn yamada(app: &TestApp) -> String {
    token(app, "kitami", "Yamada01", "Shinkin-2026!").await
}

async fn api(app: &TestApp, tenant: &str, path_and_query: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/t/{tenant}/api/v1/{path_and_query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn today() -> NaiveDate {
    renkei::demo::today_jst()
}

/// Checks a JSON value against a schema of the served OpenAPI document: types, required
/// properties, patterns and nested references.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return conforms(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(options) = schema
        .get("oneOf")
        .or(schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        assert!(
            options.iter().any(|o| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    conforms(doc, o, value, at)
                }))
                .is_ok()
            }),
            "{at}: {value} matches none of {options:?}"
        );
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let actual = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    assert!(
        types.is_empty()
            || types.contains(&actual)
            || (actual == "integer" && types.contains(&"number")),
        "{at}: expected {types:?}, got {value}"
    );
    if let (Some(p), Value::String(s)) = (schema.get("pattern").and_then(Value::as_str), value) {
        let ok = match p {
            "^[0-9]{12}$" => s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()),
            "^[0-9]{3}$" => s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()),
            "^[0-9]{2}$" => s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()),
            "^[0-9]{7}$" => s.len() == 7 && s.bytes().all(|b| b.is_ascii_digit()),
            "^[0-9]+$" => !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
            "^-?[0-9]+$" => {
                s.trim_start_matches('-')
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    && !s.is_empty()
            }
            "^[12]$" => s == "1" || s == "2",
            other => panic!("{at}: pattern {other} not known to this checker"),
        };
        assert!(ok, "{at}: {s:?} does not match {p}");
    }
    if let Value::Object(map) = value {
        for req in schema["required"].as_array().into_iter().flatten() {
            let req = req.as_str().unwrap();
            assert!(map.contains_key(req), "{at}: missing {req}");
        }
        if let Some(props) = schema["properties"].as_object() {
            for (k, v) in map {
                let sub = props
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}: {k} is not in the schema"));
                conforms(doc, sub, v, &format!("{at}.{k}"));
            }
        }
    }
    if let Value::Array(items) = value {
        for (i, item) in items.iter().enumerate() {
            conforms(doc, &schema["items"], item, &format!("{at}[{i}]"));
        }
    }
}

fn response_schema<'a>(doc: &'a Value, path: &str, status: &str) -> &'a Value {
    &doc["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]
}

#[tokio::test]
async fn every_endpoint_matches_the_served_openapi_document() {
    let app = TestApp::spawn_seeded().await;
    let doc: Value = app
        .get("/t/kitami/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["servers"][0]["url"],
        format!("{}/t/kitami", app.settings.public_base())
    );
    let token = yamada(&app).await;

    for (path, query) in [
        ("/api/v1/accounts", "accounts"),
        ("/api/v1/accounts/balances", "accounts/balances"),
        (
            "/api/v1/accounts/balances",
            &format!("accounts/balances?accountId={SHOP}") as &str,
        ),
        (
            "/api/v1/accounts/transactions",
            &format!(
                "accounts/transactions?accountId={SHOP}&dateFrom={}",
                today() - chrono::Duration::days(60)
            ) as &str,
        ),
    ] {
        let res = api(&app, "kitami", query, &token).await;
        assert_eq!(res.status(), 200, "{query}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        let body: Value = res.json().await.unwrap();
        conforms(&doc, response_schema(&doc, path, "200"), &body, query);
    }
    let res = api(
        &app,
        "kitami",
        "accounts/balances?accountId=999999999999",
        &token,
    )
    .await;
    let body: Value = res.json().await.unwrap();
    conforms(
        &doc,
        response_schema(&doc, "/api/v1/accounts/balances", "404"),
        &body,
        "404",
    );
}

#[tokio::test]
async fn the_committed_openapi_document_is_current() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json")).unwrap();
    assert_eq!(
        committed.trim_end(),
        renkei::api::openapi::json(None),
        "docs/openapi.json is stale: run `cargo run -- openapi > docs/openapi.json`"
    );
}

#[tokio::test]
async fn accounts_and_balances_show_what_was_granted() {
    let app = TestApp::spawn_seeded().await;
    let token = yamada(&app).await;
    let body: Value = api(&app, "kitami", "accounts", &token)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![HOUSEHOLD, SHOP]);
    assert_eq!(body["accounts"][1]["accountTypeName"], "当座預金");
    assert_eq!(body["accounts"][0]["accountNameKana"], "ヤマダシヨウテン");

    let body: Value = api(
        &app,
        "kitami",
        &format!("accounts/balances?accountId={SHOP}"),
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    let b = &body["balances"][0];
    assert_eq!(body["balances"].as_array().unwrap().len(), 1);
    assert_eq!(b["currencyName"], "円");
    assert_eq!(b["baseDate"], today().to_string());
    assert!(b["baseTime"].as_str().unwrap().ends_with("+09:00"));

    // The balance is the last running balance; previous-month balance is the last before the 1st.
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let rows: Vec<(NaiveDate, i64)> = transactions::table
        .filter(transactions::account_id.eq(SHOP))
        .order((transactions::transaction_date, transactions::id))
        .select((transactions::transaction_date, transactions::balance))
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(b["balance"], rows.last().unwrap().1.to_string());
    let month_start = today().with_day(1).unwrap();
    let prev_month = rows
        .iter()
        .rev()
        .find(|(d, _)| *d < month_start)
        .map_or(0, |r| r.1);
    assert_eq!(b["previousMonthBalance"], prev_month.to_string());
    let prev_day = rows
        .iter()
        .rev()
        .find(|(d, _)| *d < today())
        .map_or(0, |r| r.1);
    assert_eq!(b["previousDayBalance"], prev_day.to_string());
}

/// Pages through [from, to] and returns every item.
async fn all_pages(
    app: &TestApp,
    token: &str,
    account: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut key: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut q =
            format!("accounts/transactions?accountId={account}&dateFrom={from}&dateTo={to}");
        if let Some(k) = &key {
            q.push_str(&format!("&nextItemKey={k}"));
        }
        let res = api(app, "kitami", &q, token).await;
        assert_eq!(res.status(), 200, "{q}");
        let body: Value = res.json().await.unwrap();
        pages += 1;
        let page = body["transactions"].as_array().unwrap();
        assert!(page.len() <= 500);
        assert_eq!(body["count"].as_u64().unwrap() as usize, page.len());
        items.extend(page.iter().cloned());
        if !body["hasNext"].as_bool().unwrap() {
            assert!(body.get("nextItemKey").is_none());
            break;
        }
        key = Some(body["nextItemKey"].as_str().unwrap().to_owned());
    }
    (items, pages)
}

/// A busy day: `n` small movements booked today (history is only ever appended).
async fn add_movements(app: &TestApp, account: &str, n: usize) {
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let movements: Vec<Movement> = (0..n)
        .map(|i| Movement {
            date: today(),
            direction: if i % 3 == 0 {
                Direction::Withdrawal
            } else {
                Direction::Deposit
            },
            amount: 100 + i as i64,
            remarks: format!("テスト {i}"),
        })
        .collect();
    sandbox::post(&mut conn, &AccountId::parse(account).unwrap(), movements)
        .await
        .unwrap();
}

#[tokio::test]
async fn paging_through_18_months_returns_each_transaction_once_with_consistent_balances() {
    let app = TestApp::spawn_seeded().await;
    // Enough rows for several pages inside one year.
    add_movements(&app, SHOP, 1200).await;
    let token = yamada(&app).await;
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let expected: i64 = transactions::table
        .filter(transactions::account_id.eq(SHOP))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    let first: NaiveDate = transactions::table
        .filter(transactions::account_id.eq(SHOP))
        .select(diesel::dsl::min(transactions::transaction_date))
        .first::<Option<NaiveDate>>(&mut conn)
        .await
        .unwrap()
        .unwrap();
    // 18+ months: two windows of at most a year each.
    let split = first.checked_add_months(Months::new(12)).unwrap() - chrono::Duration::days(1);
    let (mut items, pages_a) = all_pages(&app, &token, SHOP, first, split).await;
    let (rest, pages_b) = all_pages(
        &app,
        &token,
        SHOP,
        split + chrono::Duration::days(1),
        today(),
    )
    .await;
    items.extend(rest);
    assert!(pages_b >= 3, "{pages_a} + {pages_b} pages");
    assert_eq!(items.len() as i64, expected);
    let keys: HashSet<&str> = items
        .iter()
        .map(|t| t["itemKey"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), items.len(), "an item appeared twice");

    // Oldest first, and each running balance follows from the one before.
    let mut balance: i64 = 0;
    let mut last_date = String::new();
    for t in &items {
        let date = t["transactionDate"].as_str().unwrap().to_owned();
        assert!(date >= last_date);
        last_date = date;
        let amount: i64 = t["amount"].as_str().unwrap().parse().unwrap();
        balance += if t["transactionType"] == "1" {
            amount
        } else {
            -amount
        };
        assert_eq!(
            t["balance"].as_str().unwrap().parse::<i64>().unwrap(),
            balance,
            "{t}"
        );
    }
    let body: Value = api(
        &app,
        "kitami",
        &format!("accounts/balances?accountId={SHOP}"),
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["balances"][0]["balance"], balance.to_string());
}

#[tokio::test]
async fn a_deposit_between_two_page_reads_is_neither_lost_nor_repeated() {
    let app = TestApp::spawn_seeded().await;
    add_movements(&app, HOUSEHOLD, 700).await;
    let token = yamada(&app).await;
    let from = today() - chrono::Duration::days(30);
    let q = format!("accounts/transactions?accountId={HOUSEHOLD}&dateFrom={from}");
    let first: Value = api(&app, "kitami", &q, &token).await.json().await.unwrap();
    assert_eq!(first["hasNext"], true);
    let mut seen: Vec<String> = first["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["itemKey"].as_str().unwrap().to_owned())
        .collect();

    // Today's salary lands now.
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    sandbox::post(
        &mut conn,
        &AccountId::parse(HOUSEHOLD).unwrap(),
        vec![Movement {
            date: today(),
            direction: Direction::Deposit,
            amount: 280_000,
            remarks: "給与".into(),
        }],
    )
    .await
    .unwrap();

    let mut key = first["nextItemKey"].as_str().unwrap().to_owned();
    loop {
        let body: Value = api(&app, "kitami", &format!("{q}&nextItemKey={key}"), &token)
            .await
            .json()
            .await
            .unwrap();
        seen.extend(
            body["transactions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["itemKey"].as_str().unwrap().to_owned()),
        );
        match body["nextItemKey"].as_str() {
            Some(k) => key = k.to_owned(),
            None => break,
        }
    }
    let expected: i64 = transactions::table
        .filter(transactions::account_id.eq(HOUSEHOLD))
        .filter(transactions::transaction_date.ge(from))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "repeated rows");
    assert_eq!(seen.len() as i64, expected, "lost rows");
}

#[tokio::test]
async fn date_rules() {
    let app = TestApp::spawn_seeded().await;
    let token = yamada(&app).await;
    let get = |q: String| {
        let app = &app;
        let token = token.clone();
        async move {
            api(
                app,
                "kitami",
                &format!("accounts/transactions?accountId={HOUSEHOLD}{q}"),
                &token,
            )
            .await
        }
    };
    let t = today();
    let body: Value = get(String::new()).await.json().await.unwrap();
    assert_eq!(
        (
            body["dateFrom"].as_str().unwrap(),
            body["dateTo"].as_str().unwrap()
        ),
        (&*t.to_string(), &*t.to_string())
    );

    let from = t - chrono::Duration::days(40);
    let body: Value = get(format!("&dateFrom={from}")).await.json().await.unwrap();
    assert_eq!(body["dateFrom"], from.to_string());
    assert_eq!(body["dateTo"], t.to_string());
    assert!(
        body["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["transactionDate"].as_str().unwrap() >= &*from.to_string())
    );

    // Only dateTo: from the first transaction (the account opened on the 1st, 18 months ago).
    let opened = t
        .with_day(1)
        .unwrap()
        .checked_sub_months(Months::new(18))
        .unwrap();
    let to = opened.checked_add_months(Months::new(3)).unwrap();
    let body: Value = get(format!("&dateTo={to}")).await.json().await.unwrap();
    assert_eq!(body["dateFrom"], opened.to_string());
    assert_eq!(
        body["transactions"][0]["transactionDate"],
        opened.to_string()
    );
    // ...but never more than a year before dateTo.
    let body: Value = get(format!("&dateTo={t}")).await.json().await.unwrap();
    assert_eq!(
        body["dateFrom"],
        (t.checked_sub_months(Months::new(12)).unwrap() + chrono::Duration::days(1)).to_string()
    );

    for bad in [
        format!("&dateFrom={t}&dateTo={}", t - chrono::Duration::days(1)),
        "&dateFrom=2026/01/01".to_owned(),
        "&dateTo=yesterday".to_owned(),
        format!(
            "&dateFrom={}&dateTo={t}",
            t.checked_sub_months(Months::new(12)).unwrap()
        ),
        "&nextItemKey=forged".to_owned(),
    ] {
        let res = get(bad.clone()).await;
        assert_eq!(res.status(), 400, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errorCode"], "invalid_request", "{bad}");
        assert!(!body["errorMessage"].as_str().unwrap().is_empty());
    }
    let res = api(&app, "kitami", "accounts/transactions", &token).await;
    assert_eq!(res.status(), 400, "accountId is required");
}

fn assert_invalid_token(res: &reqwest::Response, what: &str) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
    let challenge = res.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer "), "{what}: {challenge}");
    assert!(
        challenge.contains("error=\"invalid_token\""),
        "{what}: {challenge}"
    );
}

#[tokio::test]
async fn refusals_have_the_documented_status_and_body() {
    let app = TestApp::spawn_seeded().await;
    let token = yamada(&app).await;
    let url = app.url("/t/kitami/api/v1/accounts/balances");

    let res = app.client.get(&url).send().await.unwrap();
    assert_invalid_token(&res, "no token");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errorCode"], "invalid_token");

    let res = app
        .client
        .get(&url)
        .bearer_auth("not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_invalid_token(&res, "unknown token");

    let res = app
        .client
        .get(format!("{url}?access_token={token}"))
        .send()
        .await
        .unwrap();
    assert_invalid_token(&res, "token in the query string");

    // Another tenant: the same token means nothing at hokuto.
    let res = api(&app, "hokuto", "accounts/balances", &token).await;
    assert_invalid_token(&res, "other tenant");

    // Accepted forms: Bearer in any case, and x-access-token.
    let res = app
        .client
        .get(&url)
        .header("Authorization", format!("bEaReR {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .client
        .get(&url)
        .header("x-access-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // An account outside the grant and one that does not exist: the same 404.
    let foreign = api(
        &app,
        "kitami",
        &format!("accounts/balances?accountId={SUZUKI}"),
        &token,
    )
    .await;
    let missing = api(
        &app,
        "kitami",
        "accounts/balances?accountId=999999999999",
        &token,
    )
    .await;
    assert_eq!(foreign.status(), 404);
    assert_eq!(missing.status(), 404);
    assert_eq!(
        foreign.json::<Value>().await.unwrap(),
        missing.json::<Value>().await.unwrap()
    );
    let res = api(
        &app,
        "kitami",
        &format!("accounts/transactions?accountId={SUZUKI}"),
        &token,
    )
    .await;
    assert_eq!(res.status(), 404);
    let res = api(&app, "kitami", "accounts/balances?accountId=12", &token).await;
    assert_eq!(res.status(), 400);

    // Expired access token.
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let other = yamada(&app).await; // replaces the first grant
    assert_invalid_token(
        &api(&app, "kitami", "accounts", &token).await,
        "replaced grant",
    );
    diesel::update(tokens::table.filter(tokens::kind.eq("access")))
        .set(tokens::expires_at.eq(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_invalid_token(
        &api(&app, "kitami", "accounts", &other).await,
        "expired token",
    );

    // Revoked grant.
    let fresh = yamada(&app).await;
    assert_eq!(api(&app, "kitami", "accounts", &fresh).await.status(), 200);
    diesel::update(grants::table.filter(grants::revoked_at.is_null()))
        .set(grants::revoked_at.eq(chrono::Utc::now()))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_invalid_token(
        &api(&app, "kitami", "accounts", &fresh).await,
        "revoked grant",
    );

    // Suspended partner.
    let fresh = yamada(&app).await;
    diesel::update(partners::table.filter(partners::client_id.eq(CLIENT)))
        .set(partners::status.eq("suspended"))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_invalid_token(
        &api(&app, "kitami", "accounts/balances", &fresh).await,
        "suspended partner",
    );
}

#[tokio::test]
async fn a_scope_the_grant_lacks_is_403() {
    let app = TestApp::spawn_seeded().await;
    let flow = Flow::new(&app, "kitami");
    let res = flow.authorize(&[("scope", "balance:read")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    flow.login("Yamada01", "Shinkin-2026!").await;
    let res = flow.allow(true, None).await;
    let code =
        crate::oauth_helpers::query_of(&crate::oauth_helpers::location(&res))["code"].clone();
    let t: Value = app.exchange("kitami", &code).await.json().await.unwrap();
    let token = t["access_token"].as_str().unwrap();

    assert_eq!(
        api(&app, "kitami", "accounts/balances", token)
            .await
            .status(),
        200
    );
    let res = api(
        &app,
        "kitami",
        &format!("accounts/transactions?accountId={SHOP}"),
        token,
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errorCode"], "insufficient_scope");
}

#[tokio::test]
async fn every_call_is_written_to_the_access_ledger() {
    let app = TestApp::spawn_seeded().await;
    let token = yamada(&app).await;
    api(&app, "kitami", "accounts", &token).await;
    api(
        &app,
        "kitami",
        &format!("accounts/balances?accountId={SHOP}"),
        &token,
    )
    .await;
    let res = api(
        &app,
        "kitami",
        &format!(
            "accounts/transactions?accountId={SHOP}&dateFrom={}",
            today() - chrono::Duration::days(90)
        ),
        &token,
    )
    .await;
    let rows_returned = res.json::<Value>().await.unwrap()["count"]
        .as_i64()
        .unwrap();

    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    let mut ledger: Vec<(String, Option<String>, i32)> = vec![];
    for _ in 0..50 {
        ledger = access_ledger::table
            .order(access_ledger::id)
            .select((
                access_ledger::endpoint,
                access_ledger::account_id,
                access_ledger::rows_returned,
            ))
            .load(&mut conn)
            .await
            .unwrap();
        if ledger.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        ledger,
        vec![
            ("accounts".to_owned(), None, 2),
            ("balances".to_owned(), Some(SHOP.to_owned()), 1),
            (
                "transactions".to_owned(),
                Some(SHOP.to_owned()),
                rows_returned as i32
            ),
        ]
    );
}

#[tokio::test]
async fn developers_page_in_both_languages() {
    let app = TestApp::spawn().await;
    let ja = app.get("/t/kitami/developers").await.text().await.unwrap();
    assert!(ja.contains("外部企業（開発者）向けのご案内"));
    assert!(ja.contains("/t/kitami/api/v1/accounts/transactions"));
    assert!(ja.contains("insufficient_scope"));
    let en = app
        .get("/t/kitami/developers?lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(en.contains("For partners (developers)"));
}

/// What a balance inquiry reports as the end-of-yesterday and end-of-last-month balances,
/// computed from the account's history.
fn balance_before(history: &[(NaiveDate, i64)], day: NaiveDate) -> Option<i64> {
    history.iter().rev().find(|(d, _)| *d < day).map(|r| r.1)
}

async fn history(app: &TestApp, account: &str) -> Vec<(NaiveDate, i64)> {
    let db = app.db_pool(1);
    let mut conn = db.tenant(&TestApp::slug("kitami")).await.unwrap();
    transactions::table
        .filter(transactions::account_id.eq(account))
        .order((transactions::transaction_date, transactions::id))
        .select((transactions::transaction_date, transactions::balance))
        .load(&mut conn)
        .await
        .unwrap()
}

/// The account keeps the balances before its last transaction's day and month, and a balance
/// inquiry reads them when its day allows, the history otherwise: on any day, before, on and
/// after the last transaction, the two agree with the history, also once the history is changed
/// by hand.
#[tokio::test]
async fn previous_balances_agree_with_the_history_on_every_day() {
    use renkei::bank::partner_data::{BalanceAsk, BalanceBatches, PartnerData as _};
    let app = TestApp::spawn_seeded().await;
    let token = yamada(&app).await;
    let db = app.db_pool(2);
    let slug = TestApp::slug("kitami");
    // Movements dated ahead: one in a later month, two on one day after it.
    let ahead = today().checked_add_months(Months::new(2)).unwrap();
    let movement = |date: NaiveDate, amount: i64| Movement {
        date,
        direction: Direction::Deposit,
        amount,
        remarks: "先日付".into(),
    };
    sandbox::post(
        &mut db.tenant(&slug).await.unwrap(),
        &AccountId::parse(SHOP).unwrap(),
        vec![
            movement(ahead, 1_000),
            movement(ahead + chrono::Days::new(3), 20_000),
            movement(ahead + chrono::Days::new(3), 300_000),
        ],
    )
    .await
    .unwrap();

    let batches = BalanceBatches::new("test");
    let check = |history: Vec<(NaiveDate, i64)>| {
        let (db, slug, token, batches) = (&db, &slug, &token, &batches);
        async move {
            let first = history[0].0;
            let last = history.last().unwrap().0;
            let mut days = vec![
                first - chrono::Days::new(1),
                first,
                first + chrono::Days::new(1),
                first.checked_add_months(Months::new(1)).unwrap(),
                today() - chrono::Days::new(1),
                today(),
                ahead - chrono::Days::new(1),
                ahead,
                ahead + chrono::Days::new(1),
                last,
                last + chrono::Days::new(1),
                last.checked_add_months(Months::new(1)).unwrap(),
                last.checked_add_months(Months::new(14)).unwrap(),
            ];
            days.extend(history.iter().step_by(7).map(|(d, _)| *d));
            for day in days {
                let ask = BalanceAsk {
                    token_hash: renkei::secrets::sha256(token),
                    account: Some(AccountId::parse(SHOP).unwrap()),
                };
                let answer = Hosted.balances(db, batches, slug, ask, day).await.unwrap();
                assert!(answer.caller.is_some());
                assert_eq!(answer.items.len(), 1);
                let row = &answer.items[0];
                assert_eq!(
                    row.previous_day_balance,
                    balance_before(&history, day),
                    "the end of the day before {day}"
                );
                assert_eq!(
                    row.previous_month_balance,
                    balance_before(&history, day.with_day(1).unwrap()),
                    "the end of the month before {day}"
                );
            }
        }
    };
    check(history(&app, SHOP).await).await;

    // The history changed by hand: the last day's transactions taken away, then a balance
    // corrected.
    let mut conn = db.tenant(&slug).await.unwrap();
    let before_change = |h: &[(NaiveDate, i64)]| balance_before(h, ahead + chrono::Days::new(1));
    diesel::delete(
        transactions::table
            .filter(transactions::account_id.eq(SHOP))
            .filter(transactions::transaction_date.gt(ahead)),
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let removed = history(&app, SHOP).await;
    check(removed.clone()).await;
    diesel::update(
        transactions::table
            .filter(transactions::account_id.eq(SHOP))
            .filter(transactions::transaction_date.eq(ahead)),
    )
    .set(transactions::balance.eq(transactions::balance + 5))
    .execute(&mut conn)
    .await
    .unwrap();
    let changed = history(&app, SHOP).await;
    assert_eq!(
        before_change(&changed),
        before_change(&removed).map(|b| b + 5)
    );
    check(changed).await;
}

/// Two writers add to one account's history at once, neither taking the account's row first (as
/// a core banking system's loader might). Once both commit, what the account keeps is what its
/// whole history says: the later writer recomputed from a history that has the earlier's rows.
#[tokio::test]
async fn kept_balances_follow_two_writers_at_once() {
    use diesel_async::SimpleAsyncConnection;
    use renkei::db::schema::tenant::accounts;
    use std::time::Duration;
    let app = TestApp::spawn_seeded().await;
    let db = app.db_pool(2);
    let slug = TestApp::slug("kitami");
    let insert = |days: u64, balance: i64| {
        let date = today() + chrono::Days::new(days);
        format!(
            "INSERT INTO transactions (account_id, transaction_date, value_date, transaction_type,
                                       amount, remarks, balance)
             VALUES ('{SHOP}', '{date}', '{date}', 1, 1, '同時', {balance})"
        )
    };
    let mut first = db.tenant(&slug).await.unwrap();
    let mut second = db.tenant(&slug).await.unwrap();
    first
        .batch_execute(&format!("BEGIN; {}", insert(10, 111)))
        .await
        .unwrap();
    let later = tokio::spawn({
        let sql = format!("BEGIN; {}; COMMIT", insert(11, 222));
        async move { second.batch_execute(&sql).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !later.is_finished(),
        "the second writer waits for the first's account"
    );
    first.batch_execute("COMMIT").await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), later)
        .await
        .expect("the second writer goes on once the first commits")
        .unwrap()
        .unwrap();

    async fn kept(
        conn: &mut renkei::db::TenantConn,
    ) -> QueryResult<(Option<NaiveDate>, Option<i64>, Option<i64>, Option<i64>)> {
        accounts::table
            .find(SHOP)
            .select((
                accounts::last_transaction_date,
                accounts::last_transaction_balance,
                accounts::balance_before_day,
                accounts::balance_before_month,
            ))
            .first(conn)
            .await
    }
    let after_both = kept(&mut first).await.unwrap();
    assert_eq!(after_both.1, Some(222));
    assert_eq!(after_both.2, Some(111), "the first writer's row is in it");
    first
        .batch_execute(&format!("SELECT accounts_keep_balances(ARRAY['{SHOP}'])"))
        .await
        .unwrap();
    assert_eq!(kept(&mut first).await.unwrap(), after_both);
}

/// Balance inquiries that arrive together share statements: each still gets its own answer,
/// whoever's token it carries, whichever account it asks for, and a refusal where it earns one.
#[tokio::test]
async fn balance_inquiries_made_at_once_each_get_their_own_answer() {
    let app = TestApp::spawn_seeded().await;
    let yamada = yamada(&app).await;
    let suzuki = token(&app, "kitami", "Suzuki02", "Shinkin-2026!").await;
    let asks = [
        (yamada.as_str(), String::new(), 200, vec![HOUSEHOLD, SHOP]),
        (
            yamada.as_str(),
            format!("?accountId={SHOP}"),
            200,
            vec![SHOP],
        ),
        (yamada.as_str(), format!("?accountId={SUZUKI}"), 404, vec![]),
        (suzuki.as_str(), String::new(), 200, vec![SUZUKI]),
        (suzuki.as_str(), format!("?accountId={SHOP}"), 404, vec![]),
        ("not-a-real-token", String::new(), 401, vec![]),
    ];
    let calls = (0..20)
        .flat_map(|_| asks.iter())
        .map(|(token, query, status, ids)| {
            let app = &app;
            async move {
                let res = api(app, "kitami", &format!("accounts/balances{query}"), token).await;
                assert_eq!(res.status().as_u16(), *status, "{query}");
                let body: Value = res.json().await.unwrap();
                if *status == 200 {
                    let got: Vec<&str> = body["balances"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|b| b["accountId"].as_str().unwrap())
                        .collect();
                    assert_eq!(&got, ids, "{query}");
                }
            }
        });
    futures_util::future::join_all(calls).await;
    // 120 calls, in fewer statements than calls; the metrics say how many.
    let metrics = app.metrics().await;
    let counter = |name: &str| -> u64 {
        let line = format!("{name}{{question=\"balances\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .unwrap_or_else(|| panic!("{name} in {metrics}"))
            .parse()
            .unwrap()
    };
    let calls = counter("renkei_db_shared_statement_calls_total");
    let statements = counter("renkei_db_shared_statements_total");
    assert!(calls >= 120, "{calls} calls counted");
    assert!((1..=calls).contains(&statements), "{statements} statements");
}

/// While a tenant's statement is in flight, the calls that come wait together and go
/// as one statement, each answered with its own rows; another tenant's calls do not wait.
#[tokio::test]
async fn calls_that_come_while_a_statement_runs_go_together() {
    use std::sync::{Arc, Mutex};

    use renkei::db::batch::Batches;
    use tokio::sync::Semaphore;

    let app = TestApp::spawn_seeded().await;
    let db = app.db_pool(8);
    let (kitami, hokuto) = (TestApp::slug("kitami"), TestApp::slug("hokuto"));
    let batches: Arc<Batches<u32, Reply>> = Arc::new(Batches::new("gathering-test"));
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let gate = Arc::new(Semaphore::new(0));
    let call = |slug: &renkei::tenancy::TenantSlug, n: u32| {
        let (batches, db, slug) = (batches.clone(), db.clone(), slug.clone());
        let (sizes, gate) = (sizes.clone(), gate.clone());
        tokio::spawn(async move {
            batches
                .ask(&db, &slug, n, move |mut conn, asks| async move {
                    sizes.lock().unwrap().push(asks.clone());
                    // Each statement waits for the gate, so that the lane stays full.
                    let _pass = gate.acquire().await.unwrap();
                    let one: i32 = conn.query::<OneSql>().get_result::<One>().await?.one;
                    Ok(asks
                        .iter()
                        .enumerate()
                        .flat_map(|(i, n)| {
                            let i = i as i64;
                            [Reply(i, n * 10), Reply(i, n * 10 + one as u32)]
                        })
                        .collect())
                })
                .await
        })
    };
    // Waits until `n` statements have started.
    let started = |n: usize| {
        let sizes = sizes.clone();
        async move {
            let wait = async {
                while sizes.lock().unwrap().len() < n {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            };
            tokio::time::timeout(std::time::Duration::from_secs(10), wait)
                .await
                .unwrap_or_else(|_| panic!("statement {n} did not start"));
        }
    };
    // The first call takes the lane's one place.
    let first = call(&kitami, 1);
    started(1).await;
    let waiting: Vec<_> = (2..=6).map(|n| call(&kitami, n)).collect();
    let other = call(&hokuto, 100);
    started(2).await;
    assert_eq!(
        sizes.lock().unwrap()[1],
        vec![100],
        "another tenant's call goes at once"
    );
    gate.add_permits(100);
    for (n, call) in (1..=6).zip(std::iter::once(first).chain(waiting)) {
        assert_eq!(
            values(call.await.unwrap().unwrap()),
            vec![n * 10, n * 10 + 1]
        );
    }
    assert_eq!(values(other.await.unwrap().unwrap()), vec![1000, 1001]);
    let sizes = sizes.lock().unwrap().clone();
    assert_eq!(
        sizes,
        vec![vec![1], vec![100], vec![2, 3, 4, 5, 6]],
        "the five calls that came while a statement ran went as one"
    );
    let counted = renkei::db::batch::shared_counts()
        .into_iter()
        .find(|(q, _)| *q == "gathering-test");
    assert_eq!(counted, Some(("gathering-test", [3, 7])));
}

/// A row of the gathering test's statements: the ask it answers, and a value.
struct Reply(i64, u32);

impl renkei::db::batch::Answers for Reply {
    fn ask(&self) -> i64 {
        self.0
    }
}

fn values(replies: Vec<Reply>) -> Vec<u32> {
    replies.into_iter().map(|r| r.1).collect()
}

renkei::statement!(OneSql, "SELECT 1 AS one");

#[derive(diesel::QueryableByName)]
struct One {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    one: i32,
}
