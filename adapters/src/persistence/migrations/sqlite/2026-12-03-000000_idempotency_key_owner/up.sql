-- An idempotency key is its caller's own name for a request: the same key from two callers names two requests, so
-- a record is kept per owner and key. Records from before owners existed belong to the empty owner, the owner of
-- keys sent while authentication is off, so their retries still replay. SQLite cannot change a primary key in
-- place: the table is rebuilt.
CREATE TABLE idempotency_keys_by_owner (
    owner       TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    -- SHA-256 of the request's content: the same key with another fingerprint is a reused key.
    fingerprint BLOB    NOT NULL CHECK (length(fingerprint) = 32),
    order_id    BLOB    NOT NULL CHECK (length(order_id) = 16),
    -- Microseconds since the Unix epoch, UTC; keys older than the retention are purged.
    created_on  INTEGER NOT NULL,
    PRIMARY KEY (owner, key)
) STRICT, WITHOUT ROWID;

INSERT INTO idempotency_keys_by_owner (owner, key, fingerprint, order_id, created_on)
    SELECT '', key, fingerprint, order_id, created_on FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_by_owner RENAME TO idempotency_keys;
CREATE INDEX idempotency_keys_created_on ON idempotency_keys (created_on);
