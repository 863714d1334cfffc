//! `POST /orders`.

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, TRANSFER_ENCODING};
use actix_web::test::TestRequest;
use application::{MockOrderService, PlaceOrder, Placed, ServiceError};
use domain::OrderItemDraft;

use super::{ID, body_text, error_fields, header, order_id, post_json, problem, send, send_edited};
use crate::http::BODY_LIMIT;

const VALID: &str = r#"{
    "id": "ignored", "status": "Delivered", "created_on": 1, "coupon": "ignored",
    "customer_id": "customer-1", "restaurant_id": "restaurant-9",
    "order_items": [{"product_code": "p-1", "name": "Pizza", "unit_price": 9.99, "quantity": 2}]
}"#;

fn never_placed() -> MockOrderService {
    let mut service = MockOrderService::new();
    service.expect_place_order().never();
    service
}

/// A service that validates drafts for real, as the core service does.
fn validating() -> MockOrderService {
    let mut service = MockOrderService::new();
    service
        .expect_place_order()
        .times(1)
        .returning(|_, command| {
            command
                .draft
                .validate()
                .map(|_| Placed {
                    id: order_id(),
                    replayed: false,
                })
                .map_err(ServiceError::from)
        });
    service
}

#[actix_web::test]
async fn a_valid_order_is_created_with_its_location_and_id() {
    let mut service = MockOrderService::new();
    service
        .expect_place_order()
        .withf(
            |_,
             PlaceOrder {
                 draft,
                 idempotency_key,
             }| {
                idempotency_key.is_none()
                    && draft.customer_id.as_deref() == Some("customer-1")
                    && draft.restaurant_id.as_deref() == Some("restaurant-9")
                    && draft.items.as_deref()
                        == Some(&[OrderItemDraft {
                            product_code: Some("p-1".into()),
                            name: Some("Pizza".into()),
                            unit_price: Some("9.99".into()),
                            quantity: Some("2".into()),
                        }])
            },
        )
        .times(1)
        .returning(|_, _| {
            Ok(Placed {
                id: order_id(),
                replayed: false,
            })
        });
    let response = send(service, post_json("/orders", VALID)).await;
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(
        header(&response, "location"),
        Some(&*format!("/orders/{ID}"))
    );
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(body_text(response).await, format!(r#"{{"id":"{ID}"}}"#));
}

#[actix_web::test]
async fn a_json_content_type_with_a_charset_is_accepted() {
    let request = post_json("/orders", VALID)
        .insert_header((CONTENT_TYPE, "application/json; charset=utf-8"));
    let response = send(validating(), request).await;
    assert_eq!(response.status().as_u16(), 201);
}

#[actix_web::test]
async fn a_missing_customer_id_is_reported_with_every_other_field_error() {
    let body = r#"{"restaurant_id": null, "order_items": [
        {"product_code": "p-1", "unit_price": 1.999, "quantity": 0},
        {"product_code": " ", "name": "Soup", "unit_price": 1e-3, "quantity": 1}
    ]}"#;
    let response = send(validating(), post_json("/orders", body)).await;
    let problem = problem(response, 422, "validation_failed").await;
    assert_eq!(
        error_fields(&problem),
        [
            "customer_id",
            "restaurant_id",
            "order_items[0].name",
            "order_items[0].unit_price",
            "order_items[0].quantity",
            "order_items[1].product_code",
            "order_items[1].unit_price",
        ]
    );
    assert_eq!(problem["errors"][0]["message"], "is required");
    assert_eq!(
        problem["errors"][3]["message"],
        "must have at most 2 decimal places"
    );
}

#[actix_web::test]
async fn a_unit_price_sent_as_a_string_is_malformed_and_never_reaches_the_service() {
    let body = VALID.replace("9.99", "\"9.99\"");
    let response = send(never_placed(), post_json("/orders", &body)).await;
    let problem = problem(response, 400, "malformed_request").await;
    assert_eq!(
        problem["detail"],
        "order_items[0].unit_price: must be a number, not a string"
    );
    assert_eq!(error_fields(&problem), ["order_items[0].unit_price"]);
    assert_eq!(
        problem["errors"][0]["message"],
        "must be a number, not a string"
    );
}

#[actix_web::test]
async fn a_quantity_sent_as_a_boolean_is_malformed() {
    let body = VALID.replace("\"quantity\": 2", "\"quantity\": true");
    let response = send(never_placed(), post_json("/orders", &body)).await;
    problem(response, 400, "malformed_request").await;
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_malformed() {
    let response = send(never_placed(), post_json("/orders", "customer_id=1")).await;
    problem(response, 400, "malformed_request").await;
}

#[actix_web::test]
async fn a_text_field_of_another_json_type_is_malformed() {
    let body = VALID.replace("\"customer-1\"", "42");
    let response = send(never_placed(), post_json("/orders", &body)).await;
    problem(response, 400, "malformed_request").await;
}

#[actix_web::test]
async fn a_body_without_a_content_type_is_unsupported() {
    let request = TestRequest::post().uri("/orders").set_payload(VALID);
    let response = send(never_placed(), request).await;
    problem(response, 415, "unsupported_media_type").await;
}

#[actix_web::test]
async fn a_body_of_another_media_type_is_unsupported() {
    let request = post_json("/orders", VALID).insert_header((CONTENT_TYPE, "text/plain"));
    let response = send(never_placed(), request).await;
    problem(response, 415, "unsupported_media_type").await;
}

#[actix_web::test]
async fn a_65_kib_body_is_too_large() {
    let body = " ".repeat(65 * 1024);
    let response = send(never_placed(), post_json("/orders", &body)).await;
    problem(response, 413, "payload_too_large").await;
}

#[actix_web::test]
async fn a_chunked_body_is_refused_once_it_grows_past_the_limit() {
    let request = post_json("/orders", &" ".repeat(BODY_LIMIT + 1));
    let response = send_edited(never_placed(), request, |headers| {
        headers.remove(CONTENT_LENGTH);
        headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
    })
    .await;
    problem(response, 413, "payload_too_large").await;
}

#[actix_web::test]
async fn a_body_of_exactly_the_limit_is_read() {
    let body = VALID.to_owned() + &" ".repeat(BODY_LIMIT - VALID.len());
    assert_eq!(body.len(), BODY_LIMIT);
    let response = send(validating(), post_json("/orders", &body)).await;
    assert_eq!(response.status().as_u16(), 201);
}
