-- An idempotency key is written in the same transaction as the order it made, so a retry finds either both or
-- neither. No foreign key to orders: the key row is written first, to make a concurrent duplicate wait on it before
-- it writes anything.
CREATE TABLE idempotency_keys (
    key         TEXT    PRIMARY KEY,
    -- SHA-256 of the request's content: the same key with another fingerprint is a reused key.
    fingerprint BYTEA   NOT NULL CHECK (octet_length(fingerprint) = 32),
    order_id    BYTEA   NOT NULL CHECK (octet_length(order_id) = 16),
    -- Microseconds since the Unix epoch, UTC; keys older than the retention are purged.
    created_on  BIGINT  NOT NULL
);

CREATE INDEX idempotency_keys_created_on ON idempotency_keys (created_on);
