//! The project-local PostgreSQL cluster (`scripts/pg-local.sh`) listens on a port chosen per
//! checkout and recorded in `.data/pg-port`. While the database URL is the compiled-in default
//! (neither `RENKEI__DATABASE__URL` nor an edited `config/default.toml` changes it), `renkei`
//! follows that record, so `target/release/renkei <command>` reaches `make run`'s database.

use std::path::{Path, PathBuf};

use url::Url;

/// Where `scripts/pg-local.sh` records the port, relative to the checkout.
const PORT_FILE: &str = ".data/pg-port";

/// Where to look for the record: above the binary (the checkout it was built in) first, then
/// above the current directory.
pub fn search_starts() -> Vec<PathBuf> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    [exe_dir, std::env::current_dir().ok()]
        .into_iter()
        .flatten()
        .collect()
}

/// The port in the nearest `.data/pg-port` at or above one of `starts`, the first start first.
/// The first record found decides; one that is not a port number counts as none.
pub fn recorded_port(starts: &[PathBuf]) -> Option<u16> {
    let file = starts
        .iter()
        .flat_map(|start| start.ancestors())
        .map(|dir| dir.join(PORT_FILE))
        .find(|file| file.is_file())?;
    std::fs::read_to_string(file)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&port| port != 0)
}

/// `url` pointed at the recorded `port`, when it is the `default` URL and a port was recorded.
pub fn follow(url: &str, default: &str, port: Option<u16>) -> Option<String> {
    if url != default {
        return None;
    }
    let mut url = Url::parse(url).ok()?;
    url.set_port(Some(port?)).ok()?;
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "postgres://renkei@127.0.0.1:54329/renkei";

    /// A directory of its own under the system's temporary directory, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "renkei-config-{name}-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn record(&self, dir: &str, content: &str) -> PathBuf {
            let dir = self.0.join(dir);
            std::fs::create_dir_all(dir.join(".data")).unwrap();
            std::fs::write(dir.join(PORT_FILE), content).unwrap();
            dir
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_record_is_found_above_the_start() {
        let scratch = Scratch::new("above");
        let checkout = scratch.record("checkout", "54331\n");
        let deep = checkout.join("target/release");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(recorded_port(&[deep]), Some(54331));
    }

    #[test]
    fn the_first_start_wins_and_nothing_found_is_none() {
        let scratch = Scratch::new("order");
        let binary = scratch.record("binary", "54340");
        let cwd = scratch.record("cwd", "54350");
        assert_eq!(recorded_port(&[binary.clone(), cwd.clone()]), Some(54340));
        assert_eq!(recorded_port(&[cwd]), Some(54350));
        let bare = scratch.0.join("bare");
        std::fs::create_dir_all(&bare).unwrap();
        assert_eq!(recorded_port(&[bare]), None);
    }

    #[test]
    fn a_record_that_is_not_a_port_counts_as_none() {
        let scratch = Scratch::new("bad");
        for content in ["", "port", "70000", "0", "-1"] {
            let dir = scratch.record("checkout", content);
            assert_eq!(recorded_port(&[dir]), None, "{content:?}");
        }
    }

    fn load(env: &[(&str, &str)], starts: &[PathBuf]) -> super::super::Settings {
        let map = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        super::super::Settings::from_sources(
            config::Environment::with_prefix("RENKEI")
                .separator("__")
                .source(Some(map)),
            starts,
        )
        .unwrap()
    }

    #[test]
    fn settings_follow_the_record_unless_the_environment_names_a_database() {
        let scratch = Scratch::new("settings");
        let checkout = scratch.record("checkout", "54333");
        let s = load(&[], std::slice::from_ref(&checkout));
        assert_eq!(s.database.url, "postgres://renkei@127.0.0.1:54333/renkei");
        assert_eq!(load(&[], &[]).database.url, DEFAULT);
        let set = [("RENKEI__DATABASE__URL", DEFAULT)];
        assert_eq!(load(&set, &[checkout]).database.url, DEFAULT);
    }

    #[test]
    fn only_the_default_url_follows_the_record() {
        assert_eq!(
            follow(DEFAULT, DEFAULT, Some(54330)).as_deref(),
            Some("postgres://renkei@127.0.0.1:54330/renkei")
        );
        assert_eq!(follow(DEFAULT, DEFAULT, None), None);
        let other = "postgres://renkei@db.example.jp:5432/renkei";
        assert_eq!(follow(other, DEFAULT, Some(54330)), None);
    }
}
