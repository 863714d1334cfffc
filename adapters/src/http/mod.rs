//! The HTTP transport (Go kit's `transport/` endpoints and `transport/http`), on actix-web.
//!
//! Each handler decodes a request into the application's types, runs one [`OrderService`](application::OrderService)
//! call on actix's blocking thread pool (the service blocks on its database), and encodes the result; Go kit's
//! endpoint needs no separate type. Transport concerns live here and nowhere else: JSON, status codes, the request
//! id, the access log, the per-client rate limit and the body limit.
//!
//! - [`app`] builds the whole actix `App`: routes, middleware and the fallback for unknown paths.
//! - [`document`] is the OpenAPI 3.1 document of those routes, served at `GET /openapi.json` and browsable at
//!   `GET /docs`; both are generated from the one route table (`endpoints`), so they cannot drift apart.
//! - [`ApiError`] is the only place that picks a status and writes an `application/problem+json` body (RFC 9457).
//! - [`current_request_id`] lets the binary's log format tag every line the service writes on the blocking pool.
//! - [`RateLimiter`] holds a token bucket per client, and [`TrustedProxies`] says whose `X-Forwarded-For` names the
//!   client; [`HttpContext::with_rate_limit`] turns them on.

mod access_log;
mod api_docs;
mod blocking;
mod body;
mod client_ip;
mod cursor;
mod dto;
mod endpoints;
mod error;
mod etag;
mod handlers;
mod health;
mod idempotency;
mod listing;
mod middleware;
mod openapi;
mod problem;
mod rate_limit;
mod request_id;
mod routes;
mod scrape;
mod throttle;
mod unread_body;

#[cfg(test)]
mod tests;

pub use body::BODY_LIMIT;
pub use client_ip::{ParseTrustedProxiesError, TrustedProxies};
pub use cursor::{CursorCodec, InvalidCursor};
pub use error::ApiError;
pub use health::{Health, Probe};
pub use openapi::document;
pub use problem::ProblemCode;
pub use rate_limit::{
    MAX_CLIENTS, ParseRateError, RateLimit, RateLimited, RateLimiter, RequestsPerSecond,
};
pub use request_id::{RequestId, current_request_id};
pub use routes::{HttpContext, app};
