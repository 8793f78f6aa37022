//! Numbers as notices write them: `30`, `5,000,000`, `1.5万`, `500W`,
//! `三十`, `两百`, `五百万`, and amounts of money in yuan.

use super::text::{Norm, R};

/// An exact decimal, `m × 10^-scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dec {
    pub m: i128,
    pub scale: u32,
}

/// Longest digit run read as a number; keeps the arithmetic far from overflow.
const MAX_DIGITS: usize = 15;

impl Dec {
    pub fn int(v: i128) -> Dec {
        Dec { m: v, scale: 0 }
    }

    /// The value times 10^k.
    fn shift(self, k: u32) -> Option<Dec> {
        if self.scale >= k {
            return Some(Dec { m: self.m, scale: self.scale - k });
        }
        let f = 10i128.checked_pow(k - self.scale)?;
        Some(Dec { m: self.m.checked_mul(f)?, scale: 0 })
    }

    /// The whole number, if it is one and fits.
    pub fn whole(self) -> Option<i64> {
        let f = 10i128.checked_pow(self.scale)?;
        (self.m % f == 0).then(|| i64::try_from(self.m / f).ok()).flatten()
    }

    /// The value times 10^places, rounded half up (fen from yuan: places = 2).
    pub fn scaled(self, places: u32) -> Option<i64> {
        if self.scale <= places {
            let f = 10i128.checked_pow(places - self.scale)?;
            return i64::try_from(self.m.checked_mul(f)?).ok();
        }
        let f = 10i128.checked_pow(self.scale - places)?;
        i64::try_from((self.m + f / 2) / f).ok()
    }

    pub fn to_f64(self) -> f64 {
        // Both parts are small (at most 15 + 6 digits): exact enough for a ratio.
        self.m as f64 / 10f64.powi(i32::try_from(self.scale).unwrap_or(0))
    }
}

/// A number found in the text: its value (multipliers 万/亿/千 applied) and
/// the characters it took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Num {
    pub value: Dec,
    pub r: R,
    /// Written with a multiplier (万, 亿, 千, W, K).
    pub scaled: bool,
}

fn chinese_digit(c: char) -> Option<i128> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

fn chinese_unit(c: char) -> Option<i128> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1000,
        _ => return None,
    })
}

/// The number starting at `i` (before `limit`), Arabic or Chinese.
pub(crate) fn number_at(n: &Norm, i: usize, limit: usize) -> Option<Num> {
    let limit = limit.min(n.len());
    let c = |j: usize| if j < limit { n.at(j) } else { None };
    let first = c(i)?;
    if first.is_ascii_digit() {
        arabic(n, i, limit)
    } else if chinese_digit(first).is_some() || chinese_unit(first) == Some(10) {
        // A bare 百 or 千 is a word (百货, 千万别), a bare 十 is ten.
        chinese(n, i, limit)
    } else {
        None
    }
    // Not the tail of a longer number (`00` of `500`, `十` of `三十`).
    .filter(|_| {
        i == 0
            || !n.at(i - 1).is_some_and(|p| {
                p.is_ascii_digit() || p == '.' || chinese_digit(p).is_some() || chinese_unit(p).is_some()
            })
    })
}

fn arabic(n: &Norm, i: usize, limit: usize) -> Option<Num> {
    let c = |j: usize| if j < limit { n.at(j) } else { None };
    let digit = |j: usize| c(j).is_some_and(|ch| ch.is_ascii_digit());
    let mut m: i128 = 0;
    let mut digits = 0;
    let mut j = i;
    loop {
        while digit(j) {
            m = m * 10 + i128::from(c(j)? as u8 - b'0');
            digits += 1;
            j += 1;
            if digits > MAX_DIGITS {
                return None;
            }
        }
        // 5,000,000: a comma before exactly three digits continues the number.
        if c(j) == Some(',') && digit(j + 1) && digit(j + 2) && digit(j + 3) && !digit(j + 4) {
            j += 1;
            continue;
        }
        break;
    }
    let mut scale = 0;
    if c(j) == Some('.') && digit(j + 1) {
        j += 1;
        while digit(j) {
            if scale >= 6 {
                return None;
            }
            m = m * 10 + i128::from(c(j)? as u8 - b'0');
            scale += 1;
            j += 1;
        }
    }
    let mut value = Dec { m, scale };
    let mut scaled = false;
    loop {
        let exp = match c(j) {
            Some('万') => 4,
            Some('亿') => 8,
            Some('千') => 3,
            Some('百') if matches!(c(j + 1), Some('万' | '亿')) => 2,
            Some('W' | 'K') if !c(j + 1).is_some_and(|ch| ch.is_ascii_alphabetic()) => {
                if c(j) == Some('W') {
                    4
                } else {
                    3
                }
            }
            _ => break,
        };
        value = value.shift(exp)?;
        scaled = true;
        j += 1;
    }
    Some(Num { value, r: R::new(i, j), scaled })
}

fn chinese(n: &Norm, i: usize, limit: usize) -> Option<Num> {
    let c = |j: usize| if j < limit { n.at(j) } else { None };
    let mut total: i128 = 0;
    let mut section: i128 = 0;
    let mut digit: Option<i128> = None;
    let mut j = i;
    let mut scaled = false;
    let mut seen_digit = false;
    while let Some(ch) = c(j) {
        if let Some(d) = chinese_digit(ch) {
            if digit.is_some() {
                break; // 一二 is not a number
            }
            digit = Some(d);
            seen_digit = true;
        } else if let Some(u) = chinese_unit(ch) {
            section += digit.unwrap_or(1) * u;
            digit = None;
        } else if ch == '万' && (seen_digit || section > 0) {
            total = (total + section + digit.unwrap_or(0)) * 10_000;
            section = 0;
            digit = None;
            scaled = true;
        } else if ch == '亿' && (seen_digit || section > 0) {
            total = (total + section + digit.unwrap_or(0)) * 100_000_000;
            section = 0;
            digit = None;
            scaled = true;
        } else {
            break;
        }
        j += 1;
        if j - i > 12 {
            return None;
        }
    }
    let value = total + section + digit.unwrap_or(0);
    (j > i && (seen_digit || section > 0)).then_some(Num { value: Dec::int(value), r: R::new(i, j), scaled })
}

/// An amount of money at `i`: a number with 万/亿/千 or followed by 元
/// (or, with `bare`, any number), in fen, and the characters it took.
pub(crate) fn money_at(n: &Norm, i: usize, limit: usize, bare: bool) -> Option<(i64, R)> {
    let num = number_at(n, i, limit)?;
    let mut r = num.r;
    let yuan = n.any_at(r.e, &["元", "块", "RMB", "人民币"], limit);
    if let Some((_, len)) = yuan {
        r.e += len;
    }
    if !(num.scaled || yuan.is_some() || bare) {
        return None;
    }
    let fen = num.value.scaled(2)?;
    (fen >= 0).then_some((fen, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Option<(Dec, usize)> {
        let n = Norm::new(s);
        number_at(&n, 0, n.len()).map(|x| (x.value, x.r.e))
    }

    #[test]
    fn arabic_and_chinese_numbers() {
        assert_eq!(num("30家"), Some((Dec::int(30), 2)));
        assert_eq!(num("５００万"), Some((Dec::int(5_000_000), 4)));
        assert_eq!(num("1.5万"), Some((Dec::int(15_000), 4)));
        assert_eq!(num("5,000,000元"), Some((Dec::int(5_000_000), 9)));
        assert_eq!(num("500w"), Some((Dec::int(5_000_000), 4)));
        assert_eq!(num("3千万"), Some((Dec::int(30_000_000), 3)));
        assert_eq!(num("三十家"), Some((Dec::int(30), 2)));
        assert_eq!(num("十五单"), Some((Dec::int(15), 2)));
        assert_eq!(num("一百二十"), Some((Dec::int(120), 4)));
        assert_eq!(num("两百家"), Some((Dec::int(200), 2)));
        assert_eq!(num("五百万"), Some((Dec::int(5_000_000), 3)));
        assert_eq!(num("十"), Some((Dec::int(10), 1)));
        assert_eq!(num("百货"), None);
        assert_eq!(num("万达"), None);
        assert_eq!(num("1234567890123456"), None, "too many digits");
        assert_eq!(Dec { m: 35, scale: 1 }.to_f64(), 3.5);
        assert_eq!(Dec { m: 12345, scale: 3 }.scaled(2), Some(1235));
    }

    #[test]
    fn money_needs_a_unit() {
        let n = Norm::new("500万元");
        assert_eq!(money_at(&n, 0, n.len(), false), Some((500_000_000, R::new(0, 5))));
        let n = Norm::new("300");
        assert_eq!(money_at(&n, 0, n.len(), false), None);
        assert_eq!(money_at(&n, 0, n.len(), true), Some((30_000, R::new(0, 3))));
    }
}
