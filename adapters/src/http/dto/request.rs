//! Request bodies, and their conversion to the application's commands.
//!
//! Requests decode into all-`Option` fields, so a missing member (or a `null`) is reported by the domain's validation
//! with every other field error. Money never passes through a float: a request's numbers are kept as their exact
//! JSON text. The schemas say what a valid request is (every member required, with the domain's bounds), not the
//! `Option`s that let the service report all that is wrong at once.

use application::PlaceOrder;
use domain::{IdempotencyKey, OrderDraft, OrderItemDraft, Version};
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Error as _, MapAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::http::schemas::{
    ItemNameSchema, OrderIdSchema, OrderStatusSchema, QuantitySchema, ReferenceSchema,
    UnitPriceSchema,
};
use crate::inbound::StatusChangeRequest;

/// A new order: the body of `POST /orders`. A client-sent `id`, `status`, `created_on` and unknown members are
/// ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = NewOrder)]
pub(crate) struct CreateOrderRequest {
    /// The customer placing the order.
    #[schema(value_type = ReferenceSchema)]
    customer_id: Option<String>,
    /// The restaurant that will prepare it.
    #[schema(value_type = ReferenceSchema, examples("restaurant-7"))]
    restaurant_id: Option<String>,
    /// 1 to 100 lines, kept in the order sent.
    #[serde(default, deserialize_with = "objects")]
    #[schema(value_type = Vec<OrderItemRequest>, required = true, min_items = 1, max_items = 100)]
    order_items: Option<Vec<OrderItemRequest>>,
}

/// One of `order_items`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = NewOrderItem)]
pub(crate) struct OrderItemRequest {
    /// The restaurant's code for the product.
    #[schema(value_type = ReferenceSchema, examples("pizza-margherita"))]
    product_code: Option<String>,
    #[schema(value_type = ItemNameSchema)]
    name: Option<String>,
    #[serde(default, deserialize_with = "number_text")]
    #[schema(value_type = UnitPriceSchema, required = true)]
    unit_price: Option<String>,
    #[serde(default, deserialize_with = "number_text")]
    #[schema(value_type = QuantitySchema, required = true)]
    quantity: Option<String>,
}

impl CreateOrderRequest {
    /// The application's command: the order as the domain validates it, made idempotent by `key` when given.
    pub(crate) fn into_command(self, key: Option<IdempotencyKey>) -> PlaceOrder {
        PlaceOrder {
            draft: self.into_draft(),
            idempotency_key: key,
        }
    }

    /// The order as the domain validates it.
    pub(crate) fn into_draft(self) -> OrderDraft {
        OrderDraft {
            customer_id: self.customer_id,
            restaurant_id: self.restaurant_id,
            items: self.order_items.map(|items| {
                items
                    .into_iter()
                    .map(OrderItemRequest::into_draft)
                    .collect()
            }),
        }
    }
}

impl OrderItemRequest {
    fn into_draft(self) -> OrderItemDraft {
        OrderItemDraft {
            product_code: self.product_code,
            name: self.name,
            unit_price: self.unit_price,
            quantity: self.quantity,
        }
    }
}

/// A JSON number's exact text (`9.99`, `1e2`, `-1`: the domain judges it), or `None` for a `null`. Any other JSON
/// type is a malformed request, not a validation error: the contract says "a JSON number".
fn number_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let Some(raw) = Option::<Box<RawValue>>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let text = raw.get().trim();
    match text.bytes().next() {
        Some(b'-' | b'0'..=b'9') => Ok(Some(text.to_owned())),
        first => {
            let found = match first {
                Some(b'"') => "a string",
                Some(b't' | b'f') => "a boolean",
                Some(b'[') => "an array",
                _ => "an object",
            };
            Err(D::Error::invalid_type(
                Unexpected::Other(found),
                &"a JSON number",
            ))
        }
    }
}

/// A list of objects, or `None` for a `null`. serde's derive would also fill each struct from an array, by position
/// (`["p-1", "Pizza", 9.99, 1]`); the contract's items are objects, so anything else is a malformed request.
fn objects<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let objects = Option::<Vec<Object<T>>>::deserialize(deserializer)?;
    Ok(objects.map(|objects| objects.into_iter().map(|object| object.0).collect()))
}

/// `T`, read from a JSON object only.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Object)
    }
}

/// The body of `POST /orders/status`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = StatusChange)]
pub(crate) struct ChangeStatusRequest {
    /// The order to change; an id that is not a UUID names no order (404).
    #[schema(value_type = OrderIdSchema)]
    id: Option<String>,
    /// The status to move to; the status the order already has is a harmless no-op.
    #[schema(value_type = OrderStatusSchema)]
    status: Option<String>,
}

impl ChangeStatusRequest {
    /// The status change as every transport states it, only at `expected_version` when set (from `If-Match`).
    pub(crate) fn into_request(self, expected_version: Option<Version>) -> StatusChangeRequest {
        StatusChangeRequest {
            id: self.id,
            status: self.status,
            expected_version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> Result<OrderItemRequest, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_keep_their_exact_text() {
        let parsed = item(r#"{"unit_price": 0.10, "quantity": 1e2}"#).unwrap();
        assert_eq!(parsed.unit_price.as_deref(), Some("0.10"));
        assert_eq!(parsed.quantity.as_deref(), Some("1e2"));
        let negative = item(r#"{"unit_price": -1}"#).unwrap();
        assert_eq!(negative.unit_price.as_deref(), Some("-1"));
    }

    #[test]
    fn a_null_or_missing_number_is_none() {
        let parsed = item(r#"{"unit_price": null}"#).unwrap();
        assert_eq!((parsed.unit_price, parsed.quantity), (None, None));
    }

    #[test]
    fn an_item_given_as_an_array_is_refused() {
        let order = |items: &str| {
            serde_json::from_str::<CreateOrderRequest>(&format!(r#"{{"order_items": {items}}}"#))
        };
        for items in [r#"[["p-1", "Pizza", 9.99, 1]]"#, "[null]", "[1]"] {
            let error = order(items).unwrap_err();
            assert!(
                error.to_string().contains("expected an object"),
                "{items}: {error}"
            );
        }
        let items = order(r#"[{"product_code": "p-1"}]"#).unwrap().order_items;
        assert_eq!(items.unwrap()[0].product_code.as_deref(), Some("p-1"));
        assert!(order("null").unwrap().order_items.is_none());
    }

    #[test]
    fn a_number_of_another_json_type_is_refused() {
        for value in [r#""9.99""#, "true", "[1]", r#"{"a": 1}"#] {
            let error = item(&format!(r#"{{"unit_price": {value}}}"#)).unwrap_err();
            assert!(
                error.to_string().contains("expected a JSON number"),
                "{value}: {error}"
            );
        }
    }
}
