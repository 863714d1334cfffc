DROP TABLE service_keys;
DROP INDEX orders_status_newest;
DROP INDEX orders_restaurant_newest;
DROP INDEX orders_customer_newest;
DROP INDEX orders_newest;
