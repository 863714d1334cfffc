//! Publishing to NATS JetStream. The relay runs on a plain thread and the port is synchronous, so the publisher owns
//! a small runtime of its own for the NATS client: the serving runtimes never wait on the broker.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::{Config as StreamConfig, StorageType};
use async_nats::{ConnectOptions, ServerAddr};
use domain::{EventPublisher, OrderChange, OrderEvent, PublishError};
use thiserror::Error;

use super::cloud_event::{CloudEventEncoder, EventSource};
use crate::telemetry::Publication;
use crate::telemetry::propagation::TRACEPARENT;

/// The stream the service creates when it is missing.
pub const STREAM_NAME: &str = "ORDERS";

/// The stream's duplicate window: a message with an id seen this recently is dropped, so an event published again
/// (its relay died after the ack and before the mark, and another took it over after the lease) is kept once.
pub const STREAM_DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// How long a publish waits for the stream's ack.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and how events are published.
#[derive(Debug, Clone)]
pub struct EventSettings {
    /// The NATS server(s), `nats://host:4222`, comma-separated for a cluster.
    pub url: String,
    /// Subjects are `<prefix>.order_placed` and `<prefix>.order_status_changed`.
    pub subject_prefix: SubjectPrefix,
    /// The CloudEvents `source`.
    pub source: EventSource,
}

impl EventSettings {
    /// The server URL(s) without their credentials (`nats://user:password@host` shows as `nats://***@host`), for
    /// logs and errors.
    pub fn redacted_url(&self) -> String {
        self.url
            .split(',')
            .map(|url| {
                let url = url.trim();
                match (url.find("://"), url.rfind('@')) {
                    (Some(scheme), Some(at)) if at > scheme + 3 => {
                        format!("{}***{}", &url[..scheme + 3], &url[at..])
                    }
                    (None, Some(at)) => format!("***{}", &url[at..]),
                    _ => url.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The subjects' first tokens (`orders.events`): dot-separated tokens of letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectPrefix(String);

/// The text cannot start a NATS subject.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "`{0}` is not a subject prefix (dot-separated tokens of letters, digits, - and _, such as orders.events)"
)]
pub struct InvalidSubjectPrefix(String);

impl std::str::FromStr for SubjectPrefix {
    type Err = InvalidSubjectPrefix;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let token = |t: &str| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if text.len() > 128 || !text.split('.').all(token) {
            return Err(InvalidSubjectPrefix(text.chars().take(64).collect()));
        }
        Ok(Self(text.to_owned()))
    }
}

impl SubjectPrefix {
    /// The subject of an event of this kind.
    pub fn subject(&self, change: OrderChange) -> String {
        format!("{}.{}", self.0, change.kind())
    }

    /// Every subject under the prefix, as the stream takes them.
    pub fn wildcard(&self) -> String {
        format!("{}.>", self.0)
    }
}

/// The publisher could not be set up.
#[derive(Debug, Error)]
pub enum StartError {
    /// `NATS_URL` names no server.
    #[error("NATS_URL `{0}` names no NATS server")]
    InvalidUrl(String, #[source] async_nats::Error),
    /// The publisher's runtime could not start.
    #[error("cannot start the event publisher")]
    Runtime(#[source] std::io::Error),
    /// The client could not be made.
    #[error("cannot connect to NATS")]
    Connect(#[source] async_nats::ConnectError),
}

/// Publishes order events to JetStream; connects (and reconnects) in the background, so the service starts and
/// serves while NATS is down, and events wait in the outbox until it is back.
pub struct JetStreamPublisher {
    runtime: tokio::runtime::Runtime,
    client: async_nats::Client,
    jetstream: async_nats::jetstream::Context,
    subjects: SubjectPrefix,
    encoder: CloudEventEncoder,
    /// Whether the stream is known to exist; checked again after any failure.
    stream_ready: AtomicBool,
}

impl std::fmt::Debug for JetStreamPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamPublisher")
            .field("subjects", &self.subjects)
            .finish_non_exhaustive()
    }
}

impl JetStreamPublisher {
    /// A publisher to the servers `settings` name. It does not wait for them.
    ///
    /// # Errors
    /// [`StartError`] when the URL names no server or the runtime cannot start.
    pub fn start(settings: EventSettings) -> Result<Self, StartError> {
        let servers = settings
            .url
            .split(',')
            .map(|url| {
                url.trim()
                    .parse::<ServerAddr>()
                    .map_err(|e| StartError::InvalidUrl(settings.redacted_url(), e.into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("nats-client")
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let url = settings.redacted_url();
        let options = ConnectOptions::new()
            .name("ordersvc")
            .retry_on_initial_connect()
            .max_reconnects(None)
            .event_callback(move |event| {
                let url = url.clone();
                async move { log::info!(nats:% = url; "NATS: {event}") }
            });
        // On a thread of its own: the caller may itself be running on an async runtime, where blocking is refused.
        // With retry_on_initial_connect this returns at once, connecting in the background.
        let client = std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(options.connect(servers)))
                .join()
        })
        .map_err(|_| StartError::Runtime(std::io::Error::other("the NATS client panicked")))?
        .map_err(StartError::Connect)?;
        let mut jetstream = async_nats::jetstream::new(client.clone());
        jetstream.set_timeout(ACK_TIMEOUT);
        Ok(Self {
            runtime,
            client,
            jetstream,
            subjects: settings.subject_prefix,
            encoder: CloudEventEncoder::new(settings.source),
            stream_ready: AtomicBool::new(false),
        })
    }

    /// Creates the stream when it is missing: every subject under the prefix, kept on disk, with the duplicate
    /// window. An existing stream is left as its operator configured it.
    async fn ensure_stream(&self) -> Result<(), async_nats::Error> {
        if self.stream_ready.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.jetstream
            .get_or_create_stream(StreamConfig {
                name: STREAM_NAME.to_owned(),
                subjects: vec![self.subjects.wildcard()],
                storage: StorageType::File,
                duplicate_window: STREAM_DUPLICATE_WINDOW,
                ..StreamConfig::default()
            })
            .await?;
        self.stream_ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Sends one event, as `publication` (which carries its trace context); the future resolves when the stream
    /// acks it.
    async fn send(
        &self,
        event: &OrderEvent,
        subject: String,
        message_id: &str,
        publication: &Publication,
    ) -> Result<PublishAckFuture, async_nats::Error> {
        let payload = self.encoder.encode(event, publication.traceparent())?;
        let mut message = PublishMessage::build()
            .payload(payload.into())
            .message_id(message_id);
        if let Some(traceparent) = publication.traceparent() {
            message = message.header(TRACEPARENT, traceparent);
        }
        Ok(self.jetstream.send_publish(subject, message).await?)
    }

    async fn publish_all(&self, events: &[OrderEvent]) -> Vec<Result<(), PublishError>> {
        let refuse_all = |reason: String| {
            events
                .iter()
                .map(|_| Err(PublishError(reason.clone().into())))
                .collect()
        };
        // While the client is not connected, fail at once rather than wait out each ack: the relay backs off, and
        // the client's own reconnection brings it back.
        if self.client.connection_state() != async_nats::connection::State::Connected {
            return refuse_all("not connected to NATS".to_owned());
        }
        if let Err(error) = self.ensure_stream().await {
            return refuse_all(format!(
                "cannot find or create stream {STREAM_NAME}: {error}"
            ));
        }
        // All sent before any ack is awaited: one round trip for the batch. A batch holds one event per order at
        // most, so no two of an order's events are ever in flight together.
        let mut sent = Vec::with_capacity(events.len());
        for event in events {
            let (subject, message_id) = (
                self.subjects.subject(event.change()),
                event.id().to_string(),
            );
            let publication = Publication::start(event.trace_context(), &subject, &message_id);
            sent.push((
                self.send(event, subject, &message_id, &publication).await,
                publication,
            ));
        }
        let mut results = Vec::with_capacity(events.len());
        for (ack, publication) in sent {
            let result = match ack {
                Ok(ack) => ack.await.map(|_| ()).map_err(|e| PublishError(Box::new(e))),
                Err(error) => Err(PublishError(error)),
            };
            publication.finish(result.as_ref().err().map(|e| application::error_chain(e)));
            results.push(result);
        }
        if results.iter().any(Result::is_err) {
            // The stream may have been deleted meanwhile: look again before the next batch.
            self.stream_ready.store(false, Ordering::Relaxed);
        }
        results
    }
}

impl EventPublisher for JetStreamPublisher {
    fn publish(&self, events: &[OrderEvent]) -> Vec<Result<(), PublishError>> {
        self.runtime.block_on(self.publish_all(events))
    }
}

#[cfg(test)]
mod tests;
