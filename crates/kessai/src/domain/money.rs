//! Integer yen. There are no fractional yen; amounts are never negative.

use std::fmt;

/// An amount in yen (円).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Yen(i64);

/// An amount that is not a valid yen amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YenError {
    #[error("金額は0以上の整数で入力してください")]
    Negative,
    #[error("金額は半角数字で入力してください")]
    NotANumber,
    #[error("金額が大きすぎます")]
    TooLarge,
}

/// The largest amount kessai accepts (no provider takes more than this in one payment).
pub const MAX_YEN: i64 = 9_999_999_999;

impl Yen {
    /// Zero yen.
    pub const ZERO: Yen = Yen(0);

    /// A validated amount.
    pub fn new(amount: i64) -> Result<Self, YenError> {
        match amount {
            a if a < 0 => Err(YenError::Negative),
            a if a > MAX_YEN => Err(YenError::TooLarge),
            a => Ok(Self(a)),
        }
    }

    /// Parses operator or buyer input: half-width digits, optional thousands commas.
    pub fn parse(text: &str) -> Result<Self, YenError> {
        let digits: String = text.trim().chars().filter(|c| *c != ',').collect();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return if digits.starts_with('-') {
                Err(YenError::Negative)
            } else {
                Err(YenError::NotANumber)
            };
        }
        digits
            .parse::<i64>()
            .map_err(|_| YenError::TooLarge)
            .and_then(Self::new)
    }

    /// The number of yen.
    pub fn get(self) -> i64 {
        self.0
    }

    /// Sum, refusing overflow past [`MAX_YEN`].
    pub fn checked_add(self, other: Yen) -> Option<Yen> {
        Yen::new(self.0.checked_add(other.0)?).ok()
    }

    /// Difference, refusing to go below zero.
    pub fn checked_sub(self, other: Yen) -> Option<Yen> {
        Yen::new(self.0.checked_sub(other.0)?).ok()
    }

    /// Multiplied by a quantity.
    pub fn checked_mul(self, quantity: i64) -> Option<Yen> {
        Yen::new(self.0.checked_mul(quantity)?).ok()
    }
}

impl TryFrom<i64> for Yen {
    type Error = YenError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Yen::new(v)
    }
}

impl From<Yen> for i64 {
    fn from(y: Yen) -> i64 {
        y.0
    }
}

impl fmt::Display for Yen {
    /// `12,345円`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}円", group_thousands(self.0))
    }
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_display_with_grouping_and_yen() {
        assert_eq!(Yen::new(1234567).unwrap().to_string(), "1,234,567円");
        assert_eq!(Yen::ZERO.to_string(), "0円");
    }

    #[test]
    fn negative_and_non_numeric_input_is_refused() {
        assert_eq!(Yen::parse("-5"), Err(YenError::Negative));
        assert_eq!(Yen::parse("１００"), Err(YenError::NotANumber));
        assert_eq!(Yen::parse("12.5"), Err(YenError::NotANumber));
        assert_eq!(Yen::parse(""), Err(YenError::NotANumber));
        assert_eq!(Yen::parse("1,200").unwrap().get(), 1200);
    }

    proptest! {
        #[test]
        fn any_valid_amount_round_trips_through_its_grouped_text(n in 0i64..=MAX_YEN) {
            prop_assert_eq!(Yen::parse(&group_thousands(n)).unwrap().get(), n);
        }

        #[test]
        fn parse_never_panics(s in ".{0,20}") {
            let _ = Yen::parse(&s);
        }
    }
}
