//! The code generated from `proto/orders/v1/orders.proto` (messages, the server trait, and a client), and the
//! encoded descriptor set that server reflection answers from.

#![allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

/// Package `orders.v1`.
pub mod orders {
    /// Version 1 of the order API.
    pub mod v1 {
        tonic::include_proto!("orders.v1");
    }
}

/// The `FileDescriptorSet` of `orders.proto`, for server reflection.
pub const ORDERS_DESCRIPTOR: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/orders_descriptor.bin"));
