//! The rate limit middleware: a request over its client's limit is answered `429 rate_limited` with `Retry-After`.
//!
//! It runs inside `request_context`, so a refusal carries the request id, is problem+json and is access-logged like
//! any other answer. Without a configured limiter it is not installed at all (see [`app`](super::app)).

use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::client_ip::TrustedProxies;
use super::endpoints::is_operational;
use super::error::ApiError;
use super::rate_limit::RateLimiter;
use super::request_id::RequestId;

/// What the middleware needs: the buckets, and whose `X-Forwarded-For` to believe when naming the client.
#[derive(Debug)]
pub(crate) struct Throttle {
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) proxies: TrustedProxies,
}

/// Takes a token from the client's bucket, or answers 429 without calling the rest of the app. The operational
/// routes ([`OPERATIONAL_ROUTES`](super::endpoints::OPERATIONAL_ROUTES)), and a
/// request without a peer address (never one over TCP), pass untouched.
pub(crate) async fn throttle(
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
        .is_some_and(|route| is_operational(&route))
    {
        return Ok(());
    }
    let (Some(throttle), Some(peer)) = (req.app_data::<web::Data<Throttle>>(), req.peer_addr())
    else {
        return Ok(());
    };
    let client = throttle.proxies.client_ip(peer.ip(), req.headers());
    throttle.limiter.acquire(client).map_err(|refused| {
        // The access log has the peer; behind a proxy, only this line names the client that was refused.
        let request_id = req.extensions().get::<RequestId>().cloned();
        log::debug!(
            "rate limited client={client} retry_after={:?} request_id={}",
            refused.retry_after(),
            request_id.as_ref().map_or("-", RequestId::as_str)
        );
        ApiError::from(refused)
    })
}
