//! One line of an order and the values it is made of.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::decimal;
use crate::text::bounded_text;
use crate::{Money, ParseMoneyError, ProductCode};

bounded_text!(
    /// What the customer sees for an item: 1 to 200 characters, trimmed and normalised to NFC, with no control or
    /// invisible formatting characters (see [`InvalidText`](crate::InvalidText)).
    ItemName,
    200
);

/// How many of an item: a whole number from 1 to 10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(u32);

/// The value is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("must be a whole number from 1 to {max}", max = Quantity::MAX)]
pub struct InvalidQuantity;

impl Quantity {
    /// The largest quantity of one item.
    pub const MAX: u32 = 10_000;

    /// Checks `value` is within 1..=[`Quantity::MAX`].
    ///
    /// # Errors
    /// [`InvalidQuantity`] when it is not.
    pub fn new(value: i64) -> Result<Self, InvalidQuantity> {
        u32::try_from(value)
            .ok()
            .filter(|v| (1..=Self::MAX).contains(v))
            .map(Self)
            .ok_or(InvalidQuantity)
    }

    /// The quantity as a number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl FromStr for Quantity {
    type Err = InvalidQuantity;

    /// Parses the text of a JSON number whose value is a whole number: `3`, and also `3.0` or `3e0`, which JSON
    /// does not tell apart from it; `3.5` is refused.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        decimal::scaled(raw, 0)
            .map_err(|_| InvalidQuantity)
            .and_then(Self::new)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The price of one unit of an item: 0 to 1,000,000.00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitPrice(Money);

/// Why a value is not a unit price.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidUnitPrice {
    /// Not an amount of money.
    #[error(transparent)]
    Malformed(#[from] ParseMoneyError),
    /// Above [`UnitPrice::MAX`].
    #[error("must be at most {}", UnitPrice::MAX)]
    TooHigh,
}

impl UnitPrice {
    /// The highest unit price: 1,000,000.00.
    pub const MAX: Money = match Money::from_cents(100_000_000) {
        Some(max) => max,
        None => Money::ZERO,
    };

    /// Checks `amount` is at most [`UnitPrice::MAX`].
    ///
    /// # Errors
    /// [`InvalidUnitPrice::TooHigh`] when it is above.
    pub fn new(amount: Money) -> Result<Self, InvalidUnitPrice> {
        if amount > Self::MAX {
            Err(InvalidUnitPrice::TooHigh)
        } else {
            Ok(Self(amount))
        }
    }

    /// The price as money.
    pub const fn amount(self) -> Money {
        self.0
    }
}

impl FromStr for UnitPrice {
    type Err = InvalidUnitPrice;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::new(raw.parse()?)
    }
}

/// One line of an order: a product, its price per unit and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    product_code: ProductCode,
    name: ItemName,
    unit_price: UnitPrice,
    quantity: Quantity,
}

impl OrderItem {
    /// An item from values that are each valid already.
    pub const fn new(
        product_code: ProductCode,
        name: ItemName,
        unit_price: UnitPrice,
        quantity: Quantity,
    ) -> Self {
        Self {
            product_code,
            name,
            unit_price,
            quantity,
        }
    }

    /// The restaurant's code for the product.
    pub const fn product_code(&self) -> &ProductCode {
        &self.product_code
    }

    /// The product's name.
    pub const fn name(&self) -> &ItemName {
        &self.name
    }

    /// The price of one unit.
    pub const fn unit_price(&self) -> UnitPrice {
        self.unit_price
    }

    /// How many units.
    pub const fn quantity(&self) -> Quantity {
        self.quantity
    }

    /// Unit price times quantity. Cannot overflow: at most 10^8 cents times 10^4.
    pub fn line_total(&self) -> Money {
        self.unit_price
            .amount()
            .checked_mul(self.quantity.get())
            .unwrap_or(Money::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_whole_numbers_from_one_to_ten_thousand() {
        let cases: &[(&str, Option<u32>)] = &[
            ("1", Some(1)),
            ("10000", Some(10_000)),
            ("0", None),
            ("10001", None),
            ("-1", None),
            ("1.5", None),
            ("1e3", Some(1000)),
            ("2.0", Some(2)),
            ("1e5", None),
            ("", None),
            ("99999999999999999999", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                raw.parse::<Quantity>().ok().map(Quantity::get),
                *expected,
                "{raw:?}"
            );
        }
        assert_eq!(Quantity::new(-5), Err(InvalidQuantity));
    }

    #[test]
    fn unit_prices_stop_at_one_million() {
        assert_eq!(
            "1000000.00"
                .parse::<UnitPrice>()
                .map(|p| p.amount().cents()),
            Ok(100_000_000)
        );
        assert_eq!(
            "1000000.01".parse::<UnitPrice>(),
            Err(InvalidUnitPrice::TooHigh)
        );
        assert_eq!(
            "0".parse::<UnitPrice>().map(|p| p.amount()),
            Ok(Money::ZERO)
        );
        assert!(matches!(
            "x".parse::<UnitPrice>(),
            Err(InvalidUnitPrice::Malformed(_))
        ));
    }

    #[test]
    fn an_items_line_total_is_price_times_quantity() {
        let item = OrderItem::new(
            ProductCode::new("p1").unwrap(),
            ItemName::new("Pizza").unwrap(),
            "9.99".parse().unwrap(),
            "3".parse().unwrap(),
        );
        assert_eq!(item.line_total().cents(), 2997);
    }

    #[test]
    fn item_names_allow_200_characters() {
        assert!(ItemName::new(&"n".repeat(200)).is_ok());
        assert!(ItemName::new(&"n".repeat(201)).is_err());
    }

    #[test]
    fn item_names_are_stored_composed_and_counted_so() {
        let decomposed = "Cre\u{300}me bru\u{302}le\u{301}e";
        assert_eq!(
            ItemName::new(decomposed).map(|n| n.to_string()),
            Ok("Cr\u{e8}me br\u{fb}l\u{e9}e".to_owned())
        );
        assert!(ItemName::new(&"e\u{301}".repeat(200)).is_ok());
    }

    #[test]
    fn item_names_with_invisible_characters_are_refused() {
        assert_eq!(
            ItemName::new("Pizza\u{200b}Margherita"),
            Err(crate::InvalidText::FormatCharacter { found: '\u{200b}' })
        );
    }
}
