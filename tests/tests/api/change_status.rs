//! `POST /orders/status`: every lifecycle step, idempotent retries, If-Match, and racing requests.

use std::sync::Barrier;

use crate::helpers::{TestApp, TestDatabase, on_both_backends};

fn version_of(app: &TestApp, id: &str) -> u64 {
    app.get_order(id).json()["order"]["version"]
        .as_u64()
        .unwrap()
}

fn walk(app: &TestApp, path: &[&str]) -> String {
    let id = app.place();
    for (step, status) in path.iter().enumerate() {
        let reply = app.change_status(&id, status, None);
        assert_eq!(reply.status, 200, "{status}: {}", reply.body);
        let order = &reply.json()["order"];
        assert_eq!(order["status"], *status);
        assert_eq!(order["version"], step as u64 + 2);
        assert_eq!(
            reply.header("etag"),
            Some(format!("\"{}\"", step + 2).as_str())
        );
    }
    id
}

fn an_order_walks_the_whole_delivery_path(app: &TestApp, _: &TestDatabase) {
    let id = walk(
        app,
        &[
            "Accepted",
            "Preparing",
            "ReadyForPickup",
            "OutForDelivery",
            "Delivered",
        ],
    );
    let order = &app.get_order(&id).json()["order"];
    assert_eq!(
        (order["status"].as_str(), order["version"].as_u64()),
        (Some("Delivered"), Some(6))
    );
    assert!(order["updated_on"].as_u64() >= order["created_on"].as_u64());
}

fn every_terminal_status_is_reachable_and_final(app: &TestApp, _: &TestDatabase) {
    for path in [
        &["Rejected"][..],
        &["Cancelled"],
        &["Accepted", "Cancelled"],
    ] {
        let id = walk(app, path);
        for next in ["Pending", "Accepted", "Preparing", "Delivered"] {
            app.change_status(&id, next, None)
                .assert_problem(409, "invalid_transition");
        }
    }
}

fn a_step_outside_the_lifecycle_is_refused_and_changes_nothing(app: &TestApp, _: &TestDatabase) {
    let id = app.place();
    let problem = app
        .change_status(&id, "Delivered", None)
        .assert_problem(409, "invalid_transition");
    assert!(
        problem["detail"].as_str().unwrap().contains("Pending"),
        "{problem}"
    );
    assert_eq!(version_of(app, &id), 1);
}

fn asking_for_the_current_status_again_succeeds_without_a_new_version(
    app: &TestApp,
    _: &TestDatabase,
) {
    let id = walk(app, &["Accepted"]);
    let again = app.change_status(&id, "Accepted", None);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["order"]["version"], 2);
    let pending = app.place();
    assert_eq!(
        app.change_status(&pending, "Pending", None).json()["order"]["version"],
        1
    );
}

fn if_match_guards_the_change(app: &TestApp, _: &TestDatabase) {
    let id = app.place();
    let etag = app.get_order(&id).header("etag").unwrap().to_owned();
    let applied = app.change_status(&id, "Accepted", Some(&etag));
    assert_eq!(applied.status, 200, "{}", applied.body);
    app.change_status(&id, "Preparing", Some(&etag))
        .assert_problem(412, "version_mismatch");
    app.change_status(&id, "Preparing", Some("not-a-version"))
        .assert_problem(400, "malformed_request");
    assert_eq!(version_of(app, &id), 2);
    assert_eq!(
        app.change_status(&id, "Preparing", Some("\"2\"")).status,
        200
    );
}

fn of_sixteen_racing_conflicting_changes_exactly_one_wins(app: &TestApp, _: &TestDatabase) {
    let id = app.place();
    let barrier = Barrier::new(16);
    let replies: Vec<(&str, u16)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let (barrier, id) = (&barrier, &id);
                let wanted = if i % 2 == 0 { "Accepted" } else { "Rejected" };
                scope.spawn(move || {
                    barrier.wait();
                    (wanted, app.change_status(id, wanted, None).status)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let order = &app.get_order(&id).json()["order"];
    let winner = order["status"].as_str().unwrap();
    assert!(winner == "Accepted" || winner == "Rejected", "{order}");
    assert_eq!(order["version"], 2, "the version moved exactly once");
    for (wanted, status) in replies {
        // The winner's peers asked for what happened (an idempotent success); the others asked for a step the
        // lifecycle no longer allows.
        assert_eq!(
            status,
            if wanted == winner { 200 } else { 409 },
            "{wanted} -> {status}"
        );
    }
}

fn of_sixteen_racing_changes_with_one_if_match_exactly_one_applies(
    app: &TestApp,
    _: &TestDatabase,
) {
    let id = app.place();
    let targets = ["Accepted", "Rejected", "Cancelled"];
    let barrier = Barrier::new(16);
    let replies: Vec<(&str, u16)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let (barrier, id, wanted) = (&barrier, &id, targets[i % 3]);
                scope.spawn(move || {
                    barrier.wait();
                    (wanted, app.change_status(id, wanted, Some("\"1\"")).status)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let order = &app.get_order(&id).json()["order"];
    let applied = order["status"].as_str().unwrap();
    assert_eq!(order["version"], 2, "exactly one change went through");
    for (wanted, status) in replies {
        // Those that asked for what was applied are told it succeeded (RFC 9110 allows a 2xx for a change already
        // made); every other request held a stale version.
        assert_eq!(
            status,
            if wanted == applied { 200 } else { 412 },
            "{wanted} -> {status}"
        );
    }
}

on_both_backends!(
    of_sixteen_racing_changes_with_one_if_match_exactly_one_applies,
    an_order_walks_the_whole_delivery_path,
    every_terminal_status_is_reachable_and_final,
    a_step_outside_the_lifecycle_is_refused_and_changes_nothing,
    asking_for_the_current_status_again_succeeds_without_a_new_version,
    if_match_guards_the_change,
    of_sixteen_racing_conflicting_changes_exactly_one_wins,
);
