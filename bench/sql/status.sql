-- POST /orders/status moving a preloaded order from Pending to Accepted: the statements the service sends (read the
-- order, then the compare-and-set), for pgbench -M prepared. Each client walks its own slice of the preloaded orders.
-- Variables from bench/harness.py: slice (orders per client), t0, from, to, from_version, to_version.
\set n :n + 1
\set id 1000000000000000 + :client_id * :slice + mod(:n, :slice) + 1
\set at :t0 + :n
SELECT "orders"."id", "orders"."customer_id", "orders"."restaurant_id", "orders"."status", "orders"."created_on", "orders"."updated_on", "orders"."version", "order_items"."order_id", "order_items"."line_no", "order_items"."product_code", "order_items"."name", "order_items"."unit_price", "order_items"."quantity" FROM ("orders" INNER JOIN "order_items" ON ("order_items"."order_id" = "orders"."id")) WHERE ("orders"."id" = :id) ORDER BY "order_items"."line_no" ASC;
UPDATE "orders" SET "status" = :to, "updated_on" = :at, "version" = :to_version WHERE "id" = :id AND "status" = :from AND "version" = :from_version;
