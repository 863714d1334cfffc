-- POST /orders/status moving preloaded orders along their lifecycle: the statements the service sends (read the
-- order, then the compare-and-set), for pgbench -M prepared. Each client walks its own slice of the preloaded orders,
-- one order per transaction: the first pass moves them from Pending to Accepted, the next to Preparing, and so on.
-- Variables from bench/harness.py: slice (orders per client), t0, and each status's name (pending, accepted,
-- preparing, ready, out, delivered). Every branch of the \if is the same statement.
\set n :n + 1
\set pass (:n - 1) / :slice
\set id 1000000000000000 + :client_id * :slice + mod(:n - 1, :slice) + 1
\set from_version :pass + 1
\set to_version :pass + 2
\set at :t0 + :n
SELECT "orders"."id", "orders"."customer_id", "orders"."restaurant_id", "orders"."status", "orders"."created_on", "orders"."updated_on", "orders"."version", "order_items"."order_id", "order_items"."line_no", "order_items"."product_code", "order_items"."name", "order_items"."unit_price", "order_items"."quantity" FROM ("orders" INNER JOIN "order_items" ON ("order_items"."order_id" = "orders"."id")) WHERE ("orders"."id" = :id) ORDER BY "order_items"."line_no" ASC;
\if :pass = 0
UPDATE "orders" SET "status" = :accepted, "updated_on" = :at, "version" = :to_version WHERE "id" = :id AND "status" = :pending AND "version" = :from_version;
\elif :pass = 1
UPDATE "orders" SET "status" = :preparing, "updated_on" = :at, "version" = :to_version WHERE "id" = :id AND "status" = :accepted AND "version" = :from_version;
\elif :pass = 2
UPDATE "orders" SET "status" = :ready, "updated_on" = :at, "version" = :to_version WHERE "id" = :id AND "status" = :preparing AND "version" = :from_version;
\elif :pass = 3
UPDATE "orders" SET "status" = :out, "updated_on" = :at, "version" = :to_version WHERE "id" = :id AND "status" = :ready AND "version" = :from_version;
\else
UPDATE "orders" SET "status" = :delivered, "updated_on" = :at, "version" = :to_version WHERE "id" = :id AND "status" = :out AND "version" = :from_version;
\endif
