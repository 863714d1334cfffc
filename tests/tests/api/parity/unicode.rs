//! Text a person would take for the same is the same, on both transports: ids and names are stored in NFC, so a
//! listing filter spelled with combining accents finds orders placed with composed letters (and the other way round),
//! and invisible formatting (zero-width characters, bidi controls, U+2028, ...) is refused like a control character.
//!
//! Its own table, run by its own test on its own service, so that the order contract's table stays one list.

use super::over_grpc::Grpc;
use super::over_http::Http;
use super::{
    Action, Expect, ItemView, Listing, NewItem, NewOrder, Outcome, Scenario, run_over_both,
    scenario,
};
use crate::helpers::{TestApp, TestDatabase, on_both_backends};

const VALIDATION: &str = "validation_failed";

/// "café-{scope}" with the accent as a combining mark (NFD), and composed (NFC).
const CAFE_DECOMPOSED: &str = "cafe\u{301}-{scope}";
const CAFE_COMPOSED: &str = "caf\u{e9}-{scope}";
/// "München-{scope}", both ways.
const MUNICH_DECOMPOSED: &str = "Mu\u{308}nchen-{scope}";
const MUNICH_COMPOSED: &str = "M\u{fc}nchen-{scope}";
/// "Crème brûlée", both ways.
const DESSERT_DECOMPOSED: &str = "Cre\u{300}me bru\u{302}le\u{301}e";
const DESSERT_COMPOSED: &str = "Cr\u{e8}me br\u{fb}l\u{e9}e";

/// An order of one dessert, by `customer` at `restaurant`.
fn order(customer: &str, restaurant: &str, name: &str) -> NewOrder {
    NewOrder {
        customer_id: Some(customer.to_owned()),
        restaurant_id: Some(restaurant.to_owned()),
        items: vec![NewItem {
            product_code: Some("dessert-1".to_owned()),
            name: Some(name.to_owned()),
            unit_price_cents: 650,
            quantity: 1,
        }],
    }
}

/// The order every spelling stands for, composed.
fn composed() -> NewOrder {
    order(CAFE_COMPOSED, MUNICH_COMPOSED, DESSERT_COMPOSED)
}

fn decomposed() -> NewOrder {
    order(CAFE_DECOMPOSED, MUNICH_DECOMPOSED, DESSERT_DECOMPOSED)
}

fn create(order: NewOrder) -> Action {
    Action::Create { order, key: None }
}

fn list_customer(customer: &str) -> Action {
    Action::List(Listing {
        customer_id: Some(customer.to_owned()),
        ..Listing::default()
    })
}

/// The page holds the setup's one order, shown composed.
fn found_composed(outcome: &Outcome) {
    let page = outcome.page.as_ref().expect("a page");
    let ids: Vec<&str> = page.orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!((ids, page.has_next), (vec!["setup#0"], false));
    assert_eq!(page.orders[0].customer_id, CAFE_COMPOSED);
    assert_eq!(page.orders[0].restaurant_id, MUNICH_COMPOSED);
    assert_eq!(page.orders[0].items[0].name, DESSERT_COMPOSED);
}

/// Every scenario, in the order they run.
fn all() -> Vec<Scenario> {
    vec![
        scenario(
            "create spelled with combining accents: stored and shown composed",
            vec![],
            create(decomposed()),
            Expect::Ok(|o| {
                let order = o.order.as_ref().expect("the order");
                assert_eq!(order.customer_id, CAFE_COMPOSED);
                assert_eq!(order.restaurant_id, MUNICH_COMPOSED);
                assert_eq!(
                    order.items,
                    vec![ItemView {
                        product_code: "dessert-1".to_owned(),
                        name: DESSERT_COMPOSED.to_owned(),
                        unit_price_cents: 650,
                        quantity: 1,
                    }]
                );
            }),
        ),
        scenario(
            "list by a composed customer_id: finds the order placed decomposed",
            vec![create(decomposed())],
            list_customer(CAFE_COMPOSED),
            Expect::Ok(found_composed),
        ),
        scenario(
            "list by a decomposed customer_id: finds the order placed composed",
            vec![create(composed())],
            list_customer(CAFE_DECOMPOSED),
            Expect::Ok(found_composed),
        ),
        scenario(
            "list by a decomposed restaurant_id: finds the order placed composed",
            vec![create(composed())],
            Action::List(Listing {
                restaurant_id: Some(MUNICH_DECOMPOSED.to_owned()),
                ..Listing::default()
            }),
            Expect::Ok(found_composed),
        ),
        scenario(
            "idempotent create respelled composed under the same key: a replay of the same order",
            vec![Action::Create {
                order: decomposed(),
                key: Some("key-{scope}"),
            }],
            Action::Create {
                order: composed(),
                key: Some("key-{scope}"),
            },
            Expect::Ok(|o| {
                assert_eq!(o.replayed, Some(true));
                assert_eq!(o.order.as_ref().map(|o| o.id.as_str()), Some("setup#0"));
            }),
        ),
        scenario(
            "create with a zero-width space in an item's name",
            vec![],
            create(order(
                CAFE_COMPOSED,
                MUNICH_COMPOSED,
                "Cr\u{e8}me\u{200b}br\u{fb}l\u{e9}e",
            )),
            Expect::Refused(VALIDATION, &["order_items[0].name"]),
        ),
        scenario(
            "create with a line separator in customer_id and a bidi override in restaurant_id",
            vec![],
            create(order(
                "customer\u{2028}{scope}",
                "restaurant\u{202e}7",
                DESSERT_COMPOSED,
            )),
            Expect::Refused(VALIDATION, &["customer_id", "restaurant_id"]),
        ),
        scenario(
            "list by a customer_id with a zero-width joiner",
            vec![],
            list_customer("caf\u{e9}\u{200d}-{scope}"),
            Expect::Refused(VALIDATION, &["customer_id"]),
        ),
    ]
}

/// Each scenario gives the same outcome over HTTP and over gRPC, and the one it expects; a refusal of invisible
/// formatting also names the character it found, the same way on both.
fn text_that_reads_the_same_is_the_same_over_both_transports(
    app: &TestApp,
    _database: &TestDatabase,
) {
    let http = Http(app);
    let grpc = Grpc(app.grpc());
    for (index, scenario) in all().iter().enumerate() {
        let over_http = run_over_both(&http, &grpc, scenario, index);
        for (field, message) in &over_http.fields {
            assert!(
                message.starts_with("must not contain invisible formatting characters"),
                "{}: {field}: {message}",
                scenario.name
            );
            assert!(message.contains("found U+"), "{}: {message}", scenario.name);
        }
    }
}

on_both_backends!(text_that_reads_the_same_is_the_same_over_both_transports);
