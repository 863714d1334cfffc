//! `POST /orders`: the seed's contract, and what it now validates.

use serde_json::json;

use crate::helpers::{TestApp, TestDatabase, on_both_backends, order_json};

fn a_valid_order_is_created_pending_with_a_location(app: &TestApp, database: &TestDatabase) {
    let reply = app.post_order(&order_json());
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.header("location"),
        Some(format!("/orders/{id}").as_str())
    );
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let order = app.get_order(&id).json()["order"].clone();
    assert_eq!(order["status"], "Pending");
    assert_eq!(
        (
            database.row_count("orders"),
            database.row_count("order_items")
        ),
        (1, 2)
    );
}

fn client_sent_id_status_times_and_unknown_fields_are_ignored(app: &TestApp, _: &TestDatabase) {
    let mut body = order_json();
    body["id"] = json!("00000000-0000-7000-8000-000000000000");
    body["status"] = json!("Delivered");
    body["created_on"] = json!(1);
    body["coupon"] = json!({"code": "FREE"});
    let reply = app.post_order(&body);
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_ne!(id, "00000000-0000-7000-8000-000000000000");
    let order = app.get_order(&id).json()["order"].clone();
    assert_eq!(order["status"], "Pending");
    assert_ne!(order["created_on"], 1);
}

fn each_create_makes_a_new_order(app: &TestApp, database: &TestDatabase) {
    let ids: std::collections::HashSet<String> = (0..5).map(|_| app.place()).collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(database.row_count("orders"), 5);
}

fn every_response_carries_a_request_id_and_echoes_a_sane_one(app: &TestApp, _: &TestDatabase) {
    let body = order_json().to_string();
    let echoed = app.request(
        "POST",
        "/orders",
        &[
            ("Content-Type", "application/json"),
            ("X-Request-ID", "trace-abc-123"),
        ],
        Some(&body),
    );
    assert_eq!(echoed.header("x-request-id"), Some("trace-abc-123"));
    let generated = app.get_order("00000000-0000-7000-8000-000000000000");
    assert!(
        generated
            .header("x-request-id")
            .is_some_and(|id| !id.is_empty())
    );
    let insane = app.request("GET", "/orders/x", &[("X-Request-ID", "has space")], None);
    assert_ne!(insane.header("x-request-id"), Some("has space"));
}

on_both_backends!(
    a_valid_order_is_created_pending_with_a_location,
    client_sent_id_status_times_and_unknown_fields_are_ignored,
    each_create_makes_a_new_order,
    every_response_carries_a_request_id_and_echoes_a_sane_one,
);
