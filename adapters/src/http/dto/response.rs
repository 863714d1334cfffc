//! Response bodies: orders as the API writes them. Money is written from `Money`'s exact text (`9.99`, `10.00`) as a
//! JSON number, never through a float.

use domain::{Money, Order, OrderId, OrderItem};
use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::http::schemas::{
    AmountSchema, ItemNameSchema, OrderIdSchema, OrderStatusSchema, QuantitySchema,
    ReferenceSchema, UnitPriceSchema,
};

/// The body of a `201` to `POST /orders`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CreatedOrder)]
pub(crate) struct CreatedOrderResponse {
    /// The new order's id (also at the end of `Location`).
    #[schema(value_type = OrderIdSchema)]
    id: String,
}

impl From<OrderId> for CreatedOrderResponse {
    fn from(id: OrderId) -> Self {
        Self { id: id.to_string() }
    }
}

/// The body of a response that returns one order: `{"order": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OrderEnvelope)]
pub(crate) struct OrderEnvelope<'a> {
    #[schema(value_type = OrderResponse<'static>)]
    order: OrderResponse<'a>,
}

/// An order. Times are Unix seconds.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Order)]
pub(crate) struct OrderResponse<'a> {
    #[schema(value_type = OrderIdSchema)]
    id: String,
    #[schema(value_type = ReferenceSchema)]
    customer_id: &'a str,
    #[schema(value_type = ReferenceSchema)]
    restaurant_id: &'a str,
    #[schema(value_type = OrderStatusSchema)]
    status: &'static str,
    /// When it was placed, in Unix seconds.
    #[schema(examples(1_700_000_000))]
    created_on: i64,
    /// When its status last changed (or when it was placed), in Unix seconds.
    #[schema(examples(1_700_000_060))]
    updated_on: i64,
    /// 1 when placed, plus one per status change; the `ETag` is this number, quoted.
    #[schema(minimum = 1, examples(2))]
    version: u64,
    #[schema(value_type = AmountSchema)]
    total: JsonMoney,
    /// The items, in the order they were sent.
    #[schema(value_type = Vec<OrderItemResponse<'static>>, min_items = 1, max_items = 100)]
    order_items: Vec<OrderItemResponse<'a>>,
}

/// One of an order's `order_items`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OrderItem)]
pub(crate) struct OrderItemResponse<'a> {
    #[schema(value_type = ReferenceSchema)]
    product_code: &'a str,
    #[schema(value_type = ItemNameSchema)]
    name: &'a str,
    #[schema(value_type = UnitPriceSchema)]
    unit_price: JsonMoney,
    #[schema(value_type = QuantitySchema)]
    quantity: u32,
}

impl<'a> From<&'a Order> for OrderEnvelope<'a> {
    fn from(order: &'a Order) -> Self {
        Self {
            order: OrderResponse::from(order),
        }
    }
}

impl<'a> From<&'a Order> for OrderResponse<'a> {
    fn from(order: &'a Order) -> Self {
        Self {
            id: order.id().to_string(),
            customer_id: order.customer_id().as_str(),
            restaurant_id: order.restaurant_id().as_str(),
            status: order.status().as_str(),
            created_on: order.created_on().unix_seconds(),
            updated_on: order.updated_on().unix_seconds(),
            version: order.version().get(),
            total: JsonMoney(order.total()),
            order_items: order.items().iter().map(OrderItemResponse::from).collect(),
        }
    }
}

impl<'a> From<&'a OrderItem> for OrderItemResponse<'a> {
    fn from(item: &'a OrderItem) -> Self {
        Self {
            product_code: item.product_code().as_str(),
            name: item.name().as_str(),
            unit_price: JsonMoney(item.unit_price().amount()),
            quantity: item.quantity().get(),
        }
    }
}

/// Money written as a JSON number with two decimals, from its exact text rather than through a float.
#[derive(Debug)]
struct JsonMoney(Money);

impl Serialize for JsonMoney {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(self.0.to_string())
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_a_number_with_two_decimals() {
        let money = |cents| JsonMoney(Money::from_cents(cents).unwrap());
        assert_eq!(serde_json::to_string(&money(999)).unwrap(), "9.99");
        assert_eq!(serde_json::to_string(&money(1000)).unwrap(), "10.00");
    }
}
