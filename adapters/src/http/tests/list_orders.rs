//! `GET /orders`: a page of orders with the cursor of the next one, and every bad query parameter named.

use actix_web::test::{self, TestRequest};
use application::{ListOrders, MockOrderService, OrderPage};
use domain::{OrderPosition, OrderStatus};
use serde_json::Value;

use super::{body_text, cursors, error_fields, order, problem, send};

fn listing(expect: impl Fn(&ListOrders) -> bool + Send + 'static, next: bool) -> MockOrderService {
    let mut service = MockOrderService::new();
    service
        .expect_list_orders()
        .withf(move |_, query| expect(query))
        .times(1)
        .returning(move |_, _| {
            let orders = vec![order(OrderStatus::Accepted, 2)];
            let next = next.then(|| OrderPosition::of(&orders[0]));
            Ok(OrderPage { orders, next })
        });
    service
}

#[actix_web::test]
async fn a_page_lists_orders_and_signs_the_next_position() {
    let service = listing(
        |query| query.limit.get() == 20 && query.after.is_none(),
        true,
    );
    let response = send(service, TestRequest::get().uri("/orders")).await;
    assert_eq!(response.status().as_u16(), 200);
    let text = body_text(response).await;
    assert!(
        text.contains(r#""total":10.00"#),
        "money keeps its exact text: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["orders"][0]["status"], "Accepted");
    let next = body["next_cursor"].as_str().unwrap();
    assert_eq!(
        cursors().decode(next),
        Ok(OrderPosition::of(&order(OrderStatus::Accepted, 2)))
    );
}

#[actix_web::test]
async fn the_last_page_has_a_null_cursor() {
    let response = send(listing(|_| true, false), TestRequest::get().uri("/orders")).await;
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["next_cursor"], Value::Null);
}

#[actix_web::test]
async fn filters_limit_and_cursor_reach_the_service() {
    let position = OrderPosition::of(&order(OrderStatus::Pending, 1));
    let cursor = cursors().encode(position);
    let service = listing(
        move |query| {
            query.filter.customer_id.as_ref().map(|c| c.as_str()) == Some("customer-1")
                && query.filter.restaurant_id.as_ref().map(|r| r.as_str()) == Some("restaurant 9")
                && query.filter.status == Some(OrderStatus::ReadyForPickup)
                && query.limit.get() == 5
                && query.after == Some(position)
        },
        false,
    );
    let uri = format!(
        "/orders?customer_id=customer-1&restaurant_id=restaurant%209&status=ReadyForPickup&limit=5&cursor={cursor}&x=ignored"
    );
    assert_eq!(
        send(service, TestRequest::get().uri(&uri))
            .await
            .status()
            .as_u16(),
        200
    );
}

#[actix_web::test]
async fn every_bad_parameter_is_named_and_the_service_is_not_called() {
    let mut service = MockOrderService::new();
    service.expect_list_orders().never();
    let foreign = super::CursorCodec::new(&[1; 32])
        .encode(OrderPosition::of(&order(OrderStatus::Pending, 1)));
    let uri = format!("/orders?customer_id=&status=Lost&limit=101&cursor={foreign}");
    let body = problem(
        send(service, TestRequest::get().uri(&uri)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        error_fields(&body),
        ["customer_id", "status", "limit", "cursor"]
    );
}

#[actix_web::test]
async fn limits_outside_one_to_a_hundred_are_refused() {
    for limit in ["0", "101", "-1", "ten", ""] {
        let mut service = MockOrderService::new();
        service.expect_list_orders().never();
        let response = send(
            service,
            TestRequest::get().uri(&format!("/orders?limit={limit}")),
        )
        .await;
        let body = problem(response, 422, "validation_failed").await;
        assert_eq!(error_fields(&body), ["limit"], "{limit}");
    }
}

#[actix_web::test]
async fn a_page_is_sent_in_chunks_that_make_one_document_in_order() {
    let mut service = MockOrderService::new();
    service.expect_list_orders().times(1).returning(|_, _| {
        let orders: Vec<_> = (0..60).map(|_| order(OrderStatus::Pending, 1)).collect();
        let next = Some(OrderPosition::of(&orders[59]));
        Ok(OrderPage { orders, next })
    });
    let response = send(service, TestRequest::get().uri("/orders?limit=60")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        super::header(&response, "content-type"),
        Some("application/json")
    );
    let mut body = response.into_body();
    let mut chunks = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| {
        actix_web::body::MessageBody::poll_next(std::pin::Pin::new(&mut body), cx)
    })
    .await
    {
        chunks.push(chunk.unwrap());
    }
    assert!(chunks.len() > 2, "{} chunks", chunks.len());
    let whole: Vec<u8> = chunks.concat();
    let page: Value = serde_json::from_slice(&whole).unwrap();
    assert_eq!(page["orders"].as_array().unwrap().len(), 60);
    assert!(page["next_cursor"].is_string());
    // The empty page is the shell alone.
    let mut service = MockOrderService::new();
    service.expect_list_orders().times(1).returning(|_, _| {
        Ok(OrderPage {
            orders: Vec::new(),
            next: None,
        })
    });
    let empty = send(service, TestRequest::get().uri("/orders")).await;
    assert_eq!(
        body_text(empty).await,
        r#"{"orders":[],"next_cursor":null}"#
    );
}
