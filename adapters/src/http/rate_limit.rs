//! The rate limit as HTTP middleware: a request over its client's limit is answered `429 rate_limited` with
//! `Retry-After`.
//!
//! It runs inside `request_context`, so a refusal carries the request id, is problem+json and is access-logged like
//! any other answer. Without a configured limiter it is not installed at all (see `app.rs`).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use actix_web::http::header::X_FORWARDED_FOR;

use super::error::ApiError;
use super::route_table::is_rate_limit_exempt;
use crate::inbound::{ClientRateLimit, RequestId};

/// Takes a token from the client's bucket, or answers 429 without calling the rest of the app. The probes and the
/// scrape ([`RATE_LIMIT_EXEMPT`](super::route_table::RATE_LIMIT_EXEMPT)), and a
/// request without a peer address (never one over TCP), pass untouched.
pub(crate) async fn enforce_rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Err(refused) = admit(&req) {
        return Ok(req.error_response(refused).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// `Ok` when the request may go on.
fn admit(req: &ServiceRequest) -> Result<(), ApiError> {
    if req
        .match_pattern()
        .is_some_and(|route| is_rate_limit_exempt(&route))
    {
        return Ok(());
    }
    let (Some(limit), Some(peer)) = (
        req.app_data::<web::Data<ClientRateLimit>>(),
        req.peer_addr(),
    ) else {
        return Ok(());
    };
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate);
    let forwarded = req
        .headers()
        .get_all(X_FORWARDED_FOR)
        .map(|value| value.as_bytes());
    limit
        .admit(peer.ip(), forwarded, &request_id)
        .map_err(ApiError::from)
}
