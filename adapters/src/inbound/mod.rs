//! What every driving adapter (transport) shares, and nothing that knows a transport: the request context and id,
//! the executor that runs blocking service calls, how a call fails ([`Failure`] and its stable [`ErrorCode`]), the
//! per-client rate limit and who the client is, listing cursors, the instance's health, and the rules that turn a
//! client's fields into commands; and [`ServingContext`], the one set of them every transport is built from.
//!
//! [`http`](crate::http) and [`grpc`](crate::grpc) are two thin layers over this one: each decodes its wire format
//! into the requests here, runs the call through the [`ServiceExecutor`], and maps a [`Failure`] to its own error
//! model. So a rule (a validation, a code, a limit) lives once, and both transports answer alike.

mod authentication;
mod client;
mod client_limit;
mod context;
mod cursor;
mod executor;
mod failure;
mod health;
mod rate_limit;
mod request_id;
mod requests;
mod serving;

pub use authentication::{
    AuthSettings, Authenticator, Challenge, KeyError, LEEWAY_SECS, MAX_TOKEN_BYTES,
    MIN_SECRET_BYTES, Unauthenticated, mint, read_hs256_secret,
};
pub use client::{ParseTrustedProxiesError, TrustedProxies, X_FORWARDED_FOR};
pub use client_limit::ClientRateLimit;
pub use context::RequestContext;
pub use cursor::{CursorCodec, InvalidCursor};
pub use executor::{NotRun, ServiceExecutor};
pub use failure::{ErrorCode, Failure};
#[cfg(test)]
pub use health::always_ready;
pub use health::{Health, Probe};
pub use rate_limit::{
    MAX_CLIENTS, ParseRateError, RateLimit, RateLimited, RateLimiter, RequestsPerSecond,
};
pub use request_id::{RequestId, X_REQUEST_ID, current_request_id};
pub use requests::{
    BODY_LIMIT, IDEMPOTENCY_KEY, ListingRequest, StatusChangeRequest, idempotency_key,
};
pub use serving::{DEFAULT_BODY_TIMEOUT, ServingContext};
