//! The HTTP transport (Go kit's `transport/http`), on actix-web.
//!
//! Each handler decodes a request into the shared [`inbound`](crate::inbound) requests and commands, runs one
//! [`OrderService`](application::OrderService) call on the [`ServiceExecutor`](crate::inbound::ServiceExecutor), and
//! encodes the result; Go kit's endpoint needs no separate type. Only what knows HTTP lives here: JSON bodies, status
//! codes and problem+json, headers (`X-Request-ID`, `Idempotency-Key`, `If-Match`, `ETag`), the access log line of a
//! request, the rate limit as middleware, and the OpenAPI document.
//!
//! - [`app`] builds the whole actix `App`: routes, middleware and the fallback for unknown paths.
//! - [`document`] is the OpenAPI 3.1 document of those routes, served at `GET /openapi.json` and browsable at
//!   `GET /docs`; both are generated from the one route table (`route_table`), so they cannot drift apart.
//! - [`ApiError`] is the only place that picks a status and writes an `application/problem+json` body (RFC 9457).

mod access_log;
mod api_docs;
mod app;
mod body;
mod context;
mod dto;
mod error;
mod etag;
mod handlers;
mod idempotency;
mod listing;
mod middleware;
mod openapi;
mod probes;
mod problem;
mod protocol_problems;
mod rate_limit;
mod route_table;
mod schemas;
mod scrape;
mod server;
mod unread_body;

#[cfg(test)]
mod tests;

pub use app::app;
pub use body::BODY_LIMIT;
/// The order as the API shows it, which the events carry too.
pub(crate) use dto::OrderResponse;
pub use error::ApiError;
pub use openapi::document;
pub use server::{ServerSettings, serve};
