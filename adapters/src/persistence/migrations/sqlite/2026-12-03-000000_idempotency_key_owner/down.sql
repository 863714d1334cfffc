-- One record per key again: keys of different owners cannot be told apart any more, so only the unowned are kept.
CREATE TABLE idempotency_keys_by_key (
    key         TEXT    NOT NULL PRIMARY KEY,
    fingerprint BLOB    NOT NULL CHECK (length(fingerprint) = 32),
    order_id    BLOB    NOT NULL CHECK (length(order_id) = 16),
    created_on  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO idempotency_keys_by_key (key, fingerprint, order_id, created_on)
    SELECT key, fingerprint, order_id, created_on FROM idempotency_keys WHERE owner = '';
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_by_key RENAME TO idempotency_keys;
CREATE INDEX idempotency_keys_created_on ON idempotency_keys (created_on);
