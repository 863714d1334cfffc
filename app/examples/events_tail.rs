//! Follows ordersvc's order events as they are published, one line each, for seeing what a consumer receives
//! without any other tool:
//!
//! ```sh
//! cargo run --example events_tail                  # the events published from now on
//! cargo run --example events_tail -- --from-start  # every event stream ORDERS still holds, then the new ones
//! ```
//!
//! ```text
//! 2025-12-04T18:30:00.123456Z orders.v1.order_placed 0193a1b2-...-0000000000aa v1 total 19.80 (2 items)
//! 2025-12-04T18:31:00Z orders.v1.order_status_changed 0193a1b2-...-0000000000aa v2 Pending -> Accepted
//! ```
//!
//! It reads the service's own settings: `NATS_URL` (default `nats://127.0.0.1:4222`) and `EVENTS_SUBJECT_PREFIX`
//! (default `orders.events`). The service creates the stream when it publishes its first event, so a tail started
//! before that waits for it, and then shows that first event too. `schemas/events/order-event.schema.json`
//! describes the messages.
//!
//! The consumer is an ordered one: ephemeral, in memory, one replica, created for this run. It has no acks (its
//! policy is `AckPolicy::None`, so there is nothing to ack): the client checks every message's sequence and
//! recreates the consumer after a gap, so the lines keep the stream's order and miss none. A restarted server has
//! forgotten the consumer, which the client reports rather than repairs, so the tail then makes a new one that starts
//! after the last event it printed. Other consumers are not affected, and the server forgets this one about 30
//! seconds after the tail stops.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use adapters::events::{STREAM_NAME, SubjectPrefix};
use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::consumer::pull::{Ordered, OrderedConfig};
use async_nats::jetstream::context::{GetStreamError, GetStreamErrorKind};
use async_nats::jetstream::stream::Stream;
use async_nats::jetstream::{self, ErrorCode};
use async_nats::{ConnectOptions, Event as ClientEvent, ServerAddr};
use clap::Parser;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;

/// How long to wait before looking again for a stream that does not exist yet, or before making a new consumer.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Prints ordersvc's order events as they arrive.
#[derive(Debug, Parser)]
struct Args {
    /// The NATS server(s), comma-separated for a cluster: the service's `NATS_URL`.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// The events' subjects are `<prefix>.order_placed` and `<prefix>.order_status_changed`.
    #[arg(long, env = "EVENTS_SUBJECT_PREFIX", default_value = "orders.events")]
    subject_prefix: SubjectPrefix,
    /// Start with every event the stream still holds, not only those published from now on.
    #[arg(long)]
    from_start: bool,
}

/// The members of an event the line shows. The rest of the event is not checked here (the schema does that), so a
/// newer service's additions do not stop the tail.
#[derive(Debug, Deserialize)]
struct Event {
    time: String,
    #[serde(rename = "type")]
    kind: String,
    /// The order's id.
    subject: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    order: Order,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Order {
    version: u64,
    /// The JSON number's own text (`19.80`): money never goes through a float.
    total: Box<RawValue>,
    order_items: Vec<OrderItem>,
}

#[derive(Debug, Deserialize)]
struct OrderItem {
    quantity: u64,
}

impl Event {
    /// `<time> <type> <order id> v<version>`, then `<from> -> <to>` for a status change, or the total and the
    /// number of items for a new order.
    fn line(&self) -> String {
        let order = &self.data.order;
        let head = format!(
            "{} {} {} v{}",
            self.time, self.kind, self.subject, order.version
        );
        if let (Some(from), Some(to)) = (&self.data.from, &self.data.to) {
            return format!("{head} {from} -> {to}");
        }
        let items: u64 = order.order_items.iter().map(|item| item.quantity).sum();
        let noun = if items == 1 { "item" } else { "items" };
        format!("{head} total {} ({items} {noun})", order.total.get())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let servers = match args
        .nats_url
        .split(',')
        .map(|url| url.trim().parse::<ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(servers) => servers,
        Err(error) => {
            eprintln!("NATS_URL `{}` names no NATS server: {error}", args.nats_url);
            return ExitCode::from(2);
        }
    };
    let Err(message) = tail(servers, &args).await;
    eprintln!("{message}");
    ExitCode::FAILURE
}

/// Prints every event until it is stopped. Only a failure before the first consumer is fatal (a wrong URL or
/// prefix, no JetStream); after that the tail keeps trying, as a consumer of the service would.
async fn tail(servers: Vec<ServerAddr>, args: &Args) -> Result<Infallible, String> {
    let jetstream = jetstream::new(connect(servers, &args.nats_url).await?);
    let filter = args.subject_prefix.wildcard();
    let mut start = if args.from_start {
        DeliverPolicy::All
    } else {
        DeliverPolicy::New
    };
    let mut resuming = false;
    loop {
        let stopped = match follow(&jetstream, &filter, start).await {
            Ok((messages, after)) => {
                let mut last = after;
                let stopped = print_events(messages, &mut last).await;
                start = DeliverPolicy::ByStartSequence {
                    start_sequence: last + 1,
                };
                stopped
            }
            Err(error) if !resuming => return Err(error),
            Err(error) => error,
        };
        eprintln!("{stopped}; trying again in {} s", RETRY_AFTER.as_secs());
        resuming = true;
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

/// A client that reconnects by itself, and says so: a silent tail should mean a quiet service, not a lost one.
async fn connect(servers: Vec<ServerAddr>, url: &str) -> Result<async_nats::Client, String> {
    // Every failed attempt to reconnect is a client error; the first says why, the others would bury the events.
    let reported = Arc::new(AtomicBool::new(false));
    let shown_url = url.to_owned();
    ConnectOptions::new()
        .name("ordersvc events_tail")
        .event_callback(move |event| {
            let reported = Arc::clone(&reported);
            let url = shown_url.clone();
            async move {
                if matches!(event, ClientEvent::Connected) {
                    reported.store(false, Ordering::Relaxed);
                }
                let repeated = matches!(event, ClientEvent::ClientError(_))
                    && reported.swap(true, Ordering::Relaxed);
                if !repeated {
                    eprintln!("NATS {url}: {event}");
                }
            }
        })
        .connect(servers)
        .await
        .map_err(|error| {
            format!("cannot connect to NATS at {url}: {error} (is nats-server -js running there?)")
        })
}

/// A new ordered consumer of `filter` from `start`, and the stream sequence it starts after.
async fn follow(
    jetstream: &jetstream::Context,
    filter: &str,
    start: DeliverPolicy,
) -> Result<(Ordered, u64), String> {
    let (stream, was_missing) = wait_for_stream(jetstream).await?;
    // A stream that did not exist a moment ago holds nothing older than the tail, and `New` would skip the event
    // whose publishing created it.
    let deliver_policy = if was_missing {
        DeliverPolicy::All
    } else {
        start
    };
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: filter.to_owned(),
            deliver_policy,
            ..OrderedConfig::default()
        })
        .await
        .map_err(|error| format!("cannot read {filter} from stream {STREAM_NAME}: {error}"))?;
    // The server places a new consumer just after the last message it will not deliver: 0 for `All` on a stream
    // never purged, the stream's last sequence for `New`.
    let after = consumer.cached_info().delivered.stream_sequence;
    let messages = consumer
        .messages()
        .await
        .map_err(|error| format!("cannot read {filter} from stream {STREAM_NAME}: {error}"))?;
    let from = match deliver_policy {
        DeliverPolicy::All => "every event it holds".to_owned(),
        DeliverPolicy::New => "new events".to_owned(),
        _ => format!("the events after stream sequence {after}"),
    };
    eprintln!("following {filter} in stream {STREAM_NAME}, {from}; Ctrl-C to stop");
    Ok((messages, after))
}

/// Prints each event until the consumer fails, keeping in `last` the stream sequence of the last one; returns why
/// it stopped.
async fn print_events(mut messages: Ordered, last: &mut u64) -> String {
    while let Some(message) = messages.next().await {
        let message = match message {
            Ok(message) => message,
            Err(error) => return format!("lost the consumer of stream {STREAM_NAME}: {error}"),
        };
        if let Ok(info) = message.info() {
            *last = info.stream_sequence;
        }
        // One odd message is reported and skipped: the tail is for watching, not for checking.
        match serde_json::from_slice::<Event>(&message.payload) {
            Ok(event) => println!("{}", event.line()),
            Err(error) => eprintln!("{}: not an order event: {error}", message.subject),
        }
    }
    format!("the consumer of stream {STREAM_NAME} ended")
}

/// The stream, once it exists, and whether it had to be waited for.
async fn wait_for_stream(jetstream: &jetstream::Context) -> Result<(Stream, bool), String> {
    let mut was_missing = false;
    loop {
        match jetstream.get_stream(STREAM_NAME).await {
            Ok(stream) => return Ok((stream, was_missing)),
            Err(error) if is_stream_not_found(&error) => {
                if !was_missing {
                    eprintln!(
                        "waiting for stream {STREAM_NAME}; is ordersvc running with NATS_URL? (it creates the \
                         stream when it publishes its first event: place an order)"
                    );
                    was_missing = true;
                }
                tokio::time::sleep(RETRY_AFTER).await;
            }
            Err(error) => {
                return Err(format!(
                    "cannot look up stream {STREAM_NAME}: {error} (is JetStream enabled: nats-server -js?)"
                ));
            }
        }
    }
}

fn is_stream_not_found(error: &GetStreamError) -> bool {
    matches!(error.kind(), GetStreamErrorKind::JetStream(error)
        if error.error_code() == ErrorCode::STREAM_NOT_FOUND)
}
