//! The request context as handlers receive it: the request id the middleware chose for the request.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::HeaderName;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::inbound::{RequestContext, RequestId, X_REQUEST_ID};

/// The header that carries the request id, both ways.
pub(crate) const X_REQUEST_ID_HEADER: HeaderName = HeaderName::from_static(X_REQUEST_ID);

impl FromRequest for RequestContext {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    /// The context of this request: the id the middleware stored (a new one if the handler runs without it). An
    /// HTTP client states no deadline, so there is none.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let stored = req.extensions().get::<RequestId>().cloned();
        ready(Ok(Self::new(stored.unwrap_or_else(RequestId::generate))))
    }
}
