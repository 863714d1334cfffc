//! The HTTP transport (Go kit's `transport/` endpoints and `transport/http`), on actix-web.
//!
//! Each handler decodes a request into the application's types, runs one [`OrderService`](application::OrderService)
//! call on actix's blocking thread pool (the service blocks on its database), and encodes the result; Go kit's
//! endpoint needs no separate type. Transport concerns live here and nowhere else: JSON, status codes, the request
//! id, the access log and the body limit.
//!
//! - [`app`] builds the whole actix `App`: routes, middleware and the fallback for unknown paths.
//! - [`ApiError`] is the only place that picks a status and writes an `application/problem+json` body (RFC 9457).
//! - [`current_request_id`] lets the binary's log format tag every line the service writes on the blocking pool.

mod access_log;
mod blocking;
mod body;
mod dto;
mod error;
mod etag;
mod handlers;
mod health;
mod middleware;
mod problem;
mod request_id;
mod routes;
mod scrape;
mod unread_body;

#[cfg(test)]
mod tests;

pub use body::BODY_LIMIT;
pub use error::ApiError;
pub use health::{Health, Probe};
pub use problem::ProblemCode;
pub use request_id::{RequestId, current_request_id};
pub use routes::{HttpContext, app};
