//! The rate limit as clients see it: a 429 problem with `Retry-After`, exempt probes, one bucket per client.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

use actix_web::test::TestRequest;
use application::MockOrderService;
use domain::OrderStatus;

use super::executor;
use super::{ID, call, capture_logs, cursors, header, log_lines_of, order, problem};
use crate::inbound::ServingContext;
use crate::inbound::{ClientRateLimit, RateLimit, RateLimiter, TrustedProxies, always_ready};

/// A client on the internet.
const CLIENT: &str = "203.0.113.7:50000";

/// A load balancer in front of the service, inside the trusted 10.0.0.0/8.
const PROXY: &str = "10.0.0.1:50000";

/// A service that finds the order `times` times, and fails the test if asked more often.
fn finding(times: usize) -> MockOrderService {
    let mut service = MockOrderService::new();
    service
        .expect_find_order()
        .times(times)
        .returning(|_, _| Ok(order(OrderStatus::Pending, 1)));
    service
}

/// A context over `service`, limited to `rps` and `burst` on a clock that never moves, trusting 10.0.0.0/8. Each
/// request builds its app anew, as each worker does: the buckets are shared all the same.
fn limited(service: MockOrderService, rps: &str, burst: u32) -> ServingContext {
    let limit = RateLimit::new(rps.parse().unwrap(), NonZeroU32::new(burst).unwrap());
    let frozen = Instant::now();
    let limiter = Arc::new(RateLimiter::with_clock(limit, move || frozen));
    let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
    let limit = Arc::new(ClientRateLimit::new(limiter, proxies));
    ServingContext::new(executor(service), always_ready(), cursors()).with_rate_limit(limit)
}

fn get_from(path: &str, peer: &str) -> TestRequest {
    TestRequest::get()
        .uri(path)
        .peer_addr(peer.parse::<SocketAddr>().unwrap())
}

fn get_order_from(peer: &str) -> TestRequest {
    get_from(&format!("/orders/{ID}"), peer)
}

/// `GET /orders/{id}` from `PROXY` on behalf of `client`.
fn get_order_forwarded_for(client: &str) -> TestRequest {
    get_order_from(PROXY).insert_header(("X-Forwarded-For", client))
}

#[actix_web::test]
async fn a_client_over_its_limit_gets_a_429_problem_with_retry_after_and_the_request_id() {
    capture_logs();
    let context = limited(finding(2), "0.5", 2);
    for _ in 0..2 {
        let response = call(context.clone(), get_order_from(CLIENT)).await;
        assert_eq!(response.status().as_u16(), 200);
    }
    let request = get_order_from(CLIENT).insert_header(("X-Request-ID", "over-the-limit"));
    let response = call(context, request).await;
    assert_eq!(header(&response, "x-request-id"), Some("over-the-limit"));
    assert_eq!(header(&response, "retry-after"), Some("2"));
    let body = problem(response, 429, "rate_limited").await;
    assert_eq!(body["title"], "Too many requests");
    let lines = log_lines_of("over-the-limit");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("route=/orders/{id} status=429 "),
        "{}",
        lines[0]
    );
}

#[actix_web::test]
async fn probes_and_scrapes_are_never_limited() {
    let context = limited(finding(1), "1", 1);
    for path in ["/healthz", "/readyz", "/metrics"] {
        for _ in 0..5 {
            let response = call(context.clone(), get_from(path, CLIENT)).await;
            assert_ne!(response.status().as_u16(), 429, "{path}");
        }
    }
    let response = call(context, get_order_from(CLIENT)).await;
    assert_eq!(response.status().as_u16(), 200, "the probes took no token");
}

#[actix_web::test]
async fn the_api_docs_and_their_assets_count_against_the_limit() {
    for path in ["/docs/swagger-ui-bundle.js", "/docs", "/openapi.json"] {
        let context = limited(finding(0), "1", 2);
        let first = call(context.clone(), get_from(path, CLIENT)).await;
        assert_eq!(first.status().as_u16(), 200, "{path}");
        let second = call(context.clone(), get_from(path, CLIENT)).await;
        assert_eq!(second.status().as_u16(), 200, "{path}");
        let third = call(context, get_from(path, CLIENT)).await;
        assert_eq!(third.status().as_u16(), 429, "{path}");
    }
}

#[actix_web::test]
async fn clients_behind_a_trusted_proxy_have_separate_buckets() {
    let context = limited(finding(2), "1", 1);
    let first = call(context.clone(), get_order_forwarded_for("198.51.100.1")).await;
    assert_eq!(first.status().as_u16(), 200);
    let again = call(context.clone(), get_order_forwarded_for("198.51.100.1")).await;
    assert_eq!(again.status().as_u16(), 429);
    let other = call(context, get_order_forwarded_for("198.51.100.2")).await;
    assert_eq!(other.status().as_u16(), 200);
}

#[actix_web::test]
async fn a_header_forged_by_an_untrusted_peer_does_not_buy_a_new_bucket() {
    let context = limited(finding(1), "1", 1);
    let first = get_order_from(CLIENT).insert_header(("X-Forwarded-For", "198.51.100.1"));
    assert_eq!(call(context.clone(), first).await.status().as_u16(), 200);
    let forged = get_order_from(CLIENT).insert_header(("X-Forwarded-For", "198.51.100.2"));
    assert_eq!(call(context, forged).await.status().as_u16(), 429);
}

#[actix_web::test]
async fn without_a_limiter_no_request_is_refused() {
    let context = ServingContext::new(executor(finding(20)), always_ready(), cursors());
    for _ in 0..20 {
        let response = call(context.clone(), get_order_from(CLIENT)).await;
        assert_eq!(response.status().as_u16(), 200);
    }
}
