//! Money as integer minor units (cents): exact, never a float.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::decimal::{self, DecimalError};

/// An amount of money in cents, never negative. Arithmetic is checked: it returns `None` rather than wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseMoneyError {
    /// Not the text of a non-negative number.
    #[error("must be a non-negative number with at most 2 decimal places")]
    Malformed,
    /// A value with more than two decimal places (`1.999`; `1.990` is fine).
    #[error("must have at most 2 decimal places")]
    TooManyDecimals,
    /// Too many digits to count in cents.
    #[error("is too large")]
    TooLarge,
}

impl Money {
    /// No money.
    pub const ZERO: Self = Self(0);

    /// An amount of `cents`; `None` when negative.
    pub const fn from_cents(cents: i64) -> Option<Self> {
        if cents < 0 { None } else { Some(Self(cents)) }
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self * times`, or `None` on overflow.
    pub fn checked_mul(self, times: u32) -> Option<Self> {
        self.0.checked_mul(i64::from(times)).map(Self)
    }
}

impl FromStr for Money {
    type Err = ParseMoneyError;

    /// Parses the text of a JSON number such as `9.99`, `10` or `0.5` into cents, exactly. The value counts, not
    /// the spelling: `10.50`, `10.500` and `1.05e1` are all 1050 cents.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match decimal::scaled(raw, 2) {
            Ok(cents) if cents >= 0 => Ok(Self(cents)),
            Ok(_) | Err(DecimalError::Malformed) => Err(ParseMoneyError::Malformed),
            Err(DecimalError::Inexact) => Err(ParseMoneyError::TooManyDecimals),
            Err(DecimalError::TooLarge) => Err(ParseMoneyError::TooLarge),
        }
    }
}

impl fmt::Display for Money {
    /// Renders the amount with two decimals (`9.99`, `10.00`): valid as a JSON number and read back exactly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decimal_text_parses_to_exact_cents() {
        let cases: &[(&str, Result<i64, ParseMoneyError>)] = &[
            ("0", Ok(0)),
            ("9.99", Ok(999)),
            ("10", Ok(1000)),
            ("10.5", Ok(1050)),
            ("0.07", Ok(7)),
            ("1000000.00", Ok(100_000_000)),
            ("0.1", Ok(10)),
            ("", Err(ParseMoneyError::Malformed)),
            (".5", Err(ParseMoneyError::Malformed)),
            ("5.", Err(ParseMoneyError::Malformed)),
            ("-1", Err(ParseMoneyError::Malformed)),
            ("+1", Err(ParseMoneyError::Malformed)),
            ("1e2", Ok(10_000)),
            ("1.05e1", Ok(1050)),
            ("10.500", Ok(1050)),
            ("-0.0", Ok(0)),
            ("1.2.3", Err(ParseMoneyError::Malformed)),
            (" 1", Err(ParseMoneyError::Malformed)),
            ("1.999", Err(ParseMoneyError::TooManyDecimals)),
            ("1.0001", Err(ParseMoneyError::TooManyDecimals)),
            ("1e-3", Err(ParseMoneyError::TooManyDecimals)),
            ("99999999999999999999", Err(ParseMoneyError::TooLarge)),
            ("92233720368547758.08", Err(ParseMoneyError::TooLarge)),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                raw.parse::<Money>().map(Money::cents),
                *expected,
                "input {raw:?}"
            );
        }
    }

    #[test]
    fn money_renders_with_two_decimals() {
        for (cents, text) in [
            (0, "0.00"),
            (5, "0.05"),
            (999, "9.99"),
            (1000, "10.00"),
            (100_000_000, "1000000.00"),
        ] {
            assert_eq!(
                Money::from_cents(cents).map(|m| m.to_string()).as_deref(),
                Some(text)
            );
        }
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = Money::from_cents(i64::MAX).unwrap();
        assert_eq!(max.checked_add(Money::from_cents(1).unwrap()), None);
        assert_eq!(max.checked_mul(2), None);
        assert_eq!(Money::from_cents(-1), None);
        assert_eq!(
            Money::from_cents(250).unwrap().checked_mul(4),
            Money::from_cents(1000)
        );
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_gives_the_same_amount(cents in 0..=i64::MAX) {
            let money = Money::from_cents(cents).unwrap();
            prop_assert_eq!(money.to_string().parse::<Money>(), Ok(money));
        }

        #[test]
        fn parsing_agrees_with_integer_arithmetic(whole in 0u32..=10_000_000, fraction in 0u32..100) {
            let two = format!("{whole}.{fraction:02}");
            prop_assert_eq!(two.parse::<Money>().map(Money::cents), Ok(i64::from(whole) * 100 + i64::from(fraction)));
        }

        #[test]
        fn parsing_never_panics(raw in "\\PC{0,24}") {
            let _ = raw.parse::<Money>();
        }
    }
}
