//! Identities: the order's UUID and the textual ids of the parties it involves.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;
use uuid::Uuid;

use crate::text::bounded_text;

/// The identity of an order: a UUID. Ids made by the service are version 7, so they are time-ordered and keep B-tree
/// inserts local.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(Uuid);

impl OrderId {
    /// Wraps a UUID.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// Rebuilds an id from its 16 bytes (big-endian, as UUIDs are stored).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    /// The id's 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// The id as a UUID.
    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The text is not a UUID, so it cannot name an order.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not an order id (a UUID)")]
pub struct ParseOrderIdError(String);

impl FromStr for OrderId {
    type Err = ParseOrderIdError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        // Only the canonical 36-character form: an id has one spelling, so it has one cache and log identity.
        if raw.len() != 36 {
            return Err(ParseOrderIdError(raw.chars().take(64).collect()));
        }
        Uuid::try_parse(raw)
            .map(Self)
            .map_err(|_| ParseOrderIdError(raw.to_owned()))
    }
}

bounded_text!(
    /// The customer who places an order: 1 to 64 characters, trimmed and normalised to NFC, with no control or
    /// invisible formatting characters (see [`InvalidText`](crate::InvalidText)); spellings that differ only in
    /// normalisation are one id.
    CustomerId,
    64
);

bounded_text!(
    /// The restaurant an order is placed at: 1 to 64 characters, trimmed and normalised to NFC, with no control or
    /// invisible formatting characters (see [`InvalidText`](crate::InvalidText)); spellings that differ only in
    /// normalisation are one id.
    RestaurantId,
    64
);

bounded_text!(
    /// An operator: a member of staff who may act on any order, named by the subject of their credentials. 1 to
    /// 255 characters (an identity provider's subject may be long), with the rules of the other party ids.
    OperatorId,
    255
);

bounded_text!(
    /// A restaurant's code for a product: 1 to 64 characters, trimmed and normalised to NFC, with no control or
    /// invisible formatting characters (see [`InvalidText`](crate::InvalidText)).
    ProductCode,
    64
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InvalidText;

    #[test]
    fn an_order_id_round_trips_through_its_text_and_bytes() {
        let id: OrderId = "0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01".parse().unwrap();
        assert_eq!(id.to_string(), "0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01");
        assert_eq!(OrderId::from_bytes(*id.as_bytes()), id);
    }

    #[test]
    fn an_order_id_must_be_a_canonical_uuid() {
        for raw in [
            "",
            "42",
            "not-a-uuid",
            "0190b4b67c1e7d2a9f3b5a6c7d8e9f01",
            "{0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01}",
            "0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f0g",
        ] {
            assert!(raw.parse::<OrderId>().is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn party_ids_allow_64_characters() {
        assert!(CustomerId::new(&"c".repeat(64)).is_ok());
        assert_eq!(
            RestaurantId::new(&"r".repeat(65)),
            Err(InvalidText::TooLong { max: 64 })
        );
        assert_eq!(
            ProductCode::new(" p-1 ").map(|c| c.to_string()),
            Ok("p-1".to_owned())
        );
    }

    #[test]
    fn party_ids_spelled_with_a_combining_accent_are_the_composed_id() {
        let composed = CustomerId::new("caf\u{e9}").unwrap();
        assert_eq!(CustomerId::new("cafe\u{301}"), Ok(composed.clone()));
        assert_eq!(composed.as_str(), "caf\u{e9}");
        assert_eq!(
            RestaurantId::new(" Mu\u{308}ller ").map(|r| r.to_string()),
            Ok("M\u{fc}ller".to_owned())
        );
    }

    #[test]
    fn party_ids_with_invisible_characters_are_refused() {
        assert_eq!(
            CustomerId::new("alice\u{200b}"),
            Err(InvalidText::FormatCharacter { found: '\u{200b}' })
        );
        assert_eq!(
            RestaurantId::new("r\u{2028}1"),
            Err(InvalidText::FormatCharacter { found: '\u{2028}' })
        );
    }
}
