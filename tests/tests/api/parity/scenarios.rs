//! The table: the whole order contract, successes and every client error, as transport-neutral scenarios.

use super::{
    Action, Expect, IdRef, ItemView, Listing, NewItem, NewOrder, OrderView, Outcome, SCOPE,
    Scenario, StatusValue, scenario,
};

fn item(code: &str, name: &str, unit_price_cents: i64, quantity: i64) -> NewItem {
    NewItem {
        product_code: Some(code.to_owned()),
        name: Some(name.to_owned()),
        unit_price_cents,
        quantity,
    }
}

/// The scope's customer.
fn customer() -> String {
    format!("customer-{SCOPE}")
}

/// A valid order of the scope's customer: 2 x 9.99 + 1 x 0.50 = 20.48.
fn valid() -> NewOrder {
    NewOrder {
        customer_id: Some(customer()),
        restaurant_id: Some("restaurant-7".to_owned()),
        items: vec![
            item("pizza-margherita", "Margherita", 999, 2),
            item("soda", "Soda", 50, 1),
        ],
    }
}

/// Another valid order of the same customer: 3 x 0.50.
fn other() -> NewOrder {
    NewOrder {
        items: vec![item("soda", "Soda", 50, 3)],
        ..valid()
    }
}

fn create(order: NewOrder) -> Action {
    Action::Create { order, key: None }
}

fn create_with_key(order: NewOrder, key: &'static str) -> Action {
    Action::Create {
        order,
        key: Some(key),
    }
}

fn place() -> Action {
    create(valid())
}

fn get(id: IdRef) -> Action {
    Action::Get { id }
}

fn change(id: IdRef, status: &'static str, expected_version: Option<u64>) -> Action {
    Action::ChangeStatus {
        id: Some(id),
        status: Some(StatusValue::Named(status)),
        expected_version,
    }
}

/// The setup's first order, accepted.
fn accept_first() -> Action {
    change(IdRef::Setup(0), "Accepted", None)
}

/// The scope customer's orders.
fn customers_orders() -> Listing {
    Listing {
        customer_id: Some(customer()),
        ..Listing::default()
    }
}

/// `order` as the service must give it back once stored, under `role`: `Pending`, version 1.
fn stored(order: &NewOrder, role: &str) -> OrderView {
    let items: Vec<ItemView> = order
        .items
        .iter()
        .map(|item| ItemView {
            product_code: item.product_code.clone().unwrap(),
            name: item.name.clone().unwrap(),
            unit_price_cents: item.unit_price_cents,
            quantity: item.quantity,
        })
        .collect();
    OrderView {
        id: role.to_owned(),
        customer_id: order.customer_id.clone().unwrap(),
        restaurant_id: order.restaurant_id.clone().unwrap(),
        status: "Pending".to_owned(),
        version: 1,
        total_cents: items.iter().map(|i| i.unit_price_cents * i.quantity).sum(),
        items,
    }
}

/// [`valid`] as stored under `role`, then moved to `status` at `version`.
fn valid_at(role: &str, status: &str, version: i64) -> OrderView {
    OrderView {
        status: status.to_owned(),
        version,
        ..stored(&valid(), role)
    }
}

/// The roles of a page's orders, and whether a next page follows.
fn listed(outcome: &Outcome) -> (Vec<&str>, bool) {
    let page = outcome.page.as_ref().expect("a page");
    let roles = page.orders.iter().map(|o| o.id.as_str()).collect();
    (roles, page.has_next)
}

const VALIDATION: &str = "validation_failed";
const NOT_FOUND: &str = "order_not_found";

/// Every scenario, in the order they run.
pub(super) fn all() -> Vec<Scenario> {
    vec![
        // Create.
        scenario(
            "create a valid order: read back as sent",
            vec![],
            place(),
            Expect::Ok(|o| {
                assert_eq!(o.order, Some(stored(&valid(), "created")));
                assert_eq!(o.order.as_ref().map(|o| o.total_cents), Some(2048));
                assert_eq!(o.replayed, Some(false));
            }),
        ),
        scenario(
            "create without customer_id and restaurant_id",
            vec![],
            create(NewOrder {
                customer_id: None,
                restaurant_id: None,
                ..valid()
            }),
            Expect::Refused(VALIDATION, &["customer_id", "restaurant_id"]),
        ),
        scenario(
            "create with no items",
            vec![],
            create(NewOrder {
                items: vec![],
                ..valid()
            }),
            Expect::Refused(VALIDATION, &["order_items"]),
        ),
        scenario(
            "create with an item broken four ways, all reported at once",
            vec![],
            create(NewOrder {
                items: vec![item(&"p".repeat(65), "   ", -100, 0)],
                ..valid()
            }),
            Expect::Refused(
                VALIDATION,
                &[
                    "order_items[0].product_code",
                    "order_items[0].name",
                    "order_items[0].unit_price",
                    "order_items[0].quantity",
                ],
            ),
        ),
        scenario(
            "create with an item without product_code and name",
            vec![],
            create(NewOrder {
                items: vec![NewItem {
                    product_code: None,
                    name: None,
                    ..item("x", "x", 100, 1)
                }],
                ..valid()
            }),
            Expect::Refused(
                VALIDATION,
                &["order_items[0].product_code", "order_items[0].name"],
            ),
        ),
        scenario(
            "create with 101 items",
            vec![],
            create(NewOrder {
                items: vec![item("soda", "Soda", 50, 1); 101],
                ..valid()
            }),
            Expect::Refused(VALIDATION, &["order_items"]),
        ),
        scenario(
            "create with a customer_id of 65 characters",
            vec![],
            create(NewOrder {
                customer_id: Some("c".repeat(65)),
                ..valid()
            }),
            Expect::Refused(VALIDATION, &["customer_id"]),
        ),
        // Get.
        scenario(
            "get the setup's order",
            vec![place()],
            get(IdRef::Setup(0)),
            Expect::Ok(|o| assert_eq!(o.order, Some(stored(&valid(), "setup#0")))),
        ),
        scenario(
            "get an unknown UUID",
            vec![],
            get(IdRef::Unknown),
            Expect::Refused(NOT_FOUND, &[]),
        ),
        scenario(
            "get an id that is not a UUID",
            vec![],
            get(IdRef::Literal("not-a-uuid")),
            Expect::Refused(NOT_FOUND, &[]),
        ),
        // Change status.
        scenario(
            "change Pending -> Accepted",
            vec![place()],
            change(IdRef::Setup(0), "Accepted", None),
            Expect::Ok(|o| assert_eq!(o.order, Some(valid_at("setup#0", "Accepted", 2)))),
        ),
        scenario(
            "change to the status it has: a no-op",
            vec![place(), accept_first()],
            change(IdRef::Setup(0), "Accepted", None),
            Expect::Ok(|o| assert_eq!(o.order, Some(valid_at("setup#0", "Accepted", 2)))),
        ),
        scenario(
            "change to the status it has under a stale expected version: a retry, still a no-op",
            vec![place(), accept_first()],
            change(IdRef::Setup(0), "Accepted", Some(1)),
            Expect::Ok(|o| assert_eq!(o.order, Some(valid_at("setup#0", "Accepted", 2)))),
        ),
        scenario(
            "change Pending -> Delivered",
            vec![place()],
            change(IdRef::Setup(0), "Delivered", None),
            Expect::Refused("invalid_transition", &[]),
        ),
        scenario(
            "change under a stale expected version",
            vec![place(), accept_first()],
            change(IdRef::Setup(0), "Preparing", Some(1)),
            Expect::Refused("version_mismatch", &[]),
        ),
        scenario(
            "change under the current expected version",
            vec![place(), accept_first()],
            change(IdRef::Setup(0), "Preparing", Some(2)),
            Expect::Ok(|o| assert_eq!(o.order, Some(valid_at("setup#0", "Preparing", 3)))),
        ),
        scenario(
            "change an unknown UUID",
            vec![],
            change(IdRef::Unknown, "Accepted", None),
            Expect::Refused(NOT_FOUND, &[]),
        ),
        scenario(
            "change an id that is not a UUID",
            vec![],
            change(IdRef::Literal("not-a-uuid"), "Accepted", None),
            Expect::Refused(NOT_FOUND, &[]),
        ),
        scenario(
            "change without a status",
            vec![place()],
            Action::ChangeStatus {
                id: Some(IdRef::Setup(0)),
                status: None,
                expected_version: None,
            },
            Expect::Refused(VALIDATION, &["status"]),
        ),
        scenario(
            "change without an id and a status",
            vec![],
            Action::ChangeStatus {
                id: None,
                status: None,
                expected_version: None,
            },
            Expect::Refused(VALIDATION, &["id", "status"]),
        ),
        // HTTP sends a name the contract does not define, gRPC a number the enum does not define (passed on as
        // "99"): different input texts, so the message could legitimately differ if it quoted the input. It does
        // not (it lists the valid names), so the whole outcome, message included, must be the same.
        scenario(
            "change to an undefined status",
            vec![place()],
            Action::ChangeStatus {
                id: Some(IdRef::Setup(0)),
                status: Some(StatusValue::Undefined {
                    name: "Lost",
                    number: 99,
                }),
                expected_version: None,
            },
            Expect::Refused(VALIDATION, &["status"]),
        ),
        // List.
        scenario(
            "list a customer's orders: newest first",
            vec![place(), place(), place()],
            Action::List(customers_orders()),
            Expect::Ok(|o| {
                assert_eq!(listed(o), (vec!["setup#2", "setup#1", "setup#0"], false));
                let page = o.page.as_ref().unwrap();
                assert_eq!(page.orders[0], stored(&valid(), "setup#2"));
            }),
        ),
        scenario(
            "list a customer with no orders",
            vec![],
            Action::List(customers_orders()),
            Expect::Ok(|o| assert_eq!(listed(o), (vec![], false))),
        ),
        scenario(
            "list with limit 1: one order and a next page",
            vec![place(), place()],
            Action::List(Listing {
                limit: Some(1),
                ..customers_orders()
            }),
            Expect::Ok(|o| assert_eq!(listed(o), (vec!["setup#1"], true))),
        ),
        scenario(
            "list with limit 101",
            vec![],
            Action::List(Listing {
                limit: Some(101),
                ..customers_orders()
            }),
            Expect::Refused(VALIDATION, &["limit"]),
        ),
        scenario(
            "list with a forged cursor",
            vec![],
            Action::List(Listing {
                cursor: Some("forged"),
                ..customers_orders()
            }),
            Expect::Refused(VALIDATION, &["cursor"]),
        ),
        scenario(
            "list by status",
            vec![place(), place(), change(IdRef::Setup(1), "Accepted", None)],
            Action::List(Listing {
                status: Some(StatusValue::Named("Accepted")),
                ..customers_orders()
            }),
            Expect::Ok(|o| {
                assert_eq!(listed(o), (vec!["setup#1"], false));
                let page = o.page.as_ref().unwrap();
                assert_eq!(page.orders[0], valid_at("setup#1", "Accepted", 2));
            }),
        ),
        scenario(
            "list by an undefined status",
            vec![],
            Action::List(Listing {
                status: Some(StatusValue::Undefined {
                    name: "Lost",
                    number: 99,
                }),
                ..customers_orders()
            }),
            Expect::Refused(VALIDATION, &["status"]),
        ),
        scenario(
            "list by restaurant",
            vec![
                create(NewOrder {
                    restaurant_id: Some(format!("restaurant-{SCOPE}")),
                    ..valid()
                }),
                place(),
            ],
            Action::List(Listing {
                restaurant_id: Some(format!("restaurant-{SCOPE}")),
                ..Listing::default()
            }),
            Expect::Ok(|o| assert_eq!(listed(o), (vec!["setup#0"], false))),
        ),
        // Idempotent create.
        scenario(
            "idempotent create with a fresh key",
            vec![],
            create_with_key(valid(), "key-{scope}"),
            Expect::Ok(|o| {
                assert_eq!(o.order, Some(stored(&valid(), "created")));
                assert_eq!(o.replayed, Some(false));
            }),
        ),
        scenario(
            "idempotent create with the same key twice: replayed, the same order",
            vec![create_with_key(valid(), "key-{scope}")],
            create_with_key(valid(), "key-{scope}"),
            Expect::Ok(|o| {
                assert_eq!(o.order, Some(stored(&valid(), "setup#0")));
                assert_eq!(o.replayed, Some(true));
            }),
        ),
        scenario(
            "idempotent create with the same key and another order",
            vec![create_with_key(valid(), "key-{scope}")],
            create_with_key(other(), "key-{scope}"),
            Expect::Refused("idempotency_key_reused", &[]),
        ),
        scenario(
            "idempotent create with a key that has a space",
            vec![],
            create_with_key(valid(), "has space"),
            Expect::Refused("malformed_request", &[]),
        ),
    ]
}
