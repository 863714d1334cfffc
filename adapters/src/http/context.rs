//! The request context as handlers receive it: the request id the middleware chose for the request, and the caller
//! its `Authorization` header names.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderName};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::error::ApiError;
use crate::inbound::{Authenticator, Failure, RequestContext, RequestId, X_REQUEST_ID};

/// The header that carries the request id, both ways.
pub(crate) const X_REQUEST_ID_HEADER: HeaderName = HeaderName::from_static(X_REQUEST_ID);

impl FromRequest for RequestId {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    /// The id the middleware stored (a new one if the handler runs without it), for handlers that need no caller.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let stored = req.extensions().get::<RequestId>().cloned();
        ready(Ok(stored.unwrap_or_else(RequestId::generate)))
    }
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    /// The context of this request: the id the middleware stored (a new one if the handler runs without it), and
    /// the authenticated caller, which is also stored for the access log. An HTTP client states no deadline, so
    /// there is none. Only the order handlers take a context, so only they require a token.
    ///
    /// # Errors
    /// `unauthenticated`, with its `WWW-Authenticate` challenge, when the app authenticates and the request has no
    /// valid bearer token; nothing of the request (its body included) is read.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let stored = req.extensions().get::<RequestId>().cloned();
        let context = Self::new(stored.unwrap_or_else(RequestId::generate));
        let Some(authenticator) = req.app_data::<web::Data<Authenticator>>() else {
            return ready(Ok(context));
        };
        let values = req
            .headers()
            .get_all(AUTHORIZATION)
            .map(|value| value.as_bytes());
        ready(match authenticator.authenticate(values) {
            Ok(caller) => {
                req.extensions_mut().insert(caller.clone());
                Ok(context.with_caller(caller))
            }
            Err(refused) => Err(ApiError::from(Failure::from(refused))),
        })
    }
}
