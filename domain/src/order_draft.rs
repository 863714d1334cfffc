//! An order as a client sent it, before validation: the one place that turns untrusted input into a [`NewOrder`].

use crate::{
    CustomerId, ItemName, NewOrder, OrderItem, OrderItems, ProductCode, Quantity, RestaurantId,
    UnitPrice, ValidationErrors,
};

const REQUIRED: &str = "is required";

/// An order as received: a missing field is `None`, and numbers are their decimal text (the text of a JSON number),
/// so no float ever touches money.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderDraft {
    /// `customer_id`.
    pub customer_id: Option<String>,
    /// `restaurant_id`.
    pub restaurant_id: Option<String>,
    /// `order_items`.
    pub items: Option<Vec<OrderItemDraft>>,
}

/// One item as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderItemDraft {
    /// `product_code`.
    pub product_code: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `unit_price` as decimal text, such as `9.99`.
    pub unit_price: Option<String>,
    /// `quantity` as decimal text, such as `2`.
    pub quantity: Option<String>,
}

impl OrderDraft {
    /// Checks every field and returns the valid order, or every broken rule at once (field paths such as
    /// `order_items[1].quantity`).
    ///
    /// # Errors
    /// [`ValidationErrors`] naming each missing or invalid field.
    pub fn validate(self) -> Result<NewOrder, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let customer_id = required(&mut errors, "customer_id", self.customer_id, |s| {
            CustomerId::new(&s)
        });
        let restaurant_id = required(&mut errors, "restaurant_id", self.restaurant_id, |s| {
            RestaurantId::new(&s)
        });
        let items = match self.items {
            None => {
                errors.add("order_items", REQUIRED);
                None
            }
            Some(drafts) => validate_items(&mut errors, drafts),
        };
        match (customer_id, restaurant_id, items) {
            (Some(customer_id), Some(restaurant_id), Some(items)) if errors.is_empty() => {
                Ok(NewOrder {
                    customer_id,
                    restaurant_id,
                    items,
                })
            }
            _ => Err(errors),
        }
    }
}

fn validate_items(
    errors: &mut ValidationErrors,
    drafts: Vec<OrderItemDraft>,
) -> Option<OrderItems> {
    let count_ok = errors
        .check("order_items", OrderItems::check_count(drafts.len()))
        .is_some();
    // Every item is checked, also when the count is wrong or an earlier item failed: all errors at once.
    let items: Vec<Option<OrderItem>> = drafts
        .into_iter()
        .enumerate()
        .map(|(i, draft)| draft.validate(errors, i))
        .collect();
    let items: Vec<OrderItem> = items.into_iter().collect::<Option<_>>()?;
    if count_ok {
        OrderItems::new(items).ok()
    } else {
        None
    }
}

impl OrderItemDraft {
    fn validate(self, errors: &mut ValidationErrors, index: usize) -> Option<OrderItem> {
        let path = |field: &str| format!("order_items[{index}].{field}");
        let code = required(errors, path("product_code"), self.product_code, |s| {
            ProductCode::new(&s)
        });
        let name = required(errors, path("name"), self.name, |s| ItemName::new(&s));
        let price = required(errors, path("unit_price"), self.unit_price, |s| {
            s.parse::<UnitPrice>()
        });
        let quantity = required(errors, path("quantity"), self.quantity, |s| {
            s.parse::<Quantity>()
        });
        Some(OrderItem::new(code?, name?, price?, quantity?))
    }
}

/// Parses a required field, recording "is required" when it is absent and the parser's message when it is invalid.
fn required<T, E: std::fmt::Display>(
    errors: &mut ValidationErrors,
    field: impl Into<String>,
    raw: Option<String>,
    parse: impl FnOnce(String) -> Result<T, E>,
) -> Option<T> {
    match raw {
        None => {
            errors.add(field, REQUIRED);
            None
        }
        Some(raw) => errors.check(field, parse(raw)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> OrderItemDraft {
        OrderItemDraft {
            product_code: Some("p-1".into()),
            name: Some("Margherita".into()),
            unit_price: Some("9.99".into()),
            quantity: Some("2".into()),
        }
    }

    fn draft() -> OrderDraft {
        OrderDraft {
            customer_id: Some("c-1".into()),
            restaurant_id: Some("r-1".into()),
            items: Some(vec![item()]),
        }
    }

    fn failing_fields(draft: OrderDraft) -> Vec<(String, String)> {
        let errors = draft.validate().unwrap_err();
        errors
            .fields()
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect()
    }

    #[test]
    fn a_complete_draft_becomes_a_new_order() {
        let order = draft().validate().unwrap();
        assert_eq!(order.customer_id.as_str(), "c-1");
        assert_eq!(order.items.total().cents(), 1998);
    }

    #[test]
    fn each_rule_names_its_field() {
        type Edit = fn(&mut OrderDraft);
        let cases: &[(Edit, &str, &str)] = &[
            (|d| d.customer_id = None, "customer_id", "is required"),
            (
                |d| d.customer_id = Some(" ".into()),
                "customer_id",
                "must not be empty",
            ),
            (
                |d| d.customer_id = Some("c".repeat(65)),
                "customer_id",
                "must be at most 64 characters",
            ),
            (
                |d| d.restaurant_id = Some("r\nx".into()),
                "restaurant_id",
                "must not contain control characters",
            ),
            (|d| d.restaurant_id = None, "restaurant_id", "is required"),
            (|d| d.items = None, "order_items", "is required"),
            (
                |d| d.items = Some(vec![]),
                "order_items",
                "must have from 1 to 100 items",
            ),
            (
                |d| d.items = Some(vec![item(); 101]),
                "order_items",
                "must have from 1 to 100 items",
            ),
            (
                |d| {
                    d.items = Some(vec![OrderItemDraft {
                        product_code: None,
                        ..item()
                    }])
                },
                "order_items[0].product_code",
                "is required",
            ),
            (
                |d| {
                    d.items = Some(vec![OrderItemDraft {
                        name: Some("n".repeat(201)),
                        ..item()
                    }])
                },
                "order_items[0].name",
                "must be at most 200 characters",
            ),
            (
                |d| {
                    d.items = Some(vec![OrderItemDraft {
                        unit_price: Some("1.999".into()),
                        ..item()
                    }])
                },
                "order_items[0].unit_price",
                "must have at most 2 decimal places",
            ),
            (
                |d| {
                    d.items = Some(vec![OrderItemDraft {
                        unit_price: Some("1000000.01".into()),
                        ..item()
                    }])
                },
                "order_items[0].unit_price",
                "must be at most 1000000.00",
            ),
            (
                |d| {
                    d.items = Some(vec![OrderItemDraft {
                        unit_price: Some("-1".into()),
                        ..item()
                    }])
                },
                "order_items[0].unit_price",
                "must be a non-negative number with at most 2 decimal places",
            ),
            (
                |d| {
                    d.items = Some(vec![OrderItemDraft {
                        quantity: Some("0".into()),
                        ..item()
                    }])
                },
                "order_items[0].quantity",
                "must be a whole number from 1 to 10000",
            ),
            (
                |d| {
                    d.items = Some(vec![OrderItemDraft {
                        quantity: Some("2.5".into()),
                        ..item()
                    }])
                },
                "order_items[0].quantity",
                "must be a whole number from 1 to 10000",
            ),
            (
                |d| {
                    d.items = Some(vec![OrderItemDraft {
                        quantity: None,
                        ..item()
                    }])
                },
                "order_items[0].quantity",
                "is required",
            ),
        ];
        for (edit, field, message) in cases {
            let mut d = draft();
            edit(&mut d);
            assert_eq!(
                failing_fields(d),
                [(field.to_string(), message.to_string())],
                "{field}"
            );
        }
    }

    #[test]
    fn every_failing_field_is_reported_at_once() {
        let bad_item = OrderItemDraft {
            product_code: Some(String::new()),
            name: None,
            unit_price: Some("x".into()),
            quantity: Some("0".into()),
        };
        let draft = OrderDraft {
            customer_id: None,
            restaurant_id: Some(String::new()),
            items: Some(vec![item(), bad_item]),
        };
        let fields: Vec<String> = failing_fields(draft).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "customer_id",
                "restaurant_id",
                "order_items[1].product_code",
                "order_items[1].name",
                "order_items[1].unit_price",
                "order_items[1].quantity",
            ]
        );
    }

    #[test]
    fn items_keep_the_order_they_were_sent_in() {
        let names = ["a", "b", "c"];
        let items = names
            .iter()
            .map(|n| OrderItemDraft {
                name: Some((*n).into()),
                ..item()
            })
            .collect();
        let order = OrderDraft {
            items: Some(items),
            ..draft()
        }
        .validate()
        .unwrap();
        let got: Vec<&str> = order
            .items
            .as_slice()
            .iter()
            .map(|i| i.name().as_str())
            .collect();
        assert_eq!(got, names);
    }
}
