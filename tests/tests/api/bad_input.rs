//! Bad input of every kind: each gets its documented problem response, and nothing is written.

use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, TestDatabase, on_both_backends, order_json};

fn raw_post(app: &TestApp, path: &str, content_type: Option<&str>, body: &str) -> Reply {
    let headers: Vec<(&str, &str)> = content_type
        .map(|c| ("Content-Type", c))
        .into_iter()
        .collect();
    app.request("POST", path, &headers, Some(body))
}

fn with_item(edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = order_json();
    edit(&mut body["order_items"][0]);
    body
}

fn nothing_was_written(database: &TestDatabase) {
    assert_eq!(
        (
            database.row_count("orders"),
            database.row_count("order_items")
        ),
        (0, 0)
    );
}

fn bodies_that_are_not_json_objects_of_the_right_types_are_malformed(
    app: &TestApp,
    database: &TestDatabase,
) {
    let json = Some("application/json");
    for body in [
        "",
        "{",
        "not json",
        "[]",
        "42",
        r#"{"customer_id": 5}"#,
        r#"{"order_items": {}}"#,
    ] {
        raw_post(app, "/orders", json, body).assert_problem(400, "malformed_request");
    }
    let string_price = with_item(|item| item["unit_price"] = json!("9.99"));
    app.post_order(&string_price)
        .assert_problem(400, "malformed_request");
    let string_quantity = with_item(|item| item["quantity"] = json!("2"));
    app.post_order(&string_quantity)
        .assert_problem(400, "malformed_request");
    nothing_was_written(database);
}

fn every_missing_or_invalid_field_is_named_at_once(app: &TestApp, database: &TestDatabase) {
    let body = json!({
        "restaurant_id": "  ",
        "order_items": [
            {"product_code": "ok", "name": "ok", "unit_price": 1.999, "quantity": 0},
            {"name": "n".repeat(201), "unit_price": 1000000.01, "quantity": 1.5}
        ]
    });
    let problem = app
        .post_order(&body)
        .assert_problem(422, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "customer_id",
            "restaurant_id",
            "order_items[0].unit_price",
            "order_items[0].quantity",
            "order_items[1].product_code",
            "order_items[1].name",
            "order_items[1].unit_price",
            "order_items[1].quantity",
        ],
        "{problem}"
    );
    nothing_was_written(database);
}

fn item_counts_outside_one_to_a_hundred_are_refused(app: &TestApp, database: &TestDatabase) {
    let mut none = order_json();
    none["order_items"] = json!([]);
    app.post_order(&none)
        .assert_problem(422, "validation_failed");
    let mut too_many = order_json();
    too_many["order_items"] = json!(vec![order_json()["order_items"][0].clone(); 101]);
    let problem = app
        .post_order(&too_many)
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "order_items");
    nothing_was_written(database);
}

fn order_with_raw_numbers(price: &str, quantity: &str) -> String {
    format!(
        r#"{{"customer_id": "c", "restaurant_id": "r",
            "order_items": [{{"product_code": "p", "name": "n", "unit_price": {price}, "quantity": {quantity}}}]}}"#
    )
}

fn money_and_quantity_rules_hold_at_their_edges(app: &TestApp, database: &TestDatabase) {
    let json = Some("application/json");
    for (price, quantity) in [
        ("-1", "1"),
        ("1e-3", "1"),
        ("0.001", "1"),
        ("1000000.01", "1"),
        ("1", "10001"),
        ("1", "-3"),
        ("1", "0"),
        ("1", "2.5"),
        ("1", "25e-1"),
    ] {
        raw_post(
            app,
            "/orders",
            json,
            &order_with_raw_numbers(price, quantity),
        )
        .assert_problem(422, "validation_failed");
    }
    nothing_was_written(database);
    let edge = raw_post(
        app,
        "/orders",
        json,
        &order_with_raw_numbers("1000000.00", "10000"),
    );
    assert_eq!(edge.status, 201, "{}", edge.body);
    let id = edge.json()["id"].as_str().unwrap().to_owned();
    assert!(app.get_order(&id).body.contains("\"total\":10000000000.00"));
    // JSON has one number 2 however it is spelled: value-equal spellings are the same price and quantity.
    let spelled = raw_post(
        app,
        "/orders",
        json,
        &order_with_raw_numbers("1.05e1", "2.0"),
    );
    assert_eq!(spelled.status, 201, "{}", spelled.body);
    let id = spelled.json()["id"].as_str().unwrap().to_owned();
    let body = app.get_order(&id).body;
    for stored in [
        r#""unit_price":10.50"#,
        r#""quantity":2}"#,
        r#""total":21.00"#,
    ] {
        assert!(body.contains(stored), "{stored} not in {body}");
    }
}

fn a_body_that_is_not_json_by_content_type_is_unsupported(app: &TestApp, database: &TestDatabase) {
    let body = order_json().to_string();
    raw_post(app, "/orders", None, &body).assert_problem(415, "unsupported_media_type");
    raw_post(app, "/orders", Some("text/plain"), &body)
        .assert_problem(415, "unsupported_media_type");
    raw_post(
        app,
        "/orders/status",
        Some("application/x-www-form-urlencoded"),
        "id=1",
    )
    .assert_problem(415, "unsupported_media_type");
    nothing_was_written(database);
}

fn a_body_over_64_kib_is_too_large(app: &TestApp, database: &TestDatabase) {
    let mut body = order_json();
    body["padding"] = json!("x".repeat(64 * 1024));
    app.post_order(&body)
        .assert_problem(413, "payload_too_large");
    nothing_was_written(database);
}

fn status_changes_with_missing_or_unknown_values_are_refused(app: &TestApp, _: &TestDatabase) {
    let id = app.place();
    let json = Some("application/json");
    let problem =
        raw_post(app, "/orders/status", json, "{}").assert_problem(422, "validation_failed");
    assert_eq!(
        problem["errors"].as_array().map(Vec::len),
        Some(2),
        "{problem}"
    );
    let unknown = json!({"id": id, "status": "Shipped"}).to_string();
    let problem =
        raw_post(app, "/orders/status", json, &unknown).assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "status");
    app.change_status("not-a-uuid", "Accepted", None)
        .assert_problem(404, "order_not_found");
    app.change_status("0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01", "Accepted", None)
        .assert_problem(404, "order_not_found");
    raw_post(app, "/orders/status", json, "[1]").assert_problem(400, "malformed_request");
    assert_eq!(app.get_order(&id).json()["order"]["version"], 1);
}

fn unknown_routes_and_methods_get_problems_too(app: &TestApp, _: &TestDatabase) {
    app.request("GET", "/nowhere", &[], None)
        .assert_problem(404, "not_found");
    app.request("DELETE", "/orders", &[], None)
        .assert_problem(405, "method_not_allowed");
}

on_both_backends!(
    bodies_that_are_not_json_objects_of_the_right_types_are_malformed,
    every_missing_or_invalid_field_is_named_at_once,
    item_counts_outside_one_to_a_hundred_are_refused,
    money_and_quantity_rules_hold_at_their_edges,
    a_body_that_is_not_json_by_content_type_is_unsupported,
    a_body_over_64_kib_is_too_large,
    status_changes_with_missing_or_unknown_values_are_refused,
    unknown_routes_and_methods_get_problems_too,
);
