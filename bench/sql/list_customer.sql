-- GET /orders?customer_id=...&limit=20 for a random customer: the statements the service sends (it asks for one more
-- order than the page holds, to know whether there is a next page), for pgbench -M prepared.
-- Variables from bench/harness.py: customers, limit (21).
\set customer 10000 + random(0, :customers - 1)
SELECT "orders"."id", "orders"."customer_id", "orders"."restaurant_id", "orders"."status", "orders"."created_on", "orders"."updated_on", "orders"."version", "order_items"."order_id", "order_items"."line_no", "order_items"."product_code", "order_items"."name", "order_items"."unit_price", "order_items"."quantity" FROM ("orders" INNER JOIN "order_items" ON ("order_items"."order_id" = "orders"."id")) WHERE ("orders"."id" = ANY(ARRAY(SELECT "orders"."id" FROM "orders" WHERE ("orders"."customer_id" = :customer) ORDER BY "orders"."created_on" DESC, "orders"."id" DESC LIMIT :limit))) ORDER BY "orders"."created_on" DESC, "orders"."id" DESC;
