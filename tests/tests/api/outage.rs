//! A database outage, through a TCP proxy the test cuts and restores: clients get 503 with `Retry-After` (never a
//! 500), readiness drops, and the service recovers on its own when the database returns.

use std::time::{Duration, Instant};

use crate::helpers::{Reply, TestApp, TestDatabase, order_json};
use crate::tcp_proxy::{TcpProxy, address_of, via_port};

/// Requests until `done` says so or `limit` passes; every reply must be 2xx or 503 with `Retry-After`.
fn poll(app: &TestApp, limit: Duration, done: impl Fn(&Reply) -> bool) -> Vec<Reply> {
    let deadline = Instant::now() + limit;
    let mut replies = Vec::new();
    while Instant::now() < deadline {
        let reply = app.request("GET", "/readyz", &[], None);
        assert!(
            reply.status == 200 || reply.status == 503,
            "{}: {}",
            reply.status,
            reply.body
        );
        let finished = done(&reply);
        replies.push(reply);
        if finished {
            return replies;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "the condition did not hold within {limit:?}; last: {:?}",
        replies.last()
    );
}

fn assert_unavailable(reply: &Reply) {
    reply.assert_problem(503, "unavailable");
    assert_eq!(reply.header("retry-after"), Some("1"), "{}", reply.body);
}

fn breaker_state(app: &TestApp) -> Option<String> {
    let metrics = app.request("GET", "/metrics", &[], None).body;
    metrics.lines().find_map(|line| {
        line.strip_prefix("ordersvc_circuit_breaker_state ")
            .map(str::to_owned)
    })
}

/// Time one request and check it is an `unavailable` problem.
fn timed_unavailable(app: &TestApp, id: &str) -> Duration {
    let started = Instant::now();
    assert_unavailable(&app.get_order(id));
    started.elapsed()
}

/// The service on `database` through a proxy a test can cut, with short timeouts and a breaker that opens after 3
/// failures for 300 ms (so an outage shows in well under a second), and the configuration as `edit` changes it.
pub(crate) fn behind_a_proxy(
    database: &TestDatabase,
    edit: impl FnOnce(&mut app::Config),
) -> (TcpProxy, TestApp) {
    let proxy = TcpProxy::start(&address_of(database.url()), false);
    let app = TestApp::spawn_with(&via_port(database.url(), proxy.port()), |config| {
        config.db_acquire_timeout_ms = 800;
        config.db_statement_timeout_ms = 1000;
        config.breaker_failure_threshold = 3;
        config.breaker_open_ms = 300;
        edit(config);
    });
    (proxy, app)
}

#[test]
fn an_outage_is_503_with_retry_after_and_the_service_recovers_without_restart() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let (proxy, app) = behind_a_proxy(&database, |_| {});
    let id = app.place();
    assert_eq!(breaker_state(&app).as_deref(), Some("0"));

    proxy.cut();
    poll(&app, Duration::from_secs(5), |reply| reply.status == 503);
    // Until the breaker opens, each request waits for the pool; then requests fail fast.
    let waited: Vec<Duration> = (0..3).map(|_| timed_unavailable(&app, &id)).collect();
    assert_eq!(
        breaker_state(&app).as_deref(),
        Some("1"),
        "the breaker is open"
    );
    let fast = timed_unavailable(&app, &id);
    assert!(
        fast * 4 < *waited.iter().max().unwrap(),
        "open breaker: {fast:?}, before: {waited:?}"
    );
    assert_unavailable(&app.post_order(&order_json()));
    assert_unavailable(&app.change_status(&id, "Accepted", None));

    proxy.restore();
    poll(&app, Duration::from_secs(10), |reply| reply.status == 200);
    let recovered = poll_order(&app, &id, Duration::from_secs(10));
    assert_eq!(recovered.status, 200, "{}", recovered.body);
    assert_eq!(
        breaker_state(&app).as_deref(),
        Some("0"),
        "the breaker closed again"
    );
    assert_eq!(app.change_status(&id, "Accepted", None).status, 200);
    assert_eq!(app.post_order(&order_json()).status, 201);
    assert_eq!(database.row_count("orders"), 2);
}

/// Reads the order until it answers 200 (the breaker lets a trial through once its open time is over); every
/// other answer must be a 503.
fn poll_order(app: &TestApp, id: &str, limit: Duration) -> Reply {
    let deadline = Instant::now() + limit;
    loop {
        let reply = app.get_order(id);
        if reply.status == 200 || Instant::now() > deadline {
            return reply;
        }
        assert_unavailable(&reply);
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_statement_timeout_is_503_and_changes_nothing() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let app = TestApp::spawn_with(database.url(), |config| {
        config.db_statement_timeout_ms = 300
    });
    let id = app.place();
    let lock = database.lock_table("orders");
    let started = Instant::now();
    assert_unavailable(&app.get_order(&id));
    assert_unavailable(&app.change_status(&id, "Accepted", None));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "statements were cut at their timeout"
    );
    drop(lock);
    let order = app.get_order(&id);
    assert_eq!(order.status, 200);
    assert_eq!(
        order.json()["order"]["status"],
        "Pending",
        "the timed-out change did not happen"
    );
}
