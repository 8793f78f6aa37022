//! CNY amounts as the team writes them: whole yuan below 1万, 万元 above.

/// Formats fen (CNY × 100) for display: `¥8,500`, `12万`, `1,250.5万`, `-3万`.
pub fn format_cny(fen: i64) -> String {
    let negative = fen < 0;
    let fen = fen.unsigned_abs();
    let yuan = fen / 100;
    let body = if yuan >= 10_000 {
        // One decimal of 万 (= 1,000 yuan), dropped when zero.
        let tenths = (fen + 50_000) / 100_000;
        let whole = group_thousands(tenths / 10);
        match tenths % 10 {
            0 => format!("{whole}万"),
            d => format!("{whole}.{d}万"),
        }
    } else {
        format!("¥{}", group_thousands(yuan))
    };
    if negative { format!("-{body}") } else { body }
}

/// Fen as a yuan number for the API (`annual_purchase: 5000000.0`).
pub fn fen_to_yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

/// `1234567` as `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_team_writes() {
        assert_eq!(format_cny(0), "¥0");
        assert_eq!(format_cny(850_000), "¥8,500");
        assert_eq!(format_cny(12_000_000), "12万");
        assert_eq!(format_cny(500_000_000), "500万");
        assert_eq!(format_cny(1_250_500_000), "1,250.5万");
        assert_eq!(format_cny(-300_000_000), "-300万");
        assert_eq!(format_cny(1_234_567), "1.2万");
        assert_eq!(fen_to_yuan(500_000_000), 5_000_000.0);
    }
}
