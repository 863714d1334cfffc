-- An idempotency key is written in the same transaction as the order it made, so a retry finds either both or
-- neither. No foreign key to orders: the key row is written first, to make a concurrent duplicate wait on it before
-- it writes anything.
CREATE TABLE idempotency_keys (
    key         TEXT    NOT NULL PRIMARY KEY,
    -- SHA-256 of the request's content: the same key with another fingerprint is a reused key.
    fingerprint BLOB    NOT NULL CHECK (length(fingerprint) = 32),
    order_id    BLOB    NOT NULL CHECK (length(order_id) = 16),
    -- Microseconds since the Unix epoch, UTC; keys older than the retention are purged.
    created_on  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_keys_created_on ON idempotency_keys (created_on);
