//! End-to-end tests: the real service over HTTP against real databases, plus the architecture's dependency rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod architecture;
