-- The claim asks, for every candidate, whether its order has an earlier unpublished event: one probe of this index,
-- which holds only unpublished events (the same index as on PostgreSQL, where the planner needed it).
CREATE INDEX order_events_pending_by_order ON order_events (order_id, order_version) WHERE published_on IS NULL;
