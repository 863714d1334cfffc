//! The idempotency fingerprint: what makes two create requests "the same request" for one key.
//!
//! It is taken from the *validated* order, so it sees what the service will store and nothing else: the number
//! format (`9.9` or `9.90`), the order or spacing of JSON members, whitespace that validation trims, members the
//! service ignores, and the transport that carried the request (HTTP or gRPC) do not change it; any value that is
//! stored does. The encoding is canonical (each field in a fixed order, strings length-prefixed, numbers fixed-width),
//! so no two different orders encode alike, and SHA-256 makes the digest collision-resistant.

use domain::{NewOrder, RequestFingerprint};
use sha2::{Digest, Sha256};

/// Names the encoding, so a future change of it cannot match a digest of the old one by accident.
const ENCODING: &[u8] = b"ordersvc/new-order/v1";

/// The fingerprint of `order`.
pub fn fingerprint(order: &NewOrder) -> RequestFingerprint {
    let mut digest = Sha256::new();
    digest.update(ENCODING);
    text(&mut digest, order.customer_id.as_str());
    text(&mut digest, order.restaurant_id.as_str());
    let items = order.items.as_slice();
    digest.update(count(items.len()).to_be_bytes());
    for item in items {
        text(&mut digest, item.product_code().as_str());
        text(&mut digest, item.name().as_str());
        digest.update(item.unit_price().amount().cents().to_be_bytes());
        digest.update(item.quantity().get().to_be_bytes());
    }
    RequestFingerprint::new(digest.finalize().into())
}

/// A string as its byte length, then its bytes: `ab` + `c` and `a` + `bc` differ.
fn text(digest: &mut Sha256, value: &str) {
    digest.update(count(value.len()).to_be_bytes());
    digest.update(value.as_bytes());
}

/// A length as a fixed-width number (every validated length is far below `u64::MAX`).
fn count(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use domain::{OrderDraft, OrderItemDraft};

    use super::*;

    fn order(customer: &str, price: &str, quantity: &str) -> NewOrder {
        OrderDraft {
            customer_id: Some(customer.into()),
            restaurant_id: Some("r-1".into()),
            items: Some(vec![OrderItemDraft {
                product_code: Some("p-1".into()),
                name: Some("Pad thai".into()),
                unit_price: Some(price.into()),
                quantity: Some(quantity.into()),
            }]),
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn the_same_order_spelled_differently_has_one_fingerprint() {
        let plain = fingerprint(&order("c-1", "9.9", "2"));
        for (customer, price, quantity) in [
            ("c-1", "9.90", "2"),
            (" c-1 ", "9.900", "2.0"),
            ("c-1", "0.99e1", "2"),
        ] {
            assert_eq!(
                fingerprint(&order(customer, price, quantity)),
                plain,
                "{customer:?} {price} {quantity}"
            );
        }
    }

    #[test]
    fn any_stored_difference_changes_the_fingerprint() {
        let plain = fingerprint(&order("c-1", "9.90", "2"));
        for (customer, price, quantity) in [
            ("c-2", "9.90", "2"),
            ("c-1", "9.91", "2"),
            ("c-1", "9.90", "3"),
        ] {
            assert_ne!(fingerprint(&order(customer, price, quantity)), plain);
        }
    }

    #[test]
    fn moving_characters_between_fields_changes_the_fingerprint() {
        let split = |customer: &str, restaurant: &str| {
            let mut new = order(customer, "1", "1");
            new.restaurant_id = domain::RestaurantId::new(restaurant).unwrap();
            fingerprint(&new)
        };
        assert_ne!(split("ab", "c"), split("a", "bc"));
    }
}
