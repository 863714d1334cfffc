//! Logger set-up: `log` + `env_logger`, `RUST_LOG` (default `info`), one line per event, as text or as JSON. A line
//! written while a request's service call runs carries that request's id.

use std::io::Write;

use clap::ValueEnum;
use env_logger::fmt::Formatter;
use log::kv::{Key, Value, VisitSource};
use serde_json::{Map, Value as Json};

use crate::log_writer;
pub use crate::log_writer::LogFlusher;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// `2026-11-29T10:00:00.123Z INFO access method=GET route=/orders/{id} status=200 ...`
    #[default]
    Text,
    /// One JSON object per line: `ts`, `level`, `target`, `message` and every structured field as a member.
    Json,
}

/// Installs the logger on stderr, written by a thread of its own (see [`crate::log_writer`]); returns what waits for
/// the queued lines to be written, unless that thread could not start and lines go to stderr in place.
pub fn init(format: LogFormat) -> Option<LogFlusher> {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    builder.format(move |out, record| match format {
        LogFormat::Text => write_text(out, record),
        LogFormat::Json => write_json(out, record),
    });
    let flusher = match log_writer::start() {
        Ok((queued, flusher)) => {
            builder.target(env_logger::Target::Pipe(Box::new(queued)));
            Some(flusher)
        }
        Err(_) => None,
    };
    // A second init (tests start several services in one process) keeps the first logger.
    let _ = builder.try_init();
    flusher
}

/// The request id of the service call running on this thread, unless the record names one itself.
fn current_request_id(record: &log::Record<'_>) -> Option<String> {
    let named = record
        .key_values()
        .get(Key::from_str("request_id"))
        .is_some();
    if named {
        None
    } else {
        adapters::inbound::current_request_id()
    }
}

fn write_text(out: &mut Formatter, record: &log::Record<'_>) -> std::io::Result<()> {
    write!(
        out,
        "{} {} {}",
        out.timestamp_millis(),
        record.level(),
        record.target()
    )?;
    let message = record.args().to_string();
    if !message.is_empty() {
        write!(out, " {message}")?;
    }
    let mut fields = String::new();
    let _ = record.key_values().visit(&mut TextFields(&mut fields));
    if let Some(id) = current_request_id(record) {
        fields.push_str(&format!(" request_id={id}"));
    }
    writeln!(out, "{fields}")
}

/// Writes fields as ` key=value`, quoting values with spaces so a line stays splittable.
struct TextFields<'a>(&'a mut String);

impl<'kvs> VisitSource<'kvs> for TextFields<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        let text = value.to_string();
        if text.contains(char::is_whitespace) || text.is_empty() {
            self.0.push_str(&format!(" {key}={text:?}"));
        } else {
            self.0.push_str(&format!(" {key}={text}"));
        }
        Ok(())
    }
}

fn write_json(out: &mut Formatter, record: &log::Record<'_>) -> std::io::Result<()> {
    let mut line = Map::new();
    line.insert(
        "ts".into(),
        Json::String(out.timestamp_millis().to_string()),
    );
    line.insert("level".into(), Json::String(record.level().to_string()));
    line.insert("target".into(), Json::String(record.target().to_owned()));
    line.insert("message".into(), Json::String(record.args().to_string()));
    let _ = record.key_values().visit(&mut JsonFields(&mut line));
    if let Some(id) = current_request_id(record) {
        line.insert("request_id".into(), Json::String(id));
    }
    serde_json::to_writer(&mut *out, &line)?;
    writeln!(out)
}

/// Adds fields as members, numbers and booleans as such.
struct JsonFields<'a>(&'a mut Map<String, Json>);

impl<'kvs> VisitSource<'kvs> for JsonFields<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        let json = if let Some(n) = value.to_u64() {
            Json::from(n)
        } else if let Some(n) = value.to_i64() {
            Json::from(n)
        } else if let Some(b) = value.to_bool() {
            Json::from(b)
        } else if let Some(f) = value.to_f64() {
            serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
        } else {
            Json::String(value.to_string())
        };
        self.0.insert(key.as_str().to_owned(), json);
        Ok(())
    }
}
