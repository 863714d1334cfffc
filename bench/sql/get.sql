-- GET /orders/{id} of a random preloaded order: the statements the service sends, for pgbench -M prepared.
-- Variables from bench/harness.py: orders (how many were preloaded, with ids 1000000000000001 onwards).
\set id 1000000000000000 + random(1, :orders)
SELECT "orders"."id", "orders"."customer_id", "orders"."restaurant_id", "orders"."status", "orders"."created_on", "orders"."updated_on", "orders"."version", "order_items"."order_id", "order_items"."line_no", "order_items"."product_code", "order_items"."name", "order_items"."unit_price", "order_items"."quantity" FROM ("orders" INNER JOIN "order_items" ON ("order_items"."order_id" = "orders"."id")) WHERE ("orders"."id" = :id) ORDER BY "order_items"."line_no" ASC;
