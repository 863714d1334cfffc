//! Decoding a JSON body, and what a client is told when it cannot be decoded: where (the member's path, such as
//! `order_items[0].quantity`) and what to change, in the API's words. Never a Rust type's name or the parser's own
//! wording (`expected struct OrderItemRequest`, `EOF while parsing`): those say nothing a client can act on.

use serde::de::DeserializeOwned;
use serde_json::error::Category;
use serde_path_to_error::{Path, Segment};

use crate::http::error::ApiError;

/// `bytes` as `T`: one JSON object with nothing after it.
///
/// # Errors
/// `malformed_request` when the body is not a JSON object, is not valid JSON (said with the line and column), or
/// has a member of the wrong type (said with the member's path, also in the problem's `errors`).
pub(crate) fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde would also fill a struct from an array, by position; the contract's bodies are objects.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::malformed("the body must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = field_path(error.path());
        refusal(path, &error.into_inner())
    })?;
    deserializer.end().map_err(|error| refusal(None, &error))?;
    Ok(value)
}

/// The refusal for `error`, met at the member `path` (`None` at the top).
fn refusal(path: Option<String>, error: &serde_json::Error) -> ApiError {
    let message = message(error);
    match error.classify() {
        Category::Syntax | Category::Eof => ApiError::malformed(format!(
            "the body is not valid JSON: {} at line {}, column {}",
            syntax(error.classify(), &message),
            error.line(),
            error.column()
        )),
        Category::Data => data(path, &message),
        Category::Io => ApiError::malformed("the body could not be read"),
    }
}

/// `error`'s own message, without the position serde_json appends to it.
fn message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&position).unwrap_or(&text).to_owned()
}

/// What is wrong with JSON that does not parse, said for a client.
fn syntax(category: Category, message: &str) -> &'static str {
    if category == Category::Eof {
        return "unexpected end";
    }
    const PHRASES: [(&str, &str); 16] = [
        ("expected `:`", "expected `:` after a member's name"),
        ("expected `,` or `]`", "expected `,` or `]` in an array"),
        ("expected `,` or `}`", "expected `,` or `}` in an object"),
        ("expected ident", "expected true, false or null"),
        ("expected value", "expected a JSON value"),
        ("expected `\"`", "expected a member's name in double quotes"),
        ("invalid escape", "invalid escape in a string"),
        ("invalid number", "invalid number"),
        ("number out of range", "number out of range"),
        ("invalid unicode code point", "invalid \\u escape"),
        (
            "lone leading surrogate",
            "unpaired surrogate in a \\u escape",
        ),
        ("unexpected end of hex escape", "incomplete \\u escape"),
        (
            "control character",
            "unescaped control character in a string",
        ),
        ("key must be a string", "a member's name must be a string"),
        ("trailing comma", "trailing comma"),
        ("trailing characters", "more after the JSON value"),
    ];
    PHRASES
        .iter()
        .find(|(start, _)| message.starts_with(start))
        .map_or("unexpected character", |(_, phrase)| phrase)
}

/// The refusal of a member of the wrong JSON type (or repeated, or missing) at `path`.
fn data(path: Option<String>, message: &str) -> ApiError {
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, ""));
        let must = match (json_type(expected), json_type(found)) {
            (Some(expected), Some(found)) => format!("must be {expected}, not {found}"),
            (Some(expected), None) => format!("must be {expected}"),
            (None, _) => "has the wrong JSON type".to_owned(),
        };
        return at(path, must);
    }
    for (start, must) in [
        ("duplicate field `", "is sent more than once; send it once"),
        ("missing field `", "is required"),
    ] {
        if let Some(name) = message
            .strip_prefix(start)
            .and_then(|n| n.strip_suffix('`'))
        {
            let member = match path {
                Some(parent) => format!("{parent}.{name}"),
                None => name.to_owned(),
            };
            return ApiError::malformed_field(member, must);
        }
    }
    at(path, "cannot be read".to_owned())
}

/// `must` said of the member at `path`, or of the body.
fn at(path: Option<String>, must: String) -> ApiError {
    match path {
        Some(path) => ApiError::malformed_field(path, must),
        None => ApiError::malformed(format!("the body {must}")),
    }
}

/// The JSON type serde names in `what` (an expected or an unexpected value), as the API's documents name it.
fn json_type(what: &str) -> Option<&'static str> {
    const TYPES: [(&str, &str); 12] = [
        ("a string", "a string"),
        ("string", "a string"),
        ("a JSON number", "a number"),
        ("integer", "a number"),
        ("floating point", "a number"),
        ("a boolean", "a boolean"),
        ("boolean", "a boolean"),
        ("an array", "an array"),
        ("a sequence", "an array"),
        ("sequence", "an array"),
        ("null", "null"),
        ("an object", "an object"),
    ];
    let what = what.trim();
    if what == "map" || what == "a map" || what.starts_with("struct ") {
        return Some("an object");
    }
    TYPES
        .iter()
        .find(|(start, _)| what == *start || what.starts_with(&format!("{start} ")))
        .map(|(_, name)| *name)
}

/// The member's path as the API names it (`order_items[0].quantity`), or `None` at the top.
fn field_path(path: &Path) -> Option<String> {
    let mut text = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => text.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    (!text.is_empty()).then_some(text)
}
