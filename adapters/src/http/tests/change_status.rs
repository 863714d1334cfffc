//! `POST /orders/status`.

use actix_web::http::header::IF_MATCH;
use actix_web::test::TestRequest;
use application::{MockOrderService, ServiceError};
use domain::{InvalidTransition, OrderStatus, Version};
use serde_json::Value;

use super::{ID, error_fields, header, order, order_id, post_json, problem, send};

fn change_to(status: &str) -> TestRequest {
    post_json(
        "/orders/status",
        &format!(r#"{{"id": "{ID}", "status": "{status}"}}"#),
    )
}

/// A service expecting one change to `Accepted` with `expected_version`, which it applies.
fn accepting(expected_version: Option<u64>) -> MockOrderService {
    let mut service = MockOrderService::new();
    service
        .expect_change_status()
        .withf(move |_, command| {
            command.id == order_id()
                && command.status == OrderStatus::Accepted
                && command.expected_version == expected_version.map(Version::new)
        })
        .times(1)
        .returning(|_, _| Ok(order(OrderStatus::Accepted, 2)));
    service
}

fn never_changed() -> MockOrderService {
    let mut service = MockOrderService::new();
    service.expect_change_status().never();
    service
}

fn failing(error: fn() -> ServiceError) -> MockOrderService {
    let mut service = MockOrderService::new();
    service
        .expect_change_status()
        .times(1)
        .returning(move |_, _| Err(error()));
    service
}

#[actix_web::test]
async fn a_status_change_returns_the_changed_order_with_its_etag() {
    let response = send(accepting(None), change_to("Accepted")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "etag"), Some("\"2\""));
    let body: Value = actix_web::test::read_body_json(response).await;
    assert_eq!(body["order"]["status"], "Accepted");
    assert_eq!(body["order"]["version"], 2);
    assert_eq!(body["order"]["id"], ID);
}

#[actix_web::test]
async fn if_match_is_passed_to_the_service_as_the_expected_version() {
    let request = change_to("Accepted").insert_header((IF_MATCH, "\"4\""));
    let response = send(accepting(Some(4)), request).await;
    assert_eq!(response.status().as_u16(), 200);
}

#[actix_web::test]
async fn an_if_match_star_sets_no_condition() {
    let request = change_to("Accepted").insert_header((IF_MATCH, "*"));
    let response = send(accepting(None), request).await;
    assert_eq!(response.status().as_u16(), 200);
}

#[actix_web::test]
async fn a_malformed_if_match_is_refused_before_the_service_is_called() {
    for value in ["4", "W/\"4\"", "\"-4\"", "\"4\", \"5\""] {
        let request = change_to("Accepted").insert_header((IF_MATCH, value));
        let response = send(never_changed(), request).await;
        problem(response, 400, "malformed_request").await;
    }
}

#[actix_web::test]
async fn a_missing_id_and_an_unknown_status_are_reported_together() {
    let request = post_json("/orders/status", r#"{"status": "Lost"}"#);
    let problem = problem(
        send(never_changed(), request).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["id", "status"]);
    assert_eq!(problem["errors"][0]["message"], "is required");
    assert!(
        problem["errors"][1]["message"]
            .as_str()
            .unwrap()
            .starts_with("must be one of Pending, Accepted")
    );
}

#[actix_web::test]
async fn a_missing_status_is_a_validation_failure() {
    let request = post_json("/orders/status", &format!(r#"{{"id": "{ID}"}}"#));
    let problem = problem(
        send(never_changed(), request).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["status"]);
}

#[actix_web::test]
async fn a_status_change_for_an_id_that_is_not_a_uuid_is_not_found() {
    let request = post_json("/orders/status", r#"{"id": "42", "status": "Accepted"}"#);
    problem(send(never_changed(), request).await, 404, "order_not_found").await;
}

#[actix_web::test]
async fn a_status_change_for_an_unknown_order_is_not_found() {
    let service = failing(|| ServiceError::NotFound(order_id()));
    problem(
        send(service, change_to("Accepted")).await,
        404,
        "order_not_found",
    )
    .await;
}

#[actix_web::test]
async fn a_transition_the_lifecycle_forbids_is_a_conflict() {
    let service = failing(|| {
        ServiceError::InvalidTransition(InvalidTransition {
            from: OrderStatus::Delivered,
            to: OrderStatus::Accepted,
        })
    });
    let response = send(service, change_to("Accepted")).await;
    let problem = problem(response, 409, "invalid_transition").await;
    assert_eq!(
        problem["detail"],
        "an order cannot change from Delivered to Accepted"
    );
}

#[actix_web::test]
async fn a_stale_if_match_is_a_failed_precondition() {
    let service = failing(|| ServiceError::VersionMismatch {
        expected: Version::new(1),
        actual: Version::new(2),
    });
    let request = change_to("Accepted").insert_header((IF_MATCH, "\"1\""));
    let problem = problem(send(service, request).await, 412, "version_mismatch").await;
    assert_eq!(problem["detail"], "the order is at version 2, not 1");
}
