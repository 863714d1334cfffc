//! `GET /orders/{id}`.

use actix_web::test::TestRequest;
use application::{MockOrderService, ServiceError};
use domain::OrderStatus;

use super::{ID, body_text, header, order, order_id, problem, send};

fn get(id: &str) -> TestRequest {
    TestRequest::get().uri(&format!("/orders/{id}"))
}

#[actix_web::test]
async fn an_order_is_returned_with_its_etag_and_exact_json() {
    let mut service = MockOrderService::new();
    service
        .expect_find_order()
        .withf(|_, id| *id == order_id())
        .times(1)
        .returning(|_, _| Ok(order(OrderStatus::Preparing, 3)));
    let response = send(service, get(ID)).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "etag"), Some("\"3\""));
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    let expected = format!(
        concat!(
            r#"{{"order":{{"id":"{}","customer_id":"customer-1","restaurant_id":"restaurant-9","#,
            r#""status":"Preparing","created_on":1700000000,"updated_on":1700000060,"version":3,"#,
            r#""total":10.00,"order_items":["#,
            r#"{{"product_code":"p-1","name":"Pizza","unit_price":9.99,"quantity":1}},"#,
            r#"{{"product_code":"p-2","name":"Mint","unit_price":0.01,"quantity":1}}]}}}}"#
        ),
        ID
    );
    assert_eq!(body_text(response).await, expected);
}

#[actix_web::test]
async fn an_unknown_order_is_not_found() {
    let mut service = MockOrderService::new();
    service
        .expect_find_order()
        .times(1)
        .returning(|_, id| Err(ServiceError::NotFound(*id)));
    let response = send(service, get(ID)).await;
    let problem = problem(response, 404, "order_not_found").await;
    assert_eq!(problem["detail"], format!("no order has the id {ID}"));
}

#[actix_web::test]
async fn an_id_that_is_not_a_uuid_is_not_found_without_asking_the_service() {
    for id in ["42", "not-a-uuid", "0190b4b67c1e7d2a9f3b5a6c7d8e9f01"] {
        let mut service = MockOrderService::new();
        service.expect_find_order().never();
        let response = send(service, get(id)).await;
        problem(response, 404, "order_not_found").await;
    }
}
