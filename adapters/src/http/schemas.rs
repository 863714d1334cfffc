//! Named schemas for values whose Rust type says less than the wire does: an id that is a `String` but must be a
//! UUID, money carried as exact JSON text, a status written from a `&'static str`. DTO fields point at them with
//! `#[schema(value_type = ...)]`; every bound is read from the domain's own constants, so a rule changed there
//! changes the document too.

use std::borrow::Cow;

use std::sync::LazyLock;

use domain::{CustomerId, IdempotencyKey, ItemName, OrderStatus, PageSize, Quantity, UnitPrice};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::inbound::ErrorCode;

/// Text the domain trims and bounds: some non-space character, and none the domain refuses (control characters and
/// invisible formatting, [`domain::is_refused_in_text`]) anywhere. The character class is built from the domain's
/// own rule over the Basic Multilingual Plane, written as `\uXXXX` escapes, which ECMA-262, Python and Rust regexes
/// all read alike; the few refused characters beyond it (tag characters, some hieroglyph and musical-notation
/// controls) cannot be written portably in a pattern and are left to the descriptions.
static TRIMMED_TEXT: LazyLock<String> = LazyLock::new(|| {
    let refused = refused_class();
    format!("^[^{refused}]*[^\\s{refused}][^{refused}]*$")
});

/// The ranges of the Basic Multilingual Plane the domain refuses in text, as the inside of a regex class.
fn refused_class() -> String {
    let mut class = String::new();
    let mut run: Option<(u32, u32)> = None;
    let close = |class: &mut String, (start, end): (u32, u32)| {
        if start == end {
            class.push_str(&format!("\\u{start:04X}"));
        } else {
            class.push_str(&format!("\\u{start:04X}-\\u{end:04X}"));
        }
    };
    for code in 0..=0xFFFF_u32 {
        let refused = char::from_u32(code).is_some_and(domain::is_refused_in_text);
        run = match (run, refused) {
            (Some((start, end)), true) if end + 1 == code => Some((start, code)),
            (Some(done), true) => {
                close(&mut class, done);
                Some((code, code))
            }
            (None, true) => Some((code, code)),
            (Some(done), false) => {
                close(&mut class, done);
                None
            }
            (None, false) => None,
        };
    }
    if let Some(done) = run {
        close(&mut class, done);
    }
    class
}

/// Declares a documentation-only type whose schema `$name` is built by `$schema`.
macro_rules! named_schema {
    ($(#[$meta:meta])* $type:ident, $name:literal, $schema:expr) => {
        $(#[$meta])*
        pub(crate) struct $type;

        impl PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                let build: fn() -> ObjectBuilder = $schema;
                build().into()
            }
        }

        impl ToSchema for $type {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

named_schema!(
    /// An order id: a UUID.
    OrderIdSchema,
    "OrderId",
    || {
        string()
            .format(Some(SchemaFormat::Custom("uuid".into())))
            .description(Some("An order's id, a UUID (v7: time-ordered)."))
            .examples(["0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01"])
    }
);

named_schema!(
    /// `customer_id`, `restaurant_id`, `product_code`.
    ReferenceSchema,
    "Reference",
    || {
        trimmed_text(CustomerId::MAX_CHARS)
            .description(Some(
                "A customer's, a restaurant's or a product's reference: 1 to 64 characters after trimming, \
                 no control characters and no invisible formatting characters (Unicode Cf, such as U+200B or \
                 U+FEFF, and U+2028/U+2029). Stored and returned trimmed and normalised to NFC, so `e` + U+0301 \
                 and `é` are one reference.",
            ))
            .examples(["customer-42"])
    }
);

named_schema!(
    /// An item's `name`.
    ItemNameSchema,
    "ItemName",
    || {
        trimmed_text(ItemName::MAX_CHARS)
            .description(Some(
                "What the customer sees: 1 to 200 characters after trimming, no control characters and no \
                 invisible formatting characters. Stored trimmed and normalised to NFC.",
            ))
            .examples(["Margherita"])
    }
);

named_schema!(
    /// An item's `unit_price`.
    UnitPriceSchema,
    "UnitPrice",
    || {
        money()
            .maximum(Some(UnitPrice::MAX.cents() / 100))
            .description(Some(
                "A price in the currency's major unit, a JSON number with at most two decimals (9.99), from 0 \
                 to 1000000. Read from the number's text, never through a float.",
            ))
            .examples([9.99])
    }
);

named_schema!(
    /// An order's `total`.
    AmountSchema,
    "Amount",
    || {
        money()
            .description(Some(
                "The sum of the items' unit price times quantity, written with two decimals (10.00).",
            ))
            .examples([10.0])
    }
);

named_schema!(
    /// An item's `quantity`.
    QuantitySchema,
    "Quantity",
    || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(Quantity::MAX))
            .description(Some("How many: a whole number from 1 to 10000."))
            .examples([2])
    }
);

named_schema!(
    /// An order's `status`: the domain's statuses, by name.
    OrderStatusSchema,
    "OrderStatus",
    || {
        string()
            .enum_values(Some(OrderStatus::ALL.map(OrderStatus::as_str)))
            .description(Some(
                "Pending -> Accepted | Rejected | Cancelled; Accepted -> Preparing | Cancelled; Preparing -> \
                 ReadyForPickup -> OutForDelivery -> Delivered. Delivered, Rejected and Cancelled are final.",
            ))
    }
);

named_schema!(
    /// A problem's `code`.
    ProblemCodeSchema,
    "ProblemCode",
    || {
        string()
            .enum_values(Some(ErrorCode::ALL.map(ErrorCode::as_str)))
            .description(Some("The stable cause of an error, to branch on."))
    }
);

named_schema!(
    /// The `Idempotency-Key` request header.
    IdempotencyKeySchema,
    "IdempotencyKey",
    || {
        string()
            .min_length(Some(1))
            .max_length(Some(IdempotencyKey::MAX_LEN))
            .pattern(Some(r"^[\x21-\x7E]+$"))
            .examples(["checkout-7f3e"])
    }
);

named_schema!(
    /// The `If-Match` request header.
    IfMatchSchema,
    "IfMatch",
    || {
        string()
            .pattern(Some(r#"^ *(\*|"[0-9]{1,19}") *$"#))
            .description(Some(
                "`*` (any version), or one quoted version as in the order's ETag (\"2\").",
            ))
            .examples([r#""2""#])
    }
);

named_schema!(
    /// The `limit` query parameter of a listing.
    PageLimitSchema,
    "PageLimit",
    || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(PageSize::MAX))
            .default(Some(PageSize::DEFAULT.get().into()))
    }
);

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn trimmed_text(max_chars: usize) -> ObjectBuilder {
    string()
        .min_length(Some(1))
        .max_length(Some(max_chars))
        .pattern(Some(TRIMMED_TEXT.as_str()))
}

fn money() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .multiple_of(Some(0.01))
        .minimum(Some(0))
}
