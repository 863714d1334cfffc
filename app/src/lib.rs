//! # app: the ordersvc binary's library (the composition root)
//!
//! Configuration ([`Config`]: flags and environment), logger set-up, wiring adapters to the core service, migrations
//! at start-up, serving, and graceful shutdown on SIGTERM/SIGINT ([`Application`]).
//!
//! **May depend on** every other crate, and is the only one that may use `anyhow`. Nothing depends on it but the
//! end-to-end tests, which build an [`Application`] on port 0 against their own database.
//!
//! **Go kit counterpart**: `cmd/main.go`.

mod config;
mod limits;
mod log_writer;
pub mod logging;
mod purge;
mod relay;
mod startup;

pub use config::{Authentication, Command, Config, GrpcAddr, RoleArg, TokenArgs};
pub use startup::Application;
