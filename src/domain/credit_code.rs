//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18
//! characters whose last one is a checksum, so typos are caught at entry.

/// The GB 32100-2015 alphabet; a character's value is its index.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a credit code has 18 characters, this one has {0}")]
    Length(usize),
    #[error("{0:?} is not allowed in a credit code (digits and A-H J-N P-R T-U W-Y only)")]
    Character(char),
    #[error("the check character should be {expected}, not {found} (a typo?)")]
    Checksum { expected: char, found: char },
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

/// Normalises (trim, uppercase) and validates a credit code.
pub fn parse(raw: &str) -> Result<String, CreditCodeError> {
    let code: String = raw.trim().to_uppercase();
    let len = code.chars().count();
    if len != 18 {
        return Err(CreditCodeError::Length(len));
    }
    if let Some(bad) = code.chars().find(|c| !ALPHABET.contains(&(*c as u8)) || !c.is_ascii()) {
        return Err(CreditCodeError::Character(bad));
    }
    let (body, last) = code.split_at(17);
    let found = last.chars().next().unwrap_or_default();
    match check_char(body) {
        Some(expected) if expected == found => Ok(code),
        Some(expected) => Err(CreditCodeError::Checksum { expected, found }),
        None => Err(CreditCodeError::Length(len)),
    }
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
        assert!(matches!(parse("91440300192203821６"), Err(CreditCodeError::Character('６'))));
    }

    #[test]
    fn check_char_completes_any_valid_body() {
        let body = "91310000MA1FL0000";
        let full = format!("{body}{}", check_char(body).unwrap());
        assert_eq!(parse(&full).unwrap(), full);
    }
}
