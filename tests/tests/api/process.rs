//! The `ordersvc` binary itself: configuration errors, and a graceful stop on SIGTERM and SIGINT that lets an
//! in-flight request finish.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use crate::helpers::{TestDatabase, order_json};
use crate::tcp_proxy::{TcpProxy, address_of, via_port};

/// The `ordersvc` binary of this build profile, brought up to date once per test run (`cargo test -p tests` alone
/// would not rebuild it; when it is fresh this costs a fraction of a second).
pub(crate) fn ordersvc() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            let exe = std::env::current_exe().unwrap();
            let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut build = Command::new(cargo);
            build.args(["build", "--quiet", "-p", "app", "--bin", "ordersvc"]);
            if profile_dir.ends_with("release") {
                build.arg("--release");
            }
            assert!(build.status().unwrap().success(), "cannot build ordersvc");
            profile_dir.join(format!("ordersvc{}", std::env::consts::EXE_SUFFIX))
        })
        .clone()
}

/// A running `ordersvc` process, the ports it logged (HTTP, and gRPC unless it is off), and its log lines. Dropping
/// it kills the process, so a test that fails half-way leaves none behind.
pub(crate) struct Process {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) grpc_port: Option<u16>,
    pub(crate) logs: mpsc::Receiver<String>,
}

impl Drop for Process {
    fn drop(&mut self) {
        // Harmless when it has exited already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port (or where `env` sets `HTTP_ADDR`) with `env` (besides the database) and waits
/// until it logs where it listens.
pub(crate) fn start(database_url: &str, env: &[(&str, &str)]) -> Process {
    spawn(Command::new(ordersvc()), database_url, env)
}

/// [`start`], with the process's file descriptor limit (soft and hard) set to `limit`.
pub(crate) fn start_with_descriptor_limit(
    database_url: &str,
    env: &[(&str, &str)],
    limit: u32,
) -> Process {
    let mut command = Command::new("/bin/sh");
    // `exec` keeps the pid, so killing the process kills ordersvc.
    command
        .arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\""))
        .arg(ordersvc());
    spawn(command, database_url, env)
}

fn spawn(mut command: Command, database_url: &str, env: &[(&str, &str)]) -> Process {
    command
        .env_clear()
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("GRPC_ADDR", "127.0.0.1:0")
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "info");
    command
        .env("SHUTDOWN_GRACE_SECS", "0")
        .envs(env.iter().copied());
    let mut child = command
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (lines, logs) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    // gRPC starts serving before HTTP, so its line comes first.
    let mut grpc_port = None;
    let line = loop {
        let line = wait_for_line(&logs, "", Duration::from_secs(30));
        if line.contains("serving gRPC on ") {
            grpc_port = Some(port_after(&line, "serving gRPC on "));
        }
        if line.contains("listening on ") {
            break line;
        }
    };
    let port = port_after(&line, "listening on ");
    Process {
        child,
        port,
        grpc_port,
        logs,
    }
}

/// The port of the address after `needle` in `line`: `listening on 127.0.0.1:PORT`, at the end of a text line or
/// inside a JSON string.
fn port_after(line: &str, needle: &str) -> u16 {
    line.split(needle)
        .nth(1)
        .and_then(|rest| rest.split(['"', ' ']).next())
        .and_then(|address| address.rsplit(':').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

/// The first log line containing `needle`, waiting at most `timeout`.
pub(crate) fn wait_for_line(
    logs: &mpsc::Receiver<String>,
    needle: &str,
    timeout: Duration,
) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match logs.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => {}
            Err(_) => panic!("ordersvc logged no line with {needle:?} within {timeout:?}"),
        }
    }
}

/// One request on a fresh connection: status and body.
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("http://127.0.0.1:{port}{path}"))
        .header("Content-Type", "application/json");
    let mut response = match body {
        Some(body) => agent.run(request.body(body.to_owned()).unwrap()),
        None => agent.run(request.body(()).unwrap()),
    }
    .unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

pub(crate) fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

pub(crate) fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("ordersvc did not exit within 10 s of the signal");
}

/// On one connection: a whole request (so a worker surely owns the connection), then the head and half the body of
/// a second; the process is signalled; then the rest is sent. The second request must complete.
fn an_in_flight_request_completes_after(signal_name: &str) {
    let database = TestDatabase::sqlite();
    let mut process = start(database.url(), &[]);
    let mut stream = TcpStream::connect(("127.0.0.1", process.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut head = [0; 512];
    let read = stream.read(&mut head).unwrap();
    assert!(
        head[..read].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&head[..read])
    );

    let body = order_json().to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let length = body.len();
    write!(
        stream,
        "POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{first}"
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    signal(&process.child, signal_name);
    wait_for_line(&process.logs, "received", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(200));
    stream.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    let read = stream.read_to_string(&mut response);
    let logs: Vec<String> = process.logs.try_iter().collect();
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "{read:?} {response:?} {logs:#?}"
    );
    assert!(
        wait_for_exit(&mut process.child).success(),
        "ordersvc exited with a failure after {signal_name}"
    );
    assert_eq!(database.row_count("orders"), 1);
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_and_exits_zero() {
    an_in_flight_request_completes_after("TERM");
}

#[test]
fn sigint_drains_like_sigterm() {
    an_in_flight_request_completes_after("INT");
}

#[test]
fn bad_configuration_exits_non_zero_with_one_clear_line() {
    for (name, value, expected) in [
        ("HTTP_ADDR", "nowhere", "invalid value 'nowhere'"),
        ("DB_POOL_SIZE", "0", "invalid value '0'"),
        (
            "DATABASE_URL",
            "mysql://h/db",
            "unsupported database URL scheme",
        ),
        (
            "DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
            "cannot connect to the database",
        ),
    ] {
        let output = Command::new(ordersvc())
            .env_clear()
            .env("HTTP_ADDR", "127.0.0.1:0")
            .env("GRPC_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "off")
            .env("DB_CONNECT_TIMEOUT_SECS", "1")
            .env(name, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name}={value} started");
        assert_eq!(stderr.lines().count(), 1, "{name}={value}: {stderr}");
        assert!(
            stderr.starts_with("ordersvc: ") && stderr.contains(expected),
            "{name}={value}: {stderr}"
        );
    }
}

#[test]
fn during_the_grace_period_readiness_fails_while_orders_are_still_served() {
    let database = TestDatabase::sqlite();
    let mut process = start(database.url(), &[("SHUTDOWN_GRACE_SECS", "3")]);
    assert_eq!(http(process.port, "GET", "/readyz", None).0, 200);
    signal(&process.child, "TERM");
    wait_for_line(&process.logs, "readiness fails now", Duration::from_secs(5));
    let (status, body) = http(process.port, "GET", "/readyz", None);
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("\"code\":\"unavailable\"") && body.contains("draining"),
        "{body}"
    );
    assert_eq!(http(process.port, "GET", "/healthz", None).0, 200);
    let (status, body) = http(
        process.port,
        "POST",
        "/orders",
        Some(&order_json().to_string()),
    );
    assert_eq!(status, 201, "{body}");
    assert!(wait_for_exit(&mut process.child).success());
    assert_eq!(database.row_count("orders"), 1);
}

#[test]
fn at_start_the_service_waits_for_an_unreachable_database() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let proxy = TcpProxy::start(&address_of(database.url()), true);
    let url = via_port(database.url(), proxy.port());
    let (lines, logs) = mpsc::channel();
    let mut child = Command::new(ordersvc())
        .env_clear()
        .envs([
            ("HTTP_ADDR", "127.0.0.1:0"),
            ("GRPC_ADDR", "127.0.0.1:0"),
            ("DATABASE_URL", url.as_str()),
            ("RUST_LOG", "warn,app=info"),
            ("SHUTDOWN_GRACE_SECS", "0"),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .for_each(|l| drop(lines.send(l)))
    });
    wait_for_line(
        &logs,
        "database unreachable (attempt 2)",
        Duration::from_secs(10),
    );
    proxy.restore();
    wait_for_line(&logs, "listening on", Duration::from_secs(15));
    signal(&child, "TERM");
    let status = wait_for_exit(&mut child);
    let rest: Vec<String> = logs.try_iter().collect();
    assert!(status.success(), "{status}: {rest:#?}");
}

#[test]
fn json_logs_are_one_object_per_line_with_the_access_fields() {
    let database = TestDatabase::sqlite();
    let mut process = start(
        database.url(),
        &[("LOG_FORMAT", "json"), ("RUST_LOG", "info")],
    );
    let (status, _) = http(
        process.port,
        "POST",
        "/orders",
        Some(&order_json().to_string()),
    );
    assert_eq!(status, 201);
    let access = wait_for_line(
        &process.logs,
        "\"target\":\"access\"",
        Duration::from_secs(5),
    );
    signal(&process.child, "TERM");
    assert!(wait_for_exit(&mut process.child).success());
    let mut lines: Vec<String> = vec![access.clone()];
    lines.extend(process.logs.try_iter());
    for line in &lines {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            object["ts"].is_string() && object["level"].is_string(),
            "{line}"
        );
    }
    let access: serde_json::Value = serde_json::from_str(&access).unwrap();
    assert_eq!(
        (access["method"].as_str(), access["route"].as_str()),
        (Some("POST"), Some("/orders"))
    );
    assert_eq!(access["status"], 201);
    assert!(
        access["duration_ms"].is_number()
            && access["request_id"].is_string()
            && access["peer"].is_string()
    );
}

/// The environment the running process has, read from `/proc`.
fn environment_of(child: &Child) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    raw.split(|byte| *byte == 0)
        .map(|entry| String::from_utf8_lossy(entry).into_owned())
        .collect()
}

#[test]
fn the_process_tunes_glibc_malloc_unless_the_environment_chose() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &[]);
    // Same pid, same arguments: the process started again in place with the variables set.
    let environment = environment_of(&process.child);
    for setting in [
        "MALLOC_ARENA_MAX=2",
        "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072",
    ] {
        assert!(
            environment.contains(&setting.to_owned()),
            "{setting} not in {environment:?}"
        );
    }
    let name = std::fs::read_to_string(format!("/proc/{}/comm", process.child.id())).unwrap();
    assert_eq!(name.trim(), "ordersvc", "the process keeps its name");
    assert_eq!(http(process.port, "GET", "/healthz", None).0, 200);
    drop(process);

    let chosen = start(database.url(), &[("MALLOC_ARENA_MAX", "8")]);
    let environment = environment_of(&chosen.child);
    assert!(
        environment.contains(&"MALLOC_ARENA_MAX=8".to_owned()),
        "{environment:?}"
    );
    assert!(!environment.contains(&"MALLOC_ARENA_MAX=2".to_owned()));
    // The one it lacked is set all the same.
    assert!(environment.contains(&"GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072".to_owned()));
}
