use domain::OrderChange;

use super::*;

#[test]
fn subjects_are_the_prefix_and_the_kind_of_change() {
    let prefix: SubjectPrefix = "orders.events".parse().unwrap();
    assert_eq!(
        prefix.subject(OrderChange::Placed),
        "orders.events.order_placed"
    );
    assert_eq!(
        prefix.subject(OrderChange::StatusChanged {
            from: domain::OrderStatus::Pending,
            to: domain::OrderStatus::Accepted
        }),
        "orders.events.order_status_changed"
    );
    assert_eq!(prefix.wildcard(), "orders.events.>");
}

#[test]
fn a_prefix_is_dot_separated_plain_tokens() {
    for good in ["orders", "orders.events", "eu-1.orders_v2.events"] {
        assert!(good.parse::<SubjectPrefix>().is_ok(), "{good}");
    }
    for bad in [
        "",
        ".orders",
        "orders.",
        "orders..events",
        "orders.*",
        "orders.>",
        "a b",
        "ü",
    ] {
        assert!(bad.parse::<SubjectPrefix>().is_err(), "{bad}");
    }
}

#[test]
fn credentials_in_the_url_are_never_shown() {
    let settings = |url: &str| EventSettings {
        url: url.to_owned(),
        subject_prefix: "orders.events".parse().unwrap(),
        source: "/ordersvc".parse().unwrap(),
    };
    assert_eq!(
        settings("nats://ordersvc:s3cret@nats-1:4222, nats://tok@nats-2:4222").redacted_url(),
        "nats://***@nats-1:4222,nats://***@nats-2:4222"
    );
    assert_eq!(
        settings("user:pw@nats:4222").redacted_url(),
        "***@nats:4222"
    );
    assert_eq!(
        settings("nats://127.0.0.1:4222").redacted_url(),
        "nats://127.0.0.1:4222"
    );
}
