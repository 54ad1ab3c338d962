use super::kek::{self, Keyring, NO_KEK};
use crate::config::KeySettings;

fn settings(
    kek_file: Option<std::path::PathBuf>,
    previous: Vec<std::path::PathBuf>,
) -> KeySettings {
    KeySettings {
        kek_file,
        previous_kek_files: previous,
        retire_after_hours: 72,
    }
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("renkei-kek-{}", uuid::Uuid::new_v4().simple()));
    dir.join(name)
}

#[test]
fn what_is_sealed_opens_under_its_label_only() {
    let ring = Keyring::ephemeral();
    let sealed = ring
        .seal("public.platform_keys/cursor", b"secret bytes")
        .unwrap();
    assert_eq!(sealed.sealed_by, ring.current_id());
    assert!(!sealed.bytes.windows(6).any(|w| w == b"secret"));
    assert_eq!(
        &**ring.open("public.platform_keys/cursor", &sealed).unwrap(),
        b"secret bytes"
    );
    let elsewhere = ring.open("kitami/signing_keys/x", &sealed).unwrap_err();
    assert!(
        elsewhere.to_string().contains("does not open"),
        "{elsewhere}"
    );
    let mut altered = sealed.clone();
    altered.bytes[14] ^= 1;
    assert!(ring.open("public.platform_keys/cursor", &altered).is_err());
    // Twice the same value, two different sealed values (a fresh nonce each time).
    assert_ne!(
        ring.seal("l", b"v").unwrap().bytes,
        ring.seal("l", b"v").unwrap().bytes
    );
}

#[test]
fn a_value_of_another_kek_names_both_and_the_previous_kek_opens_it() {
    let (old_file, new_file) = (temp("old"), temp("new"));
    kek::create_file(&old_file).unwrap();
    kek::create_file(&new_file).unwrap();
    let old = Keyring::load(&settings(Some(old_file.clone()), vec![])).unwrap();
    let new = Keyring::load(&settings(Some(new_file.clone()), vec![])).unwrap();
    let sealed = old.seal("label", b"value").unwrap();
    let refused = new.open("label", &sealed).unwrap_err().to_string();
    assert!(
        refused.contains(old.current_id()) && refused.contains(new.current_id()),
        "{refused}"
    );
    let both = Keyring::load(&settings(Some(new_file.clone()), vec![old_file.clone()])).unwrap();
    assert_eq!(&**both.open("label", &sealed).unwrap(), b"value");
    assert_eq!(
        both.seal("label", b"value").unwrap().sealed_by,
        new.current_id()
    );
    for f in [old_file, new_file] {
        let _ = std::fs::remove_dir_all(f.parent().unwrap());
    }
}

#[test]
fn without_a_kek_file_the_refusal_is_one_line() {
    let err = Keyring::load(&settings(None, vec![]))
        .unwrap_err()
        .to_string();
    assert_eq!(err, NO_KEK);
    assert!(!err.contains('\n'));
    let missing = Keyring::load(&settings(Some(temp("absent")), vec![])).unwrap_err();
    assert!(
        format!("{missing:#}").starts_with("keys.kek_file "),
        "{missing:#}"
    );
}

#[cfg(unix)]
#[test]
fn a_new_kek_is_its_owners_alone_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt as _;
    let file = temp("kek");
    let id = kek::create_file(&file).unwrap();
    assert_eq!(id.len(), 16);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let before = std::fs::read(&file).unwrap();
    assert!(kek::create_file(&file).is_err());
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let ring = Keyring::load(&settings(Some(file.clone()), vec![])).unwrap();
    assert_eq!(ring.current_id(), id);
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}
