//! The rate limit over gRPC: a client over its burst gets RESOURCE_EXHAUSTED with `RetryInfo`, its budget is the
//! same whichever transport it spends it on, and the health service is never limited.

use tonic::{Code, Status};
use tonic_health::pb::health_check_response::ServingStatus;

use crate::grpc_client::{grpc_order, reason, request_id_in, retry_after_secs, with_metadata};
use crate::helpers::{TestApp, TestDatabase, order_json};

/// A service allowing each client 3 requests at once, then one every 10 s: slow enough that no test machine earns
/// a token back between requests.
fn limited_app(database: &TestDatabase) -> TestApp {
    TestApp::spawn_with(database.url(), |config| {
        config.rate_limit_rps = Some("0.1".parse().unwrap());
        config.rate_limit_burst = Some(3);
    })
}

fn assert_rate_limited(status: &Status) {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(status), "rate_limited");
    let retry = retry_after_secs(status).unwrap_or_else(|| panic!("no RetryInfo in {status:?}"));
    assert!((1..=10).contains(&retry), "RetryInfo: {retry} s");
}

fn a_client_over_its_burst_is_resource_exhausted_while_health_still_answers(
    database: &TestDatabase,
) {
    let app = limited_app(database);
    let grpc = app.grpc();
    for _ in 0..3 {
        grpc.place();
    }

    let refused = grpc
        .create(with_metadata(
            grpc_order(),
            &[("x-request-id", "limited-1")],
        ))
        .unwrap_err();

    assert_rate_limited(&refused);
    assert_eq!(
        request_id_in(refused.metadata()).as_deref(),
        Some("limited-1")
    );
    assert_rate_limited(&grpc.get("not-even-an-id").unwrap_err());
    for _ in 0..5 {
        assert_eq!(grpc.health("").unwrap(), ServingStatus::Serving);
    }
    assert_eq!(
        database.row_count("orders"),
        3,
        "the refused order was not placed"
    );
}

fn http_and_grpc_spend_one_budget(database: &TestDatabase) {
    let app = limited_app(database);
    let grpc = app.grpc();
    app.place();
    app.place();
    grpc.place();

    app.post_order(&order_json())
        .assert_problem(429, "rate_limited");
    assert_rate_limited(&grpc.create(grpc_order()).unwrap_err());
    assert_eq!(
        grpc.health("orders.v1.OrderService").unwrap(),
        ServingStatus::Serving
    );
    assert_eq!(database.row_count("orders"), 3);
}

#[test]
fn a_client_over_its_burst_is_resource_exhausted_on_sqlite() {
    a_client_over_its_burst_is_resource_exhausted_while_health_still_answers(
        &TestDatabase::sqlite(),
    );
}

#[test]
fn a_client_over_its_burst_is_resource_exhausted_on_postgres() {
    if let Some(database) = TestDatabase::postgres() {
        a_client_over_its_burst_is_resource_exhausted_while_health_still_answers(&database);
    }
}

#[test]
fn http_and_grpc_spend_one_budget_on_sqlite() {
    http_and_grpc_spend_one_budget(&TestDatabase::sqlite());
}

#[test]
fn http_and_grpc_spend_one_budget_on_postgres() {
    if let Some(database) = TestDatabase::postgres() {
        http_and_grpc_spend_one_budget(&database);
    }
}
