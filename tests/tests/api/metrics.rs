//! `GET /metrics` after known traffic: requests, business events, repository calls and the pool, in Prometheus text.

use crate::helpers::{TestApp, TestDatabase, on_both_backends};

/// The value of the sample whose line starts with `series ` (name and labels exactly).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn metrics_count_what_happened(app: &TestApp, _: &TestDatabase) {
    let (first, second) = (app.place(), app.place());
    assert_eq!(app.change_status(&first, "Accepted", None).status, 200);
    assert_eq!(
        app.change_status(&first, "Accepted", None).status,
        200,
        "an idempotent retry counts no transition"
    );
    assert_eq!(app.change_status(&second, "Delivered", None).status, 409);
    assert_eq!(
        app.get_order("0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01").status,
        404
    );

    let reply = app.request("GET", "/metrics", &[], None);
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4"))
    );
    let text = &reply.body;
    let expected = [
        ("ordersvc_orders_placed_total", 2.0),
        (
            r#"ordersvc_order_status_transitions_total{from="Pending",to="Accepted"}"#,
            1.0,
        ),
        (
            r#"ordersvc_http_requests_total{method="POST",route="/orders",status="201"}"#,
            2.0,
        ),
        (
            r#"ordersvc_http_requests_total{method="POST",route="/orders/status",status="200"}"#,
            2.0,
        ),
        (
            r#"ordersvc_http_requests_total{method="POST",route="/orders/status",status="409"}"#,
            1.0,
        ),
        (
            r#"ordersvc_http_requests_total{method="GET",route="/orders/{id}",status="404"}"#,
            1.0,
        ),
        (
            r#"ordersvc_http_request_duration_seconds_count{route="/orders"}"#,
            2.0,
        ),
        (
            r#"ordersvc_repository_call_duration_seconds_count{operation="insert",outcome="ok"}"#,
            2.0,
        ),
        (
            r#"ordersvc_repository_call_duration_seconds_count{operation="update_status",outcome="ok"}"#,
            1.0,
        ),
        // Reads: a transition's read, the retry's read, the refused change's read, the unknown id.
        (
            r#"ordersvc_repository_call_duration_seconds_count{operation="find",outcome="ok"}"#,
            4.0,
        ),
        (r#"ordersvc_db_pool_connections{state="in_use"}"#, 0.0),
    ];
    for (series, value) in expected {
        assert_eq!(sample(text, series), Some(value), "{series} in\n{text}");
    }
    assert!(
        sample(text, r#"ordersvc_db_pool_connections{state="idle"}"#)
            .is_some_and(|idle| idle >= 1.0),
        "{text}"
    );
}

on_both_backends!(metrics_count_what_happened);
