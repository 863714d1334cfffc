//! `GET /metrics` after known gRPC traffic: each call by method and code, its duration, and the business and
//! repository metrics both transports share.

use adapters::grpc::proto::orders::v1 as pb;
use tonic::Code;

use super::sample;
use crate::grpc_client::grpc_order;
use crate::helpers::{TestApp, TestDatabase, on_both_backends};

const CREATE: &str = "/orders.v1.OrderService/CreateOrder";
const GET: &str = "/orders.v1.OrderService/GetOrder";
const CHECK: &str = "/grpc.health.v1.Health/Check";

fn grpc_calls_are_counted_by_method_and_code(app: &TestApp, _database: &TestDatabase) {
    let grpc = app.grpc();
    grpc.place();
    grpc.place();
    let unknown = grpc
        .get("0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01")
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    let invalid = grpc
        .create(pb::CreateOrderRequest {
            customer_id: String::new(),
            ..grpc_order()
        })
        .unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument);
    grpc.health("").unwrap();

    let reply = app.request("GET", "/metrics", &[], None);
    assert_eq!(reply.status, 200);
    let text = &reply.body;
    let calls = |code: &str, method: &str| {
        format!(r#"ordersvc_grpc_calls_total{{code="{code}",method="{method}"}}"#)
    };
    let durations =
        |method: &str| format!(r#"ordersvc_grpc_call_duration_seconds_count{{method="{method}"}}"#);
    let expected = [
        (calls("OK", CREATE), 2.0),
        (calls("INVALID_ARGUMENT", CREATE), 1.0),
        (calls("NOT_FOUND", GET), 1.0),
        (calls("OK", CHECK), 1.0),
        (durations(CREATE), 3.0),
        (durations(GET), 1.0),
        (durations(CHECK), 1.0),
        ("ordersvc_orders_placed_total".to_owned(), 2.0),
        (
            r#"ordersvc_repository_call_duration_seconds_count{operation="insert",outcome="ok"}"#
                .to_owned(),
            2.0,
        ),
        (
            r#"ordersvc_repository_call_duration_seconds_count{operation="find",outcome="ok"}"#
                .to_owned(),
            1.0,
        ),
    ];
    for (series, value) in &expected {
        assert_eq!(sample(text, series), Some(*value), "{series} in\n{text}");
    }
    assert_eq!(sample(text, &calls("OK", GET)), None, "{text}");
    assert!(
        !text.contains(r#"ordersvc_http_requests_total{method="POST""#),
        "gRPC calls are not HTTP requests:\n{text}"
    );
}

on_both_backends!(grpc_calls_are_counted_by_method_and_code);
