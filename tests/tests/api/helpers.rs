//! `TestApp`: the real service, built by `app` on a free port against its own fresh database, with request helpers.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use adapters::inbound::TrustedProxies;
pub use adapters::persistence::test_database::TestDatabase;
use app::logging::LogFormat;
use app::{Application, Config, GrpcAddr};
use serde_json::{Value, json};

pub use crate::grpc_client::GrpcClient;

/// A response, read completely.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts a problem+json error with this status and code, carrying the response's request id.
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        let problem = self.json();
        assert_eq!(problem["code"], code, "{problem}");
        assert_eq!(problem["status"], status);
        assert_eq!(
            problem["request_id"].as_str(),
            self.header("x-request-id"),
            "{problem}"
        );
        problem
    }
}

/// The service, running on its own thread and actix system until dropped.
pub struct TestApp {
    pub base_url: String,
    /// The gRPC port, unless the configuration turned gRPC off.
    pub grpc_port: Option<u16>,
    agent: ureq::Agent,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl TestApp {
    /// Starts the service on `127.0.0.1:0` against `database`, and returns once it listens.
    pub fn spawn(database: &TestDatabase) -> Self {
        Self::spawn_with(database.url(), |_| {})
    }

    /// Starts the service against the database at `url`, with the test configuration as `edit` changes it.
    pub fn spawn_with(url: &str, edit: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config {
            command: None,
            http_addr: "127.0.0.1:0".parse().unwrap(),
            grpc_addr: GrpcAddr::On("127.0.0.1:0".parse().unwrap()),
            database_url: url.to_owned(),
            db_pool_size: Some(8),
            db_acquire_timeout_ms: 2000,
            db_statement_timeout_ms: 5000,
            idempotency_retention_secs: 86_400,
            breaker_failure_threshold: 5,
            breaker_open_ms: 5000,
            max_connections: None,
            request_body_timeout_secs: 10,
            request_header_timeout_secs: 5,
            http_workers: Some(2),
            log_format: LogFormat::Text,
            db_connect_timeout_secs: 5,
            shutdown_grace_secs: 0,
            shutdown_timeout_secs: 5,
            rate_limit_rps: None,
            rate_limit_burst: None,
            trusted_proxies: TrustedProxies::default(),
            auth_hs256_secret_file: None,
            auth_jwks_file: None,
            auth_issuer: None,
            auth_audience: None,
            insecure_no_auth: false,
            nats_url: None,
            events_subject_prefix: "orders.events".parse().unwrap(),
            events_source: "/ordersvc".parse().unwrap(),
            events_batch_size: 500,
            events_retention_secs: 0,
        };
        edit(&mut config);
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match Application::build(&config) {
                    Ok(application) => {
                        let ports = (application.port(), application.grpc_port());
                        sender.send(Ok((ports, application.handle()))).unwrap();
                        application.run().await.unwrap();
                    }
                    Err(error) => sender.send(Err(format!("{error:#}"))).unwrap(),
                }
            });
        });
        let ((port, grpc_port), handle) = receiver
            .recv()
            .unwrap()
            .unwrap_or_else(|e| panic!("the service did not start: {e}"));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            base_url: format!("http://127.0.0.1:{port}"),
            grpc_port,
            agent,
            handle,
            thread: Some(thread),
        }
    }

    /// Any request: `body` is sent as is, with `headers`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base_url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = match body {
            Some(body) => self.agent.run(request.body(body.to_owned()).unwrap()),
            None => self.agent.run(request.body(()).unwrap()),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {path} failed: {e}"));
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap();
        Reply {
            status: response.status().as_u16(),
            headers,
            body,
        }
    }

    /// A new gRPC client of this service.
    pub fn grpc(&self) -> GrpcClient {
        GrpcClient::connect(self.grpc_port.expect("gRPC is on"))
    }

    /// `POST /orders` with a JSON body.
    pub fn post_order(&self, body: &Value) -> Reply {
        self.request(
            "POST",
            "/orders",
            &[("Content-Type", "application/json")],
            Some(&body.to_string()),
        )
    }

    /// Places a valid order and returns its id.
    pub fn place(&self) -> String {
        let reply = self.post_order(&order_json());
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.json()["id"].as_str().unwrap().to_owned()
    }

    /// `GET /orders/{id}`.
    pub fn get_order(&self, id: &str) -> Reply {
        self.request("GET", &format!("/orders/{id}"), &[], None)
    }

    /// `POST /orders/status`, with an optional `If-Match`.
    pub fn change_status(&self, id: &str, status: &str, if_match: Option<&str>) -> Reply {
        let body = json!({"id": id, "status": status}).to_string();
        let mut headers = vec![("Content-Type", "application/json")];
        headers.extend(if_match.map(|v| ("If-Match", v)));
        self.request("POST", "/orders/status", &headers, Some(&body))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Close the client's idle keep-alive connections first: a graceful stop waits for open connections.
        self.agent = ureq::Agent::new_with_defaults();
        actix_web::rt::System::new().block_on(self.handle.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A valid order: two items, 2 x 9.99 + 1 x 0.50 = 20.48.
pub fn order_json() -> Value {
    json!({
        "customer_id": "customer-42",
        "restaurant_id": "restaurant-7",
        "order_items": [
            {"product_code": "pizza-margherita", "name": "Margherita", "unit_price": 9.99, "quantity": 2},
            {"product_code": "soda", "name": "Soda", "unit_price": 0.5, "quantity": 1}
        ]
    })
}

/// Runs each test function against a fresh service on a fresh SQLite file and on a fresh PostgreSQL database.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $test() {
                let database = $crate::helpers::TestDatabase::sqlite();
                let app = $crate::helpers::TestApp::spawn(&database);
                super::$test(&app, &database);
            })*
        }

        mod postgres {
            $(#[test]
            fn $test() {
                let Some(database) = $crate::helpers::TestDatabase::postgres() else { return };
                let app = $crate::helpers::TestApp::spawn(&database);
                super::$test(&app, &database);
            })*
        }
    };
}
pub(crate) use on_both_backends;

/// Runs each test function with a fresh SQLite file and with a fresh PostgreSQL database; the test starts the
/// services it needs itself (several, or the binary with settings of its own).
macro_rules! with_a_database_on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $test() {
                super::$test(&$crate::helpers::TestDatabase::sqlite());
            })*
        }

        mod postgres {
            $(#[test]
            fn $test() {
                let Some(database) = $crate::helpers::TestDatabase::postgres() else { return };
                super::$test(&database);
            })*
        }
    };
}
pub(crate) use with_a_database_on_both_backends;

/// A port nobody listens on, below Linux's ephemeral range (32768..=60999): an instance (of the service, of NATS)
/// gets the same port again when it restarts, and the kernel never picks it for an outgoing connection while the
/// instance is down (as it could a port that binding port 0 had handed out).
pub fn free_port() -> u16 {
    const FIRST: u16 = 20_000;
    const COUNT: u16 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Test runs side by side (other worktrees, other checkouts) start apart.
    let offset = std::process::id() % 600 * 20;
    let next = || (offset + NEXT.fetch_add(1, Ordering::Relaxed)) % u32::from(COUNT);
    (0..COUNT)
        .map(|_| FIRST + u16::try_from(next()).unwrap())
        .find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port between 20000 and 32000")
}
