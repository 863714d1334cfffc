//! Order events, end to end: the service with `NATS_URL` set publishes every acknowledged change to the stream
//! `ORDERS` of a NATS the test starts, exactly once, in each order's version order, and nothing for a refusal, a
//! replay or a no-op; through a NATS outage, a `kill -9` and two instances on one database. Every message is checked
//! against the events' JSON Schema.

pub(crate) mod broker;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use self::broker::{Nats, Published};
use crate::helpers::{TestApp, TestDatabase, order_json};
use crate::process;

/// How long a test waits for events that should be published within a poll or two.
const SOON: Duration = Duration::from_secs(15);

fn schema() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!(
        "../../../schemas/events/order-event.schema.json"
    ))
    .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn with_events(database: &TestDatabase, nats: &Nats) -> TestApp {
    let url = nats.url();
    TestApp::spawn_with(database.url(), move |config| config.nats_url = Some(url))
}

/// Checks what a consumer relies on, and returns each order's events in stream order: every message valid, its
/// `Nats-Msg-Id` its event id, no event twice, and each order's versions 1, 2, 3... in stream order, each status
/// change starting where the last event left the order.
fn published_once_in_order(messages: &[Published]) -> HashMap<String, Vec<Published>> {
    let validator = schema();
    let mut ids = HashSet::new();
    let mut by_order: HashMap<String, Vec<Published>> = HashMap::new();
    for message in messages {
        let event = &message.event;
        let errors: Vec<String> = validator
            .iter_errors(event)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?} in {event}");
        assert_eq!(event["id"].as_str(), Some(message.message_id.as_str()));
        // These services do not trace, so no event carries a trace context (tracing.rs has those that do).
        assert!(
            event.get("traceparent").is_none() && message.traceparent.is_none(),
            "{event}"
        );
        assert!(
            ids.insert(message.message_id.clone()),
            "published twice: {event}"
        );
        let kind = event["type"]
            .as_str()
            .unwrap()
            .trim_start_matches("orders.v1.");
        assert_eq!(message.subject, format!("orders.events.{kind}"));
        by_order
            .entry(message.order_id().to_owned())
            .or_default()
            .push(message.clone());
    }
    for (order, events) in &by_order {
        let versions: Vec<u64> = events.iter().map(Published::version).collect();
        let expected: Vec<u64> = (1..=events.len() as u64).collect();
        assert_eq!(versions, expected, "order {order} out of order");
        for pair in events.windows(2) {
            let (before, after) = (&pair[0].event, &pair[1].event);
            assert_eq!(after["data"]["from"], before["data"]["order"]["status"]);
        }
    }
    by_order
}

/// After the expected events, a little longer, in case something else comes.
fn exactly(nats: &Nats, count: usize) -> Vec<Published> {
    nats.wait_for(count, SOON);
    std::thread::sleep(Duration::from_millis(500));
    let messages = nats.messages();
    assert_eq!(
        messages.len(),
        count,
        "{:#?}",
        messages.iter().map(|m| &m.event).collect::<Vec<_>>()
    );
    messages
}

fn keyed_order(app: &TestApp, key: &str) -> crate::helpers::Reply {
    app.request(
        "POST",
        "/orders",
        &[
            ("Content-Type", "application/json"),
            ("Idempotency-Key", key),
        ],
        Some(&order_json().to_string()),
    )
}

fn every_change_is_published_once_and_nothing_for_refusals_replays_or_no_ops(
    database: &TestDatabase,
) {
    let nats = Nats::start();
    let app = with_events(database, &nats);
    let first = app.place();
    let keyed = keyed_order(&app, "retry-1");
    assert_eq!(keyed.status, 201, "{}", keyed.body);
    let keyed = keyed.json()["id"].as_str().unwrap().to_owned();
    let over_grpc = app.grpc().place();
    // Refused or replayed: nothing new happens, so nothing is told.
    let replay = keyed_order(&app, "retry-1");
    assert_eq!(replay.json()["id"].as_str(), Some(keyed.as_str()));
    let mut invalid = order_json();
    invalid["customer_id"] = json!("");
    assert_eq!(app.post_order(&invalid).status, 422);
    // Moves, a same-status retry, a forbidden transition and a stale If-Match.
    assert_eq!(app.change_status(&first, "Accepted", None).status, 200);
    assert_eq!(app.change_status(&first, "Preparing", None).status, 200);
    assert_eq!(app.change_status(&first, "Preparing", None).status, 200);
    assert_eq!(app.change_status(&first, "Pending", None).status, 409);
    assert_eq!(
        app.change_status(&keyed, "Accepted", Some("\"7\"")).status,
        412
    );
    // Both transports run the same use cases, so the events do not depend on which carried the request.
    let cancel = adapters::grpc::proto::orders::v1::ChangeStatusRequest {
        id: over_grpc.clone(),
        status: adapters::grpc::proto::orders::v1::OrderStatus::Cancelled.into(),
        expected_version: None,
    };
    app.grpc().change_status(cancel).unwrap();

    let messages = exactly(&nats, 6);
    let by_order = published_once_in_order(&messages);
    let kinds = |id: &str| -> Vec<String> {
        by_order[id]
            .iter()
            .map(|m| m.event["type"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        kinds(&first),
        [
            "orders.v1.order_placed",
            "orders.v1.order_status_changed",
            "orders.v1.order_status_changed"
        ]
    );
    assert_eq!(kinds(&keyed), ["orders.v1.order_placed"]);
    assert_eq!(kinds(&over_grpc).len(), 2);
    // The last event of each order shows it exactly as GET does now; the CloudEvents attributes name it.
    for id in [&first, &keyed, &over_grpc] {
        let last = by_order[id.as_str()].last().unwrap();
        assert_eq!(
            last.event["data"]["order"],
            app.get_order(id).json()["order"]
        );
        assert_eq!(last.event["subject"], json!(id));
        assert_eq!(last.event["source"], "/ordersvc");
    }
    let accepted = &by_order[first.as_str()][1].event["data"];
    assert_eq!(
        (
            &accepted["from"],
            &accepted["to"],
            &accepted["order"]["status"]
        ),
        (&json!("Pending"), &json!("Accepted"), &json!("Accepted"))
    );
    // The stream as the service made it.
    let config = nats.stream_config();
    assert_eq!(config.subjects, ["orders.events.>"]);
    assert_eq!(
        config.storage,
        async_nats::jetstream::stream::StorageType::File
    );
    assert!(config.duplicate_window >= Duration::from_secs(120));
    // And what the operator sees.
    let metrics = app.request("GET", "/metrics", &[], None).body;
    for line in [
        "ordersvc_events_published_total 6",
        "ordersvc_event_publish_errors_total 0",
        "ordersvc_events_relay_lag_seconds_count 6",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line:?} in\n{metrics}"
        );
    }
}

fn while_nats_is_down_orders_are_accepted_and_their_events_go_out_when_it_is_back(
    database: &TestDatabase,
) {
    let mut nats = Nats::start();
    let app = with_events(database, &nats);
    let before: Vec<String> = (0..3).map(|_| app.place()).collect();
    nats.wait_for(3, SOON);
    nats.stop();
    let mut during = Vec::new();
    for n in 0..20 {
        let id = app.place();
        if n % 2 == 0 {
            assert_eq!(app.change_status(&id, "Accepted", None).status, 200);
        }
        during.push(id);
    }
    assert_eq!(app.change_status(&before[0], "Rejected", None).status, 200);
    assert_eq!(app.request("GET", "/readyz", &[], None).status, 200);
    // The backlog shows what waits (read every second).
    let deadline = std::time::Instant::now() + SOON;
    while backlog(&app) < 30.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "backlog {}",
            backlog(&app)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    nats.resume();
    // 3 before, 20 placed and 10 moved during the outage, 1 more move.
    let messages = exactly(&nats, 3 + 20 + 10 + 1);
    let by_order = published_once_in_order(&messages);
    assert!(
        during
            .iter()
            .chain(&before)
            .all(|id| by_order.contains_key(id))
    );
}

fn backlog(app: &TestApp) -> f64 {
    let metrics = app.request("GET", "/metrics", &[], None).body;
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("ordersvc_outbox_backlog_events "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn after_a_kill_9_under_load_every_acknowledged_order_is_published(database: &TestDatabase) {
    let nats = Nats::start();
    let env = [("NATS_URL", nats.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut first = process::start(database.url(), &env);
    let load = Load::start(first.port);
    std::thread::sleep(Duration::from_millis(1500));
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let acknowledged = load.finish();
    assert!(
        acknowledged.len() > 20,
        "too little load: {}",
        acknowledged.len()
    );
    let _second = process::start(database.url(), &env);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let messages = nats.messages();
        let published: HashSet<&str> = messages.iter().map(Published::order_id).collect();
        let missing = acknowledged
            .iter()
            .filter(|id| !published.contains(id.as_str()))
            .count();
        if missing == 0 {
            published_once_in_order(&messages);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{missing} acknowledged orders were never published"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn on_sigterm_the_relay_publishes_what_the_last_requests_left_and_the_process_exits_zero(
    database: &TestDatabase,
) {
    let nats = Nats::start();
    let url = nats.url();
    let mut service = process::start(database.url(), &[("NATS_URL", url.as_str())]);
    let load = Load::start(service.port);
    std::thread::sleep(Duration::from_millis(800));
    // Under load, without waiting for the relay: what it has not published yet, it publishes before it exits.
    process::signal(&service.child, "TERM");
    assert!(process::wait_for_exit(&mut service.child).success());
    let acknowledged = load.finish();
    assert!(
        acknowledged.len() > 10,
        "too little load: {}",
        acknowledged.len()
    );
    let messages = nats.messages();
    let published: HashSet<&str> = messages.iter().map(Published::order_id).collect();
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !published.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} never published",
        missing.len(),
        acknowledged.len()
    );
    published_once_in_order(&messages);
}

/// Four clients placing orders on one instance until it stops answering.
struct Load {
    acknowledged: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    clients: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(port: u16) -> Self {
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let clients = (0..4)
            .map(|_| {
                let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
                std::thread::spawn(move || place_until_refused(port, &acknowledged, &stop))
            })
            .collect();
        Self {
            acknowledged,
            stop,
            clients,
        }
    }

    /// Stops the clients; the ids of every order the service acknowledged.
    fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        for client in self.clients {
            client.join().unwrap();
        }
        self.acknowledged.lock().unwrap().clone()
    }
}

/// Places orders on `port` until the service stops answering; records each acknowledged id.
fn place_until_refused(port: u16, acknowledged: &Mutex<Vec<String>>, stop: &AtomicBool) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let body = order_json().to_string();
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut response) = agent
            .post(format!("http://127.0.0.1:{port}/orders"))
            .header("Content-Type", "application/json")
            .send(body.as_str())
        else {
            return;
        };
        if response.status() != 201 {
            continue;
        }
        let Ok(text) = response.body_mut().read_to_string() else {
            return;
        };
        let reply: Value = serde_json::from_str(&text).unwrap();
        acknowledged
            .lock()
            .unwrap()
            .push(reply["id"].as_str().unwrap().to_owned());
    }
}

#[test]
fn two_instances_on_one_postgres_database_publish_every_event_once_in_order() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let nats = Nats::start();
    let apps = [with_events(&database, &nats), with_events(&database, &nats)];
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let apps = &apps;
            scope.spawn(move || {
                for n in 0..10 {
                    // Each step on the other instance than the last.
                    let turn = worker + n;
                    let id = apps[turn % 2].place();
                    for (step, status) in ["Accepted", "Preparing", "ReadyForPickup"]
                        .iter()
                        .enumerate()
                    {
                        let reply = apps[(turn + step + 1) % 2].change_status(&id, status, None);
                        assert_eq!(reply.status, 200, "{}", reply.body);
                    }
                }
            });
        }
    });
    let messages = exactly(&nats, 4 * 10 * 4);
    let by_order = published_once_in_order(&messages);
    assert_eq!(by_order.len(), 40);
    assert!(by_order.values().all(|events| events.len() == 4));
}

#[test]
fn without_nats_url_no_event_is_recorded() {
    let database = TestDatabase::sqlite();
    let id = {
        let quiet = TestApp::spawn(&database);
        let id = quiet.place();
        assert_eq!(quiet.change_status(&id, "Accepted", None).status, 200);
        id
    };
    // Turned on later, the relay finds nothing of what happened before.
    let nats = Nats::start();
    let app = with_events(&database, &nats);
    assert_eq!(app.change_status(&id, "Preparing", None).status, 200);
    let messages = exactly(&nats, 1);
    assert_eq!(messages[0].event["data"]["order"]["version"], 3);
}

crate::helpers::with_a_database_on_both_backends!(
    every_change_is_published_once_and_nothing_for_refusals_replays_or_no_ops,
    while_nats_is_down_orders_are_accepted_and_their_events_go_out_when_it_is_back,
    after_a_kill_9_under_load_every_acknowledged_order_is_published,
    on_sigterm_the_relay_publishes_what_the_last_requests_left_and_the_process_exits_zero,
);
