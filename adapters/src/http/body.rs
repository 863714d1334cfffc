//! Request bodies: `application/json` only, not content-encoded, at most [`BODY_LIMIT`] bytes, decoded with serde.
//! [`check_body_headers`] judges the headers alone, so a request can be refused before its body is sent.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue,
};
use actix_web::mime::Mime;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::dto::from_json;
use super::error::ApiError;
use super::unread_body::BodyTimedOut;
use crate::inbound::ErrorCode;

pub use crate::inbound::BODY_LIMIT;

/// The only media type a body may have (parameters such as `charset=utf-8` are allowed).
const JSON: &str = "application/json";

/// A JSON request body decoded into `T`. Refuses, in this order: headers that [`check_body_headers`] refuses (400,
/// 415, 413), a body that grows over [`BODY_LIMIT`] while it is read, chunked or not (413), and one that is not a JSON
/// object of `T`'s shape (400, saying where).
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = check_body_headers(req.headers());
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_limited(payload, declared?).await?;
            from_json(&bytes).map(JsonBody)
        })
    }
}

/// Judges a request's body by its headers alone, before any of it is read (an `Expect: 100-continue` can be refused
/// with this at once); returns the declared `Content-Length`, if any.
///
/// # Errors
/// In this order:
/// - `malformed_request` (400) when `Content-Type` or `Content-Length` is sent more than once;
/// - `unsupported_media_type` (415) when there is no `Content-Type` or it is not `application/json`, and when the
///   body is content-encoded (a `Content-Encoding` other than `identity`: the service decodes none);
/// - `malformed_request` (400) when `Content-Length` is not a number, `payload_too_large` (413) when it is over
///   [`BODY_LIMIT`].
pub(crate) fn check_body_headers(headers: &HeaderMap) -> Result<Option<usize>, ApiError> {
    let content_type = single(headers, &CONTENT_TYPE, "Content-Type")?;
    let length = single(headers, &CONTENT_LENGTH, "Content-Length")?;
    if !content_type.is_some_and(is_json) {
        return Err(ApiError::unsupported_media_type());
    }
    if !is_identity(headers) {
        return Err(ApiError::unsupported_encoding());
    }
    let Some(length) = length else {
        return Ok(None);
    };
    let length = length
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok())
        .ok_or_else(|| ApiError::malformed("Content-Length is not a number"))?;
    if length > BODY_LIMIT {
        return Err(ApiError::payload_too_large(BODY_LIMIT));
    }
    Ok(Some(length))
}

/// The value of header `name`, which a request may send once (`shown` is how the client's documents spell it).
fn single<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
    shown: &str,
) -> Result<Option<&'a HeaderValue>, ApiError> {
    let mut values = headers.get_all(name);
    match (values.next(), values.next()) {
        (value, None) => Ok(value),
        (_, Some(_)) => Err(ApiError::malformed(format!("send {shown} once"))),
    }
}

/// Whether a `Content-Type` is `application/json`, with any parameters (`charset=utf-8`).
fn is_json(value: &HeaderValue) -> bool {
    value
        .to_str()
        .ok()
        .and_then(|text| text.parse::<Mime>().ok())
        .is_some_and(|mime| mime.essence_str() == JSON)
}

/// Whether the body is sent as is: no `Content-Encoding`, or only `identity` (empty list elements do not count,
/// RFC 9110, section 5.6.1).
fn is_identity(headers: &HeaderMap) -> bool {
    headers.get_all(CONTENT_ENCODING).all(|value| {
        value.to_str().is_ok_and(|text| {
            text.split(',')
                .map(str::trim)
                .filter(|coding| !coding.is_empty())
                .all(|coding| coding.eq_ignore_ascii_case("identity"))
        })
    })
}

/// Reads the whole body, refusing it as soon as it grows past [`BODY_LIMIT`], whatever its `Content-Length` said.
async fn read_limited(mut payload: Payload, declared: Option<usize>) -> Result<BytesMut, ApiError> {
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(payload_error)?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::payload_too_large(BODY_LIMIT));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A body that could not be read: too large for the decoder, or cut short or garbled by the client.
fn payload_error(error: PayloadError) -> ApiError {
    if let Some(timeout) = BodyTimedOut::of(&error) {
        return ApiError::new(
            ErrorCode::RequestTimeout,
            format!(
                "the body did not arrive within {} s; send it at once",
                timeout.as_secs_f64()
            ),
        );
    }
    match error {
        PayloadError::Overflow => ApiError::payload_too_large(BODY_LIMIT),
        PayloadError::Incomplete(_) => ApiError::malformed(
            "the body ended before it was complete (short of its Content-Length, or without its last chunk)",
        ),
        PayloadError::EncodingCorrupted => {
            ApiError::malformed("the body's chunked framing is malformed")
        }
        _ => ApiError::malformed("the body could not be read; send it again"),
    }
}
