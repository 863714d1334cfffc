//! Property tests across the domain: whatever clients send and in whatever order they ask, an order never leaves the
//! lifecycle table and validation never panics.

use proptest::prelude::*;

use crate::{
    CustomerId, Order, OrderDraft, OrderId, OrderItemDraft, OrderItems, OrderStatus, RestaurantId,
    Timestamp, Version,
};

fn any_status() -> impl Strategy<Value = OrderStatus> {
    proptest::sample::select(OrderStatus::ALL.to_vec())
}

fn placed() -> Order {
    let draft = OrderDraft {
        customer_id: Some("c".into()),
        restaurant_id: Some("r".into()),
        items: Some(vec![OrderItemDraft {
            product_code: Some("p".into()),
            name: Some("n".into()),
            unit_price: Some("1".into()),
            quantity: Some("1".into()),
        }]),
    };
    Order::place(
        OrderId::from_bytes([1; 16]),
        draft.validate().unwrap(),
        Timestamp::from_unix_micros(0),
    )
}

/// Text of any kind: empty, long, unicode, control characters.
fn any_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        "\\PC{0,80}",
        ".{0,300}",
        "[\\x00-\\x1f ]{0,5}",
        "-?[0-9]{0,25}(\\.[0-9]{0,5})?(e[0-9]{1,3})?",
    ])
}

fn any_item() -> impl Strategy<Value = OrderItemDraft> {
    (any_text(), any_text(), any_text(), any_text()).prop_map(
        |(product_code, name, unit_price, quantity)| OrderItemDraft {
            product_code,
            name,
            unit_price,
            quantity,
        },
    )
}

proptest! {
    #[test]
    fn no_sequence_of_requests_leaves_the_lifecycle_table(requests in proptest::collection::vec(any_status(), 0..40)) {
        let mut order = placed();
        for (step, requested) in requests.into_iter().enumerate() {
            let before = order.clone();
            let at = Timestamp::from_unix_micros(i64::try_from(step).unwrap_or(0) + 1);
            match before.change_status(requested, at) {
                Ok(None) => prop_assert_eq!(requested, before.status()),
                Ok(Some(change)) => {
                    prop_assert!(before.status().next_statuses().contains(&requested));
                    order = before.clone().apply(&change);
                    prop_assert_eq!(order.status(), requested);
                    prop_assert_eq!(order.version(), Version::new(before.version().get() + 1));
                    prop_assert_eq!(order.updated_on(), at);
                }
                Err(refused) => {
                    prop_assert!(!before.status().next_statuses().contains(&requested));
                    prop_assert_eq!((refused.from, refused.to), (before.status(), requested));
                }
            }
            prop_assert_eq!(order.created_on(), before.created_on());
        }
    }

    #[test]
    fn validation_never_panics_and_accepts_only_valid_orders(
        customer_id in any_text(),
        restaurant_id in any_text(),
        items in proptest::option::of(proptest::collection::vec(any_item(), 0..4)),
    ) {
        let draft = OrderDraft { customer_id, restaurant_id, items };
        match draft.clone().validate() {
            Ok(order) => {
                prop_assert!(CustomerId::new(draft.customer_id.as_deref().unwrap_or_default()).is_ok());
                prop_assert!(RestaurantId::new(draft.restaurant_id.as_deref().unwrap_or_default()).is_ok());
                prop_assert!(OrderItems::check_count(order.items.as_slice().len()).is_ok());
            }
            Err(errors) => prop_assert!(!errors.fields().is_empty()),
        }
    }
}
