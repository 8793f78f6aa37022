//! Form plumbing shared by the customer pages: per-field messages in the
//! reader's language (tied to their inputs with `aria-describedby` by the
//! templates), and small parsing helpers for form values.

use super::PageError;
use crate::ops::OpsError;
use crate::web::i18n::Texts;

/// Messages for the fields of one form, by field name.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors {
    items: Vec<(String, String)>,
}

impl FieldErrors {
    pub fn none() -> FieldErrors {
        FieldErrors::default()
    }

    pub fn one(field: &str, message: String) -> FieldErrors {
        FieldErrors { items: vec![(field.to_owned(), message)] }
    }

    pub fn add(&mut self, field: &str, message: String) {
        self.items.push((field.to_owned(), message));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.items.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// An `OpsError::Invalid` message in the reader's language. The ops layer
/// speaks English for the API; the common cases are recognised here and the
/// rest shown as "输入有误：<English>".
pub fn invalid_text(t: &Texts, field: &str, message: &str) -> String {
    let number_after = |marker: &str| {
        message.split(marker).nth(1).map(|rest| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
    };
    if message.ends_with(" is empty") || message.ends_with(" is required") {
        return t.get("form.required").to_owned();
    }
    if let Some(max) = number_after("is longer than ").filter(|n| !n.is_empty()) {
        return t.fill("form.too_long", &[("max", &max)]);
    }
    if let Some(max) = message.strip_prefix("at most ").map(|r| r.chars().take_while(char::is_ascii_digit).collect())
        && !String::is_empty(&max)
    {
        return t.fill("form.too_many", &[("max", &max)]);
    }
    if let Some(min) = number_after("between ").filter(|n| !n.is_empty())
        && let Some(max) = number_after(" and ").filter(|n| !n.is_empty())
    {
        return t.fill("form.between", &[("min", &min), ("max", &max)]);
    }
    let key = match field {
        "credit_code" if message.contains("already has") => "form.credit_code_taken",
        "credit_code" => "form.credit_code",
        "region" => "form.region",
        "annual_purchase" | "amount" if message.contains("negative") => "form.amount_negative",
        "amount" if message.contains("only orders") => "form.amount_orders_only",
        "annual_purchase" | "amount" => "form.amount",
        "owner_email" if message.contains("owned by that rep") => "form.owner_rep",
        "owner_email" => "form.owner_inactive",
        "phone" => "form.phone",
        "email" => "form.email",
        "occurred_on" if message.contains("future") => "form.date_future",
        "occurred_on" => "form.date",
        "occurred_at" => "form.time",
        "status" if message.contains("review is held") => "form.status_reviewed_by_holding",
        "status" if message.contains("reviewed campaign") => "form.status_reviewed_stays",
        "channel" | "kind" => "form.choice",
        "name" if message.contains("already has this name") => "form.segment_name_taken",
        _ => return t.fill("error.invalid", &[("message", message)]),
    };
    t.get(key).to_owned()
}

/// The field errors of an invalid form; anything else fails the page.
pub fn field_errors(t: &Texts, err: OpsError) -> Result<FieldErrors, PageError> {
    match err {
        OpsError::Invalid { field, message } => Ok(FieldErrors::one(field, invalid_text(t, field, &message))),
        other => Err(other.into()),
    }
}

/// A form's optional amount in CNY (`500万`, `5,000,000`, `￥5,000,000.00`):
/// blank is `None`.
pub fn amount(t: &Texts, raw: &str) -> Result<Option<i64>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    crate::io::values::parse_amount_fen(raw).map(Some).map_err(|e| match e.code {
        "amount_negative" => t.get("form.amount_negative").to_owned(),
        _ => t.get("form.amount").to_owned(),
    })
}

/// Fen as a form shows it back: plain yuan with at most two decimals.
pub fn amount_input(fen: i64) -> String {
    let (whole, cents) = (fen / 100, (fen % 100).abs());
    if cents == 0 { whole.to_string() } else { format!("{whole}.{cents:02}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{Locale, texts};

    #[test]
    fn common_messages_read_in_chinese() {
        let t = texts(Locale::ZhCn);
        assert_eq!(invalid_text(t, "name", "name is empty"), t.get("form.required"));
        assert!(invalid_text(t, "city", "city is longer than 100 characters").contains("100"));
        assert!(invalid_text(t, "tags", "at most 20 tags").contains("20"));
        let between = invalid_text(t, "s_window_days", "between 1 and 366 days");
        assert!(between.contains('1') && between.contains("366"), "{between}");
        assert_eq!(
            invalid_text(t, "credit_code", "another customer already has this credit code"),
            t.get("form.credit_code_taken")
        );
        assert!(invalid_text(t, "weird", "something odd").contains("something odd"));
    }

    #[test]
    fn amounts_in_the_ways_the_team_writes_them() {
        let t = texts(Locale::ZhCn);
        for raw in ["500万", "5,000,000", "￥5,000,000.00", "5000000"] {
            assert_eq!(amount(t, raw), Ok(Some(500_000_000)), "{raw}");
        }
        assert_eq!(amount(t, "  "), Ok(None));
        assert!(amount(t, "很多").is_err());
        assert_eq!(amount_input(500_000_000), "5000000");
        assert_eq!(amount_input(123_456), "1234.56");
    }
}
