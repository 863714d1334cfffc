//! What a URL carries, percent-decoded strictly: the pairs of a query string, and the order id at the end of a path.
//!
//! actix and `serde_urlencoded` decode leniently: `%ff` becomes U+FFFD, and `%zz` or a lone `%` stay as they are.
//! A lossy decode would answer a request for something the client did not ask for, so here an escape that is not `%`
//! and two hex digits, or escapes that do not spell UTF-8, refuse the request (`malformed_request`) instead.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use domain::OrderId;

use crate::http::error::ApiError;

/// At most this many characters of a bad escape are quoted back to the client.
const EXCERPT_CHARS: usize = 24;

/// Why a piece of a URL could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum BadEncoding {
    /// A `%` not followed by two hex digits, quoted with what follows it.
    Escape(String),
    /// A run of escapes that is not UTF-8, quoted.
    NotUtf8(String),
}

impl BadEncoding {
    /// The refusal of `part` ("the query string", "the path") for this reason.
    fn refusal(&self, part: &str) -> ApiError {
        let reason = match self {
            Self::Escape(escape) => {
                format!("`{escape}` is not % followed by two hex digits; write a literal % as %25")
            }
            Self::NotUtf8(escapes) => {
                format!("`{escapes}` is not UTF-8; percent-encode text as UTF-8 bytes")
            }
        };
        ApiError::malformed(format!("{part} is not validly percent-encoded: {reason}"))
    }
}

/// The `(name, value)` pairs of `query`, in order, decoded as `application/x-www-form-urlencoded` (`+` is a space)
/// but strictly. An empty pair (`a=1&&b=2`) is skipped; a pair without `=` has an empty value.
///
/// # Errors
/// `malformed_request` when a name or a value is not validly percent-encoded UTF-8.
pub(crate) fn query_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name, true)?, decode(value, true)?))
        })
        .collect::<Result<_, BadEncoding>>()
        .map_err(|bad| bad.refusal("the query string"))
}

/// The order id that ends the request's path, as in `/orders/{id}`: its last segment, decoded strictly. The raw path is
/// read, not the one actix matched, which actix has already decoded lossily; actix never decodes a `/`, so the raw
/// path's last segment is the one the route matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OrderIdPath(pub(crate) OrderId);

impl FromRequest for OrderIdPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    /// # Errors
    /// `malformed_request` when the segment is not validly percent-encoded UTF-8; `order_not_found` when it is not a
    /// UUID, which names no order.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let path = req.uri().path();
        let segment = path.rsplit('/').next().unwrap_or(path);
        let id = decode(segment, false)
            .map_err(|bad| bad.refusal("the path"))
            .and_then(|text| text.parse::<OrderId>().map(Self).map_err(ApiError::from));
        ready(id)
    }
}

/// `text` with its escapes decoded, and `+` read as a space when `plus_is_space` (a query string, not a path).
fn decode(text: &str, plus_is_space: bool) -> Result<String, BadEncoding> {
    let bytes = text.as_bytes();
    let mut decoded = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'%' => {
                // A run of escapes decodes on its own: a literal character between two escapes is never inside a
                // UTF-8 sequence, so the whole text is UTF-8 exactly when every run is.
                let start = at;
                let mut run = Vec::new();
                while bytes.get(at) == Some(&b'%') {
                    let byte = bytes
                        .get(at + 1..at + 3)
                        .and_then(hex_byte)
                        .ok_or_else(|| BadEncoding::Escape(excerpt(&text[at..], 3)))?;
                    run.push(byte);
                    at += 3;
                }
                let run = String::from_utf8(run)
                    .map_err(|_| BadEncoding::NotUtf8(excerpt(&text[start..at], EXCERPT_CHARS)))?;
                decoded.push_str(&run);
            }
            b'+' if plus_is_space => {
                decoded.push(' ');
                at += 1;
            }
            _ => {
                // `at` is always on a character boundary: escapes and `+` are ASCII.
                let rest = &text[at..];
                let end = rest.find(['%', '+']).unwrap_or(rest.len()).max(1);
                decoded.push_str(&rest[..end]);
                at += end;
            }
        }
    }
    Ok(decoded)
}

/// The byte two hex digits spell.
fn hex_byte(digits: &[u8]) -> Option<u8> {
    let digit = |d: u8| char::from(d).to_digit(16);
    match digits {
        [high, low] => Some(u8::try_from(digit(*high)? * 16 + digit(*low)?).ok()?),
        _ => None,
    }
}

/// The first `chars` characters of `text`.
fn excerpt(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_escapes_and_plus_signs_decode() {
        assert_eq!(decode("a%20b+c%2B%C3%A9", true).unwrap(), "a b c+é");
        assert_eq!(decode("a+b%2f", false).unwrap(), "a+b/");
        assert_eq!(decode("", true).unwrap(), "");
        assert_eq!(decode("plain-text_1.~", true).unwrap(), "plain-text_1.~");
    }

    #[test]
    fn a_bad_escape_is_refused_and_quoted() {
        for (text, quoted) in [
            ("%zz", "%zz"),
            ("%", "%"),
            ("a%4", "%4"),
            ("%4g1", "%4g"),
            ("ok%20%%41", "%%4"),
        ] {
            assert_eq!(
                decode(text, true),
                Err(BadEncoding::Escape(quoted.into())),
                "{text}"
            );
        }
    }

    #[test]
    fn escapes_that_are_not_utf8_are_refused_never_replaced() {
        for (text, quoted) in [
            ("%ff", "%ff"),
            ("x%C3", "%C3"),
            ("%C3x%A9", "%C3"),
            ("%e2%82", "%e2%82"),
        ] {
            assert_eq!(
                decode(text, true),
                Err(BadEncoding::NotUtf8(quoted.into())),
                "{text}"
            );
        }
    }

    #[test]
    fn query_pairs_keep_their_order_and_skip_empty_ones() {
        let pairs = query_pairs("a=1&&b&c=%41+z").unwrap();
        let expected = [("a", "1"), ("b", ""), ("c", "A z")];
        assert_eq!(pairs, expected.map(|(n, v)| (n.to_owned(), v.to_owned())));
    }

    #[test]
    fn a_bad_query_is_a_malformed_request_naming_the_escape() {
        let error = query_pairs("status=%ff").unwrap_err();
        assert_eq!(
            error.detail(),
            "the query string is not validly percent-encoded: `%ff` is not UTF-8; percent-encode text as UTF-8 bytes"
        );
    }
}
