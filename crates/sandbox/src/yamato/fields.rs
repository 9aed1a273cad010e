//! Reading a function's request fields with the refusal each problem gets (see `wire.rs`
//! for the code scheme), and the formats several functions share.
//!
//! Formats the spec leaves open, as the sandbox chose them: `order_no` 1–20 characters of
//! `A–Z a–z 0–9 - _` (spec §3.1 infers 20); amounts 1–9,999,999 yen in half-width digits;
//! `member_id` 1–20 characters of `A–Z a–z 0–9 - _`; `authentication_key` 1–20 letters and
//! digits; expiry `MMYY`.

use chrono::{DateTime, Datelike, Utc};

use super::wire::{japan, Check, Refusal};
use crate::form::Form;

/// The largest amount the sandbox takes, in yen.
pub const MAX_PRICE: u64 = 9_999_999;

/// A request's fields read for one function.
pub struct Fields<'a> {
    form: &'a Form,
    function: &'static str,
}

impl<'a> Fields<'a> {
    /// The fields of `form` for `function` (e.g. `A08`).
    pub fn new(form: &'a Form, function: &'static str) -> Self {
        Self { form, function }
    }

    /// The input error of field number `field`.
    pub fn refuse(&self, field: u8, check: Check) -> Refusal {
        Refusal::field(self.function, field, check)
    }

    /// The value of `name`, refused as missing when absent or empty.
    pub fn required(&self, name: &str, field: u8) -> Result<&'a str, Refusal> {
        self.form
            .filled(name)
            .ok_or_else(|| self.refuse(field, Check::Missing))
    }

    /// The value of `name` when present and not empty.
    pub fn optional(&self, name: &str) -> Option<&'a str> {
        self.form.filled(name)
    }

    /// The value of `name` exactly as sent, empty when absent.
    pub fn raw(&self, name: &str) -> &'a str {
        self.form.get(name).unwrap_or_default()
    }

    /// A required `order_no`.
    pub fn order_no(&self, field: u8) -> Result<&'a str, Refusal> {
        let value = self.required("order_no", field)?;
        check_id(value, 20).map_err(|check| self.refuse(field, check))?;
        Ok(value)
    }

    /// A required amount in yen under `name`.
    pub fn price(&self, name: &str, field: u8) -> Result<u64, Refusal> {
        let value = self.required(name, field)?;
        price(value).map_err(|check| self.refuse(field, check))
    }
}

/// 1 to `max` characters of `A–Z a–z 0–9 - _`.
pub fn check_id(value: &str, max: usize) -> Result<(), Check> {
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Check::Invalid);
    }
    if value.chars().count() > max {
        return Err(Check::Range);
    }
    Ok(())
}

/// 1 to `max` half-width letters and digits.
pub fn check_key(value: &str, max: usize) -> Result<(), Check> {
    if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Check::Invalid);
    }
    if value.len() > max {
        return Err(Check::Range);
    }
    Ok(())
}

/// An amount in yen: digits only, 1 to [`MAX_PRICE`].
pub fn price(value: &str) -> Result<u64, Check> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Check::Invalid);
    }
    match value.parse::<u64>() {
        Ok(0) => Err(Check::Invalid),
        Ok(yen) if yen <= MAX_PRICE => Ok(yen),
        _ => Err(Check::Range),
    }
}

/// An expiry `MMYY`: `Invalid` when malformed, `Range` when before the current month in
/// Japan at `now`.
pub fn expiry(value: &str, now: DateTime<Utc>) -> Result<(), Check> {
    if value.len() != 4 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Check::Invalid);
    }
    let month: u32 = value[..2].parse().map_err(|_| Check::Invalid)?;
    let year: i32 = value[2..].parse().map_err(|_| Check::Invalid)?;
    if !(1..=12).contains(&month) {
        return Err(Check::Invalid);
    }
    let today = now.with_timezone(&japan());
    if (2000 + year, month) < (today.year(), today.month()) {
        return Err(Check::Range);
    }
    Ok(())
}

/// A card holder's name as the card shows it: 1–30 half-width letters, spaces and
/// `. - ' /`.
pub fn holder(value: &str) -> Result<(), Check> {
    if !value
        .chars()
        .all(|c| c.is_ascii_alphabetic() || " .-'/".contains(c))
    {
        return Err(Check::Invalid);
    }
    if value.len() > 30 {
        return Err(Check::Range);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn amounts_are_positive_digits_up_to_the_maximum() {
        assert_eq!(price("1"), Ok(1));
        assert_eq!(price("9999999"), Ok(9_999_999));
        assert_eq!(price("10000000"), Err(Check::Range));
        assert_eq!(price("0"), Err(Check::Invalid));
        assert_eq!(price("1,000"), Err(Check::Invalid));
        assert_eq!(price("-5"), Err(Check::Invalid));
    }

    #[test]
    fn an_expiry_holds_until_its_month_ends_in_japan() {
        assert_eq!(expiry("0526", at("2026-05-31T14:59:59Z")), Ok(()));
        assert_eq!(
            expiry("0526", at("2026-05-31T15:00:00Z")),
            Err(Check::Range)
        );
        assert_eq!(
            expiry("1326", at("2026-05-01T00:00:00Z")),
            Err(Check::Invalid)
        );
        assert_eq!(
            expiry("526", at("2026-05-01T00:00:00Z")),
            Err(Check::Invalid)
        );
    }

    #[test]
    fn ids_and_holders_take_their_characters_only() {
        assert_eq!(check_id("WC-ABC_123", 20), Ok(()));
        assert_eq!(check_id("注文1", 20), Err(Check::Invalid));
        assert_eq!(check_id(&"A".repeat(21), 20), Err(Check::Range));
        assert_eq!(holder("TARO YAMADA"), Ok(()));
        assert_eq!(holder("山田"), Err(Check::Invalid));
    }
}
