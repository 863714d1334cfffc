-- An idempotency key is its caller's own name for a request: the same key from two callers names two requests, so
-- a record is kept per owner and key. Records from before owners existed belong to the empty owner, the owner of
-- keys sent while authentication is off, so their retries still replay.
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (owner, key);
ALTER TABLE idempotency_keys ALTER COLUMN owner DROP DEFAULT;
