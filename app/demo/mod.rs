//! `renkei demo seed`: the demo customers of DESIGN.md and a few more, each account with 18 months
//! of realistic, consistent movements. Deterministic and idempotent: a customer that exists is
//! left as it is.

pub mod certs;
mod history;
pub mod zengin;

use chrono::{Datelike, Months, NaiveDate, Utc};

use crate::db::Db;
use crate::i18n::Lang;
use crate::sandbox::{self, Email, LoginId, NewAccount, NewCustomer};
use crate::tenancy::TenantSlug;

pub use history::{Profile, generate};

pub struct DemoAccount {
    pub branch: (&'static str, &'static str),
    pub kind: AccountKind,
    pub number: &'static str,
    pub profile: Profile,
}

#[derive(Clone, Copy)]
pub enum AccountKind {
    Ordinary,
    Current,
}

impl AccountKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Ordinary => "01",
            Self::Current => "02",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Ordinary => "普通預金",
            Self::Current => "当座預金",
        }
    }
}

pub struct DemoCustomer {
    pub tenant: &'static str,
    pub login_id: &'static str,
    pub password: &'static str,
    pub email: &'static str,
    pub locale: Lang,
    pub name: &'static str,
    pub name_kana: &'static str,
    pub accounts: &'static [DemoAccount],
}

pub const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        tenant: "kitami",
        login_id: "Yamada01",
        password: "Shinkin-2026!",
        email: "yamada@example.jp",
        locale: Lang::Ja,
        name: "山田商店",
        name_kana: "ヤマダシヨウテン",
        accounts: &[
            DemoAccount {
                branch: ("001", "本店営業部"),
                kind: AccountKind::Ordinary,
                number: "0123456",
                profile: Profile::Household,
            },
            DemoAccount {
                branch: ("001", "本店営業部"),
                kind: AccountKind::Current,
                number: "0765432",
                profile: Profile::Shop,
            },
        ],
    },
    DemoCustomer {
        tenant: "kitami",
        login_id: "Suzuki02",
        password: "Shinkin-2026!",
        email: "suzuki@example.jp",
        locale: Lang::Ja,
        name: "鈴木 花子",
        name_kana: "スズキ ハナコ",
        accounts: &[DemoAccount {
            branch: ("012", "駅前支店"),
            kind: AccountKind::Ordinary,
            number: "0234567",
            profile: Profile::Pensioner,
        }],
    },
    DemoCustomer {
        tenant: "kitami",
        login_id: "Brown03",
        password: "Shinkin-2026!",
        email: "brown@example.jp",
        locale: Lang::En,
        name: "Emily Brown",
        name_kana: "ブラウン エミリー",
        accounts: &[DemoAccount {
            branch: ("012", "駅前支店"),
            kind: AccountKind::Ordinary,
            number: "0345678",
            profile: Profile::Household,
        }],
    },
    DemoCustomer {
        tenant: "hokuto",
        login_id: "Sato01",
        password: "Hokuto-2026!",
        email: "sato@example.jp",
        locale: Lang::Ja,
        name: "佐藤 健",
        name_kana: "サトウ ケン",
        accounts: &[DemoAccount {
            branch: ("101", "本店"),
            kind: AccountKind::Ordinary,
            number: "1234567",
            profile: Profile::Household,
        }],
    },
    DemoCustomer {
        tenant: "hokuto",
        login_id: "Kato02",
        password: "Hokuto-2026!",
        email: "kato@example.jp",
        locale: Lang::Ja,
        name: "加藤 美咲",
        name_kana: "カトウ ミサキ",
        accounts: &[DemoAccount {
            branch: ("105", "港町支店"),
            kind: AccountKind::Ordinary,
            number: "2345678",
            profile: Profile::Pensioner,
        }],
    },
];

/// The demo partner, in both tenants (DESIGN.md fixes its credentials).
pub const PARTNER_CLIENT_ID: &str = "demo-kakeibo";
pub const PARTNER_SECRET: &str = "demo-kakeibo-secret";
pub const PARTNER_REDIRECT: &str = "http://127.0.0.1:8765/callback";
/// The demo admins of the console: (tenant, e-mail, password).
pub const ADMINS: &[(&str, &str, &str)] = &[
    (
        "kitami",
        "demo-admin@kitami.example.jp",
        "Kitami-Admin-2026!",
    ),
    (
        "hokuto",
        "demo-admin@hokuto.example.jp",
        "Hokuto-Admin-2026!",
    ),
];

async fn seed_admin(
    conn: &mut crate::db::TenantConn,
    email: &str,
    password: &str,
) -> anyhow::Result<&'static str> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;

    use crate::db::schema::tenant::admins;
    let exists: i64 = admins::table
        .filter(admins::email.eq(email))
        .count()
        .get_result(conn)
        .await?;
    if exists > 0 {
        return Ok("exists, left as it is");
    }
    crate::admin::accounts::add(conn, email, password.to_owned(), crate::admin::Role::Admin)
        .await?;
    Ok("created")
}

async fn seed_partner(conn: &mut crate::db::TenantConn) -> anyhow::Result<&'static str> {
    use crate::oauth::clients::{self, AuthMethod, NewPartner};
    if clients::find(conn.statements(), PARTNER_CLIENT_ID)
        .await?
        .is_some()
    {
        return Ok("exists, left as it is");
    }
    clients::register(
        conn,
        NewPartner {
            client_id: Some(PARTNER_CLIENT_ID.into()),
            secret: Some(PARTNER_SECRET.into()),
            name_ja: "デモ家計簿".into(),
            name_en: "Demo Kakeibo".into(),
            redirect_uris: vec![PARTNER_REDIRECT.into()],
            scopes: crate::oauth::scopes::Scopes::parse("balance:read transactions:read")
                .expect("valid scopes"),
            auth_method: AuthMethod::ClientSecretBasic,
            cert_subject: None,
            par_required: false,
        },
    )
    .await?;
    Ok("registered")
}

/// A live demo grant: Yamada01 allowed demo-kakeibo to read both accounts, as if through the
/// consent pages, so notices and the API have something to show right after `make run`.
async fn seed_grant(db: &Db) -> anyhow::Result<String> {
    use diesel::prelude::*;
    use diesel_async::{AsyncConnection, RunQueryDsl};

    use crate::db::schema::tenant::grants;
    let slug = TenantSlug::parse("kitami").expect("valid");
    // Settings first: a small pool may have only the one connection taken below.
    let tenant = crate::tenancy::TenantRegistry::new(db.clone(), std::time::Duration::ZERO)
        .find("kitami")
        .await?
        .ok_or_else(|| anyhow::anyhow!("tenant kitami is missing"))?;
    let mut conn = db.tenant(&slug).await?;
    let customer = sandbox::find_customer(&mut conn, &LoginId::parse("Yamada01").expect("valid"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("Yamada01 is missing"))?;
    let partner = crate::oauth::clients::find(conn.statements(), PARTNER_CLIENT_ID)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{PARTNER_CLIENT_ID} is missing"))?;
    let live: Option<chrono::DateTime<Utc>> = grants::table
        .filter(grants::customer_id.eq(customer.0))
        .filter(grants::partner_id.eq(partner.id))
        .filter(grants::revoked_at.is_null())
        .select(grants::expires_at)
        .first(&mut conn)
        .await
        .optional()?;
    // The hosted core takes a connection of its own.
    drop(conn);
    let (expires, what) = match live {
        Some(expires) => (expires, "exists, left as it is"),
        None => {
            let accounts: Vec<_> =
                crate::bank::CoreBanking::accounts(&tenant.core, db, &tenant.slug, customer)
                    .await?
                    .into_iter()
                    .map(|a| a.account_id)
                    .collect();
            let settings = tenant.settings.clone();
            let expires = db
                .tenant(&slug)
                .await?
                .transaction::<_, anyhow::Error, _>(async |conn| {
                    let created = crate::grants::create(
                        conn,
                        crate::grants::NewGrant {
                            customer: customer.0,
                            partner: partner.id,
                            scopes: &partner.scopes,
                            accounts: &accounts,
                            terms_version: &settings.terms.version,
                            grant_days: settings.grant_days,
                            notice_days: &settings.notice_days,
                            link_notice: false,
                            consent_text_hash: None,
                            at: chrono::Utc::now(),
                        },
                    )
                    .await?;
                    Ok(created.expires_at)
                })
                .await?;
            (expires, "created")
        }
    };
    let first_notice = expires - chrono::Duration::days(29);
    Ok(format!(
        "kitami: demo grant Yamada01 → {PARTNER_CLIENT_ID} {what}; it expires {} (JST). \
         Try: target/release/renkei notices run --once --now {}",
        expires
            .with_timezone(&crate::format::jst())
            .format("%Y-%m-%d %H:%M"),
        first_notice
            .with_timezone(&crate::format::jst())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    ))
}

/// Today in Japan, where business dates live.
pub fn today_jst() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(9)).date_naive()
}

/// Seeds every demo customer whose tenant exists; returns lines to print.
pub async fn seed(db: &Db, today: NaiveDate) -> anyhow::Result<Vec<String>> {
    let start = today
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(18)))
        .expect("a valid date");
    let mut lines = Vec::new();
    for tenant in ["kitami", "hokuto"] {
        let slug = TenantSlug::parse(tenant).expect("demo slugs are valid");
        let mut conn = db.tenant(&slug).await?;
        let what = seed_partner(&mut conn).await.map_err(|e| {
            anyhow::anyhow!(
                "tenant '{slug}' is not ready ({e:#}); run `renkei tenants apply` first"
            )
        })?;
        lines.push(format!("{slug}: partner {PARTNER_CLIENT_ID} {what}"));
        for (_, email, password) in ADMINS.iter().filter(|a| a.0 == tenant) {
            let what = seed_admin(&mut conn, email, password).await?;
            lines.push(format!("{slug}: admin {email} {what}"));
        }
    }
    for c in CUSTOMERS {
        let slug = TenantSlug::parse(c.tenant).expect("demo slugs are valid");
        let mut conn = db.tenant(&slug).await?;
        let login_id = LoginId::parse(c.login_id).expect("demo IDs are valid");
        let exists = sandbox::find_customer(&mut conn, &login_id)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "tenant '{slug}' is not ready ({e}); run `renkei tenants apply` first"
                )
            })?;
        if exists.is_some() {
            lines.push(format!("{slug}: {} exists, left as it is", c.login_id));
            continue;
        }
        let customer = sandbox::add_customer(
            &mut conn,
            NewCustomer {
                login_id,
                password: c.password.to_owned(),
                email: Email::parse(c.email).expect("demo e-mails are valid"),
                locale: c.locale,
                name: c.name.to_owned(),
                name_kana: c.name_kana.to_owned(),
            },
        )
        .await?;
        let mut rows = 0;
        for (i, a) in c.accounts.iter().enumerate() {
            let account = sandbox::open_account(
                &mut conn,
                customer,
                NewAccount {
                    branch_code: a.branch.0.to_owned(),
                    branch_name: a.branch.1.to_owned(),
                    account_type_code: a.kind.code().to_owned(),
                    account_type_name: a.kind.name().to_owned(),
                    account_number: a.number.to_owned(),
                    account_name: c.name.to_owned(),
                    account_name_kana: c.name_kana.to_owned(),
                    opened_on: start,
                },
            )
            .await?;
            let seed = seed_of(c.tenant, c.login_id, i);
            let movements = generate(a.profile, seed, start, today);
            rows += movements.len();
            sandbox::post(&mut conn, &account, movements).await?;
        }
        lines.push(format!(
            "{slug}: {} created with {} account(s), {rows} transactions",
            c.login_id,
            c.accounts.len()
        ));
    }
    lines.push(seed_grant(db).await?);
    Ok(lines)
}

/// A stable seed per account, so every machine gets the same demo history.
fn seed_of(tenant: &str, login_id: &str, index: usize) -> u64 {
    format!("{tenant}/{login_id}/{index}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
}

/// The credentials block `demo seed` prints (also in the README).
pub fn credentials() -> String {
    let mut out = String::from("Demo logins (tenant / customer ID / password):\n");
    for c in CUSTOMERS {
        out.push_str(&format!(
            "  {:<8} {:<10} {}   ({} account(s), {})\n",
            c.tenant,
            c.login_id,
            c.password,
            c.accounts.len(),
            c.locale.code()
        ));
    }
    out.push_str(&format!(
        "Demo partner in both tenants: client_id {PARTNER_CLIENT_ID}, secret {PARTNER_SECRET}, redirect {PARTNER_REDIRECT}\n"
    ));
    out.push_str("Admin console (/t/<tenant>/admin; TOTP set up at the first sign-in):\n");
    for (tenant, email, password) in ADMINS {
        out.push_str(&format!("  {tenant:<8} {email}   {password}\n"));
    }
    out
}
