//! A NATS server with JetStream of the test's own, on a free port with a store in a temporary directory, that a
//! test can stop and start again (the machine's own NATS is never touched), and what its stream `ORDERS` holds.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::free_port;
use crate::process::{signal, wait_for_exit};

/// One message of the stream, as a consumer reads it.
#[derive(Debug, Clone)]
pub struct Published {
    pub subject: String,
    /// The `Nats-Msg-Id` header.
    pub message_id: String,
    /// The `traceparent` header, when the message carries a trace context.
    pub traceparent: Option<String>,
    pub event: Value,
}

impl Published {
    pub fn order_id(&self) -> &str {
        self.event["subject"].as_str().unwrap()
    }

    pub fn version(&self) -> u64 {
        self.event["data"]["order"]["version"].as_u64().unwrap()
    }
}

/// `nats-server -js`, killed (and its store deleted) when dropped.
pub struct Nats {
    port: u16,
    store: PathBuf,
    child: Option<Child>,
}

impl Nats {
    pub fn start() -> Self {
        let port = free_port();
        let store =
            std::env::temp_dir().join(format!("ordersvc-test-nats-{}-{port}", std::process::id()));
        let mut nats = Self {
            port,
            store,
            child: None,
        };
        nats.launch();
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let child = Command::new("nats-server")
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start nats-server (is it installed?): {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server gracefully; its store stays for [`Nats::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(&child, "TERM");
            wait_for_exit(&mut child);
        }
    }

    /// Starts it again on the same port and store.
    pub fn resume(&mut self) {
        self.launch();
    }

    /// Every message of stream `ORDERS`, in stream order (none when the stream does not exist yet).
    pub fn messages(&self) -> Vec<Published> {
        self.with_jetstream(|jetstream| async move {
            let Ok(mut stream) = jetstream.get_stream("ORDERS").await else {
                return Vec::new();
            };
            let last = stream.info().await.unwrap().state.last_sequence;
            let mut messages = Vec::new();
            for sequence in 1..=last {
                let message = stream.get_raw_message(sequence).await.unwrap();
                messages.push(Published {
                    subject: message.subject.to_string(),
                    message_id: message
                        .headers
                        .get("Nats-Msg-Id")
                        .map(|id| id.as_str().to_owned())
                        .unwrap_or_default(),
                    traceparent: message
                        .headers
                        .get("traceparent")
                        .map(|value| value.as_str().to_owned()),
                    event: serde_json::from_slice(&message.payload).unwrap(),
                });
            }
            messages
        })
    }

    /// The stream's messages once it holds at least `count` (within `timeout`).
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Published> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "the stream holds {} events, not {count}, after {timeout:?}",
                messages.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The stream's configuration, as the service created it.
    pub fn stream_config(&self) -> async_nats::jetstream::stream::Config {
        self.with_jetstream(|jetstream| async move {
            let mut stream = jetstream.get_stream("ORDERS").await.unwrap();
            stream.info().await.unwrap().config.clone()
        })
    }
}

impl Nats {
    /// Runs `work` with a JetStream client of this server, on a runtime of its own.
    fn with_jetstream<T, F: Future<Output = T>>(
        &self,
        work: impl FnOnce(async_nats::jetstream::Context) -> F,
    ) -> T {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = async_nats::connect(self.url()).await.unwrap();
            work(async_nats::jetstream::new(client)).await
        })
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.store);
    }
}
