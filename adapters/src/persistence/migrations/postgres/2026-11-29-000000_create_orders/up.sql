-- Ids are 16-byte UUIDs stored as BYTEA: one column type that diesel's shared schema also maps to SQLite's BLOB,
-- half the size of the text form, and a key CockroachDB accepts as it is.
CREATE TABLE orders (
    id            BYTEA   PRIMARY KEY CHECK (octet_length(id) = 16),
    customer_id   TEXT    NOT NULL,
    restaurant_id TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('Pending', 'Accepted', 'Rejected', 'Cancelled', 'Preparing',
                                                     'ReadyForPickup', 'OutForDelivery', 'Delivered')),
    -- Microseconds since the Unix epoch, UTC.
    created_on    BIGINT  NOT NULL,
    updated_on    BIGINT  NOT NULL,
    version       BIGINT  NOT NULL CHECK (version >= 1)
);

CREATE TABLE order_items (
    order_id      BYTEA   NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    -- The item's place in the order, from 0: items keep the order they were sent in.
    line_no       INTEGER NOT NULL CHECK (line_no >= 0),
    product_code  TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    -- Cents.
    unit_price    BIGINT  NOT NULL CHECK (unit_price >= 0),
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_no)
);
