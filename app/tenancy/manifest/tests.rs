//! `tenant.toml` as people write it: defaults, and every bad field named with its key.

use super::*;

const GOOD: &str = r##"
slug = "kitami"
password_help_url = "https://kitami.example.jp/help/password"
logo = "logo.svg"
[name]
ja = "北見信用金庫"
en = "Kitami Shinkin Bank"
[colors]
primary = "#005BAC"
accent = "#00874a"
[terms]
url = "https://kitami.example.jp/api/terms"
version = "2026-04"
[terms.name]
ja = "しんきんAPIサービス利用規約"
en = "Shinkin API Service Terms of Use"
[mail]
from = "api-service@kitami.example.jp"
[contact]
ja = "北見信用金庫 お客さまサポート 0120-000-000（平日 9:00〜17:00）"
en = "Kitami Shinkin customer support 0120-000-000 (weekdays 9:00-17:00)"
"##;

const SVG: &[u8] = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>"#;

fn parse_at(dir: &str, text: &str) -> Result<TenantManifest, Vec<FieldError>> {
    let file = PathBuf::from(format!("tenants/{dir}/tenant.toml"));
    parse(&file, text, |_| Ok(SVG.to_vec()))
}

#[test]
fn mail_links_default_to_none_and_site_needs_a_site_url() {
    let m = parse_at("kitami", GOOD).unwrap();
    assert_eq!(m.settings.mail.links, MailLinks::None);
    assert_eq!(m.settings.site_url, None);
    let site = GOOD.replace("[mail]\n", "[mail]\nlinks = \"site\"\n");
    let errors = parse_at("kitami", &site).unwrap_err();
    assert!(errors.iter().any(|e| e.key == "mail.links"), "{errors:?}");
    let with_url = site.replacen(
        "[name]",
        "site_url = \"https://www.kitami.example.jp/\"\n[name]",
        1,
    );
    let m = parse_at("kitami", &with_url).unwrap();
    assert_eq!(m.settings.mail.links, MailLinks::Site);
    assert_eq!(
        m.settings.site_url.as_deref(),
        Some("https://www.kitami.example.jp/")
    );
    let bad = GOOD.replace("[mail]\n", "[mail]\nlinks = \"everywhere\"\n");
    assert!(parse_at("kitami", &bad).is_err());
}

fn keys(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.key.as_str()).collect()
}

#[test]
fn good_manifest_gets_defaults() {
    let m = parse_at("kitami", GOOD).unwrap();
    assert_eq!(m.slug.as_str(), "kitami");
    assert_eq!(m.settings.grant_days, 90);
    assert_eq!(m.settings.notice_days, vec![30, 7, 1]);
    assert_eq!(m.settings.lockout_threshold, 5);
    assert_eq!(m.settings.colors.primary, "#005bac");
    assert_eq!(m.logo.content_type, "image/svg+xml");
}

#[test]
fn every_bad_field_is_reported_with_its_key() {
    let text = GOOD
        .replace("#005BAC", "blue")
        .replace("https://kitami.example.jp/api/terms", "ftp://x")
        .replace("api-service@kitami.example.jp", "nobody")
        .replace("ja = \"北見信用金庫\"", "ja = \"\"")
        + "[grants]\ndays = 120\nnotice_days = [30, 30, 0]\n";
    let errors = parse_at("kitami", &text).unwrap_err();
    let keys = keys(&errors);
    for key in [
        "colors.primary",
        "terms.url",
        "mail.from",
        "name.ja",
        "grants.days",
        "grants.notice_days",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert!(
        errors[0]
            .to_string()
            .starts_with("tenants/kitami/tenant.toml: ")
    );
}

#[test]
fn the_bank_seams_are_hosted_unless_the_file_names_another() {
    use crate::tenancy::settings::{CoreKind, DirectoryKind};
    let m = parse_at("kitami", GOOD).unwrap();
    assert_eq!(m.settings.bank.directory, DirectoryKind::Hosted);
    assert_eq!(m.settings.bank.core, CoreKind::Hosted);
    let named = format!("{GOOD}\n[bank]\ndirectory = \"hosted\"\ncore = \"hosted\"\n");
    assert_eq!(
        parse_at("kitami", &named).unwrap().settings.bank,
        m.settings.bank
    );
    let unknown = format!("{GOOD}\n[bank]\ncore = \"mainframe\"\n");
    let errors = parse_at("kitami", &unknown).unwrap_err();
    let text = errors[0].to_string();
    assert!(
        text.contains("mainframe") && text.contains("hosted"),
        "{text}"
    );
}

#[test]
fn unknown_or_missing_key_is_named() {
    let errors = parse_at("kitami", &GOOD.replace("[mail]", "[mail]\nform = \"x\"")).unwrap_err();
    assert_eq!(errors[0].key, "form", "{errors:?}");
    let errors = parse_at("kitami", &GOOD.replace("slug = \"kitami\"", "")).unwrap_err();
    assert_eq!(errors[0].key, "slug", "{errors:?}");
}

#[test]
fn slug_must_be_valid_and_match_folder() {
    let errors = parse_at("kitami", &GOOD.replace("\"kitami\"", "\"Kitami\"")).unwrap_err();
    assert_eq!(keys(&errors), vec!["slug"]);
    let errors = parse_at("other", GOOD).unwrap_err();
    assert_eq!(keys(&errors), vec!["slug"]);
    assert!(errors[0].message.to_string().contains("folder"));
}

#[test]
fn notice_days_are_sorted_latest_first() {
    let m = parse_at(
        "kitami",
        &(GOOD.to_owned() + "[grants]\nnotice_days = [1, 14]\n"),
    )
    .unwrap();
    assert_eq!(m.settings.notice_days, vec![14, 1]);
}

#[test]
fn http_is_only_for_this_machine() {
    assert!(check_url("https://bank.example.jp/x").is_ok());
    assert!(check_url("http://127.0.0.1:8080/x").is_ok());
    assert!(check_url("http://bank.example.jp/x").is_err());
    assert!(check_url("javascript:alert(1)").is_err());
}

#[test]
fn core_names_the_banks_ca_beside_it_and_a_subject() {
    let ca = crate::certs::dev::DevCa::generate("Kitami Core Systems CA").unwrap();
    let pem = ca.cert_pem();
    let text = format!(
        "{GOOD}[core]\nclient_ca = \"core-ca.pem\"\nclient_cert_subject = \"CN=fb.kitami.example.jp, O=Kitami, C=JP\"\n"
    );
    let file = PathBuf::from("tenants/kitami/tenant.toml");
    let m = parse(&file, &text, |name| {
        Ok(if name == "core-ca.pem" {
            pem.clone().into_bytes()
        } else {
            SVG.to_vec()
        })
    })
    .unwrap();
    let core = m.settings.core.unwrap();
    assert_eq!(core.client_ca_pem, pem);
    assert_eq!(
        core.client_cert_subject,
        "CN=fb.kitami.example.jp,O=Kitami,C=JP"
    );
    // Not a CA, and not a subject: each named by its key.
    let bad = text.replace("CN=fb.kitami.example.jp, O=Kitami, C=JP", "no equals sign");
    let keys: Vec<String> = parse_at("kitami", &bad)
        .unwrap_err()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(keys, ["core.client_ca", "core.client_cert_subject"]);
}

#[test]
fn the_banks_sign_in_takes_its_defaults_and_refuses_a_table_without_its_directory() {
    use crate::tenancy::settings::{ClientAuth, DirectoryKind, OidcShow};
    let oidc = "\n[bank.oidc]\nissuer = \"https://idp.kitami.example.jp\"\nclient_id = \"renkei\"\nclient_auth = \"private_key_jwt\"\n";
    let m = parse_at(
        "kitami",
        &format!("{GOOD}\n[bank]\ndirectory = \"oidc\"\n{oidc}"),
    )
    .unwrap();
    assert_eq!(m.settings.bank.directory, DirectoryKind::Oidc);
    let o = m.settings.bank.oidc.as_ref().unwrap();
    assert_eq!(
        (o.claim.as_str(), o.show, o.timeout_ms, o.client_auth),
        ("sub", OidcShow::Beside, 3000, ClientAuth::PrivateKeyJwt)
    );
    assert!(o.acr_values.is_empty() && o.max_age.is_none());
    assert!(m.oidc_client_secret.is_none());
    assert!(m.settings.bank.password_form() && !m.settings.bank.own_lockout());

    let keys = |text: &str| -> Vec<String> {
        parse_at("kitami", text)
            .unwrap_err()
            .into_iter()
            .map(|e| e.key)
            .collect()
    };
    assert_eq!(keys(&format!("{GOOD}\n[bank]\n{oidc}")), ["bank.directory"]);
    assert_eq!(
        keys(&format!("{GOOD}\n[bank]\ndirectory = \"oidc\"\n")),
        ["bank.oidc"]
    );
    let with_secret = oidc.replace(
        "client_auth = \"private_key_jwt\"",
        "client_auth = \"private_key_jwt\"\nclient_secret_file = \"secret\"",
    );
    assert_eq!(
        keys(&format!(
            "{GOOD}\n[bank]\ndirectory = \"oidc\"\n{with_secret}"
        )),
        ["bank.oidc.client_secret_file"]
    );
}
