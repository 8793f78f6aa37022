//! Text normalisation shared by the parsers, and the keys used to spot the
//! same company or phone number twice.
//!
//! What "the same company" means to a sales team: two spellings that a rep
//! would read as one customer. `华为技术有限公司`, `华为技术 有限公司`,
//! `华为技术（有限公司）` and `华为技术` are one customer; the legal form is
//! noise. `E集团` and `E` are *not*: a group and a company of the same brand
//! buy separately, so `集团` is kept. Branches stay distinct too:
//! `A公司北京分公司` is not `A公司`. The key is only used to *flag* possible
//! duplicates; the caller decides what to do with them.

pub use crate::domain::text::{half_width_char, is_blank_char, to_half_width, trim_blank};

/// Chinese legal-form suffixes, longest first so that `股份有限公司` is not
/// left as `股份`. Matched after half-width conversion and bracket
/// unification.
const CJK_LEGAL_SUFFIXES: &[&str] =
    &["(股份有限公司)", "(有限责任公司)", "(有限公司)", "股份有限公司", "有限责任公司", "有限公司", "股份公司"];

/// English legal-form words; stripped only as whole words so that `Zinc`
/// does not lose its `inc`.
const LATIN_LEGAL_WORDS: &[&str] =
    &["corporation", "incorporated", "limited", "company", "corp", "ltd", "inc", "llc", "co"];

/// Normalises a company name into a dedupe key (see the module docs for what
/// counts as the same company).
///
/// Steps: full-width → half-width; all brackets (`（）【】[]`) → `()`;
/// ASCII lowercased; legal-form suffixes (`有限公司`, `股份有限公司`,
/// `有限责任公司`, `(有限公司)`, `Co., Ltd.`, `Ltd`, `Inc.`, …) and a bare
/// trailing `公司` stripped repeatedly, so `A公司有限公司`, `A有限公司` and
/// `A公司` all give `a`; finally all whitespace and invisible characters
/// removed. `集团`, `分公司` and `子公司` are kept. A name made only of a
/// legal form keeps it rather than becoming empty.
pub fn normalize_company_name(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    normalize_company_name_into(name, &mut key);
    key
}

/// [`normalize_company_name`] into a reused buffer (cleared first), for
/// callers that key every row of a large import.
pub fn normalize_company_name_into(name: &str, key: &mut String) {
    key.clear();
    let mut chars = name
        .chars()
        .map(|c| match half_width_char(c) {
            c if is_blank_char(c) => ' ',
            '【' | '[' | '〔' => '(',
            '】' | ']' | '〕' => ')',
            c => c.to_ascii_lowercase(),
        })
        .peekable();
    // Spaces only separate words in Latin text; next to a CJK character they
    // are typing noise (`A 有限 公司`) and would hide a suffix.
    let mut previous: Option<char> = None;
    while let Some(c) = chars.next() {
        if c == ' ' {
            // Collapse the run, then keep one space only between ASCII.
            while chars.next_if_eq(&' ').is_some() {}
            let next = chars.peek().copied();
            let between_ascii = previous.is_some_and(|p| p.is_ascii()) && next.is_some_and(|n| n.is_ascii());
            if !between_ascii {
                continue;
            }
        }
        key.push(c);
        previous = Some(c);
    }

    const SEPARATORS: [char; 4] = [' ', ',', '.', '-'];
    loop {
        let base = key.trim_end_matches(SEPARATORS);
        let stripped = CJK_LEGAL_SUFFIXES
            .iter()
            .find_map(|suffix| base.strip_suffix(suffix))
            .or_else(|| {
                LATIN_LEGAL_WORDS.iter().find_map(|word| {
                    let rest = base.strip_suffix(word)?;
                    let whole_word = !rest.ends_with(|c: char| c.is_ascii_alphanumeric());
                    whole_word.then_some(rest)
                })
            })
            .or_else(|| {
                // A bare 公司 is the same legal-form noise, but 分公司 (a
                // branch) and 子公司 (a subsidiary) name another customer.
                let rest = base.strip_suffix("公司")?;
                (!rest.ends_with('分') && !rest.ends_with('子')).then_some(rest)
            });
        match stripped {
            Some(rest) if !rest.trim_end_matches(SEPARATORS).is_empty() => {
                let len = rest.len();
                key.truncate(len);
            }
            _ => {
                if !base.is_empty() {
                    let len = base.len();
                    key.truncate(len);
                }
                break;
            }
        }
    }
    key.retain(|c| c != ' ');
}

/// Normalises a phone number into a dedupe key: digits only, with the China
/// country code (`+86`, `0086`, or `86` in front of an 11-digit mobile
/// number) dropped, so `+86 138-0013-8000` and `13800138000` match. Landline
/// area codes keep their leading zero (`010-12345678` → `01012345678`).
pub fn normalize_phone(phone: &str) -> String {
    let mut key = String::with_capacity(phone.len());
    normalize_phone_into(phone, &mut key);
    key
}

/// [`normalize_phone`] into a reused buffer (cleared first).
pub fn normalize_phone_into(phone: &str, key: &mut String) {
    key.clear();
    key.extend(phone.chars().map(half_width_char).filter(char::is_ascii_digit));
    let has_plus = phone.chars().map(half_width_char).find(|c| !is_blank_char(*c)) == Some('+');
    let country_code = if key.starts_with("0086") {
        4
    } else if key.starts_with("86") && (has_plus || (key.len() == 13 && key.as_bytes().get(2) == Some(&b'1'))) {
        2
    } else {
        0
    };
    key.drain(..country_code);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width() {
        assert_eq!(to_half_width("５００万"), "500万");
        assert_eq!(to_half_width("ａ＠ｂ．ｃｏｍ"), "a@b.com");
        assert_eq!(to_half_width("（有限公司）　"), "(有限公司) ");
        assert!(matches!(to_half_width("plain 中文"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn company_names_that_are_the_same_customer() {
        let a = normalize_company_name("A公司");
        for variant in [
            "A公司有限公司",
            "A有限公司",
            "A 有限公司",
            "Ａ公司",
            "a公司（有限公司）",
            "A股份有限公司",
            "A有限责任公司",
            " A\u{200B}公司 ",
        ] {
            assert_eq!(normalize_company_name(variant), a, "{variant}");
        }
        assert_eq!(a, "a");
        let acme = normalize_company_name("Acme");
        for variant in ["ACME Co., Ltd.", "Acme Co.,Ltd", "acme ltd", "Acme, Inc.", "Acme Limited"] {
            assert_eq!(normalize_company_name(variant), acme, "{variant}");
        }
    }

    #[test]
    fn company_names_that_differ() {
        assert_eq!(normalize_company_name("E集团有限公司"), "e集团");
        assert_ne!(normalize_company_name("E集团"), normalize_company_name("E"));
        assert_ne!(normalize_company_name("A公司北京分公司"), normalize_company_name("A公司"));
        assert_eq!(normalize_company_name("A（上海）有限公司"), "a(上海)");
        assert_ne!(normalize_company_name("A（上海）有限公司"), normalize_company_name("A（北京）有限公司"));
    }

    #[test]
    fn company_name_never_empty_for_non_blank_input() {
        assert_eq!(normalize_company_name("有限公司"), "有限公司");
        assert_eq!(normalize_company_name("公司"), "公司");
        assert_eq!(normalize_company_name("Ltd."), "ltd");
        assert_eq!(normalize_company_name("Zinc"), "zinc");
        assert_eq!(normalize_company_name("Acme Widgets Co Ltd"), "acmewidgets");
        assert_eq!(normalize_company_name("A 有限 公司"), "a");
        assert_eq!(normalize_company_name(","), ",");
        assert_eq!(normalize_company_name("   "), "");
    }

    #[test]
    fn phones() {
        assert_eq!(normalize_phone("+86 138-0013-8000"), "13800138000");
        assert_eq!(normalize_phone("008613800138000"), "13800138000");
        assert_eq!(normalize_phone("8613800138000"), "13800138000");
        assert_eq!(normalize_phone("１３８００１３８０００"), "13800138000");
        assert_eq!(normalize_phone("(010) 1234-5678"), "01012345678");
        assert_eq!(normalize_phone("+86 10 12345678"), "1012345678");
        assert_eq!(normalize_phone("86123456"), "86123456");
    }
}
