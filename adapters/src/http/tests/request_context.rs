//! The request id on every response, in error bodies and in the service's thread, and the access log.

use std::sync::{Arc, Mutex};

use actix_web::http::ConnectionType;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::test::TestRequest;
use application::{MockOrderService, ServiceError};
use domain::OrderStatus;

use super::{ID, capture_logs, header, log_lines_of, order, post_json, problem, send};
use crate::inbound::current_request_id;

fn get_order() -> TestRequest {
    TestRequest::get().uri(&format!("/orders/{ID}"))
}

fn found() -> MockOrderService {
    let mut service = MockOrderService::new();
    service
        .expect_find_order()
        .times(1)
        .returning(|_, _| Ok(order(OrderStatus::Pending, 1)));
    service
}

fn is_generated(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[actix_web::test]
async fn a_sane_client_request_id_is_echoed_and_set_while_the_service_runs() {
    let seen = Arc::new(Mutex::new(None));
    let mut service = MockOrderService::new();
    let seen_by_service = Arc::clone(&seen);
    service.expect_find_order().times(1).returning(move |_, _| {
        *seen_by_service.lock().unwrap() = Some(current_request_id());
        Ok(order(OrderStatus::Pending, 1))
    });
    let request = get_order().insert_header(("x-request-id", "client-id-1"));
    let response = send(service, request).await;
    assert_eq!(header(&response, "x-request-id"), Some("client-id-1"));
    assert_eq!(*seen.lock().unwrap(), Some(Some("client-id-1".to_owned())));
    assert_eq!(current_request_id(), None);
}

#[actix_web::test]
async fn an_overlong_request_id_is_replaced() {
    let request = get_order().insert_header(("x-request-id", "x".repeat(200)));
    let response = send(found(), request).await;
    assert!(is_generated(header(&response, "x-request-id").unwrap()));
}

#[actix_web::test]
async fn a_request_id_with_a_space_is_replaced() {
    let request = get_order().insert_header(("x-request-id", "two words"));
    let response = send(found(), request).await;
    assert!(is_generated(header(&response, "x-request-id").unwrap()));
}

#[actix_web::test]
async fn a_missing_request_id_is_generated() {
    let response = send(found(), get_order()).await;
    assert!(is_generated(header(&response, "x-request-id").unwrap()));
}

#[actix_web::test]
async fn every_error_carries_the_request_id_in_its_header_and_body() {
    let mut not_found = MockOrderService::new();
    not_found
        .expect_find_order()
        .times(1)
        .returning(|_, id| Err(ServiceError::NotFound(*id)));
    let cases = [
        (
            MockOrderService::new(),
            TestRequest::get().uri("/nowhere"),
            404,
        ),
        (
            MockOrderService::new(),
            TestRequest::put().uri("/orders"),
            405,
        ),
        (
            MockOrderService::new(),
            post_json("/orders", "{}").insert_header((CONTENT_TYPE, "text/xml")),
            415,
        ),
        (MockOrderService::new(), post_json("/orders", "[oops"), 400),
        (not_found, get_order(), 404),
    ];
    for (service, request, status) in cases {
        let request = request.insert_header(("x-request-id", "error-body-id"));
        let response = send(service, request).await;
        assert_eq!(header(&response, "x-request-id"), Some("error-body-id"));
        let code = match status {
            404 if response.request().path() == "/nowhere" => "not_found",
            404 => "order_not_found",
            405 => "method_not_allowed",
            415 => "unsupported_media_type",
            _ => "malformed_request",
        };
        let problem = problem(response, status, code).await;
        assert_eq!(problem["request_id"], "error-body-id");
    }
}

#[actix_web::test]
async fn each_request_writes_one_access_line_with_its_route_template() {
    capture_logs();
    let request = get_order()
        .insert_header(("x-request-id", "access-log-matched"))
        .peer_addr("10.1.2.3:4567".parse().unwrap());
    send(found(), request).await;
    let lines = log_lines_of("access-log-matched");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("INFO access method=GET route=/orders/{id} status=200 duration_ms="),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].ends_with("request_id=access-log-matched caller=anyone peer=10.1.2.3:4567"),
        "{}",
        lines[0]
    );
}

#[actix_web::test]
async fn an_unmatched_request_is_logged_without_a_route() {
    capture_logs();
    let request = TestRequest::get()
        .uri("/orders/status/extra")
        .insert_header(("x-request-id", "access-log-unmatched"));
    send(MockOrderService::new(), request).await;
    let lines = log_lines_of("access-log-unmatched");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("method=GET route=- status=404 "),
        "{}",
        lines[0]
    );
}

#[actix_web::test]
async fn the_status_route_is_logged_as_its_own_template() {
    capture_logs();
    let request = TestRequest::get()
        .uri("/orders/status")
        .insert_header(("x-request-id", "access-log-status"));
    send(MockOrderService::new(), request).await;
    let lines = log_lines_of("access-log-status");
    assert!(
        lines[0].contains("route=/orders/status status=405 "),
        "{}",
        lines[0]
    );
}

#[actix_web::test]
async fn an_answer_sent_before_the_body_was_read_closes_the_connection() {
    for request in [
        TestRequest::post()
            .uri("/orders")
            .insert_header((CONTENT_TYPE, "text/plain"))
            .set_payload("x"),
        TestRequest::post().uri("/nowhere").set_payload("{}"),
        post_json("/orders/status", "{}").insert_header(("If-Match", "W/\"1\"")),
    ] {
        let response = send(MockOrderService::new(), request).await;
        assert!(response.status().is_client_error());
        assert_eq!(
            response.response().head().connection_type(),
            ConnectionType::Close
        );
    }
}

#[actix_web::test]
async fn an_answer_after_the_body_was_read_keeps_the_connection() {
    let mut service = MockOrderService::new();
    service
        .expect_place_order()
        .times(1)
        .returning(|_, _| Err(ServiceError::Invalid(Default::default())));
    let response = send(service, post_json("/orders", "{}")).await;
    assert_eq!(response.status().as_u16(), 422);
    assert_ne!(
        response.response().head().connection_type(),
        ConnectionType::Close
    );
}
