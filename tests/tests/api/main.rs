//! End-to-end tests: the real service over HTTP and gRPC against real databases (a fresh SQLite file and a fresh PostgreSQL
//! database per test), the binary's process behaviour, and the architecture's dependency rule. One test binary, so
//! the dependency graph links once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod grpc_client;
mod helpers;

mod architecture;
mod auth;
mod bad_input;
mod change_status;
mod create_order;
mod events;
mod get_order;
mod grpc;
mod grpc_operations;
mod idempotency;
mod list_orders;
mod metrics;
mod outage;
mod parity;
mod process;
mod rate_limit;
mod refusals;
mod restart;
mod rolling_restart;
mod stalled_clients;
mod tcp_proxy;
mod tracing;
