//! The SQL each use case sends to PostgreSQL, recorded through diesel's instrumentation, and held equal to the
//! pgbench scripts in `bench/sql/`: the benchmark compares the service with exactly the statements it issues.

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Once;

use application::{Caller, ChangeStatus, CoreOrderService, ListOrders, OrderService, PlaceOrder};
use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use domain::{
    CustomerId, OrderDraft, OrderFilter, OrderId, OrderItemDraft, OrderPosition, OrderStatus,
    PageSize,
};

use super::test_database::TestDatabase;
use super::{Database, PoolOptions};
use crate::system::{SystemClock, UuidV7Generator};

/// What this thread's connections did while recording.
#[derive(Debug, Default)]
struct Recording {
    /// Each statement sent, as diesel's `debug_query` prints it (`SQL -- binds: [...]`).
    statements: Vec<String>,
    /// Each statement prepared and added to the connection's statement cache.
    prepared: Vec<String>,
}

thread_local! {
    static RECORDING: RefCell<Option<Recording>> = const { RefCell::new(None) };
}

fn recorder() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        RECORDING.with_borrow_mut(|recording| {
            let Some(recording) = recording else { return };
            match event {
                InstrumentationEvent::StartQuery { query, .. } => {
                    recording.statements.push(query.to_string());
                }
                InstrumentationEvent::CacheQuery { sql, .. } => {
                    recording.prepared.push(sql.to_owned());
                }
                _ => {}
            }
        });
    }))
}

/// What `work` made this thread's connections do.
fn record<T>(work: impl FnOnce() -> T) -> (T, Recording) {
    RECORDING.with_borrow_mut(|recording| *recording = Some(Recording::default()));
    let result = work();
    let recording = RECORDING.with_borrow_mut(Option::take).unwrap_or_default();
    (result, recording)
}

/// A statement as diesel sent it, without its binds, with each `$n` placeholder as `?`.
fn normalized_sent(statement: &str) -> String {
    let sql = statement
        .split_once(" -- binds:")
        .map_or(statement, |(sql, _)| sql);
    placeholders(sql, '$', |c| c.is_ascii_digit())
}

/// The SQL statements of a pgbench script (comments and `\` meta-commands left out), each `:variable` as `?`. The
/// branches of an `\if` must all hold the same statements, which count once.
fn normalized_script(script: &str) -> Vec<String> {
    let mut statements = Vec::new();
    // While inside an `\if`: the branches so far, each a list of statements.
    let mut branches: Option<Vec<Vec<String>>> = None;
    for line in script.lines().map(str::trim) {
        if line.starts_with("\\if") {
            branches = Some(vec![Vec::new()]);
        } else if line.starts_with("\\elif") || line.starts_with("\\else") {
            branches
                .as_mut()
                .expect("\\elif inside \\if")
                .push(Vec::new());
        } else if line.starts_with("\\endif") {
            let branches = branches.take().expect("\\endif after \\if");
            assert!(
                branches.windows(2).all(|pair| pair[0] == pair[1]),
                "the branches of an \\if differ: {branches:?}"
            );
            statements.extend(branches.into_iter().next().unwrap_or_default());
        } else if !line.is_empty() && !line.starts_with("--") && !line.starts_with('\\') {
            let sql = line.strip_suffix(';').unwrap_or(line);
            let sql = placeholders(sql, ':', |c| c.is_ascii_alphanumeric() || c == '_');
            match branches.as_mut().and_then(|b| b.last_mut()) {
                Some(branch) => branch.push(sql),
                None => statements.push(sql),
            }
        }
    }
    statements
}

/// `sql` with each `marker` followed by a name (characters `part` accepts) replaced by `?`.
fn placeholders(sql: &str, marker: char, part: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == marker && chars.peek().is_some_and(|&next| part(next)) {
            while chars.peek().is_some_and(|&next| part(next)) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn script(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "bench", "sql", name]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Why `bench/sql/{name}` and what the use case sent differ, if they do.
fn drift(name: &str, recording: &Recording, cached: &HashSet<String>) -> Option<String> {
    let sent: Vec<String> = recording
        .statements
        .iter()
        .map(|s| normalized_sent(s))
        .collect();
    if normalized_script(&script(name)) != sent {
        return Some(format!(
            "bench/sql/{name} no longer runs the statements the service sends, which are:\n{}",
            recording.statements.join("\n")
        ));
    }
    // BEGIN, COMMIT and the pool's check-out ping go as simple queries; every other statement is prepared once per
    // connection and reused.
    let uncached: Vec<&str> = recording
        .statements
        .iter()
        .filter_map(|s| s.split_once(" -- binds:").map(|(sql, _)| sql))
        .filter(|sql| *sql != "SELECT 1" && !cached.contains(*sql))
        .collect();
    (!uncached.is_empty() || !recording.prepared.is_empty()).then(|| {
        format!(
            "{name}: statements not served from the prepared-statement cache: {uncached:?}; prepared again: {:?}",
            recording.prepared
        )
    })
}

fn draft() -> OrderDraft {
    let item = |code: &str, price: &str| OrderItemDraft {
        product_code: Some(code.to_owned()),
        name: Some(format!("Item {code}")),
        unit_price: Some(price.to_owned()),
        quantity: Some("2".to_owned()),
    };
    OrderDraft {
        customer_id: Some("10001".to_owned()),
        restaurant_id: Some("20001".to_owned()),
        items: Some(vec![
            item("P-0", "2.50"),
            item("P-1", "3.50"),
            item("P-2", "4.50"),
        ]),
    }
}

#[test]
fn the_bench_scripts_run_the_statements_each_use_case_sends() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| set_default_instrumentation(recorder).unwrap());
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let options = PoolOptions {
        max_connections: 1,
        ..PoolOptions::default()
    };
    let database = Database::connect(database.url(), &options).unwrap();
    let service = CoreOrderService::new(database.repository(), SystemClock, UuidV7Generator);
    let place = || PlaceOrder {
        draft: draft(),
        idempotency_key: None,
    };
    let customer = ListOrders {
        filter: OrderFilter {
            customer_id: Some(CustomerId::new("10001").unwrap()),
            ..OrderFilter::default()
        },
        limit: PageSize::new(20).unwrap(),
        after: None,
    };
    let accept = |id: OrderId| ChangeStatus {
        id,
        status: OrderStatus::Accepted,
        expected_version: None,
    };
    // Every use case once on the pool's one connection, so each statement is prepared before the recorded runs.
    let (second, warm_up) = record(|| {
        let first = service.place_order(&Caller::Anyone, place()).unwrap().id;
        let second = service.place_order(&Caller::Anyone, place()).unwrap().id;
        service.find_order(&Caller::Anyone, &first).unwrap();
        service
            .change_status(&Caller::Anyone, accept(first))
            .unwrap();
        service
            .list_orders(&Caller::Anyone, customer.clone())
            .unwrap();
        second
    });
    let position = OrderPosition::of(&service.find_order(&Caller::Anyone, &second).unwrap());
    let deep = ListOrders {
        filter: OrderFilter::default(),
        limit: PageSize::new(20).unwrap(),
        after: Some(position),
    };
    let (_, deep_warm_up) = record(|| service.list_orders(&Caller::Anyone, deep.clone()).unwrap());
    let cached: HashSet<String> = warm_up
        .prepared
        .into_iter()
        .chain(deep_warm_up.prepared)
        .collect();

    let (placed, create) = record(|| service.place_order(&Caller::Anyone, place()));
    placed.unwrap();
    let (found, get) = record(|| service.find_order(&Caller::Anyone, &second));
    found.unwrap();
    let (changed, status) = record(|| service.change_status(&Caller::Anyone, accept(second)));
    assert_eq!(changed.unwrap().status(), OrderStatus::Accepted);
    let (page, list_customer) = record(|| service.list_orders(&Caller::Anyone, customer));
    assert_eq!(page.unwrap().orders.len(), 3);
    let (page, list_deep) = record(|| service.list_orders(&Caller::Anyone, deep));
    assert_eq!(page.unwrap().orders.len(), 1);

    let drifts: Vec<String> = [
        ("create.sql", &create),
        ("get.sql", &get),
        ("status.sql", &status),
        ("list_customer.sql", &list_customer),
        ("list_deep.sql", &list_deep),
    ]
    .into_iter()
    .filter_map(|(name, recording)| drift(name, recording, &cached))
    .collect();
    assert!(drifts.is_empty(), "{}", drifts.join("\n\n"));
}

#[test]
fn placeholders_become_question_marks() {
    assert_eq!(
        normalized_sent(r#"SELECT "a" FROM "t" WHERE "a" = $1 LIMIT $12 -- binds: [1, 2]"#),
        r#"SELECT "a" FROM "t" WHERE "a" = ? LIMIT ?"#
    );
    assert_eq!(
        normalized_script(
            "-- a comment\n\\set id 1 + :n\nSELECT \"a\" FROM \"t\" WHERE \"a\" = :id LIMIT :limit;\n"
        ),
        vec![r#"SELECT "a" FROM "t" WHERE "a" = ? LIMIT ?"#]
    );
    assert_eq!(
        normalized_script(
            "BEGIN;\n\\if :p = 0\nUPDATE t SET a = :x;\n\\else\nUPDATE t SET a = :y;\n\\endif\nCOMMIT;"
        ),
        vec!["BEGIN", "UPDATE t SET a = ?", "COMMIT"]
    );
}

#[test]
#[should_panic(expected = "the branches of an")]
fn the_branches_of_an_if_hold_the_same_statements() {
    normalized_script("\\if :p = 0\nUPDATE t SET a = :x;\n\\else\nDELETE FROM t;\n\\endif");
}
