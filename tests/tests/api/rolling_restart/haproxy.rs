//! HAProxy for the rolling restart test: `deploy/haproxy.cfg` rendered for the test's instances, run as a child
//! process that is killed when dropped.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{CHECK_TIMING, client};
use crate::helpers::free_port;

/// `haproxy` on the `PATH` or where Debian installs it; when there is none the test fails in CI (`CI=true`) and is
/// skipped, loudly, elsewhere.
pub(super) fn haproxy_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|directory| directory.join("haproxy"))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "HAProxy is required in CI but no haproxy binary was found"
        );
        eprintln!("SKIPPED: no haproxy binary found; the rolling restart test did not run");
    }
    found
}

/// An HAProxy process, killed when dropped, with its log lines.
pub(super) struct HaProxy {
    child: Child,
    pub(super) port: u16,
    config: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
}

impl HaProxy {
    /// Starts HAProxy on a free port over instances on `servers` (loopback ports), and waits until it routes.
    pub(super) fn start(binary: &Path, servers: &[u16]) -> Self {
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy.cfg");
        let port = free_port();
        let config = std::env::temp_dir().join(format!(
            "ordersvc_haproxy_{}_{port}.cfg",
            std::process::id()
        ));
        std::fs::write(
            &config,
            render(&std::fs::read_to_string(template).unwrap(), port, servers),
        )
        .unwrap();
        let mut child = Command::new(binary)
            .args(["-db", "-f"])
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        collect_lines(child.stdout.take().unwrap(), &log);
        collect_lines(child.stderr.take().unwrap(), &log);
        let haproxy = Self {
            child,
            port,
            config,
            log,
        };
        haproxy.wait_until_it_routes();
        haproxy
    }

    /// Polls `GET /readyz` through HAProxy until an instance answers 200.
    fn wait_until_it_routes(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while ready_status(self.port) != Some(200) {
            assert!(
                Instant::now() < deadline,
                "HAProxy did not route: {:#?}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Log lines that are not a successful request: server state changes, warnings, failed requests.
    pub(super) fn unusual_log_lines(&self) -> Vec<String> {
        let log = self.log.lock().unwrap();
        log.iter()
            .filter(|line| !line.contains(" 200 ") && !line.contains(" 201 "))
            .cloned()
            .collect()
    }
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config);
    }
}

/// `deploy/haproxy.cfg` for this test: HAProxy listens on `127.0.0.1:<port>`, balances over `servers` on loopback
/// and checks at [`CHECK_TIMING`]; every other line as written.
fn render(template: &str, port: u16, servers: &[u16]) -> String {
    let mut config = String::new();
    let (mut binds, mut servers_written) = (0, false);
    for line in template.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first().copied() {
            Some("bind") => {
                binds += 1;
                writeln!(config, "{indent}bind 127.0.0.1:{port}").unwrap();
            }
            Some("server") if !servers_written => {
                servers_written = true;
                for (number, server) in (1..).zip(servers) {
                    writeln!(config, "{indent}server ordersvc{number} 127.0.0.1:{server}").unwrap();
                }
            }
            Some("server") => {}
            Some("default-server") => {
                writeln!(config, "{indent}{}", with_check_timing(&words)).unwrap()
            }
            _ => writeln!(config, "{line}").unwrap(),
        }
    }
    assert!(
        binds == 1 && servers_written,
        "deploy/haproxy.cfg has one bind and server lines"
    );
    config
}

/// A `default-server` line with the test's check intervals.
fn with_check_timing(words: &[&str]) -> String {
    let mut words = words.to_vec();
    for (setting, value) in CHECK_TIMING {
        let at = words.iter().position(|word| *word == setting);
        let at = at.unwrap_or_else(|| panic!("deploy/haproxy.cfg's default-server sets {setting}"));
        words[at + 1] = value;
    }
    words.join(" ")
}

/// Appends each line of `stream` to `log`, on a thread of its own.
fn collect_lines(stream: impl Read + Send + 'static, log: &Arc<Mutex<Vec<String>>>) {
    let log = Arc::clone(log);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            log.lock().unwrap().push(line);
        }
    });
}

/// The status of `GET /readyz` through HAProxy; `None` when there is no answer.
fn ready_status(port: u16) -> Option<u16> {
    let response = client()
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .call();
    response.ok().map(|response| response.status().as_u16())
}
