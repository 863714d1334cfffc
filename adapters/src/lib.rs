//! # adapters: where ordersvc meets the outside world
//!
//! - [`persistence`]: the `OrderRepository` and `Outbox` ports implemented with diesel over an r2d2 pool, on
//!   PostgreSQL or SQLite (Go kit's `cockroachdb/`).
//! - [`events`]: the `EventPublisher` port over NATS JetStream, with order events as CloudEvents.
//! - [`inbound`]: what every driving adapter shares, knowing no transport: the request context, the executor that
//!   runs the blocking service calls, failures and their stable codes, the rate limit, cursors, health, and the
//!   rules that turn a client's fields into commands.
//! - [`http`]: the actix-web transport over it: routes, DTOs, problem+json errors and the access log (Go kit's
//!   `transport/` endpoints and `transport/http`).
//! - [`grpc`]: the tonic transport over it: `orders.v1.OrderService`, health and reflection (Go kit's
//!   `transport/grpc`).
//! - [`metrics`]: the `Metrics` port and the HTTP request metrics in one Prometheus registry, served at
//!   `GET /metrics`.
//! - [`system`]: the `Clock` and `IdGenerator` ports over the system clock and UUID v7.
//! - [`telemetry`]: OpenTelemetry traces: the use case's span (a decorator over the `OrderService` port), the
//!   database's spans, W3C Trace Context, and the OTLP export.
//!
//! **May depend on**: `domain`, `application`, and the IO crates (diesel, r2d2, actix-web, tonic, async-nats, serde). It is the
//! only crate that knows SQL, JSON, protobuf or status codes. **Must not** be depended on by `domain` or `application`.

pub mod events;
pub mod grpc;
pub mod http;
pub mod inbound;
pub mod metrics;
pub mod persistence;
pub mod system;
pub mod telemetry;
