//! The rate limit over a real socket: a client spends its burst, then gets 429 with `Retry-After`, while probes
//! still answer.

use crate::helpers::{TestApp, TestDatabase, order_json};

/// A service allowing each client 3 requests at once, then one every 10 s: slow enough that no test machine earns
/// a token back between requests.
fn limited_app(database: &TestDatabase) -> TestApp {
    TestApp::spawn_with(database.url(), |config| {
        config.rate_limit_rps = Some("0.1".parse().unwrap());
        config.rate_limit_burst = Some(3);
    })
}

#[test]
fn a_client_over_its_burst_is_told_to_retry_later_while_probes_still_answer() {
    let database = TestDatabase::sqlite();
    let app = limited_app(&database);
    for _ in 0..3 {
        app.place();
    }

    let refused = app.post_order(&order_json());

    refused.assert_problem(429, "rate_limited");
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (1..=10).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    assert_eq!(app.request("GET", "/healthz", &[], None).status, 200);
    assert_eq!(app.request("GET", "/readyz", &[], None).status, 200);
    assert_eq!(
        database.row_count("orders"),
        3,
        "the refused order was not placed"
    );
}

#[test]
fn a_forwarded_for_header_from_an_untrusted_peer_does_not_reset_the_limit() {
    let database = TestDatabase::sqlite();
    let app = limited_app(&database);
    for _ in 0..3 {
        app.place();
    }

    let forged = app.request(
        "GET",
        "/orders/00000000-0000-7000-8000-000000000000",
        &[("X-Forwarded-For", "198.51.100.1")],
        None,
    );

    forged.assert_problem(429, "rate_limited");
}
