//! A client deadline over gRPC: a call that cannot be served in time is DEADLINE_EXCEEDED, and a call whose deadline
//! passed while it waited in the executor's queue never runs.

use std::time::{Duration, Instant};

use adapters::grpc::proto::orders::v1 as pb;
use tonic::{Code, Request};

use super::poll;
use crate::grpc_client::{GrpcClient, grpc_order, reason, request_id_in, with_metadata};
use crate::helpers::{TestApp, TestDatabase};

/// Waits until the executor's one thread is busy: a health probe (which runs on the executor) gets no answer in
/// time.
fn wait_until_the_executor_is_busy(grpc: &GrpcClient) {
    poll(
        Duration::from_secs(5),
        Duration::from_millis(20),
        "a busy executor",
        || grpc.health_within(Duration::from_millis(100)).err(),
    );
}

#[test]
fn a_call_whose_deadline_passes_in_the_queue_is_deadline_exceeded_and_never_runs() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    // One executor thread and one connection; waits long enough that nothing is shed or timed out on the way.
    let app = TestApp::spawn_with(database.url(), |config| {
        config.db_pool_size = Some(1);
        config.db_acquire_timeout_ms = 10_000;
        config.db_statement_timeout_ms = 10_000;
    });
    let grpc = app.grpc();
    let mut in_time = Request::new(grpc_order());
    in_time.set_timeout(Duration::from_secs(5));
    let first = grpc.create(in_time).unwrap().into_inner().id;

    let lock = database.lock_table("orders");
    let blocked = std::thread::scope(|scope| {
        let blocked = scope.spawn(|| app.grpc().create(grpc_order()));
        wait_until_the_executor_is_busy(&grpc);
        let mut late = with_metadata(grpc_order(), &[("x-request-id", "late-1")]);
        late.set_timeout(Duration::from_millis(300));
        let started = Instant::now();
        let status = grpc.create(late).unwrap_err();
        let waited = started.elapsed();
        drop(lock);
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
        assert_eq!(reason(&status), "deadline_exceeded");
        assert_eq!(request_id_in(status.metadata()).as_deref(), Some("late-1"));
        assert!(waited < Duration::from_secs(1), "answered after {waited:?}");
        blocked.join().unwrap()
    });
    let blocked = blocked.unwrap().into_inner().id;

    // A call queued after the late one has run: the late one's turn has passed.
    let listed = grpc
        .list(pb::ListOrdersRequest::default())
        .unwrap()
        .into_inner();
    let mut ids: Vec<String> = listed.orders.into_iter().map(|order| order.id).collect();
    ids.sort();
    let mut expected = vec![first, blocked];
    expected.sort();
    assert_eq!(ids, expected, "the late order was not placed");
    assert_eq!(database.row_count("orders"), 2);
}
