//! The `ordersvc` binary itself: configuration errors, and a graceful stop on SIGTERM and SIGINT that lets an
//! in-flight request finish.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use crate::helpers::{TestDatabase, order_json};

/// The `ordersvc` binary of this build profile, brought up to date once per test run (`cargo test -p tests` alone
/// would not rebuild it; when it is fresh this costs a fraction of a second).
fn ordersvc() -> PathBuf {
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

/// Starts the binary on a free port and returns it with the port it logged.
fn start(database: &TestDatabase) -> (Child, u16, mpsc::Receiver<String>) {
    let mut child = Command::new(ordersvc())
        .env_clear()
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("DATABASE_URL", database.url())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (lines, receiver) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let port = loop {
        let line = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("ordersvc logged no 'listening on'");
        if let Some(address) = line.split("listening on ").nth(1) {
            break address.rsplit(':').next().unwrap().trim().parse().unwrap();
        }
    };
    (child, port, receiver)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("ordersvc did not exit within 10 s of the signal");
}

/// Sends a request's head and half its body, signals the process, then sends the rest: the request must complete.
fn an_in_flight_request_completes_after(signal_name: &str) {
    let database = TestDatabase::sqlite();
    let (mut child, port, _logs) = start(&database);
    let body = order_json().to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, signal_name);
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(
        wait_for_exit(&mut child).success(),
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
            .env("RUST_LOG", "off")
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
