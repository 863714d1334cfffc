//! The exact value of a JSON number's text, scaled by a power of ten, without passing through a float.
//!
//! JSON does not distinguish `2`, `2.0` and `2e0` (nor `9.9` and `9.90`): they are one number, and JSON Schema and
//! clients in every language treat them so. The value objects built from numbers (money, quantities) judge the
//! value, read exactly here, never the spelling.

/// Why a number's text has no value at the asked scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecimalError {
    /// Not the text of a number (`1.`, `.5`, `+1`, `1e`, `abc`).
    Malformed,
    /// More precision than the scale keeps (`1.999` at two decimals).
    Inexact,
    /// Beyond what an `i64` holds at that scale.
    TooLarge,
}

/// The largest exponent read exactly; a larger one only says "huge" or "tiny".
const MAX_EXPONENT: i64 = 1_000_000;

/// `raw` (a number: optional `-`, digits, optional `.digits`, optional `e`/`E`, sign and digits) times
/// `10^scale`, when that is a whole number that fits an `i64`: `scaled("9.90", 2) == Ok(990)`,
/// `scaled("2e3", 0) == Ok(2000)`, `scaled("1.999", 2) == Err(Inexact)`. Leading zeros are allowed, and zero is
/// zero whatever its sign or exponent.
pub(crate) fn scaled(raw: &str, scale: u32) -> Result<i64, DecimalError> {
    let (negative, unsigned) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], exponent(&unsigned[at + 1..])?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !is_digits(whole) || (mantissa.contains('.') && !is_digits(fraction)) {
        return Err(DecimalError::Malformed);
    }
    let digits = format!("{whole}{fraction}");
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    if significant.is_empty() {
        return Ok(0);
    }
    // The value is `significant * 10^power`.
    let trailing_zeros = digits.trim_start_matches('0').len() - significant.len();
    let power = exponent + i64::from(scale) - fraction.len() as i64 + trailing_zeros as i64;
    if power < 0 {
        return Err(DecimalError::Inexact);
    }
    let factor = u32::try_from(power)
        .ok()
        .and_then(|power| 10_i64.checked_pow(power))
        .ok_or(DecimalError::TooLarge)?;
    let value = significant
        .parse::<i64>()
        .ok()
        .and_then(|significant| significant.checked_mul(factor))
        .ok_or(DecimalError::TooLarge)?;
    Ok(if negative { -value } else { value })
}

/// The exponent's text after the `e`: an optional sign and digits, clamped to [`MAX_EXPONENT`].
fn exponent(text: &str) -> Result<i64, DecimalError> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if !is_digits(digits) {
        return Err(DecimalError::Malformed);
    }
    let significant = digits.trim_start_matches('0');
    let magnitude = if significant.len() > 7 {
        MAX_EXPONENT
    } else {
        significant.parse::<i64>().unwrap_or(0).min(MAX_EXPONENT)
    };
    Ok(if negative { -magnitude } else { magnitude })
}

/// One or more ASCII digits.
fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_number_is_read_by_its_value_not_its_spelling() {
        let cases: &[(&str, u32, Result<i64, DecimalError>)] = &[
            ("2", 0, Ok(2)),
            ("2.0", 0, Ok(2)),
            ("2.000", 0, Ok(2)),
            ("2e0", 0, Ok(2)),
            ("2.5e1", 0, Ok(25)),
            ("200E-2", 0, Ok(2)),
            ("250E-2", 2, Ok(250)),
            ("1e+3", 0, Ok(1000)),
            ("007", 0, Ok(7)),
            ("9.99", 2, Ok(999)),
            ("9.990", 2, Ok(999)),
            ("0.1", 2, Ok(10)),
            ("1e2", 2, Ok(10_000)),
            ("15e-2", 2, Ok(15)),
            ("-3", 0, Ok(-3)),
            ("-0.0", 2, Ok(0)),
            ("0e999999999999", 2, Ok(0)),
        ];
        for (raw, scale, expected) in cases {
            assert_eq!(scaled(raw, *scale), *expected, "{raw:?} at scale {scale}");
        }
    }

    #[test]
    fn more_precision_than_the_scale_is_inexact() {
        for (raw, scale) in [("2.5", 0), ("1.999", 2), ("1e-3", 2), ("1e-999999999", 0)] {
            assert_eq!(scaled(raw, scale), Err(DecimalError::Inexact), "{raw:?}");
        }
    }

    #[test]
    fn a_value_beyond_an_i64_is_too_large() {
        for raw in [
            "99999999999999999999",
            "92233720368547758.08",
            "1e19",
            "1e999999999",
        ] {
            assert_eq!(scaled(raw, 2), Err(DecimalError::TooLarge), "{raw:?}");
        }
    }

    #[test]
    fn text_that_is_not_a_number_is_malformed() {
        for raw in [
            "", "-", ".5", "5.", "+1", "1.2.3", " 1", "1 ", "1e", "1e+", "e5", "1x", "--1", "1e2.5",
        ] {
            assert_eq!(scaled(raw, 2), Err(DecimalError::Malformed), "{raw:?}");
        }
    }

    proptest! {
        #[test]
        fn reading_never_panics(raw in "\\PC{0,40}", scale in 0u32..4) {
            let _ = scaled(&raw, scale);
        }

        #[test]
        fn trailing_zeros_and_exponents_do_not_change_the_value(
            whole in 0u32..1_000_000, zeros in 0usize..5, shift in 0u32..6,
        ) {
            let plain = format!("{whole}.{}", "0".repeat(zeros + 1));
            prop_assert_eq!(scaled(&plain, 0), Ok(i64::from(whole)));
            let shifted = format!("{whole}e{shift}");
            prop_assert_eq!(scaled(&shifted, 0), Ok(i64::from(whole) * 10_i64.pow(shift)));
        }
    }
}
