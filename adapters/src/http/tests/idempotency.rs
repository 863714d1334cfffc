//! `Idempotency-Key` on `POST /orders`: the key reaches the service (which fingerprints the validated order), a
//! replay is marked, a reused key is a 422, and a bad header a 400.

use application::{MockOrderService, PlaceOrder, Placed, ServiceError};

use super::{ID, body_text, header, order_id, post_json, problem, send};

const BODY: &str = r#"{"customer_id": "c", "restaurant_id": "r",
    "order_items": [{"product_code": "p", "name": "n", "unit_price": 1.50, "quantity": 2}]}"#;

/// A service that checks it is given the key `key-1` and answers `placed`.
fn expecting_key(replayed: bool) -> MockOrderService {
    let mut service = MockOrderService::new();
    service.expect_place_order().times(1).returning(
        move |_,
              PlaceOrder {
                  idempotency_key, ..
              }| {
            assert_eq!(idempotency_key.unwrap().as_str(), "key-1");
            Ok(Placed {
                id: order_id(),
                replayed,
            })
        },
    );
    service
}

#[actix_web::test]
async fn a_replayed_answer_is_marked_and_repeats_the_first_one() {
    let request = post_json("/orders", BODY).insert_header(("Idempotency-Key", "key-1"));
    let response = send(expecting_key(true), request).await;
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(header(&response, "idempotent-replayed"), Some("true"));
    assert_eq!(
        header(&response, "location"),
        Some(&*format!("/orders/{ID}"))
    );
    assert_eq!(body_text(response).await, format!(r#"{{"id":"{ID}"}}"#));
}

#[actix_web::test]
async fn a_first_answer_is_not_marked_as_replayed() {
    let response = send(
        expecting_key(false),
        post_json("/orders", BODY).insert_header(("Idempotency-Key", "key-1")),
    )
    .await;
    assert_eq!(header(&response, "idempotent-replayed"), None);
}

#[actix_web::test]
async fn a_key_reused_for_other_content_is_422() {
    let mut service = MockOrderService::new();
    service
        .expect_place_order()
        .times(1)
        .returning(|_, _| Err(ServiceError::IdempotencyKeyReused));
    let request = post_json("/orders", BODY).insert_header(("Idempotency-Key", "key-1"));
    problem(send(service, request).await, 422, "idempotency_key_reused").await;
}

#[actix_web::test]
async fn a_bad_or_repeated_key_header_is_400_before_the_service() {
    for headers in [vec!["has space"], vec![""], vec!["é"], vec!["a", "b"]] {
        let mut service = MockOrderService::new();
        service.expect_place_order().never();
        let mut request = post_json("/orders", BODY);
        for value in &headers {
            request = request.append_header(("Idempotency-Key", *value));
        }
        problem(send(service, request).await, 400, "malformed_request").await;
    }
    let mut service = MockOrderService::new();
    service.expect_place_order().never();
    let long = "k".repeat(256);
    problem(
        send(
            service,
            post_json("/orders", BODY).insert_header(("Idempotency-Key", long)),
        )
        .await,
        400,
        "malformed_request",
    )
    .await;
}
