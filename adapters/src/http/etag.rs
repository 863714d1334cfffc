//! Entity tags: an order's [`Version`] is its `ETag`, and `If-Match` asks for a change at a given version.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{HeaderValue, IF_MATCH};
use actix_web::{FromRequest, HttpRequest};
use domain::Version;

use super::error::ApiError;

/// The `ETag` of an order at `version`: the version number, quoted (`"3"`).
pub(crate) fn etag(version: Version) -> String {
    format!("\"{version}\"")
}

/// The version an `If-Match` header asks for: `None` when there is no header or it is `*` (no condition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IfMatch(pub(crate) Option<Version>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut values = req.headers().get_all(IF_MATCH);
        let parsed = match (values.next(), values.next()) {
            (None, _) => Ok(Self(None)),
            (Some(value), None) => parse(value).map(Self),
            (Some(_), Some(_)) => Err(ApiError::malformed("send If-Match once")),
        };
        ready(parsed)
    }
}

/// `*`, or one strong tag holding a non-negative integer (`"3"`); a list or a weak tag is refused, since an order has
/// one current version and `If-Match` compares strongly.
fn parse(value: &HeaderValue) -> Result<Option<Version>, ApiError> {
    let text = value.to_str().map_err(|_| malformed())?.trim();
    if text == "*" {
        return Ok(None);
    }
    text.strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<u64>().ok())
        .map(|version| Some(Version::new(version)))
        .ok_or_else(malformed)
}

fn malformed() -> ApiError {
    ApiError::malformed("If-Match must be * or one quoted version, such as \"3\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Option<Option<u64>> {
        parse(&HeaderValue::from_str(text).unwrap())
            .ok()
            .map(|version| version.map(Version::get))
    }

    #[test]
    fn a_quoted_version_or_a_star_is_understood() {
        assert_eq!(parse_text("\"3\""), Some(Some(3)));
        assert_eq!(parse_text(" \"0\" "), Some(Some(0)));
        assert_eq!(parse_text("*"), Some(None));
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "3",
            "\"\"",
            "\"-1\"",
            "\"+1\"",
            "\"1.0\"",
            "W/\"3\"",
            "\"1\", \"2\"",
            "\"99999999999999999999\"",
            "\"abc\"",
        ] {
            assert_eq!(parse_text(text), None, "{text:?}");
        }
    }

    #[test]
    fn an_etag_is_the_quoted_version() {
        assert_eq!(etag(Version::new(12)), "\"12\"");
    }
}
