//! Refusals before the service is called: encoded bodies, repeated headers, badly percent-encoded queries and paths,
//! items that are not objects, with details a client can act on; and `HEAD`, which answers as `GET` would.

use actix_web::http::Method;
use actix_web::http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use actix_web::test::TestRequest;
use application::MockOrderService;
use domain::OrderStatus;
use serde_json::Value;

use super::{ID, body_text, error_fields, header, order, order_id, post_json, problem, send};
use crate::http::body::check_body_headers;

const ORDER: &str = r#"{"customer_id": "c", "restaurant_id": "r",
    "order_items": [{"product_code": "p", "name": "n", "unit_price": 1.50, "quantity": 2}]}"#;

/// A service that must not be called at all.
fn untouched() -> MockOrderService {
    let mut service = MockOrderService::new();
    service.expect_place_order().never();
    service.expect_change_status().never();
    service.expect_find_order().never();
    service.expect_list_orders().never();
    service
}

/// Sends `request` to a service that must not be called; its problem, checked to be `status` and `code`.
async fn refused(request: TestRequest, status: u16, code: &str) -> Value {
    problem(send(untouched(), request).await, status, code).await
}

/// Words that give away the implementation rather than tell a client what to change.
const INTERNALS: [&str; 9] = [
    "struct",
    "invalid type",
    "sequence",
    "EOF",
    "Query deserialize",
    "payload reached",
    "expected value",
    "Request",
    "ident",
];

fn assert_no_internals(detail: &str) {
    for word in INTERNALS {
        assert!(!detail.contains(word), "{word:?} in {detail:?}");
    }
}

#[actix_web::test]
async fn an_encoded_body_is_unsupported_and_says_what_is_accepted() {
    for encoding in ["gzip", "br", "deflate", "identity, gzip", "x-unknown"] {
        for path in ["/orders", "/orders/status"] {
            let request = post_json(path, ORDER).insert_header(("content-encoding", encoding));
            let response = send(untouched(), request).await;
            assert_eq!(header(&response, "accept-encoding"), Some("identity"));
            let problem = problem(response, 415, "unsupported_media_type").await;
            assert_eq!(
                problem["detail"],
                "the body must not be encoded: the service does not decode gzip or any other \
                 Content-Encoding; send plain JSON",
                "{encoding}"
            );
        }
    }
}

#[actix_web::test]
async fn an_identity_encoding_is_no_encoding() {
    for encoding in ["identity", "Identity", ""] {
        let mut service = MockOrderService::new();
        service.expect_place_order().times(1).returning(|_, _| {
            Ok(application::Placed {
                id: order_id(),
                replayed: false,
            })
        });
        let request = post_json("/orders", ORDER).insert_header(("content-encoding", encoding));
        let response = send(service, request).await;
        assert_eq!(response.status().as_u16(), 201, "{encoding:?}");
    }
}

#[actix_web::test]
async fn a_repeated_header_is_malformed_and_named() {
    let twice = |request: TestRequest, name: &str, value: &str| {
        request
            .append_header((name, value))
            .append_header((name, value))
    };
    let status = r#"{"id": "0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01", "status": "Accepted"}"#;
    for (request, detail) in [
        (
            twice(
                TestRequest::post().uri("/orders"),
                "content-type",
                "application/json",
            )
            .set_payload(ORDER),
            "send Content-Type once",
        ),
        (
            twice(post_json("/orders", ORDER), "idempotency-key", "k-1"),
            "send Idempotency-Key once",
        ),
        (
            twice(post_json("/orders/status", status), "if-match", "\"1\""),
            "send If-Match once",
        ),
    ] {
        let problem = refused(request, 400, "malformed_request").await;
        assert_eq!(problem["detail"], detail);
    }
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    map
}

#[test]
fn the_body_headers_alone_decide_a_refusal() {
    let json = ("content-type", "application/json");
    assert_eq!(check_body_headers(&headers(&[json])).unwrap(), None);
    let declared = check_body_headers(&headers(&[json, ("content-length", "12")]));
    assert_eq!(declared.unwrap(), Some(12));
    for (sent, status, detail) in [
        (vec![], 415, "the body must be application/json"),
        (
            vec![("content-type", "text/plain")],
            415,
            "the body must be application/json",
        ),
        (vec![json, json], 400, "send Content-Type once"),
        (
            vec![json, ("content-encoding", "gzip")],
            415,
            "the body must not be encoded",
        ),
        (
            vec![json, ("content-length", "ten")],
            400,
            "Content-Length is not a number",
        ),
        (
            vec![json, ("content-length", "65537")],
            413,
            "the body must be at most 65536 bytes",
        ),
        (
            vec![json, ("content-length", "1"), ("content-length", "1")],
            400,
            "send Content-Length once",
        ),
    ] {
        let error = check_body_headers(&headers(&sent)).unwrap_err();
        assert_eq!(
            actix_web::ResponseError::status_code(&error).as_u16(),
            status
        );
        assert!(error.detail().starts_with(detail), "{sent:?}: {error}");
    }
}

#[actix_web::test]
async fn a_badly_percent_encoded_query_is_malformed_never_decoded_lossily() {
    for (query, detail) in [
        (
            "customer_id=%ff",
            "the query string is not validly percent-encoded: `%ff` is not UTF-8; percent-encode text as UTF-8 bytes",
        ),
        (
            "customer_id=%zz",
            "the query string is not validly percent-encoded: `%zz` is not % followed by two hex digits; write a \
             literal % as %25",
        ),
        (
            "status=Pending&x=%",
            "the query string is not validly percent-encoded: `%` is not % followed by two hex digits; write a \
             literal % as %25",
        ),
        (
            "limit=1&limit=2",
            "limit: is given more than once; give it once",
        ),
    ] {
        let request = TestRequest::get().uri(&format!("/orders?{query}"));
        let problem = refused(request, 400, "malformed_request").await;
        assert_eq!(problem["detail"], detail, "{query}");
    }
}

#[actix_web::test]
async fn a_badly_percent_encoded_path_is_malformed() {
    for path in ["/orders/%ff", "/orders/%zz", "/orders/%"] {
        let problem = refused(TestRequest::get().uri(path), 400, "malformed_request").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("the path is not validly percent-encoded: "),
            "{path}: {detail}"
        );
    }
}

#[actix_web::test]
async fn a_validly_encoded_id_is_decoded() {
    let mut service = MockOrderService::new();
    service
        .expect_find_order()
        .withf(|_, id| *id == order_id())
        .times(1)
        .returning(|_, _| Ok(order(OrderStatus::Pending, 1)));
    let encoded = format!("/orders/%{:x}{}", ID.as_bytes()[0], &ID[1..]);
    let response = send(service, TestRequest::get().uri(&encoded)).await;
    assert_eq!(response.status().as_u16(), 200);
}

#[actix_web::test]
async fn an_item_given_as_an_array_is_malformed_and_named() {
    let body = r#"{"customer_id": "c", "restaurant_id": "r", "order_items": [["a", "b", 1.0, 1]]}"#;
    let problem = refused(post_json("/orders", body), 400, "malformed_request").await;
    assert_eq!(
        problem["detail"],
        "order_items[0]: must be an object, not an array"
    );
    assert_eq!(error_fields(&problem), ["order_items[0]"]);
}

#[actix_web::test]
async fn every_malformed_body_is_told_in_the_apis_words() {
    let status_change = |body: &str| post_json("/orders/status", body);
    for (request, detail) in [
        (
            post_json("/orders", r#"{"customer_id": "c""#),
            "the body is not valid JSON: unexpected end at line 1, column 19",
        ),
        (
            post_json("/orders", r#"{"customer_id" "c"}"#),
            "the body is not valid JSON: expected `:` after a member's name at line 1, column 16",
        ),
        (
            post_json("/orders", r#"{"customer_id": "c",}"#),
            "the body is not valid JSON: trailing comma at line 1, column 21",
        ),
        (
            post_json("/orders", r#"{"customer_id": tru}"#),
            "the body is not valid JSON: expected true, false or null at line 1, column 20",
        ),
        (
            post_json("/orders", "{} {}"),
            "the body is not valid JSON: more after the JSON value at line 1, column 4",
        ),
        (post_json("/orders", "[]"), "the body must be a JSON object"),
        (post_json("/orders", ""), "the body must be a JSON object"),
        (
            post_json("/orders", r#"{"customer_id": 42}"#),
            "customer_id: must be a string, not a number",
        ),
        (
            post_json("/orders", r#"{"order_items": {}}"#),
            "order_items: must be an array, not an object",
        ),
        (
            post_json("/orders", r#"{"order_items": [null]}"#),
            "order_items[0]: must be an object, not null",
        ),
        (
            post_json("/orders", r#"{"order_items": [{"quantity": "2"}]}"#),
            "order_items[0].quantity: must be a number, not a string",
        ),
        (
            post_json("/orders", r#"{"order_items": [{"name": false}]}"#),
            "order_items[0].name: must be a string, not a boolean",
        ),
        (
            post_json("/orders", r#"{"customer_id": "a", "customer_id": "b"}"#),
            "customer_id: is sent more than once; send it once",
        ),
        (
            status_change(r#"{"id": ["x"]}"#),
            "id: must be a string, not an array",
        ),
    ] {
        let problem = refused(request, 400, "malformed_request").await;
        let sent = problem["detail"].as_str().unwrap();
        assert_eq!(sent, detail);
        assert_no_internals(sent);
    }
}

#[actix_web::test]
async fn head_answers_as_get_would_without_asking_twice() {
    let finding = || {
        let mut service = MockOrderService::new();
        service
            .expect_find_order()
            .times(1)
            .returning(|_, _| Ok(order(OrderStatus::Accepted, 2)));
        service
    };
    let uri = format!("/orders/{ID}");
    let get = send(finding(), TestRequest::get().uri(&uri)).await;
    let head = send(
        finding(),
        TestRequest::default().method(Method::HEAD).uri(&uri),
    )
    .await;
    assert_eq!(head.status(), get.status());
    for name in ["etag", "content-type"] {
        assert_eq!(header(&head, name), header(&get, name), "{name}");
    }
    assert!(header(&head, "etag").is_some());
    // The harness keeps the body; over a socket actix sends none (the end-to-end tests check that).
    assert_eq!(body_text(head).await, body_text(get).await);
}

#[actix_web::test]
async fn head_on_a_path_without_get_is_405() {
    let request = TestRequest::default()
        .method(Method::HEAD)
        .uri("/orders/status")
        .insert_header((CONTENT_TYPE, "application/json"));
    let response = send(untouched(), request).await;
    assert_eq!(header(&response, "allow"), Some("POST"));
    problem(response, 405, "method_not_allowed").await;
}
