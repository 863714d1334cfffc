//! HTTP tests: the whole `app` over a mocked `OrderService`, one test per success shape and per row of the error
//! table, through actix's test harness (no socket).

mod api_docs;
mod change_status;
mod errors;
mod find_order;
mod health;
mod idempotency;
mod list_orders;
mod openapi;
mod place_order;
mod rate_limit;
mod refusals;
mod request_context;

use std::sync::{Arc, Mutex, Once};

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{CONTENT_TYPE, HeaderMap};
use actix_web::test::{self, TestRequest};
use application::MockOrderService;
use domain::{
    CustomerId, ItemName, Order, OrderId, OrderItem, OrderItems, OrderStatus, ProductCode,
    RestaurantId, StoredOrder, Timestamp, Version,
};
use serde_json::Value;

use super::app;
use crate::inbound::{CursorCodec, ServiceExecutor, ServingContext, always_ready};

/// The id of the order every test is about.
pub(super) const ID: &str = "0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01";

pub(super) fn order_id() -> OrderId {
    ID.parse().unwrap()
}

/// An order of 9.99 + 0.01 (10.00 in total), placed at 1700000000.999999 and changed a minute later.
pub(super) fn order(status: OrderStatus, version: u64) -> Order {
    let item = |code: &str, name: &str, price: &str| {
        OrderItem::new(
            ProductCode::new(code).unwrap(),
            ItemName::new(name).unwrap(),
            price.parse().unwrap(),
            "1".parse().unwrap(),
        )
    };
    Order::restore(StoredOrder {
        id: order_id(),
        customer_id: CustomerId::new("customer-1").unwrap(),
        restaurant_id: RestaurantId::new("restaurant-9").unwrap(),
        status,
        created_on: Timestamp::from_unix_micros(1_700_000_000_999_999),
        updated_on: Timestamp::from_unix_micros(1_700_000_060_000_000),
        version: Version::new(version),
        items: OrderItems::new(vec![
            item("p-1", "Pizza", "9.99"),
            item("p-2", "Mint", "0.01"),
        ])
        .unwrap(),
    })
}

/// A POST of `body` as `application/json`.
pub(super) fn post_json(path: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header((CONTENT_TYPE, "application/json"))
        .set_payload(body.to_owned())
}

/// The cursor codec of every test: a fixed key, so tests can make cursors the app accepts.
pub(super) fn cursors() -> Arc<CursorCodec> {
    Arc::new(CursorCodec::new(&[9; 32]))
}

/// The executor the app runs `service` on: two threads, no queue timeout.
pub(super) fn executor(service: MockOrderService) -> Arc<ServiceExecutor> {
    let threads = std::num::NonZeroUsize::new(2).unwrap();
    Arc::new(ServiceExecutor::start(Arc::new(service), threads, None).unwrap())
}

/// Sends `request` to the app over `service`.
pub(super) async fn send(service: MockOrderService, request: TestRequest) -> ServiceResponse {
    send_edited(service, request, |_| {}).await
}

/// Sends `request` after `edit` changed its headers (to drop one `TestRequest` sets, such as `Content-Length`).
pub(super) async fn send_edited(
    service: MockOrderService,
    request: TestRequest,
    edit: impl FnOnce(&mut HeaderMap),
) -> ServiceResponse {
    let mut request = request.to_request();
    edit(request.headers_mut());
    let context = ServingContext::new(executor(service), always_ready(), cursors());
    let app = test::init_service(app(context)).await;
    test::call_service(&app, request)
        .await
        .map_into_boxed_body()
}

/// Sends `request` to the app over `context`.
pub(super) async fn call(context: ServingContext, request: TestRequest) -> ServiceResponse {
    let app = test::init_service(app(context)).await;
    test::call_service(&app, request.to_request())
        .await
        .map_into_boxed_body()
}

/// The value of header `name`, if there is one.
pub(super) fn header<'a>(response: &'a ServiceResponse, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap())
}

/// The body as text.
pub(super) async fn body_text(response: ServiceResponse) -> String {
    String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
}

/// Checks `response` is a problem with `status` and `code` whose `request_id` is the response's `X-Request-ID`;
/// returns its body.
pub(super) async fn problem(response: ServiceResponse, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        header(&response, "content-type"),
        Some("application/problem+json")
    );
    let request_id = header(&response, "x-request-id").unwrap().to_owned();
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], format!("urn:ordersvc:problem:{code}"));
    assert!(body["title"].is_string() && body["detail"].is_string());
    assert_eq!(body["request_id"], request_id);
    body
}

/// The `field`s of a validation problem's `errors`, in order.
pub(super) fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect()
}

/// Keeps every log record as `LEVEL target message`, so tests can read the lines of their own request id.
struct CapturingLogger;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl log::Log for CapturingLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let mut line = format!("{} {}", record.level(), record.target());
        let message = record.args().to_string();
        if !message.is_empty() {
            line.push_str(&format!(" {message}"));
        }
        let mut fields = KeyValues(&mut line);
        record.key_values().visit(&mut fields).unwrap();
        LINES.lock().unwrap().push(line);
    }

    fn flush(&self) {}
}

/// Appends each key-value of a record as ` key=value`.
struct KeyValues<'a>(&'a mut String);

impl<'kvs> log::kv::VisitSource<'kvs> for KeyValues<'_> {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        self.0.push_str(&format!(" {key}={value}"));
        Ok(())
    }
}

/// Starts capturing log records (once for the whole test binary).
pub(super) fn capture_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&CapturingLogger).unwrap();
        log::set_max_level(log::LevelFilter::Info);
    });
}

/// The captured lines that mention `request_id`.
pub(super) fn log_lines_of(request_id: &str) -> Vec<String> {
    let needle = format!("request_id={request_id}");
    LINES
        .lock()
        .unwrap()
        .iter()
        .filter(|line| line.contains(&needle))
        .cloned()
        .collect()
}
