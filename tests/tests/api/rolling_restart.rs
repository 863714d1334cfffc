//! A rolling restart behind HAProxy loses nothing: two `ordersvc` processes on one PostgreSQL database, behind an
//! HAProxy configured by `deploy/haproxy.cfg`, serve a steady client load while each is restarted in turn (SIGTERM,
//! drain, exit 0, start again on its port). Every request succeeds and every acknowledged order is stored once. The
//! instances run with keys, as in production; the clients are a customer with its token.

mod haproxy;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use self::haproxy::{HaProxy, haproxy_binary};
use crate::auth::Keys;
use crate::helpers::{TestDatabase, free_port, order_json};
use crate::process::{Process, signal, start, wait_for_exit, wait_for_line};

/// Each instance's grace period: how long it serves with `/readyz` failing before it stops accepting.
const GRACE_SECS: &str = "2";

/// The test's health-check timing, replacing `deploy/haproxy.cfg`'s: a draining instance is out of rotation at most
/// 300 + 150 ms after SIGTERM (`inter + (fall - 1) * fastinter`, with the file's `fall 2`), well within the 2 s grace.
const CHECK_TIMING: [(&str, &str); 3] = [
    ("inter", "300ms"),
    ("fastinter", "150ms"),
    ("downinter", "300ms"),
];

/// Client threads, each creating an order and reading it back, over and over.
const CLIENTS: usize = 3;

#[test]
fn a_rolling_restart_behind_haproxy_fails_no_request_and_loses_no_order() {
    let Some(haproxy) = haproxy_binary() else {
        return;
    };
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let ports = [free_port(), free_port()];
    let keys = Keys::new();
    let mut instances = ports.map(|port| start_instance(database.url(), port, &keys));
    let balancer = HaProxy::start(&haproxy, &ports);
    // The customer of `order_json`.
    let load = Load::start(balancer.port, &keys.mint("customer", "customer-42"));

    instances.iter().for_each(wait_until_routed);
    for (instance, port) in instances.iter_mut().zip(ports) {
        signal(&instance.child, "TERM");
        let status = wait_for_exit(&mut instance.child);
        assert!(status.success(), "instance on {port} exited with {status}");
        *instance = start_instance(database.url(), port, &keys);
        // Only once HAProxy routes to it again may the next instance stop.
        wait_until_routed(instance);
    }
    let (acknowledged, failures) = load.stop();

    assert!(
        failures.is_empty(),
        "{} requests failed ({} orders acknowledged): {failures:#?}\nHAProxy: {:#?}",
        failures.len(),
        acknowledged.len(),
        balancer.unusual_log_lines()
    );
    // As many rows as acknowledgements, and each acknowledged id among them: every order stored exactly once.
    let rows = database.row_count("orders");
    assert_eq!(
        rows,
        i64::try_from(acknowledged.len()).unwrap(),
        "rows vs acknowledged orders"
    );
    let stored: HashSet<String> = database.order_ids().into_iter().collect();
    assert_eq!(stored, acknowledged.into_iter().collect::<HashSet<_>>());
}

/// `ordersvc` on `127.0.0.1:<port>` with `keys`, with a short grace period.
fn start_instance(database_url: &str, port: u16, keys: &Keys) -> Process {
    let address = format!("127.0.0.1:{port}");
    let auth = keys.env();
    let mut env = vec![
        ("HTTP_ADDR", address.as_str()),
        ("SHUTDOWN_GRACE_SECS", GRACE_SECS),
        ("HTTP_WORKERS", "2"),
        ("DB_POOL_SIZE", "4"),
    ];
    env.extend(
        auth.iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );
    start(database_url, &env)
}

/// Waits until HAProxy sends the instance client requests (its access log shows one), so it is in rotation.
fn wait_until_routed(instance: &Process) {
    wait_for_line(&instance.logs, "route=/orders", Duration::from_secs(15));
}

/// A client with its own keep-alive connections, answering every status as a response, never hanging.
fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// Client threads creating orders through HAProxy and reading each back, until stopped (or dropped).
struct Load {
    stop: Arc<AtomicBool>,
    clients: Vec<JoinHandle<Tally>>,
}

/// What one client saw: the ids of the orders acknowledged with 201, and a line per failed request.
#[derive(Default)]
struct Tally {
    acknowledged: Vec<String>,
    failures: Vec<String>,
}

impl Load {
    fn start(port: u16, token: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let bearer = format!("Bearer {token}");
        let clients = (0..CLIENTS)
            .map(|_| {
                let (stop, bearer) = (Arc::clone(&stop), bearer.clone());
                std::thread::spawn(move || run_client(port, &bearer, &stop))
            })
            .collect();
        Self { stop, clients }
    }

    /// Stops the clients; returns the acknowledged order ids and the failures.
    fn stop(mut self) -> (Vec<String>, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        let mut total = Tally::default();
        for client in self.clients.drain(..) {
            let tally = client.join().unwrap();
            total.acknowledged.extend(tally.acknowledged);
            total.failures.extend(tally.failures);
        }
        (total.acknowledged, total.failures)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// One client: create an order, read it back, pause a little (so two cores also serve the instances), again.
fn run_client(port: u16, bearer: &str, stop: &AtomicBool) -> Tally {
    let (agent, base) = (client(), format!("http://127.0.0.1:{port}"));
    let body = order_json().to_string();
    let mut tally = Tally::default();
    while !stop.load(Ordering::SeqCst) {
        match create_order(&agent, &base, bearer, &body) {
            Ok(id) => {
                if let Err(failure) = read_order(&agent, &base, bearer, &id) {
                    tally.failures.push(failure);
                }
                tally.acknowledged.push(id);
            }
            Err(failure) => tally.failures.push(failure),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    tally
}

/// `POST /orders`: the new id on 201, else what went wrong.
fn create_order(
    agent: &ureq::Agent,
    base: &str,
    bearer: &str,
    body: &str,
) -> Result<String, String> {
    let sent = agent
        .post(format!("{base}/orders"))
        .header("Authorization", bearer)
        .header("Content-Type", "application/json")
        .send(body);
    let mut response = sent.map_err(|error| format!("POST /orders: {error}"))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    if status != 201 {
        return Err(format!("POST /orders: {status} {text}"));
    }
    let reply: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("POST /orders: {e}: {text}"))?;
    reply["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("POST /orders: no id in {text}"))
}

/// `GET /orders/{id}`: 200 with that order, else what went wrong.
fn read_order(agent: &ureq::Agent, base: &str, bearer: &str, id: &str) -> Result<(), String> {
    let sent = agent
        .get(format!("{base}/orders/{id}"))
        .header("Authorization", bearer)
        .call();
    let mut response = sent.map_err(|error| format!("GET /orders/{id}: {error}"))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    if status == 200 && text.contains(id) {
        Ok(())
    } else {
        Err(format!("GET /orders/{id}: {status} {text}"))
    }
}
