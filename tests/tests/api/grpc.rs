//! The gRPC transport through the real service: the same orders as HTTP's, across transports, and the operational
//! behaviour (health, reflection, drain, outage, deadline, rate limit, metrics) that both transports share.

use adapters::grpc::proto::orders::v1 as pb;
use serde_json::Value;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::grpc_client::{grpc_order, reason, retry_after_secs, violations, with_metadata};
use crate::helpers::{TestApp, TestDatabase, on_both_backends};

/// An order placed over one transport is the same order over the other: read and moved either way.
fn an_order_made_over_one_transport_is_read_and_moved_over_the_other(
    app: &TestApp,
    _database: &TestDatabase,
) {
    let grpc = app.grpc();
    let over_grpc = grpc.place();
    let reply = app.get_order(&over_grpc);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let order: Value = reply.json()["order"].clone();
    assert_eq!(order["customer_id"], "customer-42");
    assert_eq!(order["total"].to_string(), "20.48");
    let moved = app.change_status(&over_grpc, "Accepted", Some("\"1\""));
    assert_eq!(moved.status, 200, "{}", moved.body);

    let read = grpc.get(&over_grpc).unwrap().into_inner().order.unwrap();
    assert_eq!((read.version, read.total_cents), (2, 2048));
    assert_eq!(
        read.status(),
        adapters::grpc::proto::orders::v1::OrderStatus::Accepted
    );

    let over_http = app.place();
    let read = grpc.get(&over_http).unwrap().into_inner().order.unwrap();
    assert_eq!(read.id, over_http);
    assert_eq!(read.order_items.len(), 2);
}

/// An idempotent create retried over the other transport is a replay of the first.
fn an_idempotent_retry_over_the_other_transport_is_a_replay(
    app: &TestApp,
    database: &TestDatabase,
) {
    let grpc = app.grpc();
    let first = grpc
        .create(with_metadata(
            grpc_order(),
            &[("idempotency-key", "cross-1")],
        ))
        .unwrap()
        .into_inner();
    assert!(!first.replayed);
    let headers = [
        ("Content-Type", "application/json"),
        ("Idempotency-Key", "cross-1"),
    ];
    let body = crate::helpers::order_json().to_string();
    let retry = app.request("POST", "/orders", &headers, Some(&body));
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json()["id"], first.id.as_str());
    let again = grpc
        .create(with_metadata(
            grpc_order(),
            &[("idempotency-key", "cross-1")],
        ))
        .unwrap()
        .into_inner();
    assert_eq!(
        (again.id.as_str(), again.replayed),
        (first.id.as_str(), true)
    );
    assert_eq!(database.row_count("orders"), 1);
}

/// A listing cursor from one transport pages on the other.
fn a_cursor_from_one_transport_pages_on_the_other(app: &TestApp, _database: &TestDatabase) {
    let grpc = app.grpc();
    let ids: Vec<String> = (0..3).map(|_| grpc.place()).collect();
    let first = app.request("GET", "/orders?limit=2", &[], None).json();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let rest = grpc
        .list(pb::ListOrdersRequest {
            limit: 2,
            cursor,
            ..pb::ListOrdersRequest::default()
        })
        .unwrap()
        .into_inner();
    assert_eq!(rest.orders.len(), 1);
    assert_eq!(rest.orders[0].id, ids[0]);
    assert_eq!(rest.next_cursor, "");
    let page = grpc
        .list(pb::ListOrdersRequest {
            limit: 1,
            ..pb::ListOrdersRequest::default()
        })
        .unwrap()
        .into_inner();
    let over_http = app.request(
        "GET",
        &format!("/orders?limit=5&cursor={}", page.next_cursor),
        &[],
        None,
    );
    let listed: Vec<String> = over_http.json()["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, [ids[1].clone(), ids[0].clone()]);
}

/// A refused call carries the HTTP problem's code, every field with HTTP's paths, and the request id.
fn a_refused_call_names_its_reason_and_fields(app: &TestApp, _database: &TestDatabase) {
    let mut order = grpc_order();
    order.customer_id = String::new();
    order.order_items[1].quantity = 0;
    let status = app
        .grpc()
        .create(with_metadata(order, &[("x-request-id", "grpc-refused-1")]))
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "validation_failed");
    let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["customer_id", "order_items[1].quantity"]);
    assert_eq!(
        status
            .metadata()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap(),
        "grpc-refused-1"
    );
    assert_eq!(retry_after_secs(&status), None);
}

/// The health service says SERVING for the server and the order service, and knows no other.
fn health_serves_the_server_and_the_order_service(app: &TestApp, _database: &TestDatabase) {
    let grpc = app.grpc();
    assert_eq!(grpc.health("").unwrap(), ServingStatus::Serving);
    assert_eq!(
        grpc.health("orders.v1.OrderService").unwrap(),
        ServingStatus::Serving
    );
    assert_eq!(grpc.health("nope").unwrap_err().code(), Code::NotFound);
}

/// A status change over gRPC follows the same lifecycle and version rules.
fn a_status_change_follows_the_lifecycle(app: &TestApp, _database: &TestDatabase) {
    let grpc = app.grpc();
    let id = grpc.place();
    let change = |status: pb::OrderStatus, expected_version| pb::ChangeStatusRequest {
        id: id.clone(),
        status: status.into(),
        expected_version,
    };
    let moved = grpc
        .change_status(change(pb::OrderStatus::Accepted, Some(1)))
        .unwrap();
    assert_eq!(moved.into_inner().order.unwrap().version, 2);
    let stale = grpc
        .change_status(change(pb::OrderStatus::Preparing, Some(1)))
        .unwrap_err();
    assert_eq!(
        (stale.code(), reason(&stale)),
        (Code::Aborted, "version_mismatch".into())
    );
    let refused = grpc
        .change_status(change(pb::OrderStatus::Delivered, None))
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused)),
        (Code::FailedPrecondition, "invalid_transition".into())
    );
    let unspecified = grpc
        .change_status(change(pb::OrderStatus::Unspecified, None))
        .unwrap_err();
    assert_eq!(unspecified.code(), Code::InvalidArgument);
    assert_eq!(violations(&unspecified)[0].0, "status");
}

on_both_backends!(
    an_order_made_over_one_transport_is_read_and_moved_over_the_other,
    an_idempotent_retry_over_the_other_transport_is_a_replay,
    a_cursor_from_one_transport_pages_on_the_other,
    a_refused_call_names_its_reason_and_fields,
    health_serves_the_server_and_the_order_service,
    a_status_change_follows_the_lifecycle,
);
