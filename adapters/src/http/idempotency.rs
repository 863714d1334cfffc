//! The `Idempotency-Key` request header, and the header that marks a replayed answer.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::HeaderName;
use actix_web::{FromRequest, HttpRequest};
use domain::IdempotencyKey;

use super::error::ApiError;
use crate::inbound::{IDEMPOTENCY_KEY, idempotency_key};

/// The header a client sends to make a create safe to retry.
const IDEMPOTENCY_KEY_HEADER: HeaderName = HeaderName::from_static(IDEMPOTENCY_KEY);

/// The header on an answer repeated from an earlier request with the same key.
pub(crate) const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The request's `Idempotency-Key`, if it sent one. Extraction never fails, so the body is still read when the header
/// is bad; the handler turns a bad header into a 400 once it has the body.
#[derive(Debug)]
pub(crate) struct IdempotencyKeyHeader(Result<Option<IdempotencyKey>, ApiError>);

impl IdempotencyKeyHeader {
    /// The key, if sent.
    ///
    /// # Errors
    /// `malformed_request` when the header is not 1 to 255 visible ASCII characters, or is sent twice.
    pub(crate) fn into_key(self) -> Result<Option<IdempotencyKey>, ApiError> {
        self.0
    }
}

impl FromRequest for IdempotencyKeyHeader {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let values = req.headers().get_all(IDEMPOTENCY_KEY_HEADER);
        let key = idempotency_key(values.map(|value| value.as_bytes())).map_err(ApiError::from);
        ready(Ok(Self(key)))
    }
}
