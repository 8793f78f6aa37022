//! Opaque list cursors: clients pass back what they were given and never
//! build one, so the encoding may change without breaking them.

use super::error::ApiError;

const PREFIX: &str = "c1.";

pub fn encode(last_id: i64) -> String {
    let raw = format!("id:{last_id}");
    let hex: String = raw.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{PREFIX}{hex}")
}

pub fn decode(cursor: &str) -> Result<i64, ApiError> {
    let bad = || ApiError::invalid("cursor", "the cursor is not one this server gave out");
    let hex = cursor.strip_prefix(PREFIX).ok_or_else(bad)?;
    if hex.len() % 2 != 0 || hex.len() > 64 {
        return Err(bad());
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("id:").and_then(|n| n.parse().ok()).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        assert_eq!(decode(&encode(42)).unwrap(), 42);
        for bad in ["", "42", "c1.zz", "c1.6964", "c1.ff", "c1.☃"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
