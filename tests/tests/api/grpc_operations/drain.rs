//! The real binary's drain over gRPC: on SIGTERM the health service says NOT_SERVING at once while orders are still
//! served on both transports for the grace period; then the process exits 0. Each call has its access log line.

use std::time::{Duration, Instant};

use tonic_health::pb::health_check_response::ServingStatus;

use super::poll;
use crate::grpc_client::{GrpcClient, grpc_order, request_id_in, with_metadata};
use crate::helpers::{TestDatabase, order_json};
use crate::process::{signal, start, wait_for_line};

/// `POST /orders` on `port`: the status.
fn post_order(port: u16) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("http://127.0.0.1:{port}/orders"))
        .header("Content-Type", "application/json")
        .body(order_json().to_string())
        .unwrap();
    agent.run(request).unwrap().status().as_u16()
}

/// A CreateOrder with `request_id`, which must succeed; then its access line, which must say so.
fn create_and_find_its_line(
    grpc: &GrpcClient,
    logs: &std::sync::mpsc::Receiver<String>,
    request_id: &str,
) {
    let placed = grpc
        .create(with_metadata(grpc_order(), &[("x-request-id", request_id)]))
        .unwrap_or_else(|status| panic!("{request_id}: {status:?}"));
    assert_eq!(
        request_id_in(placed.metadata()).as_deref(),
        Some(request_id)
    );
    let line = wait_for_line(
        logs,
        &format!("request_id={request_id}"),
        Duration::from_secs(5),
    );
    for field in [
        " INFO access ",
        " transport=grpc method=/orders.v1.OrderService/CreateOrder code=OK duration_ms=",
        " peer=127.0.0.1:",
    ] {
        assert!(line.contains(field), "{field:?} in {line:?}");
    }
}

#[test]
fn on_sigterm_grpc_health_fails_at_once_while_calls_are_served_then_the_process_exits_zero() {
    let database = TestDatabase::sqlite();
    let mut process = start(
        database.url(),
        &[("SHUTDOWN_GRACE_SECS", "2"), ("RUST_LOG", "info")],
    );
    let grpc = GrpcClient::connect(process.grpc_port.expect("gRPC is on"));
    assert_eq!(grpc.health("").unwrap(), ServingStatus::Serving);
    create_and_find_its_line(&grpc, &process.logs, "drain-before-1");

    signal(&process.child, "TERM");
    let signalled = Instant::now();
    poll(
        Duration::from_secs(2),
        Duration::from_millis(10),
        "NOT_SERVING",
        || (grpc.health("").unwrap() == ServingStatus::NotServing).then_some(()),
    );
    let noticed = signalled.elapsed();
    assert!(
        noticed < Duration::from_millis(500),
        "NOT_SERVING after {noticed:?}"
    );
    assert_eq!(
        grpc.health("orders.v1.OrderService").unwrap(),
        ServingStatus::NotServing
    );

    create_and_find_its_line(&grpc, &process.logs, "drain-during-1");
    assert_eq!(post_order(process.port), 201);
    let served = signalled.elapsed();
    assert!(
        served < Duration::from_secs(2),
        "served within the grace period: {served:?}"
    );

    // The client keeps its connection, and keeps answering on it (as a live client does: the server's graceful
    // GOAWAY waits for its ping's answer), until the process has exited.
    let child = &mut process.child;
    let status = grpc.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "ordersvc did not exit within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let exited = signalled.elapsed();
    let rest: Vec<String> = process.logs.try_iter().collect();
    assert!(status.success(), "{status}: {rest:#?}");
    assert!(
        exited < Duration::from_secs(4),
        "exited {exited:?} after the signal: {rest:#?}"
    );
    assert_eq!(database.row_count("orders"), 3);
}
