-- Listing is newest first, by (created_on, id) descending, with keyset pagination: one index per filter, each ending
-- in the sort key, so a page is an index range scan however deep it is.
CREATE INDEX orders_newest ON orders (created_on DESC, id DESC);
CREATE INDEX orders_customer_newest ON orders (customer_id, created_on DESC, id DESC);
CREATE INDEX orders_restaurant_newest ON orders (restaurant_id, created_on DESC, id DESC);
CREATE INDEX orders_status_newest ON orders (status, created_on DESC, id DESC);

-- Secrets every instance on this database shares, such as the key that signs listing cursors: a cursor made by one
-- instance behind a load balancer is valid on the others and after restarts.
CREATE TABLE service_keys (
    name   TEXT  PRIMARY KEY,
    secret BYTEA NOT NULL CHECK (octet_length(secret) = 32)
);
