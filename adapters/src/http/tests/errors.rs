//! Failures that are not about one route: the service failing, unknown paths and methods.

use actix_web::test::TestRequest;
use application::{MockOrderService, ServiceError};
use domain::RepositoryError;

use super::{ID, capture_logs, header, log_lines_of, problem, send};

fn finding(result: fn() -> ServiceError) -> MockOrderService {
    let mut service = MockOrderService::new();
    service
        .expect_find_order()
        .times(1)
        .returning(move |_, _| Err(result()));
    service
}

fn get_order() -> TestRequest {
    TestRequest::get().uri(&format!("/orders/{ID}"))
}

#[actix_web::test]
async fn an_unavailable_service_is_a_503_with_retry_after() {
    let service = finding(|| {
        ServiceError::Unavailable(RepositoryError::Unavailable("pool timed out".into()))
    });
    let response = send(service, get_order()).await;
    assert_eq!(header(&response, "retry-after"), Some("1"));
    let problem = problem(response, 503, "unavailable").await;
    assert!(!problem.to_string().contains("pool"));
}

#[actix_web::test]
async fn an_internal_failure_is_a_500_that_leaks_nothing_and_is_logged() {
    capture_logs();
    let service = finding(|| ServiceError::Internal(RepositoryError::Other("disk on fire".into())));
    let request = get_order().insert_header(("x-request-id", "internal-failure-test"));
    let problem = problem(send(service, request).await, 500, "internal").await;
    let text = problem.to_string();
    assert!(!text.contains("disk") && !text.contains("store"), "{text}");
    let errors: Vec<String> = log_lines_of("internal-failure-test")
        .into_iter()
        .filter(|line| line.starts_with("ERROR"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("the order service failed: the order store failed: disk on fire"));
}

#[actix_web::test]
async fn a_client_error_is_not_logged_as_an_error() {
    capture_logs();
    let service = finding(|| ServiceError::NotFound(ID.parse().unwrap()));
    let request = get_order().insert_header(("x-request-id", "client-error-test"));
    problem(send(service, request).await, 404, "order_not_found").await;
    let lines = log_lines_of("client-error-test");
    assert!(
        lines.iter().all(|line| !line.starts_with("ERROR")),
        "{lines:?}"
    );
}

#[actix_web::test]
async fn a_service_call_that_panics_is_an_internal_error() {
    let mut service = MockOrderService::new();
    service
        .expect_find_order()
        .times(1)
        .returning(|_, _| panic!("a bug in the service"));
    let response = send(service, get_order()).await;
    problem(response, 500, "internal").await;
}

#[actix_web::test]
async fn an_unknown_route_is_a_not_found_problem() {
    for request in [
        TestRequest::get().uri("/nothing"),
        TestRequest::get().uri(&format!("/orders/{ID}/items")),
        TestRequest::delete().uri("/"),
    ] {
        problem(
            send(MockOrderService::new(), request).await,
            404,
            "not_found",
        )
        .await;
    }
}

#[actix_web::test]
async fn a_known_path_with_the_wrong_method_is_405_with_allow() {
    for (request, allow) in [
        (
            TestRequest::delete().uri(&format!("/orders/{ID}")),
            "GET, HEAD",
        ),
        (TestRequest::delete().uri("/orders"), "GET, HEAD, POST"),
        (TestRequest::get().uri("/orders/status"), "POST"),
    ] {
        let response = send(MockOrderService::new(), request).await;
        assert_eq!(header(&response, "allow"), Some(allow));
        problem(response, 405, "method_not_allowed").await;
    }
}
