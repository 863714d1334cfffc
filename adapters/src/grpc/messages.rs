//! The protobuf messages, and their conversion to and from the shared requests and the domain's types. Only what
//! proto3 forces is decided here (an empty string or an UNSPECIFIED enum is a field not sent); every rule about the
//! values is the inbound layer's or the domain's, so both transports refuse alike.

use application::{OrderPage, PlaceOrder};
use domain::{IdempotencyKey, Order, OrderDraft, OrderItem, OrderItemDraft, OrderStatus, Version};

use super::proto::orders::v1 as pb;
use crate::inbound::{CursorCodec, Failure, ListingRequest, StatusChangeRequest};

/// A place-order command from `request`, made idempotent by `key` when given.
pub(crate) fn place_order(
    request: pb::CreateOrderRequest,
    key: Option<IdempotencyKey>,
) -> PlaceOrder {
    PlaceOrder {
        draft: OrderDraft {
            customer_id: sent(request.customer_id),
            restaurant_id: sent(request.restaurant_id),
            items: Some(request.order_items.into_iter().map(item_draft).collect()),
        },
        idempotency_key: key,
    }
}

/// An item as the domain validates it: numbers as their decimal text, as the HTTP API receives them.
fn item_draft(item: pb::OrderItem) -> OrderItemDraft {
    OrderItemDraft {
        product_code: sent(item.product_code),
        name: sent(item.name),
        unit_price: Some(cents_text(item.unit_price_cents)),
        quantity: Some(item.quantity.to_string()),
    }
}

/// `cents` as decimal text with two places: `-5` is `-0.05`.
fn cents_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// The status change `request` asks for.
///
/// # Errors
/// `malformed_request` for a negative `expected_version`, which no order can have.
pub(crate) fn status_change(
    request: pb::ChangeStatusRequest,
) -> Result<StatusChangeRequest, Failure> {
    let expected_version = request
        .expected_version
        .map(|version| {
            u64::try_from(version)
                .map(Version::new)
                .map_err(|_| Failure::malformed("expected_version must be 0 or more"))
        })
        .transpose()?;
    Ok(StatusChangeRequest {
        id: sent(request.id),
        status: status_name(request.status),
        expected_version,
    })
}

/// The listing `request` asks for.
pub(crate) fn listing(request: pb::ListOrdersRequest) -> ListingRequest {
    ListingRequest {
        customer_id: sent(request.customer_id),
        restaurant_id: sent(request.restaurant_id),
        status: status_name(request.status),
        limit: (request.limit != 0).then(|| request.limit.to_string()),
        cursor: sent(request.cursor),
    }
}

/// The page as a response, its next position signed by `cursors` (the same cursor the HTTP API gives).
pub(crate) fn page(page: &OrderPage, cursors: &CursorCodec) -> pb::ListOrdersResponse {
    pb::ListOrdersResponse {
        orders: page.orders.iter().map(order).collect(),
        next_cursor: page
            .next
            .map(|position| cursors.encode(position))
            .unwrap_or_default(),
    }
}

/// `text`, unless proto3 says it was not sent (empty).
fn sent(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// The domain's name of a status sent as an enum number: `None` for UNSPECIFIED; a number the enum does not know is
/// passed on as such, for the domain to refuse by name.
fn status_name(value: i32) -> Option<String> {
    match pb::OrderStatus::try_from(value) {
        Ok(status) => domain_status(status).map(|status| status.as_str().to_owned()),
        Err(_) => Some(value.to_string()),
    }
}

/// The domain's status for a message's; `None` for UNSPECIFIED.
const fn domain_status(status: pb::OrderStatus) -> Option<OrderStatus> {
    match status {
        pb::OrderStatus::Unspecified => None,
        pb::OrderStatus::Pending => Some(OrderStatus::Pending),
        pb::OrderStatus::Accepted => Some(OrderStatus::Accepted),
        pb::OrderStatus::Rejected => Some(OrderStatus::Rejected),
        pb::OrderStatus::Cancelled => Some(OrderStatus::Cancelled),
        pb::OrderStatus::Preparing => Some(OrderStatus::Preparing),
        pb::OrderStatus::ReadyForPickup => Some(OrderStatus::ReadyForPickup),
        pb::OrderStatus::OutForDelivery => Some(OrderStatus::OutForDelivery),
        pb::OrderStatus::Delivered => Some(OrderStatus::Delivered),
    }
}

/// A message's status for the domain's (exhaustive: a new status must be given an enum value).
const fn message_status(status: OrderStatus) -> pb::OrderStatus {
    match status {
        OrderStatus::Pending => pb::OrderStatus::Pending,
        OrderStatus::Accepted => pb::OrderStatus::Accepted,
        OrderStatus::Rejected => pb::OrderStatus::Rejected,
        OrderStatus::Cancelled => pb::OrderStatus::Cancelled,
        OrderStatus::Preparing => pb::OrderStatus::Preparing,
        OrderStatus::ReadyForPickup => pb::OrderStatus::ReadyForPickup,
        OrderStatus::OutForDelivery => pb::OrderStatus::OutForDelivery,
        OrderStatus::Delivered => pb::OrderStatus::Delivered,
    }
}

/// An order as a message: the same fields as the HTTP API's, money in cents.
pub(crate) fn order(order: &Order) -> pb::Order {
    pb::Order {
        id: order.id().to_string(),
        customer_id: order.customer_id().as_str().to_owned(),
        restaurant_id: order.restaurant_id().as_str().to_owned(),
        status: message_status(order.status()).into(),
        created_on: order.created_on().unix_seconds(),
        updated_on: order.updated_on().unix_seconds(),
        // A version counts status changes (a handful), far below i64::MAX.
        version: i64::try_from(order.version().get()).unwrap_or(i64::MAX),
        total_cents: order.total().cents(),
        order_items: order.items().iter().map(item).collect(),
    }
}

fn item(item: &OrderItem) -> pb::OrderItem {
    pb::OrderItem {
        product_code: item.product_code().as_str().to_owned(),
        name: item.name().as_str().to_owned(),
        unit_price_cents: item.unit_price().amount().cents(),
        // A quantity is at most 10 000 by construction.
        quantity: i32::try_from(item.quantity().get()).unwrap_or(i32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_are_written_as_the_decimal_text_the_domain_reads() {
        for (cents, text) in [
            (0, "0.00"),
            (5, "0.05"),
            (999, "9.99"),
            (1000, "10.00"),
            (-5, "-0.05"),
        ] {
            assert_eq!(cents_text(cents), text);
        }
    }

    #[test]
    fn every_status_survives_the_round_trip_and_unspecified_is_none() {
        for status in OrderStatus::ALL {
            assert_eq!(domain_status(message_status(status)), Some(status));
            assert_eq!(
                status_name(message_status(status).into()).as_deref(),
                Some(status.as_str())
            );
        }
        assert_eq!(status_name(0), None);
        assert_eq!(status_name(42).as_deref(), Some("42"));
    }

    #[test]
    fn empty_strings_are_fields_not_sent() {
        let listing = listing(pb::ListOrdersRequest {
            customer_id: String::new(),
            restaurant_id: "r-1".into(),
            ..pb::ListOrdersRequest::default()
        });
        assert_eq!(
            listing,
            ListingRequest {
                restaurant_id: Some("r-1".into()),
                ..ListingRequest::default()
            }
        );
    }

    #[test]
    fn a_negative_expected_version_is_malformed() {
        let request = pb::ChangeStatusRequest {
            id: "x".into(),
            status: pb::OrderStatus::Accepted.into(),
            expected_version: Some(-1),
        };
        assert!(status_change(request).is_err());
    }
}
