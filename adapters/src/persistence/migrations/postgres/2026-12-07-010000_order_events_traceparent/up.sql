-- The trace context (a W3C traceparent) of the request that made the change, when the service traced it: the relay
-- publishes the event with it, so a consumer continues the request's trace. NULL when tracing was off.
ALTER TABLE order_events ADD COLUMN traceparent TEXT;
