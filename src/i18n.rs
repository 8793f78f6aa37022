//! User-facing text from `locales/*.json`: Simplified Chinese first, English second.
//! Pages, the API and the notification worker all read their texts here.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locale {
    ZhCn,
    En,
}

impl Locale {
    pub fn parse(code: &str) -> Option<Locale> {
        match code.trim() {
            "zh-CN" | "zh" | "zh-cn" => Some(Locale::ZhCn),
            "en" | "en-US" | "en-GB" => Some(Locale::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// The other language, for the one-click switch.
    pub fn other(self) -> Locale {
        match self {
            Locale::ZhCn => Locale::En,
            Locale::En => Locale::ZhCn,
        }
    }
}

/// The texts of one language.
#[derive(Debug)]
pub struct Texts {
    pub locale: Locale,
    map: HashMap<String, String>,
}

impl Texts {
    /// The text for `key`; the key itself if missing (a test keeps them complete).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.map.get(key).map_or(key, String::as_str)
    }

    /// The text with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// [`Texts::fill`] for a count `n`: the `{key}_one` text when `n` is 1,
    /// so English says "1 day" and "2 days" (Chinese has one text under both keys).
    /// (`n` may be borrowed: templates pass their values by reference.)
    pub fn fill_count(&self, key: &str, n: impl std::borrow::Borrow<i64>, args: &[(&str, &str)]) -> String {
        if *n.borrow() == 1 { self.fill(&format!("{key}_one"), args) } else { self.fill(key, args) }
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    pub fn lang(&self) -> &'static str {
        self.locale.code()
    }
}

/// Notification messages render from the same texts (`domain::notify::render`).
impl crate::domain::notify::render::Texts for Texts {
    fn text<'a>(&'a self, key: &'a str) -> &'a str {
        self.get(key)
    }
}

/// `locales/<language>/<area>.json`: one file per product area, merged.
#[derive(rust_embed::RustEmbed)]
#[folder = "locales"]
struct LocaleFiles;

fn load(locale: Locale) -> Texts {
    let prefix = format!("{}/", locale.code());
    let mut map = HashMap::new();
    for name in LocaleFiles::iter().filter(|n| n.starts_with(&prefix) && n.ends_with(".json")) {
        // The files are part of the binary and checked by tests; an unreadable
        // one would show keys instead of text rather than stop the server.
        if let Some(file) = LocaleFiles::get(&name) {
            let part: HashMap<String, String> = serde_json::from_slice(&file.data).unwrap_or_default();
            map.extend(part);
        }
    }
    Texts { locale, map }
}

pub fn texts(locale: Locale) -> &'static Texts {
    static ZH: OnceLock<Texts> = OnceLock::new();
    static EN: OnceLock<Texts> = OnceLock::new();
    match locale {
        Locale::ZhCn => ZH.get_or_init(|| load(Locale::ZhCn)),
        Locale::En => EN.get_or_init(|| load(Locale::En)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_file_parses_and_has_a_twin() {
        for name in LocaleFiles::iter() {
            let file = LocaleFiles::get(&name).unwrap();
            let parsed: Result<HashMap<String, String>, _> = serde_json::from_slice(&file.data);
            assert!(parsed.is_ok(), "{name}: {parsed:?}");
            let twin = if let Some(rest) = name.strip_prefix("zh-CN/") {
                format!("en/{rest}")
            } else {
                name.replacen("en/", "zh-CN/", 1)
            };
            assert!(LocaleFiles::get(&twin).is_some(), "{name} has no {twin}");
        }
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let zh: std::collections::BTreeSet<_> = texts(Locale::ZhCn).keys().collect();
        let en: std::collections::BTreeSet<_> = texts(Locale::En).keys().collect();
        assert!(zh.len() > 50);
        assert_eq!(zh, en);
    }

    #[test]
    fn every_key_used_in_code_and_templates_exists() {
        let zh = texts(Locale::ZhCn);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        for dir in ["templates", "src/web", "src/ops", "src/jobs", "src/domain"] {
            for entry in walk(&root.join(dir)) {
                let text = std::fs::read_to_string(&entry).unwrap_or_default();
                // A call's key may stand on the next line (rustfmt wraps long calls).
                for marker in ["t.get(", "t.fill(", "t.fill_count("] {
                    for part in text.split(marker).skip(1) {
                        let Some(quoted) = part.trim_start().strip_prefix('"') else { continue };
                        let key = quoted.split('"').next().unwrap_or_default();
                        let one = format!("{key}_one");
                        let keys = if marker.contains("count") { vec![key, one.as_str()] } else { vec![key] };
                        for key in keys.into_iter().filter(|k| !k.is_empty() && !zh.map.contains_key(*k)) {
                            missing.push(format!("{}: {key}", entry.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys missing from locales: {missing:#?}");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(texts(Locale::En).fill("dashboard.greeting", &[("name", "明")]), "Hello, 明");
    }

    #[test]
    fn counts_of_one_read_in_the_singular() {
        let en = texts(Locale::En);
        assert_eq!(en.fill_count("day.overdue_days", 1, &[("days", "1")]), "1 day overdue");
        assert_eq!(en.fill_count("day.overdue_days", 3, &[("days", "3")]), "3 days overdue");
        let zh = texts(Locale::ZhCn);
        assert_eq!(
            zh.fill_count("day.overdue_days", 1, &[("days", "1")]),
            zh.fill("day.overdue_days", &[("days", "1")])
        );
    }
}
