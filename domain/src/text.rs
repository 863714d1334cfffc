//! Bounded, trimmed text: the rule shared by every textual value object.

use thiserror::Error;

/// Why a piece of text is not a valid value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidText {
    /// Nothing but whitespace, or nothing at all.
    #[error("must not be empty")]
    Empty,
    /// More characters than the value allows (counted after trimming).
    #[error("must be at most {max} characters")]
    TooLong {
        /// The largest number of characters allowed.
        max: usize,
    },
    /// A control character (newline, tab, NUL, ...) anywhere in the value.
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// Trims `raw` and checks it holds 1..=`max` characters and no control character.
pub(crate) fn bounded(raw: &str, max: usize) -> Result<String, InvalidText> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(InvalidText::Empty);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(InvalidText::ControlCharacter);
    }
    if trimmed.chars().count() > max {
        return Err(InvalidText::TooLong { max });
    }
    Ok(trimmed.to_owned())
}

/// Declares a newtype over bounded text: construction trims and validates, so an invalid value cannot exist.
macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The most characters the value may have after trimming.
            pub const MAX_CHARS: usize = $max;

            /// Trims and validates `raw`.
            ///
            /// # Errors
            /// [`InvalidText`](crate::InvalidText) when the trimmed text is empty, too long or holds a control
            /// character.
            pub fn new(raw: &str) -> Result<Self, $crate::InvalidText> {
                $crate::text::bounded(raw, Self::MAX_CHARS).map(Self)
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::InvalidText;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::new(raw)
            }
        }
    };
}
pub(crate) use bounded_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_checked() {
        let cases: &[(&str, usize, Result<&str, InvalidText>)] = &[
            ("abc", 3, Ok("abc")),
            ("  abc \t", 3, Ok("abc")),
            ("é日本", 3, Ok("é日本")),
            ("", 3, Err(InvalidText::Empty)),
            ("   ", 3, Err(InvalidText::Empty)),
            ("abcd", 3, Err(InvalidText::TooLong { max: 3 })),
            ("a\nb", 3, Err(InvalidText::ControlCharacter)),
            ("a\u{0}", 3, Err(InvalidText::ControlCharacter)),
            ("a\u{7f}", 3, Err(InvalidText::ControlCharacter)),
        ];
        for (raw, max, expected) in cases {
            let got = bounded(raw, *max);
            assert_eq!(
                got.as_deref(),
                expected.as_ref().map(|s| *s),
                "input {raw:?}"
            );
        }
    }
}
