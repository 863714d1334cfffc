//! End-to-end tests of ordersvc live in `tests/api/`; this library is empty on purpose.
