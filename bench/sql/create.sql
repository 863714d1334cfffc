-- POST /orders with 3 items: the statements the service sends, for pgbench -M prepared.
-- Variables from bench/harness.py: base (a first id per run), t0 (microseconds), customers, restaurants,
-- status, version, code0..2, name0..2. Ids are 16 ASCII digits, which pgbench can make and bytea accepts as they are.
\set n :n + 1
\set id :base + :client_id * 100000000 + :n
\set at :t0 + :n * 1000 + :client_id
\set customer 10000 + random(0, :customers - 1)
\set restaurant 20000 + random(0, :restaurants - 1)
\set line0 0
\set line1 1
\set line2 2
\set price0 250
\set price1 350
\set price2 450
\set quantity0 2
\set quantity1 1
\set quantity2 3
BEGIN;
INSERT INTO "orders" ("id", "customer_id", "restaurant_id", "status", "created_on", "updated_on", "version") VALUES (:id, :customer, :restaurant, :status, :at, :at, :version);
INSERT INTO "order_items" ("order_id", "line_no", "product_code", "name", "unit_price", "quantity") VALUES (:id, :line0, :code0, :name0, :price0, :quantity0), (:id, :line1, :code1, :name1, :price1, :quantity1), (:id, :line2, :code2, :name2, :price2, :quantity2);
COMMIT;
