//! The gRPC transport (Go kit's `transport/grpc`), on tonic: `orders.v1.OrderService` from
//! `proto/orders/v1/orders.proto`, beside `grpc.health.v1.Health` and server reflection (v1 and v1alpha), on one
//! port, over the same [`ServiceExecutor`](crate::inbound::ServiceExecutor) (and so the same service and decorators)
//! as HTTP.
//!
//! Like [`http`](crate::http), it is a thin layer over [`inbound`](crate::inbound): `endpoints` decode messages
//! into the shared requests and run one call each, `status` maps a failure's stable code to a gRPC status with
//! `google.rpc` details, and the call layer gives every call a request id, an access log line and its metrics.

mod call_log;
mod codec;
mod endpoints;
mod health;
mod limits;
mod messages;
mod metadata;
pub mod proto;
mod status;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tonic::transport::Server;

pub use status::{ERROR_DOMAIN, grpc_code};

use self::call_log::CallLayer;
use self::endpoints::GrpcOrderService;
use self::health::LiveHealth;
use self::limits::{MessageTimeoutLayer, limited_incoming};
use self::proto::ORDERS_DESCRIPTOR;
use self::proto::orders::v1::order_service_server::OrderServiceServer;
use crate::inbound::{BODY_LIMIT, ServingContext};

/// The most calls one connection may have in flight at once.
const MAX_CONCURRENT_STREAMS: u32 = 128;

/// The largest header list (metadata) a call may send, in bytes.
const MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;

/// How often an idle connection is pinged, and how long the answer may take before the connection is closed.
const KEEPALIVE: (Duration, Duration) = (Duration::from_secs(30), Duration::from_secs(10));

/// The largest response message, in bytes: a page weighs at most `application::PAGE_WEIGHT_LIMIT` (about its JSON
/// size, above its protobuf size), so every page fits with room to spare.
const MAX_RESPONSE_SIZE: usize = 2 * application::PAGE_WEIGHT_LIMIT;

/// The reflection services could not be built from the descriptors (a build fault).
#[derive(Debug, thiserror::Error)]
#[error("the gRPC reflection service cannot be built")]
pub struct ReflectionError(#[source] tonic_reflection::server::Error);

/// Serves every gRPC service on `listener`, with at most `max_connections` connections open at once, until
/// `shutdown` completes; then stops accepting connections, lets the calls in flight finish and returns.
///
/// # Errors
/// [`ReflectionError`] before serving; the server's error (boxed) when serving fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    context: ServingContext,
    max_connections: usize,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let orders = OrderServiceServer::new(GrpcOrderService {
        executor: Arc::clone(&context.executor),
        cursors: context.cursors,
        rate_limit: context.rate_limit,
        authenticator: context.authenticator,
    })
    .max_decoding_message_size(BODY_LIMIT)
    .max_encoding_message_size(MAX_RESPONSE_SIZE);
    let health = tonic_health::pb::health_server::HealthServer::new(LiveHealth {
        health: context.health,
        executor: context.executor,
    });
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(ORDERS_DESCRIPTOR)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1().map_err(ReflectionError)?;
    let reflection_v1alpha = reflection().build_v1alpha().map_err(ReflectionError)?;
    let body_timeout = context.body_timeout;
    // A connection must open (send its HTTP/2 preface) within the body timeout too; once open, keep-alive pings
    // find a peer that went away, and each call's message has the body timeout.
    let incoming = limited_incoming(listener, max_connections, body_timeout);
    Server::builder()
        .accept_http1(false)
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .http2_max_header_list_size(MAX_HEADER_LIST_SIZE)
        .http2_keepalive_interval(Some(KEEPALIVE.0))
        .http2_keepalive_timeout(Some(KEEPALIVE.1))
        .layer(CallLayer {
            metrics: context.metrics,
        })
        .layer(MessageTimeoutLayer {
            timeout: body_timeout,
        })
        .add_service(orders)
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}
