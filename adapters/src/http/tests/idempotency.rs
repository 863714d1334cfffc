//! `Idempotency-Key` on `POST /orders`: the key and the request's fingerprint reach the service, a replay is marked,
//! a reused key is a 422, and a bad header a 400.

use std::sync::{Arc, Mutex};

use application::{MockOrderService, PlaceOrder, Placed, ServiceError};
use domain::RequestFingerprint;

use super::{ID, body_text, header, order_id, post_json, problem, send};

const BODY: &str = r#"{"customer_id": "c", "restaurant_id": "r",
    "order_items": [{"product_code": "p", "name": "n", "unit_price": 1.50, "quantity": 2}]}"#;

/// A service that records the fingerprints it is given and answers `placed`.
fn recording(seen: Arc<Mutex<Vec<RequestFingerprint>>>, replayed: bool) -> MockOrderService {
    let mut service = MockOrderService::new();
    service
        .expect_place_order()
        .times(1)
        .returning(move |PlaceOrder { idempotency, .. }| {
            let (key, fingerprint) = idempotency.unwrap();
            assert_eq!(key.as_str(), "key-1");
            seen.lock().unwrap().push(fingerprint);
            Ok(Placed {
                id: order_id(),
                replayed,
            })
        });
    service
}

async fn fingerprint_of(body: &str) -> RequestFingerprint {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let request = post_json("/orders", body).insert_header(("Idempotency-Key", "key-1"));
    assert_eq!(
        send(recording(Arc::clone(&seen), false), request)
            .await
            .status()
            .as_u16(),
        201
    );
    seen.lock().unwrap()[0]
}

#[actix_web::test]
async fn the_fingerprint_ignores_layout_and_ignored_members_but_not_values() {
    let original = fingerprint_of(BODY).await;
    let reordered = r#"{"order_items":[{"quantity":2,"unit_price":1.50,"name":"n","product_code":"p"}],
        "restaurant_id":"r","customer_id":"c","status":"Delivered","extra":[1,2]}"#;
    assert_eq!(fingerprint_of(reordered).await, original);
    assert_ne!(
        fingerprint_of(&BODY.replace("\"c\"", "\"d\"")).await,
        original
    );
    assert_ne!(fingerprint_of(&BODY.replace("2}", "3}")).await, original);
}

#[actix_web::test]
async fn a_replayed_answer_is_marked_and_repeats_the_first_one() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let request = post_json("/orders", BODY).insert_header(("Idempotency-Key", "key-1"));
    let response = send(recording(seen, true), request).await;
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
        recording(Arc::default(), false),
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
        .returning(|_| Err(ServiceError::IdempotencyKeyReused));
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
