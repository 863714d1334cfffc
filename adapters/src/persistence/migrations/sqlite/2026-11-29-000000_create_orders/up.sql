-- STRICT tables: SQLite checks column types as PostgreSQL does. Ids are 16-byte UUIDs as BLOBs.
CREATE TABLE orders (
    id            BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    customer_id   TEXT    NOT NULL,
    restaurant_id TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('Pending', 'Accepted', 'Rejected', 'Cancelled', 'Preparing',
                                                     'ReadyForPickup', 'OutForDelivery', 'Delivered')),
    -- Microseconds since the Unix epoch, UTC.
    created_on    INTEGER NOT NULL,
    updated_on    INTEGER NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1)
) STRICT, WITHOUT ROWID;

CREATE TABLE order_items (
    order_id      BLOB    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    -- The item's place in the order, from 0: items keep the order they were sent in.
    line_no       INTEGER NOT NULL CHECK (line_no >= 0),
    product_code  TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    -- Cents.
    unit_price    INTEGER NOT NULL CHECK (unit_price >= 0),
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_no)
) STRICT, WITHOUT ROWID;
