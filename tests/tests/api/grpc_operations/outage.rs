//! A database outage over gRPC, through a TCP proxy the test cuts and restores: calls get UNAVAILABLE with
//! `RetryInfo` (never INTERNAL or UNKNOWN), the health service says NOT_SERVING, and both recover without a restart.

use std::time::Duration;

use adapters::grpc::proto::orders::v1 as pb;
use tonic::{Code, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;

use super::{poll, sample};
use crate::grpc_client::{GrpcClient, grpc_order, reason, retry_after_secs};
use crate::helpers::{TestApp, TestDatabase};
use crate::outage::behind_a_proxy;

/// A call's outcome must be a success or the outage's answer: UNAVAILABLE, `unavailable`, retry in 1 s.
fn ok_or_unavailable<T>(outcome: Result<Response<T>, Status>) -> Result<T, Status> {
    let status = match outcome {
        Ok(response) => return Ok(response.into_inner()),
        Err(status) => status,
    };
    assert_unavailable(&status);
    Err(status)
}

fn assert_unavailable(status: &Status) {
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(reason(status), "unavailable", "{status:?}");
    assert_eq!(retry_after_secs(status), Some(1), "{status:?}");
}

fn health(grpc: &GrpcClient) -> ServingStatus {
    grpc.health("")
        .unwrap_or_else(|status| panic!("the health check failed: {status:?}"))
}

/// Waits until the pool holds its 2 connections, idle: then it opens no connection in the background, which the
/// proxy could forward while it is being cut (and so leave open through the outage).
fn wait_for_a_full_pool(app: &TestApp) {
    poll(
        Duration::from_secs(5),
        Duration::from_millis(10),
        "a full pool",
        || {
            let text = app.request("GET", "/metrics", &[], None).body;
            (sample(&text, r#"ordersvc_db_pool_connections{state="idle"}"#) == Some(2.0))
                .then_some(())
        },
    );
}

#[test]
fn an_outage_is_unavailable_with_retry_info_and_health_recovers_without_restart() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let (proxy, app) = behind_a_proxy(&database, |config| config.db_pool_size = Some(2));
    let grpc = app.grpc();
    let id = grpc.place();
    assert_eq!(health(&grpc), ServingStatus::Serving);
    wait_for_a_full_pool(&app);

    proxy.cut();
    poll(
        Duration::from_secs(5),
        Duration::from_millis(50),
        "UNAVAILABLE",
        || ok_or_unavailable(grpc.get(&id)).err(),
    );
    // While the breaker closes and opens again: every call of every method is the same answer.
    for _ in 0..4 {
        assert_unavailable(&grpc.get(&id).unwrap_err());
    }
    assert_unavailable(&grpc.create(grpc_order()).unwrap_err());
    let change = pb::ChangeStatusRequest {
        id: id.clone(),
        status: pb::OrderStatus::Accepted.into(),
        expected_version: None,
    };
    assert_unavailable(&grpc.change_status(change.clone()).unwrap_err());
    assert_unavailable(&grpc.list(pb::ListOrdersRequest::default()).unwrap_err());
    poll(
        Duration::from_secs(5),
        Duration::from_millis(50),
        "NOT_SERVING",
        || (health(&grpc) == ServingStatus::NotServing).then_some(()),
    );
    assert_eq!(
        grpc.health("orders.v1.OrderService").unwrap(),
        ServingStatus::NotServing
    );

    proxy.restore();
    poll(
        Duration::from_secs(10),
        Duration::from_millis(50),
        "SERVING again",
        || (health(&grpc) == ServingStatus::Serving).then_some(()),
    );
    let order = poll(
        Duration::from_secs(10),
        Duration::from_millis(50),
        "a read",
        || ok_or_unavailable(grpc.get(&id)).ok(),
    );
    assert_eq!(order.order.unwrap().id, id);
    assert_eq!(
        grpc.change_status(change)
            .unwrap()
            .into_inner()
            .order
            .unwrap()
            .version,
        2
    );
    grpc.place();
    assert_eq!(
        database.row_count("orders"),
        2,
        "the refused create placed nothing"
    );
}
