//! `GET /orders/{id}`: the seed's shape, exact money, Unix-second times and an ETag.

use crate::helpers::{TestApp, TestDatabase, on_both_backends};

fn an_order_reads_back_exactly_as_placed(app: &TestApp, _: &TestDatabase) {
    let id = app.place();
    let reply = app.get_order(&id);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("etag"), Some("\"1\""));
    let order = &reply.json()["order"];
    assert_eq!(order["id"], id.as_str());
    assert_eq!(order["customer_id"], "customer-42");
    assert_eq!(order["restaurant_id"], "restaurant-7");
    assert_eq!(order["status"], "Pending");
    assert_eq!(order["version"], 1);
    assert_eq!(order["created_on"], order["updated_on"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        order["created_on"]
            .as_u64()
            .is_some_and(|t| t.abs_diff(now) < 60),
        "{order}"
    );
    // Money is written as exact decimal text: the raw body, not a float's rendering.
    assert!(reply.body.contains("\"total\":20.48"), "{}", reply.body);
    assert!(
        reply.body.contains("\"unit_price\":9.99") && reply.body.contains("\"unit_price\":0.50"),
        "{}",
        reply.body
    );
    let items = order["order_items"].as_array().unwrap();
    let codes: Vec<&str> = items
        .iter()
        .map(|i| i["product_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["pizza-margherita", "soda"]);
    assert_eq!(
        (items[0]["name"].as_str(), items[0]["quantity"].as_u64()),
        (Some("Margherita"), Some(2))
    );
}

fn an_unknown_or_malformed_id_is_not_found(app: &TestApp, _: &TestDatabase) {
    app.get_order("0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01")
        .assert_problem(404, "order_not_found");
    app.get_order("not-a-uuid")
        .assert_problem(404, "order_not_found");
}

on_both_backends!(
    an_order_reads_back_exactly_as_placed,
    an_unknown_or_malformed_id_is_not_found
);
