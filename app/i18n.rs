//! Languages and the messages in them: Japanese by default, English with `?lang=en` or the
//! switch, remembered in a cookie. Every floor of the house speaks through this, so it imports
//! nothing of ours.

use fluent_templates::{LanguageIdentifier, Loader, langid};
use serde::Serialize;

fluent_templates::static_loader! {
    pub static LOCALES = {
        locales: "./locales",
        fallback_language: "ja",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

pub const COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "ja" => Some(Self::Ja),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::Ja => Self::En,
            Self::En => Self::Ja,
        }
    }

    pub fn id(self) -> LanguageIdentifier {
        match self {
            Self::Ja => langid!("ja"),
            Self::En => langid!("en"),
        }
    }

    /// What joins the items of a list in running text: 本店 普通預金 1234567、本店 … / …, ….
    pub fn list_sep(self) -> &'static str {
        match self {
            Self::Ja => "、",
            Self::En => ", ",
        }
    }

    /// What joins a list of names: 残高照会・入出金明細照会 / Balance inquiry, Transaction history.
    pub fn names_sep(self) -> &'static str {
        match self {
            Self::Ja => "・",
            Self::En => ", ",
        }
    }

    /// A message from `locales/<lang>/*.ftl`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(&self.id(), key)
    }
}

/// A message with arguments, e.g. `{ $terms }`.
pub fn t_args(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let args: std::collections::HashMap<
        std::borrow::Cow<'static, str>,
        fluent_templates::fluent_bundle::FluentValue<'_>,
    > = args
        .iter()
        .map(|(k, v)| (std::borrow::Cow::Owned((*k).to_owned()), (*v).into()))
        .collect();
    LOCALES.lookup_with_args(&lang.id(), key, &args)
}

/// A message that may be shown in either language: an id of `locales/*/main.ftl` and its
/// arguments. Checks shared by the console and the command line return it, so that an admin
/// reads it in the console's language and the command line prints it in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    id: &'static str,
    args: Vec<(&'static str, String)>,
}

impl Message {
    pub fn new(id: &'static str) -> Self {
        Self {
            id,
            args: Vec::new(),
        }
    }

    /// The message with one more argument, `{ $name }` in the message.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn text(&self, lang: Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        t_args(lang, self.id, &args)
    }
}

/// In English, as the command line prints it.
impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_both_languages() {
        let ja = include_str!("../locales/ja/main.ftl");
        let en = include_str!("../locales/en/main.ftl");
        let keys = |s: &str| -> Vec<String> {
            let mut k: Vec<String> = s
                .lines()
                .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
                .map(|l| l.split(" =").next().unwrap().trim().to_owned())
                .collect();
            k.sort();
            k
        };
        assert_eq!(keys(ja), keys(en));
        assert!(!keys(ja).is_empty());
    }

    /// Every message the code names with [`Message::new`] is in the locales (the keys of both
    /// are the same by the test above), so no check answers with a missing message's id.
    #[test]
    fn every_message_the_code_names_exists() {
        fn sources(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let mut texts = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("app"),
            &mut texts,
        );
        let en = include_str!("../locales/en/main.ftl");
        let mut named = 0;
        for text in &texts {
            for part in text.split("Message::new(\"").skip(1) {
                let id = &part[..part.find('"').unwrap()];
                assert!(
                    en.lines().any(|l| l.starts_with(&format!("{id} ="))),
                    "{id} is not in locales/en/main.ftl"
                );
                named += 1;
            }
        }
        assert!(named > 20, "{named}");
    }

    #[test]
    fn a_message_reads_in_either_language() {
        let m = Message::new("check-grant-days")
            .with("value", 120)
            .with("max", 90);
        assert_eq!(m.to_string(), "120 is outside 1..=90");
        assert_eq!(
            m.text(Lang::Ja),
            "120 は範囲外です。1から90までの数を入力してください。"
        );
    }

    #[test]
    fn lookups_are_translated() {
        assert_eq!(Lang::Ja.t("lang-name"), "日本語");
        assert_eq!(Lang::En.t("lang-name"), "English");
    }
}
