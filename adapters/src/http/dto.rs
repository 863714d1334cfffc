//! The JSON shapes of the seed's API, and their conversion to and from the application's types.
//!
//! Requests decode into all-`Option` fields, so a missing member (or a `null`) is reported by the domain's validation
//! with every other field error. Money never passes through a float: a request's numbers are kept as their exact
//! JSON text, and a response writes `Money`'s text (`9.99`, `10.00`) as a JSON number.

use application::{ChangeStatus, PlaceOrder};
use domain::{
    IdempotencyKey, Money, Order, OrderDraft, OrderId, OrderItem, OrderItemDraft, OrderStatus,
    RequestFingerprint, ValidationErrors, Version,
};
use serde::de::{Error as _, Unexpected};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::error::ApiError;

const REQUIRED: &str = "is required";

/// The body of `POST /orders`. A client-sent `id`, `status`, `created_on` and unknown members are ignored.
#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct CreateOrderRequest {
    customer_id: Option<String>,
    restaurant_id: Option<String>,
    order_items: Option<Vec<OrderItemRequest>>,
}

/// One of `order_items`.
#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct OrderItemRequest {
    product_code: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "number_text")]
    unit_price: Option<String>,
    #[serde(default, deserialize_with = "number_text")]
    quantity: Option<String>,
}

impl CreateOrderRequest {
    /// SHA-256 of the request's members, re-serialized in a fixed order: members the service ignores, the order of
    /// members and whitespace do not change it; any value that counts does.
    pub(crate) fn fingerprint(&self) -> Result<RequestFingerprint, ApiError> {
        let canonical = serde_json::to_vec(self).map_err(ApiError::internal)?;
        Ok(RequestFingerprint::new(Sha256::digest(canonical).into()))
    }

    /// The application's command: the draft, and with `key` the request's fingerprint.
    ///
    /// # Errors
    /// `internal` if the request cannot be fingerprinted (it always can).
    pub(crate) fn into_command(self, key: Option<IdempotencyKey>) -> Result<PlaceOrder, ApiError> {
        let idempotency = match key {
            Some(key) => Some((key, self.fingerprint()?)),
            None => None,
        };
        Ok(PlaceOrder {
            draft: self.into_draft(),
            idempotency,
        })
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

/// The body of `POST /orders/status`.
#[derive(Debug, Deserialize)]
pub(crate) struct ChangeStatusRequest {
    id: Option<String>,
    status: Option<String>,
}

impl ChangeStatusRequest {
    /// The command, changing the order only at `expected_version` when set (from `If-Match`).
    ///
    /// # Errors
    /// `validation_failed` naming a missing `id` and a missing or unknown `status` together; `order_not_found` when
    /// the fields are there but the id is not a UUID.
    pub(crate) fn into_command(
        self,
        expected_version: Option<Version>,
    ) -> Result<ChangeStatus, ApiError> {
        let mut errors = ValidationErrors::default();
        if self.id.is_none() {
            errors.add("id", REQUIRED);
        }
        let status = match self.status {
            None => {
                errors.add("status", REQUIRED);
                None
            }
            Some(name) => errors.check("status", name.parse::<OrderStatus>()),
        };
        match (self.id, status) {
            (Some(id), Some(status)) if errors.is_empty() => Ok(ChangeStatus {
                id: id.parse::<OrderId>()?,
                status,
                expected_version,
            }),
            _ => Err(errors.into()),
        }
    }
}

/// The body of a `201` to `POST /orders`.
#[derive(Debug, Serialize)]
pub(crate) struct CreatedOrderResponse {
    id: String,
}

impl From<OrderId> for CreatedOrderResponse {
    fn from(id: OrderId) -> Self {
        Self { id: id.to_string() }
    }
}

/// The body of a response that returns one order: `{"order": {...}}`.
#[derive(Debug, Serialize)]
pub(crate) struct OrderEnvelope<'a> {
    order: OrderResponse<'a>,
}

/// An order on the wire. Times are Unix seconds, as in the seed.
#[derive(Debug, Serialize)]
pub(crate) struct OrderResponse<'a> {
    id: String,
    customer_id: &'a str,
    restaurant_id: &'a str,
    status: &'static str,
    created_on: i64,
    updated_on: i64,
    version: u64,
    total: JsonMoney,
    order_items: Vec<OrderItemResponse<'a>>,
}

/// One of an order's `order_items`.
#[derive(Debug, Serialize)]
pub(crate) struct OrderItemResponse<'a> {
    product_code: &'a str,
    name: &'a str,
    unit_price: JsonMoney,
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
    fn a_number_of_another_json_type_is_refused() {
        for value in [r#""9.99""#, "true", "[1]", r#"{"a": 1}"#] {
            let error = item(&format!(r#"{{"unit_price": {value}}}"#)).unwrap_err();
            assert!(
                error.to_string().contains("expected a JSON number"),
                "{value}: {error}"
            );
        }
    }

    #[test]
    fn money_is_written_as_a_number_with_two_decimals() {
        let money = |cents| JsonMoney(Money::from_cents(cents).unwrap());
        assert_eq!(serde_json::to_string(&money(999)).unwrap(), "9.99");
        assert_eq!(serde_json::to_string(&money(1000)).unwrap(), "10.00");
    }

    #[test]
    fn a_status_change_lists_every_missing_or_unknown_field() {
        let request = ChangeStatusRequest {
            id: None,
            status: Some("Lost".into()),
        };
        let error = request.into_command(None).unwrap_err();
        assert_eq!(error.code(), crate::http::ProblemCode::ValidationFailed);
    }
}
