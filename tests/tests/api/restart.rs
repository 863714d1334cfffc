//! Orders outlive the process: a new instance on the same database sees everything the last one acknowledged.

use crate::helpers::{TestApp, TestDatabase};

fn restarting_keeps_every_order_and_its_state(database: &TestDatabase) {
    let (placed, changed) = {
        let first = TestApp::spawn(database);
        let placed = first.place();
        let changed = first.place();
        assert_eq!(first.change_status(&changed, "Accepted", None).status, 200);
        (placed, changed)
    };
    let second = TestApp::spawn(database);
    assert_eq!(
        second.get_order(&placed).json()["order"]["status"],
        "Pending"
    );
    let order = &second.get_order(&changed).json()["order"];
    assert_eq!(
        (order["status"].as_str(), order["version"].as_u64()),
        (Some("Accepted"), Some(2))
    );
    assert_eq!(
        second.change_status(&changed, "Preparing", None).status,
        200
    );
}

#[test]
fn restarting_on_sqlite_keeps_the_data() {
    restarting_keeps_every_order_and_its_state(&TestDatabase::sqlite());
}

#[test]
fn restarting_on_postgres_keeps_the_data() {
    if let Some(database) = TestDatabase::postgres() {
        restarting_keeps_every_order_and_its_state(&database);
    }
}
