use domain::{
    CustomerId, EventId, ItemName, NewOrder, Order, OrderId, OrderItem, OrderItems, OrderStatus,
    ProductCode, RestaurantId, Timestamp,
};
use serde_json::{Value, json};

use super::*;
use crate::http::OrderResponse;

fn placed() -> Order {
    let item = OrderItem::new(
        ProductCode::new("p-1").unwrap(),
        ItemName::new("Pad thai").unwrap(),
        "9.90".parse().unwrap(),
        "2".parse().unwrap(),
    );
    Order::place(
        OrderId::from_bytes([0x11; 16]),
        NewOrder {
            customer_id: CustomerId::new("c-1").unwrap(),
            restaurant_id: RestaurantId::new("r-1").unwrap(),
            items: OrderItems::new(vec![item]).unwrap(),
        },
        Timestamp::from_unix_micros(1_764_873_000_123_456),
    )
}

fn encoded(event: &OrderEvent) -> Value {
    let encoder = CloudEventEncoder::new("/ordersvc".parse().unwrap());
    serde_json::from_slice(&encoder.encode(event, None).unwrap()).unwrap()
}

fn as_the_api_shows(order: &Order) -> Value {
    serde_json::to_value(OrderResponse::from(order)).unwrap()
}

#[test]
fn a_placed_order_is_a_cloud_event_carrying_the_order_as_the_api_shows_it() {
    let order = placed();
    let event = OrderEvent::placed(EventId::from_bytes([0x22; 16]), &order);
    assert_eq!(
        encoded(&event),
        json!({
            "specversion": "1.0",
            "id": "22222222-2222-2222-2222-222222222222",
            "source": "/ordersvc",
            "type": "orders.v1.order_placed",
            "subject": "11111111-1111-1111-1111-111111111111",
            "time": "2025-12-04T18:30:00.123456Z",
            "datacontenttype": "application/json",
            "data": {"order": as_the_api_shows(&order)},
        })
    );
    // Money keeps its two decimals, as the API writes it.
    assert!(
        String::from_utf8(
            CloudEventEncoder::new("/ordersvc".parse().unwrap())
                .encode(&event, None)
                .unwrap()
        )
        .unwrap()
        .contains(r#""unit_price":9.90"#)
    );
}

#[test]
fn a_status_change_names_both_statuses_beside_the_changed_order() {
    let order = placed();
    let change = order
        .change_status(
            OrderStatus::Accepted,
            Timestamp::from_unix_micros(1_764_873_060_000_000),
        )
        .unwrap()
        .unwrap();
    let accepted = order.apply(&change);
    let event = OrderEvent::status_changed(EventId::from_bytes([0x33; 16]), &accepted, change.from);
    let value = encoded(&event);
    assert_eq!(value["type"], "orders.v1.order_status_changed");
    assert_eq!(value["time"], "2025-12-04T18:31:00Z");
    assert_eq!(
        value["data"],
        json!({"order": as_the_api_shows(&accepted), "from": "Pending", "to": "Accepted"})
    );
    assert_eq!(value["data"]["order"]["version"], 2);
}

#[test]
fn sources_are_uri_references() {
    for good in [
        "/ordersvc",
        "urn:acme:ordersvc",
        "https://orders.example.com/eu-1",
    ] {
        assert!(good.parse::<EventSource>().is_ok(), "{good}");
    }
    for bad in ["", "has space", "a\"b", "{x}", &"x".repeat(257)] {
        assert!(bad.parse::<EventSource>().is_err(), "{bad}");
    }
}

/// The events' JSON Schema restates the order's field rules (the schema is for consumers, who read no Rust): each
/// must be the rule the API document states, which is read from the domain's own constants.
#[test]
fn the_event_schema_states_the_same_field_rules_as_the_api_document() {
    let events: Value = serde_json::from_str(include_str!(
        "../../../../schemas/events/order-event.schema.json"
    ))
    .unwrap();
    let api = serde_json::to_value(crate::http::document()).unwrap();
    for name in [
        "Reference",
        "ItemName",
        "UnitPrice",
        "Amount",
        "Quantity",
        "OrderStatus",
    ] {
        let (ours, theirs) = (&events["$defs"][name], &api["components"]["schemas"][name]);
        assert!(theirs.is_object(), "the API document has no {name}");
        for rule in [
            "type",
            "pattern",
            "minLength",
            "maxLength",
            "minimum",
            "maximum",
            "multipleOf",
            "enum",
        ] {
            assert_eq!(ours[rule], theirs[rule], "{name}.{rule}");
        }
    }
    let order = &events["$defs"]["Order"]["properties"];
    let api_order = &api["components"]["schemas"]["Order"]["properties"];
    let members = |v: &Value| -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(members(order), members(api_order));
}
