//! `Idempotency-Key` through the real service: a retry replays the first answer and creates nothing, another body
//! under the same key is refused, and racing requests with one key make exactly one order.

use std::sync::Barrier;

use serde_json::json;

use crate::helpers::{Reply, TestApp, TestDatabase, on_both_backends, order_json};

fn post_with_key(app: &TestApp, key: &str, body: &str) -> Reply {
    let headers = [
        ("Content-Type", "application/json"),
        ("Idempotency-Key", key),
    ];
    app.request("POST", "/orders", &headers, Some(body))
}

fn a_retry_replays_the_first_answer_and_creates_nothing(app: &TestApp, database: &TestDatabase) {
    let body = order_json().to_string();
    let first = post_with_key(app, "checkout-1", &body);
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    let retry = post_with_key(app, "checkout-1", &body);
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        (retry.body.as_str(), retry.header("location")),
        (first.body.as_str(), first.header("location"))
    );
    // The same content written differently is the same request.
    let mut reordered = order_json();
    reordered["status"] = json!("ignored");
    assert_eq!(
        post_with_key(app, "checkout-1", &reordered.to_string()).body,
        first.body
    );
    assert_eq!(database.row_count("orders"), 1);
    assert_eq!(
        post_with_key(app, "checkout-2", &body).header("idempotent-replayed"),
        None
    );
    assert_eq!(database.row_count("orders"), 2);
}

/// The fingerprint is the validated order's: a price written `0.50` or `0.5`, an id with spaces validation trims, a
/// quantity written `2.0` are the same order, and a retry spelled so is a replay.
fn a_retry_spelled_differently_is_the_same_request(app: &TestApp, database: &TestDatabase) {
    let plain = r#"{"customer_id": "customer-42", "restaurant_id": "restaurant-7", "order_items": [
        {"product_code": "soda", "name": "Soda", "unit_price": 0.5, "quantity": 2}]}"#;
    let respelled = r#"{"order_items": [{"quantity": 2.0, "unit_price": 0.50, "name": " Soda",
        "product_code": "soda"}], "restaurant_id": "restaurant-7", "customer_id": "  customer-42 "}"#;
    let first = post_with_key(app, "spelling-1", plain);
    assert_eq!(first.status, 201, "{}", first.body);
    let retry = post_with_key(app, "spelling-1", respelled);
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body, first.body);
    assert_eq!(database.row_count("orders"), 1);
}

fn a_key_reused_with_another_body_is_refused(app: &TestApp, database: &TestDatabase) {
    assert_eq!(
        post_with_key(app, "checkout-1", &order_json().to_string()).status,
        201
    );
    let mut other = order_json();
    other["customer_id"] = json!("someone-else");
    post_with_key(app, "checkout-1", &other.to_string())
        .assert_problem(422, "idempotency_key_reused");
    app.request(
        "POST",
        "/orders",
        &[
            ("Content-Type", "application/json"),
            ("Idempotency-Key", "no spaces"),
        ],
        Some("{}"),
    )
    .assert_problem(400, "malformed_request");
    assert_eq!(database.row_count("orders"), 1);
}

fn invalid_requests_store_no_key(app: &TestApp, database: &TestDatabase) {
    post_with_key(app, "checkout-1", "{}").assert_problem(422, "validation_failed");
    assert_eq!(
        post_with_key(app, "checkout-1", &order_json().to_string()).status,
        201
    );
    assert_eq!(database.row_count("orders"), 1);
}

fn racing_requests_with_one_key_make_exactly_one_order(app: &TestApp, database: &TestDatabase) {
    let body = order_json().to_string();
    let barrier = Barrier::new(12);
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                let (barrier, body) = (&barrier, &body);
                scope.spawn(move || {
                    barrier.wait();
                    post_with_key(app, "race", body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        replies.iter().all(|r| r.status == 201),
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, &r.body))
            .collect::<Vec<_>>()
    );
    assert!(
        replies.iter().all(|r| r.body == replies[0].body),
        "every reply names the same order"
    );
    let fresh = replies
        .iter()
        .filter(|r| r.header("idempotent-replayed").is_none())
        .count();
    assert_eq!(fresh, 1);
    assert_eq!(
        (
            database.row_count("orders"),
            database.row_count("order_items")
        ),
        (1, 2)
    );
}

on_both_backends!(
    a_retry_replays_the_first_answer_and_creates_nothing,
    a_retry_spelled_differently_is_the_same_request,
    a_key_reused_with_another_body_is_refused,
    invalid_requests_store_no_key,
    racing_requests_with_one_key_make_exactly_one_order,
);

#[test]
fn a_key_is_free_again_after_its_retention() {
    let database = TestDatabase::sqlite();
    let app = TestApp::spawn_with(database.url(), |config| {
        config.idempotency_retention_secs = 1
    });
    let first = post_with_key(&app, "short-lived", &order_json().to_string());
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let mut other = order_json();
    other["customer_id"] = json!("someone-else");
    let later = post_with_key(&app, "short-lived", &other.to_string());
    assert_eq!(later.status, 201, "{}", later.body);
    assert_ne!(later.body, first.body);
    assert_eq!(database.row_count("orders"), 2);
}
