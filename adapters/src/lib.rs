//! # adapters: where ordersvc meets the outside world
//!
//! - [`persistence`]: the `OrderRepository` port implemented with diesel over an r2d2 pool, on PostgreSQL or SQLite
//!   (Go kit's `cockroachdb/`).
//! - [`http`]: the actix-web transport over the `OrderService` port: routes, DTOs, problem+json errors, request ids
//!   and the access log (Go kit's `transport/` endpoints and `transport/http`).
//! - [`metrics`]: the `Metrics` port and the HTTP request metrics in one Prometheus registry, served at
//!   `GET /metrics`.
//! - [`system`]: the `Clock` and `IdGenerator` ports over the system clock and UUID v7.
//!
//! **May depend on**: `domain`, `application`, and the IO crates (diesel, r2d2, actix-web, serde). It is the only
//! crate that knows SQL, JSON or HTTP status codes. **Must not** be depended on by `domain` or `application`.

pub mod grpc;
pub mod http;
pub mod inbound;
pub mod metrics;
pub mod persistence;
pub mod system;
