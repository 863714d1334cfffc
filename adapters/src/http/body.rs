//! Request bodies: `application/json` only, at most [`BODY_LIMIT`] bytes, decoded with serde.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::error::ApiError;

pub use crate::inbound::BODY_LIMIT;

/// The only media type a body may have (parameters such as `charset=utf-8` are allowed).
const JSON: &str = "application/json";

/// A JSON request body decoded into `T`. Refuses, in this order: a body that is not `application/json` (415), one
/// over [`BODY_LIMIT`] by its `Content-Length` or while it is read, chunked or not (413), and one that is not JSON
/// of `T`'s shape (400).
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = check_headers(req);
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_limited(payload, declared?).await?;
            // serde would also fill a struct from an array, by position; the contract's bodies are objects.
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                return Err(ApiError::malformed("the body must be a JSON object"));
            }
            serde_json::from_slice(&bytes)
                .map(JsonBody)
                .map_err(ApiError::malformed)
        })
    }
}

/// Checks the media type and the declared length; returns the declared length, if any.
fn check_headers(req: &HttpRequest) -> Result<Option<usize>, ApiError> {
    match req.mime_type() {
        Ok(Some(mime)) if mime.essence_str() == JSON => {}
        _ => return Err(ApiError::unsupported_media_type()),
    }
    let Some(length) = req.headers().get(CONTENT_LENGTH) else {
        return Ok(None);
    };
    let length = length
        .to_str()
        .ok()
        .and_then(|text| text.parse::<usize>().ok())
        .ok_or_else(|| ApiError::malformed("Content-Length is not a number"))?;
    if length > BODY_LIMIT {
        return Err(ApiError::payload_too_large(BODY_LIMIT));
    }
    Ok(Some(length))
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
    match error {
        PayloadError::Overflow => ApiError::payload_too_large(BODY_LIMIT),
        other => ApiError::malformed(format!("the body could not be read: {other}")),
    }
}
