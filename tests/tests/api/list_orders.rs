//! `GET /orders` through the real service: newest first, filters, keyset pages that never repeat or skip an order
//! (also while orders are being created), and refused parameters.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDatabase, on_both_backends, order_json};

fn place_for(app: &TestApp, customer: &str) -> String {
    let mut body = order_json();
    body["customer_id"] = json!(customer);
    let reply = app.post_order(&body);
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()["id"].as_str().unwrap().to_owned()
}

/// Every page of `query` (a query string without `cursor`), followed to the end.
fn walk(app: &TestApp, query: &str) -> Vec<Value> {
    let (mut orders, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/orders?{query}&cursor={cursor}"),
            None => format!("/orders?{query}"),
        };
        let reply = app.request("GET", &path, &[], None);
        assert_eq!(reply.status, 200, "{}", reply.body);
        let page = reply.json();
        orders.extend(page["orders"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return orders,
        }
    }
}

fn ids(orders: &[Value]) -> Vec<String> {
    orders
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

fn pages_list_every_order_once_newest_first(app: &TestApp, _: &TestDatabase) {
    let placed: Vec<String> = (0..23)
        .map(|i| place_for(app, if i % 3 == 0 { "ann" } else { "bob" }))
        .collect();
    let newest_first: Vec<String> = placed.iter().rev().cloned().collect();
    assert_eq!(ids(&walk(app, "limit=5")), newest_first);
    assert_eq!(ids(&walk(app, "limit=100")), newest_first);
    let first_page = app.request("GET", "/orders", &[], None).json();
    assert_eq!(
        first_page["orders"].as_array().map(Vec::len),
        Some(20),
        "the default page holds 20"
    );
    let anns: Vec<String> = newest_first
        .iter()
        .enumerate()
        .filter(|(i, _)| (22 - i) % 3 == 0)
        .map(|(_, id)| id.clone())
        .collect();
    let listed = walk(app, "customer_id=ann&limit=3");
    assert_eq!(ids(&listed), anns);
    assert!(
        listed
            .iter()
            .all(|o| o["customer_id"] == "ann"
                && o["order_items"].as_array().map(Vec::len) == Some(2))
    );
}

fn filters_combine(app: &TestApp, _: &TestDatabase) {
    let (a, b) = (place_for(app, "ann"), place_for(app, "ann"));
    place_for(app, "bob");
    assert_eq!(app.change_status(&a, "Accepted", None).status, 200);
    assert_eq!(ids(&walk(app, "customer_id=ann&status=Accepted")), [a]);
    assert_eq!(
        ids(&walk(
            app,
            "customer_id=ann&status=Pending&restaurant_id=restaurant-7"
        )),
        [b]
    );
    assert_eq!(
        ids(&walk(app, "restaurant_id=elsewhere")),
        Vec::<String>::new()
    );
}

fn orders_created_while_paging_do_not_disturb_the_pages(app: &TestApp, _: &TestDatabase) {
    let older: Vec<String> = (0..9).map(|_| app.place()).collect();
    let first = app.request("GET", "/orders?limit=4", &[], None).json();
    let mut seen = ids(first["orders"].as_array().unwrap());
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    while let Some(next) = cursor {
        app.place();
        let page = app
            .request("GET", &format!("/orders?limit=4&cursor={next}"), &[], None)
            .json();
        seen.extend(ids(page["orders"].as_array().unwrap()));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, older.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 9);
}

fn bad_parameters_are_refused_by_name(app: &TestApp, _: &TestDatabase) {
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("status=Lost", "status"),
        ("cursor=abc", "cursor"),
    ] {
        let problem = app
            .request("GET", &format!("/orders?{query}"), &[], None)
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
    }
    app.place();
    app.place();
    let cursor = app.request("GET", "/orders?limit=1", &[], None).json()["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let tampered = format!(
        "{}{}",
        &cursor[..20],
        if &cursor[20..21] == "A" { "B" } else { "A" }
    ) + &cursor[21..];
    app.request("GET", &format!("/orders?cursor={tampered}"), &[], None)
        .assert_problem(422, "validation_failed");
}

on_both_backends!(
    pages_list_every_order_once_newest_first,
    filters_combine,
    orders_created_while_paging_do_not_disturb_the_pages,
    bad_parameters_are_refused_by_name,
);

fn a_cursor_from_one_instance_is_valid_on_another(database: &TestDatabase) {
    let (one, other) = (TestApp::spawn(database), TestApp::spawn(database));
    let placed: Vec<String> = (0..3).map(|_| one.place()).collect();
    let page = one.request("GET", "/orders?limit=2", &[], None).json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = other.request(
        "GET",
        &format!("/orders?limit=2&cursor={cursor}"),
        &[],
        None,
    );
    assert_eq!(rest.status, 200, "{}", rest.body);
    assert_eq!(
        ids(rest.json()["orders"].as_array().unwrap()),
        [placed[0].clone()]
    );
}

#[test]
fn a_cursor_from_one_sqlite_instance_is_valid_on_another() {
    a_cursor_from_one_instance_is_valid_on_another(&TestDatabase::sqlite());
}

#[test]
fn a_cursor_from_one_postgres_instance_is_valid_on_another() {
    if let Some(database) = TestDatabase::postgres() {
        a_cursor_from_one_instance_is_valid_on_another(&database);
    }
}
