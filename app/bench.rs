//! `renkei bench seed`: a database at the scale `make bench` measures (thousands of customers,
//! tens of thousands of live grants, millions of transactions), built with set-based SQL in a
//! minute or two, and the bench tokens written to files for wrk's scripts.
//!
//! Bench tokens are derived from a name (`bat-<tenant>-<n>`) instead of drawn at random, so the
//! scripts can present them; they exist only in a bench database.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use futures_util::{StreamExt as _, TryStreamExt as _};

use crate::db::{Db, TenantConn};
use crate::tenancy::TenantSlug;

pub struct Scale {
    pub customers_per_tenant: i64,
    pub transactions_per_account: i64,
}

/// Tenants seeded, or provisioned, at the same time.
const TENANTS_AT_ONCE: usize = 2;

fn say(line: &str) {
    eprintln!("==> {line}");
}

async fn exec(conn: &mut TenantConn, what: &str, sql: &str) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    conn.batch_execute(sql)
        .await
        .with_context(|| format!("{}: {what}", conn.slug()))?;
    say(&format!(
        "  {}: {what} ({:.1} s)",
        conn.slug(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Seeds one tenant; returns the token lines for the scripts: `token account`.
async fn seed_tenant(
    db: &Db,
    slug: &TenantSlug,
    scale: &Scale,
    phc: &str,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut conn = db.tenant(slug).await?;
    // Bulk statements outlast the service's statement timeout; this session only.
    conn.batch_execute("SET statement_timeout = 0").await?;
    let n = scale.customers_per_tenant;
    let per = scale.transactions_per_account;
    let s = slug.as_str();
    exec(&mut conn, "partners", "
        INSERT INTO partners (id, client_id, client_secret_hash, name_ja, name_en, redirect_uris, scopes, auth_method)
        SELECT gen_random_uuid(), c, sha256(convert_to('bench-secret', 'UTF8')), 'ベンチ ' || c, 'Bench ' || c,
               ARRAY['http://127.0.0.1:8765/callback'], ARRAY['balance:read', 'transactions:read'], 'client_secret_basic'
          FROM unnest(ARRAY['bench-a', 'bench-b']) c
        ON CONFLICT (client_id) DO NOTHING").await?;
    exec(&mut conn, &format!("{n} customers"), &format!("
        INSERT INTO customers (id, login_id, password_hash, email, locale, name, name_kana)
        SELECT gen_random_uuid(), 'B' || lpad(i::text, 6, '0'), '{phc}', 'b' || i || '@example.jp', 'ja',
               '顧客' || i, 'コキャク'
          FROM generate_series(1, {n}) i
        ON CONFLICT (login_id) DO NOTHING")).await?;
    exec(&mut conn, "accounts", "
        INSERT INTO accounts (account_id, customer_id, branch_code, branch_name, account_type_code,
                              account_type_name, account_number, account_name, account_name_kana, opened_on)
        SELECT '20101' || lpad(substr(c.login_id, 2), 7, '0'), c.id, '201', 'ベンチ支店', '01', '普通預金',
               lpad(substr(c.login_id, 2), 7, '0'), c.name, c.name_kana, current_date - 420
          FROM customers c WHERE c.login_id LIKE 'B%'
        ON CONFLICT (account_id) DO NOTHING").await?;
    exec(&mut conn, &format!("{} transactions", n * per), &format!("
        INSERT INTO transactions (account_id, transaction_date, value_date, transaction_type, amount, remarks, balance)
        SELECT account_id, d, d, tt, amt, CASE tt WHEN 1 THEN '振込入金' ELSE 'カード' END,
               1000000 + sum(CASE tt WHEN 1 THEN amt ELSE -amt END) OVER (PARTITION BY account_id ORDER BY k)
          FROM (SELECT a.account_id, k, current_date - 400 + (k * 400 / {per})::int AS d,
                       (CASE WHEN k % 3 = 0 THEN 2 ELSE 1 END)::smallint AS tt,
                       (100 + (k * 7919 + length(a.account_id)) % 5000)::bigint AS amt
                  FROM accounts a CROSS JOIN generate_series(1, {per}) k
                 WHERE a.account_id LIKE '20101%'
                   AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.account_id = a.account_id)) s
         ORDER BY account_id, k;
        UPDATE accounts a SET balance = t.balance
          FROM (SELECT DISTINCT ON (account_id) account_id, balance FROM transactions
                 WHERE account_id LIKE '20101%' ORDER BY account_id, transaction_date DESC, id DESC) t
         WHERE a.account_id = t.account_id")).await?;
    exec(&mut conn, &format!("{} grants", n * 2), "
        INSERT INTO grants (id, customer_id, partner_id, scopes, created_at, expires_at, terms_version)
        SELECT gen_random_uuid(), c.id, p.id, ARRAY['balance:read', 'transactions:read'], now(),
               now() + interval '90 days', 'bench'
          FROM customers c CROSS JOIN partners p
         WHERE c.login_id LIKE 'B%' AND p.client_id IN ('bench-a', 'bench-b')
        ON CONFLICT DO NOTHING;
        INSERT INTO grant_accounts (grant_id, account_id)
        SELECT g.id, a.account_id FROM grants g JOIN accounts a ON a.customer_id = g.customer_id
          JOIN partners p ON p.id = g.partner_id WHERE p.client_id LIKE 'bench-%'
        ON CONFLICT DO NOTHING").await?;
    exec(&mut conn, "tokens", &format!("
        DELETE FROM tokens t USING grants g, partners p
         WHERE t.grant_id = g.id AND p.id = g.partner_id AND p.client_id LIKE 'bench-%';
        INSERT INTO tokens (token_hash, grant_id, kind, expires_at)
        SELECT sha256(convert_to(prefix || '-{s}-' || n, 'UTF8')), id, kind, now() + interval '6 hours'
          FROM (SELECT g.id, row_number() OVER (ORDER BY g.id) AS n FROM grants g
                  JOIN partners p ON p.id = g.partner_id
                 WHERE p.client_id = 'bench-a' AND g.revoked_at IS NULL) x
         CROSS JOIN (VALUES ('bat', 'access'), ('brt1', 'refresh'), ('brt2', 'refresh'), ('brt3', 'refresh'),
                            ('brt4', 'refresh'), ('brt5', 'refresh')) v(prefix, kind)")).await?;
    // The loaded tables vacuumed (visibility map and hint bits set, as in a database long in
    // service) and their statistics taken, once this session's counts of the rows it wrote have
    // reached the statistics system: a VACUUM or ANALYZE that came first would leave them
    // counting as new since, and autovacuum would vacuum and analyse every seeded tenant again,
    // all at once, during the runs that follow (each connection then plans those tenants'
    // statements again). A small tenant's tables stay below autovacuum's insert threshold
    // (1,000 rows), and a thousand of them are seeded: those are only analysed.
    exec(&mut conn, "row counts", "SELECT pg_stat_force_next_flush()").await?;
    let tables = "customers, accounts, transactions, grants, grant_accounts, tokens";
    if n * per >= 1_000 {
        exec(
            &mut conn,
            "vacuum and statistics",
            &format!("VACUUM (ANALYZE) {tables}"),
        )
        .await?;
    } else {
        exec(&mut conn, "statistics", &format!("ANALYZE {tables}")).await?;
    }

    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Text)]
        account_id: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT row_number() OVER (ORDER BY g.id) AS n, ga.account_id
           FROM grants g JOIN partners p ON p.id = g.partner_id JOIN grant_accounts ga ON ga.grant_id = g.id
          WHERE p.client_id = 'bench-a' AND g.revoked_at IS NULL ORDER BY g.id",
    )
    .load(&mut conn)
    .await?;
    conn.batch_execute("RESET statement_timeout").await?;
    let access = rows
        .iter()
        .map(|r| format!("bat-{s}-{} {}", r.n, r.account_id))
        .collect();
    // Refresh tokens rotate: each bench run gets a set of its own (brt1 … brt5).
    let refresh = (1..=5)
        .flat_map(|set| {
            rows.iter()
                .map(move |r| format!("brt{set}-{s}-{} {set}", r.n))
        })
        .collect();
    Ok((access, refresh))
}

/// Seeds every given tenant and writes `access.txt` (`token account tenant`) and `refresh.txt`
/// (`token run tenant`, one set per bench run) into `out`.
pub async fn seed(
    db: &Db,
    tenants: &[TenantSlug],
    scale: &Scale,
    out: &Path,
) -> anyhow::Result<()> {
    let phc = crate::secrets::hash_password("Bench-2026!".into()).await?;
    std::fs::create_dir_all(out)?;
    let (mut access, mut refresh) = (String::new(), String::new());
    // PostgreSQL runs each tenant's bulk statements on one core: two tenants at once keep both
    // cores of a small machine busy. The lines are written in the tenants' order all the same.
    let seeded: Vec<_> = futures_util::stream::iter(tenants)
        .map(|slug| {
            let phc = &phc;
            async move {
                say(&format!("seeding {slug}"));
                seed_tenant(db, slug, scale, phc)
                    .await
                    .map(|lines| (slug, lines))
            }
        })
        .buffered(TENANTS_AT_ONCE)
        .try_collect()
        .await?;
    for (slug, (a, r)) in seeded {
        for line in a {
            let _ = writeln!(access, "{line} {slug}");
        }
        for line in r {
            let _ = writeln!(refresh, "{line} {slug}");
        }
    }
    std::fs::write(out.join("access.txt"), access)?;
    std::fs::write(out.join("refresh.txt"), refresh)?;
    Ok(())
}

/// Provisions `count` tenants in all (cloning `template`'s settings), for the many-schema run.
/// A few at once: PostgreSQL runs each tenant's migrations (DDL) on one core.
pub async fn provision_tenants(
    url: &str,
    template: &crate::tenancy::TenantManifest,
    count: usize,
) -> anyhow::Result<usize> {
    let manifests = (1..=count)
        .map(|i| {
            let mut m = template.clone();
            m.slug =
                TenantSlug::parse(&format!("bench-{i:04}")).map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(m)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut reports = futures_util::stream::iter(manifests)
        .map(|m| crate::db::migrate::apply_tenant(url, m, None))
        .buffer_unordered(TENANTS_AT_ONCE);
    let (mut done, mut created) = (0, 0);
    while let Some(report) = reports.next().await {
        done += 1;
        if report?.schema_created {
            created += 1;
        }
        if done % 100 == 0 {
            say(&format!("  {done}/{count} tenant schemas"));
        }
    }
    Ok(created)
}

/// `EXPLAIN (ANALYZE, BUFFERS)` of the transactions page query, as the API runs it.
pub async fn explain_transactions(
    db: &Db,
    slug: &TenantSlug,
    token: &str,
    account: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> anyhow::Result<String> {
    use crate::db::prepared::Sql;
    let mut conn = db.tenant(slug).await?;
    let mut sql = String::new();
    let text = crate::sandbox::partner_data::transactions::TransactionsSql::SQL
        .replace("{schema}", &slug.schema().quoted());
    for (i, part) in text.split('?').enumerate() {
        if i > 0 {
            let _ = write!(sql, "${i}");
        }
        sql.push_str(part);
    }
    let hash = crate::secrets::hex(&crate::secrets::sha256(token));
    conn.batch_execute(&format!(
        "PREPARE bench_tx (text, bytea, date, date, date, bigint, integer) AS {sql}"
    ))
    .await?;
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let lines: Vec<Line> = diesel::sql_query(format!(
        "EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_tx('{account}', '\\x{hash}', '{from}', '{to}', '1900-01-01', 0, 501)"
    ))
    .load(&mut conn)
    .await?;
    conn.batch_execute("DEALLOCATE bench_tx").await?;
    Ok(lines
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n"))
}
