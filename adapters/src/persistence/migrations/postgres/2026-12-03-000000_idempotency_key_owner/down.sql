-- One record per key again: keys of different owners cannot be told apart any more, so only the unowned are kept.
DELETE FROM idempotency_keys WHERE owner <> '';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (key);
ALTER TABLE idempotency_keys DROP COLUMN owner;
