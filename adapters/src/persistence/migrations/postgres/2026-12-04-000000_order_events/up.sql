-- The outbox: the event of each change, written in the change's own transaction, so an event exists exactly when
-- its change was committed. A relay publishes it to the broker, marks it published, and purges it after the
-- retention. Only an order's identity and the fields a change sets are kept: the rest of the order never changes
-- after it is placed, so the order as it was right after the change is the stored order at this version.
CREATE TABLE order_events (
    event_id      BYTEA   PRIMARY KEY CHECK (octet_length(event_id) = 16),
    order_id      BYTEA   NOT NULL REFERENCES orders (id),
    -- The order's version after the change: an order's events are published in this order.
    order_version BIGINT  NOT NULL CHECK (order_version >= 1),
    -- The status before a status change; NULL for the order being placed.
    from_status   TEXT,
    to_status     TEXT    NOT NULL,
    -- Microseconds since the Unix epoch, UTC.
    occurred_on   BIGINT  NOT NULL,
    -- A relay took the event and holds it until then; another relay takes it again once this has passed.
    claimed_until BIGINT,
    published_on  BIGINT,
    UNIQUE (order_id, order_version)
-- Room on each page, so that a claim (which sets only claimed_until, in no index) updates a row in place (HOT)
-- instead of writing a new entry into every index.
) WITH (fillfactor = 70);

-- What relays claim, oldest first: small, as only unpublished events are in it.
CREATE INDEX order_events_pending ON order_events (occurred_on, event_id) WHERE published_on IS NULL;
-- What the purge deletes.
CREATE INDEX order_events_published ON order_events (published_on) WHERE published_on IS NOT NULL;
