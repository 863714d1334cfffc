-- The claim asks, for every candidate, whether its order has an earlier unpublished event. This index answers in one
-- probe whatever the planner's statistics of this churning table say: without it PostgreSQL was seen answering with
-- a scan of every pending event per candidate, for seconds, even beside UNIQUE (order_id, order_version).
CREATE INDEX order_events_pending_by_order ON order_events (order_id, order_version) WHERE published_on IS NULL;
