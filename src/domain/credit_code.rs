//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18
//! characters whose last one is a checksum, so typos are caught at entry.

/// The GB 32100-2015 alphabet; a character's value is its index.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a credit code has 18 characters, this one has {0}")]
    Length(usize),
    #[error("a credit code has 18 characters; 15 is the old business registration number, not a credit code")]
    OldRegistration,
    #[error("{0:?} is not allowed in a credit code (digits and A-H J-N P-R T-U W-Y only; no I, O, S, V, Z)")]
    Character(char),
    #[error("the check character should be {expected}, not {found} (a typo?)")]
    Checksum { expected: char, found: char },
}

impl CreditCodeError {
    /// A stable code for reports (the importer's row errors).
    pub fn code(&self) -> &'static str {
        match self {
            CreditCodeError::Length(_) | CreditCodeError::OldRegistration => "credit_code_length",
            CreditCodeError::Character(_) => "credit_code_character",
            CreditCodeError::Checksum { .. } => "credit_code_check",
        }
    }
}

/// A valid unified social credit code: 18 characters of the GB 32100-2015
/// alphabet whose last is the check character, stored uppercase without
/// spaces or dashes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    /// Reads a code as people type or paste it: full-width characters,
    /// spaces and dashes between groups, lowercase.
    pub fn parse(raw: &str) -> Result<CreditCode, CreditCodeError> {
        let code: String = raw
            .chars()
            .map(super::text::half_width_char)
            .filter(|c| !super::text::is_blank_char(*c) && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let len = code.chars().count();
        if len == 15 {
            return Err(CreditCodeError::OldRegistration);
        }
        if len != 18 {
            return Err(CreditCodeError::Length(len));
        }
        if let Some(bad) = code.chars().find(|c| !c.is_ascii() || !ALPHABET.contains(&(*c as u8))) {
            return Err(CreditCodeError::Character(bad));
        }
        let (body, last) = code.split_at(17);
        let found = last.chars().next().unwrap_or_default();
        match check_char(body) {
            Some(expected) if expected == found => Ok(CreditCode(code)),
            Some(expected) => Err(CreditCodeError::Checksum { expected, found }),
            None => Err(CreditCodeError::Length(len)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The check character for the first 17 characters, if they are all valid.
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut count = 0;
    for (c, weight) in first17.chars().zip(WEIGHTS) {
        let value = ALPHABET.iter().position(|&a| char::from(a) == c)?;
        sum += u32::try_from(value).ok()? * weight;
        count += 1;
    }
    if count != 17 || first17.chars().count() != 17 {
        return None;
    }
    let check = (31 - sum % 31) % 31;
    ALPHABET.get(usize::try_from(check).ok()?).map(|&b| char::from(b))
}

/// Normalises and validates a credit code (see [`CreditCode::parse`]).
pub fn parse(raw: &str) -> Result<String, CreditCodeError> {
    CreditCode::parse(raw).map(CreditCode::into_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_published_code_and_catches_typos() {
        // Huawei Technologies Co., Ltd., as printed on its business licence.
        assert_eq!(parse("914403001922038216").unwrap(), "914403001922038216");
        assert_eq!(parse(" 914403001922038216 ").unwrap(), "914403001922038216");
        assert!(matches!(parse("914403001922038217"), Err(CreditCodeError::Checksum { .. })));
        assert!(matches!(parse("91440300192203821"), Err(CreditCodeError::Length(17))));
        assert!(matches!(parse("9144030019220382I6"), Err(CreditCodeError::Character('I'))));
        assert_eq!(parse("9144 0300 1922 0382 16").unwrap(), "914403001922038216");
        assert_eq!(parse("９１４４０３００１９２２０３８２１６").unwrap(), "914403001922038216");
        assert!(matches!(parse("440301103098765"), Err(CreditCodeError::OldRegistration)));
    }

    #[test]
    fn check_char_completes_any_valid_body() {
        let body = "91310000MA1FL0000";
        let full = format!("{body}{}", check_char(body).unwrap());
        assert_eq!(parse(&full).unwrap(), full);
    }

    /// The `cargo fuzz` target `values` (fuzz/) for credit codes, in the
    /// normal test run.
    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        fn code_like() -> impl Strategy<Value = String> {
            let alphabet: Vec<char> = "0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZa-  ０１".chars().collect();
            prop::collection::vec(prop::sample::select(alphabet), 0..22).prop_map(|c| c.into_iter().collect())
        }

        proptest! {
            #[test]
            fn any_text_is_a_code_or_refused(text in prop_oneof![any::<String>(), code_like()]) {
                if let Ok(code) = CreditCode::parse(&text) {
                    prop_assert_eq!(code.as_str().len(), 18);
                    prop_assert_eq!(CreditCode::parse(code.as_str()).map(CreditCode::into_string).ok(), Some(code.as_str().to_owned()));
                }
            }

            #[test]
            fn the_check_character_makes_a_code(first17 in "[0-9A-HJ-NP-RTUW-Y]{17}") {
                let code = format!("{first17}{}", check_char(&first17).unwrap());
                prop_assert!(CreditCode::parse(&code).is_ok());
            }
        }
    }
}
