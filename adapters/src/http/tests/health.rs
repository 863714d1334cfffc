//! The probes: liveness always, readiness only with a reachable database and while not draining.

use std::sync::Arc;

use actix_web::test::TestRequest;
use application::MockOrderService;

use super::{call, capture_logs, cursors, executor, header, log_lines_of, problem};
use crate::inbound::Health;
use crate::inbound::ServingContext;

fn context(health: Health) -> (ServingContext, Arc<Health>) {
    let health = Arc::new(health);
    (
        ServingContext::new(
            executor(MockOrderService::new()),
            Arc::clone(&health),
            cursors(),
        ),
        health,
    )
}

fn probe_request(path: &str, request_id: &str) -> TestRequest {
    TestRequest::get()
        .uri(path)
        .insert_header(("X-Request-ID", request_id))
}

#[actix_web::test]
async fn liveness_answers_while_the_process_serves_even_when_the_database_is_down() {
    let (context, _) = context(Health::new(Box::new(|| Err("connection refused".into()))));
    let response = call(context, probe_request("/healthz", "live-1")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        actix_web::test::read_body(response).await,
        r#"{"status":"ok"}"#
    );
}

#[actix_web::test]
async fn readiness_answers_200_when_the_database_does() {
    capture_logs();
    let (context, _) = context(Health::new(Box::new(|| Ok(()))));
    let response = call(context, probe_request("/readyz", "ready-ok")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        actix_web::test::read_body(response).await,
        r#"{"status":"ready"}"#
    );
    assert!(
        log_lines_of("ready-ok").is_empty(),
        "a successful probe is not logged at info"
    );
}

#[actix_web::test]
async fn readiness_fails_with_retry_after_when_the_database_does_not_answer() {
    capture_logs();
    let (context, _) = context(Health::new(Box::new(|| Err("connection refused".into()))));
    let response = call(context, probe_request("/readyz", "ready-down")).await;
    assert_eq!(header(&response, "retry-after"), Some("1"));
    let body = problem(response, 503, "unavailable").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{body}"
    );
    let lines = log_lines_of("ready-down");
    assert!(
        lines.iter().all(|line| !line.starts_with("ERROR")),
        "{lines:?}"
    );
}

#[actix_web::test]
async fn readiness_fails_as_soon_as_the_instance_drains_without_probing() {
    let (context, health) = context(Health::new(Box::new(|| {
        panic!("a draining instance must not probe")
    })));
    health.start_draining();
    let body = problem(
        call(context, probe_request("/readyz", "ready-drain")).await,
        503,
        "unavailable",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("draining"),
        "{body}"
    );
}
