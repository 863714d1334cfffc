//! Bounded, trimmed text: the rule shared by every textual value object.
//!
//! Text is trimmed, then normalised to Unicode NFC, so two spellings a person would take for the same (`é` as one
//! code point, or as `e` and a combining accent) are one value: they compare, hash, filter and are stored alike. The
//! normalised text must hold 1 to `max` characters, no control character (Unicode `Cc`) and no invisible format
//! character (Unicode `Cf`: zero-width characters, bidi controls, soft hyphens, byte order marks, ...), nor a line or
//! paragraph separator (U+2028, U+2029): such text would look like another value while being a different one.

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Why a piece of text is not a valid value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidText {
    /// Nothing but whitespace, or nothing at all.
    #[error("must not be empty")]
    Empty,
    /// More characters than the value allows (counted after trimming and normalising to NFC).
    #[error("must be at most {max} characters")]
    TooLong {
        /// The largest number of characters allowed.
        max: usize,
    },
    /// A control character (newline, tab, NUL, ...) anywhere in the value.
    #[error("must not contain control characters")]
    ControlCharacter,
    /// An invisible format character (Unicode `Cf`), or a line or paragraph separator (U+2028, U+2029), anywhere in
    /// the value. The message names the first one found: the client cannot see it.
    #[error(
        "must not contain invisible formatting characters (zero-width, bidi controls, soft hyphens, line or \
         paragraph separators): found U+{code:04X}",
        code = u32::from(*.found)
    )]
    FormatCharacter {
        /// The first such character.
        found: char,
    },
}

/// Whether `c` is invisible formatting: a format character (Unicode `Cf`) or a line or paragraph separator.
///
/// `Cf` comes from `unicode-properties` rather than a table kept here: it has some twenty ranges (the tag characters,
/// Egyptian hieroglyph controls, ...) and grows with Unicode versions, and that crate is unicode-rs's, kept in step
/// with `unicode-normalization`.
fn is_invisible_formatting(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}') || c.general_category() == GeneralCategory::Format
}

/// Whether text may never hold `c`: a control character (Unicode `Cc`) or invisible formatting. Exposed so that a
/// transport's schema can describe the rule without restating it.
#[must_use]
pub fn is_refused_in_text(c: char) -> bool {
    c.is_control() || is_invisible_formatting(c)
}

/// Trims `raw`, normalises it to NFC, and checks the result holds 1..=`max` characters, no control character and no
/// invisible formatting (see the module's docs).
pub(crate) fn bounded(raw: &str, max: usize) -> Result<String, InvalidText> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(InvalidText::Empty);
    }
    // NFC neither adds nor removes whitespace at the ends (no whitespace decomposes into non-whitespace, nor a
    // non-whitespace character into whitespace; a test checks every character), so trimming first is the same as
    // trimming the normalised text.
    let text: String = trimmed.nfc().collect();
    if text.chars().any(char::is_control) {
        return Err(InvalidText::ControlCharacter);
    }
    if let Some(found) = text.chars().find(|&c| is_invisible_formatting(c)) {
        return Err(InvalidText::FormatCharacter { found });
    }
    if text.chars().count() > max {
        return Err(InvalidText::TooLong { max });
    }
    Ok(text)
}

/// Declares a newtype over bounded text: construction trims and validates, so an invalid value cannot exist.
macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The most characters the value may have after trimming and normalising to NFC.
            pub const MAX_CHARS: usize = $max;

            /// Trims `raw`, normalises it to NFC and validates it.
            ///
            /// # Errors
            /// [`InvalidText`](crate::InvalidText) when the trimmed text is empty, too long (in characters of its
            /// NFC form), or holds a control character or invisible formatting (Unicode `Cf`, U+2028, U+2029).
            pub fn new(raw: &str) -> Result<Self, $crate::InvalidText> {
                $crate::text::bounded(raw, Self::MAX_CHARS).map(Self)
            }

            /// The value as text: trimmed, in NFC.
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

    fn format(found: char) -> InvalidText {
        InvalidText::FormatCharacter { found }
    }

    #[test]
    fn text_is_trimmed_normalised_and_checked() {
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
            // Canonically equivalent spellings become one: a combining accent, Hangul jamo, a singleton.
            ("cafe\u{301}", 4, Ok("caf\u{e9}")),
            ("\u{1100}\u{1161}", 1, Ok("\u{ac00}")),
            ("\u{212b}", 1, Ok("\u{c5}")),
            // The limit counts the characters of the normalised text.
            ("e\u{301}e\u{301}e\u{301}", 3, Ok("\u{e9}\u{e9}\u{e9}")),
            (
                "e\u{301}e\u{301}e\u{301}e",
                3,
                Err(InvalidText::TooLong { max: 3 }),
            ),
            // NFC, not NFKC: compatibility variants are other characters, and stay.
            ("\u{fb01}\u{2460}", 2, Ok("\u{fb01}\u{2460}")),
            // Invisible formatting, anywhere.
            ("a\u{200b}b", 3, Err(format('\u{200b}'))),
            ("a\u{200c}b", 3, Err(format('\u{200c}'))),
            ("a\u{200d}b", 3, Err(format('\u{200d}'))),
            ("a\u{2060}", 3, Err(format('\u{2060}'))),
            ("\u{200e}ab", 3, Err(format('\u{200e}'))),
            ("ab\u{200f}", 3, Err(format('\u{200f}'))),
            ("a\u{202e}b", 3, Err(format('\u{202e}'))),
            ("a\u{2066}b\u{2069}", 3, Err(format('\u{2066}'))),
            ("\u{feff}ab", 3, Err(format('\u{feff}'))),
            ("a\u{ad}b", 3, Err(format('\u{ad}'))),
            ("a\u{e0001}", 3, Err(format('\u{e0001}'))),
            ("a\u{2028}b", 3, Err(format('\u{2028}'))),
            ("a\u{2029}b", 3, Err(format('\u{2029}'))),
            // The separators are whitespace too: at the ends they are trimmed, like a newline is.
            ("\u{2028}abc\u{2029}", 3, Ok("abc")),
            // Control characters are reported first, as before.
            ("a\u{200b}\nb", 4, Err(InvalidText::ControlCharacter)),
            // Visible characters that only look special are text: a variation selector, a no-break space.
            ("\u{2764}\u{fe0f}", 2, Ok("\u{2764}\u{fe0f}")),
            ("a\u{a0}b", 3, Ok("a\u{a0}b")),
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

    #[test]
    fn each_refusal_says_what_to_change() {
        let cases = [
            (InvalidText::Empty, "must not be empty"),
            (
                InvalidText::TooLong { max: 64 },
                "must be at most 64 characters",
            ),
            (
                InvalidText::ControlCharacter,
                "must not contain control characters",
            ),
            (
                format('\u{200b}'),
                "must not contain invisible formatting characters (zero-width, bidi controls, soft hyphens, line \
                 or paragraph separators): found U+200B",
            ),
            (
                format('\u{e0001}'),
                "must not contain invisible formatting characters (zero-width, bidi controls, soft hyphens, line \
                 or paragraph separators): found U+E0001",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }

    /// What makes trimming before normalising the same as trimming after it.
    #[test]
    fn normalising_a_character_keeps_it_whitespace_or_not() {
        for c in '\0'..=char::MAX {
            let normalised: Vec<char> = std::iter::once(c).nfc().collect();
            assert!(
                !normalised.is_empty()
                    && normalised
                        .iter()
                        .all(|n| n.is_whitespace() == c.is_whitespace()),
                "{c:?} normalises to {normalised:?}"
            );
        }
    }

    /// Both tables must describe the same Unicode, or a character new in one would be judged by the other's rules.
    #[test]
    fn normalisation_and_general_category_share_a_unicode_version() {
        let (major, minor, update) = unicode_normalization::UNICODE_VERSION;
        assert_eq!(
            (u64::from(major), u64::from(minor), u64::from(update)),
            unicode_properties::UNICODE_VERSION
        );
    }
}
