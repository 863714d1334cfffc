//! Property tests across the domain: whatever clients send and in whatever order they ask, an order never leaves the
//! lifecycle table, validation never panics, and text that reads the same is the same value.

use proptest::prelude::*;
use unicode_normalization::{UnicodeNormalization, is_nfc};

use crate::{
    CustomerId, InvalidText, ItemName, Order, OrderDraft, OrderId, OrderItemDraft, OrderItems,
    OrderStatus, RestaurantId, Timestamp, Version,
};

fn any_status() -> impl Strategy<Value = OrderStatus> {
    proptest::sample::select(OrderStatus::ALL.to_vec())
}

fn placed() -> Order {
    let draft = OrderDraft {
        customer_id: Some("c".into()),
        restaurant_id: Some("r".into()),
        items: Some(vec![OrderItemDraft {
            product_code: Some("p".into()),
            name: Some("n".into()),
            unit_price: Some("1".into()),
            quantity: Some("1".into()),
        }]),
    };
    Order::place(
        OrderId::from_bytes([1; 16]),
        draft.validate().unwrap(),
        Timestamp::from_unix_micros(0),
    )
}

/// Text of any kind: empty, long, unicode, control characters.
fn any_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        "\\PC{0,80}",
        ".{0,300}",
        "[\\x00-\\x1f ]{0,5}",
        "-?[0-9]{0,25}(\\.[0-9]{0,5})?(e[0-9]{1,3})?",
    ])
}

/// Invisible formatting of the kinds clients paste: soft hyphen, zero-width characters, marks, bidi controls, word
/// joiner, isolates, byte order mark, and the line and paragraph separators.
const INVISIBLE: [char; 14] = [
    '\u{ad}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}',
    '\u{202a}', '\u{202e}', '\u{2060}', '\u{2066}', '\u{2069}', '\u{feff}',
];

/// Text rich in what normalisation and the format rule are about: letters with and without combining marks, composed
/// letters, Hangul jamo and syllables, a singleton (U+212B), invisible formatting, spaces.
fn unicode_text() -> impl Strategy<Value = String> {
    let letters = r"[a-eA-E\x{e0}-\x{ff}\x{300}-\x{36f}\x{1e00}-\x{1e10}\x{212b} ]";
    let hangul = r"[\x{1100}-\x{1112}\x{1161}-\x{1175}\x{ac00}-\x{ac20} ]";
    let invisible = proptest::sample::select(INVISIBLE.to_vec()).prop_map(String::from);
    let piece = prop_oneof![
        4 => letters,
        2 => hangul,
        1 => invisible,
    ];
    prop_oneof![
        proptest::collection::vec(piece, 0..70).prop_map(|pieces| pieces.concat()),
        ".{0,80}".boxed(),
    ]
}

fn any_item() -> impl Strategy<Value = OrderItemDraft> {
    (any_text(), any_text(), any_text(), any_text()).prop_map(
        |(product_code, name, unit_price, quantity)| OrderItemDraft {
            product_code,
            name,
            unit_price,
            quantity,
        },
    )
}

proptest! {
    #[test]
    fn no_sequence_of_requests_leaves_the_lifecycle_table(requests in proptest::collection::vec(any_status(), 0..40)) {
        let mut order = placed();
        for (step, requested) in requests.into_iter().enumerate() {
            let before = order.clone();
            let at = Timestamp::from_unix_micros(i64::try_from(step).unwrap_or(0) + 1);
            match before.change_status(requested, at) {
                Ok(None) => prop_assert_eq!(requested, before.status()),
                Ok(Some(change)) => {
                    prop_assert!(before.status().next_statuses().contains(&requested));
                    order = before.clone().apply(&change);
                    prop_assert_eq!(order.status(), requested);
                    prop_assert_eq!(order.version(), Version::new(before.version().get() + 1));
                    prop_assert_eq!(order.updated_on(), at);
                }
                Err(refused) => {
                    prop_assert!(!before.status().next_statuses().contains(&requested));
                    prop_assert_eq!((refused.from, refused.to), (before.status(), requested));
                }
            }
            prop_assert_eq!(order.created_on(), before.created_on());
        }
    }

    #[test]
    fn validation_never_panics_and_accepts_only_valid_orders(
        customer_id in any_text(),
        restaurant_id in any_text(),
        items in proptest::option::of(proptest::collection::vec(any_item(), 0..4)),
    ) {
        let draft = OrderDraft { customer_id, restaurant_id, items };
        match draft.clone().validate() {
            Ok(order) => {
                prop_assert!(CustomerId::new(draft.customer_id.as_deref().unwrap_or_default()).is_ok());
                prop_assert!(RestaurantId::new(draft.restaurant_id.as_deref().unwrap_or_default()).is_ok());
                prop_assert!(OrderItems::check_count(order.items.as_slice().len()).is_ok());
            }
            Err(errors) => prop_assert!(!errors.fields().is_empty()),
        }
    }
}

proptest! {
    #[test]
    fn spellings_that_normalise_alike_are_one_value(raw in unicode_text()) {
        let decomposed: String = raw.nfd().collect();
        let composed: String = raw.nfc().collect();
        prop_assert_eq!(CustomerId::new(&decomposed), CustomerId::new(&composed));
        prop_assert_eq!(CustomerId::new(&raw), CustomerId::new(&composed));
        prop_assert_eq!(ItemName::new(&decomposed), ItemName::new(&composed));
    }

    #[test]
    fn a_valid_value_is_nfc_visible_and_its_own_spelling(raw in unicode_text()) {
        if let Ok(name) = ItemName::new(&raw) {
            let text = name.as_str();
            let hidden = |c: char| c.is_control() || INVISIBLE.contains(&c);
            prop_assert!(is_nfc(text), "{:?} is not NFC", text);
            prop_assert!(text.chars().count() <= ItemName::MAX_CHARS);
            prop_assert!(!text.chars().any(hidden), "{:?} holds an invisible character", text);
            prop_assert_eq!(ItemName::new(text), Ok(name.clone()));
        }
    }

    #[test]
    fn text_with_invisible_formatting_inside_is_refused(
        before in "[a-z]{1,10}",
        invisible in proptest::sample::select(INVISIBLE.to_vec()),
        after in "[a-z]{1,10}",
    ) {
        prop_assert_eq!(
            CustomerId::new(&format!("{before}{invisible}{after}")),
            Err(InvalidText::FormatCharacter { found: invisible })
        );
    }
}
