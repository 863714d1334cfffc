//! The tables, as diesel sees them. Only types both backends share (Binary, Text, BigInt, Integer), so one query
//! serves PostgreSQL and SQLite.

diesel::table! {
    orders (id) {
        id -> Binary,
        customer_id -> Text,
        restaurant_id -> Text,
        status -> Text,
        created_on -> BigInt,
        updated_on -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    order_items (order_id, line_no) {
        order_id -> Binary,
        line_no -> Integer,
        product_code -> Text,
        name -> Text,
        unit_price -> BigInt,
        quantity -> Integer,
    }
}

diesel::table! {
    service_keys (name) {
        name -> Text,
        secret -> Binary,
    }
}

diesel::table! {
    idempotency_keys (owner, key) {
        owner -> Text,
        key -> Text,
        fingerprint -> Binary,
        order_id -> Binary,
        created_on -> BigInt,
    }
}

diesel::joinable!(order_items -> orders (order_id));
diesel::allow_tables_to_appear_in_same_query!(orders, order_items);

diesel::table! {
    order_events (event_id) {
        event_id -> Binary,
        order_id -> Binary,
        order_version -> BigInt,
        from_status -> Nullable<Text>,
        to_status -> Text,
        occurred_on -> BigInt,
        claimed_until -> Nullable<BigInt>,
        published_on -> Nullable<BigInt>,
        traceparent -> Nullable<Text>,
    }
}
