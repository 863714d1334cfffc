//! The exporter as the SDK's batch processor calls it, telling the log when spans stop reaching the collector and
//! when they reach it again: the SDK's own diagnostics are not built in, and a collector that is down must not go
//! unnoticed (the requests themselves never wait for it).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

/// The longest the log stays silent while exports keep failing.
const REPEAT_AFTER: Duration = Duration::from_secs(60);

/// `E`, whose failures are logged: at `warn` when exports start failing (then once a minute, with how many spans
/// were lost meanwhile), at `info` when one succeeds again.
#[derive(Debug)]
pub(crate) struct ReportingExporter<E> {
    inner: E,
    endpoint: String,
    failing: Mutex<Option<Failing>>,
}

/// Since when exports fail, and what was lost.
#[derive(Debug, Clone, Copy)]
struct Failing {
    last_told: Instant,
    lost_since: u64,
    lost_total: u64,
}

impl<E> ReportingExporter<E> {
    pub(crate) fn new(inner: E, endpoint: &str) -> Self {
        Self {
            inner,
            endpoint: endpoint.to_owned(),
            failing: Mutex::new(None),
        }
    }

    /// Takes note of an export of `spans` spans that ended as `result`.
    fn observe(&self, spans: u64, result: &OTelSdkResult, now: Instant) {
        let mut failing = self
            .failing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match (result, *failing) {
            (Ok(()), None) => {}
            (Ok(()), Some(failed)) => {
                log::info!(
                    "spans reach {} again ({} were lost while they did not)",
                    self.endpoint,
                    failed.lost_total
                );
                *failing = None;
            }
            (Err(error), None) => {
                log::warn!(
                    "cannot send {spans} spans to {}: {error}; they are lost",
                    self.endpoint
                );
                *failing = Some(Failing {
                    last_told: now,
                    lost_since: 0,
                    lost_total: spans,
                });
            }
            (Err(error), Some(mut failed)) => {
                failed.lost_total += spans;
                failed.lost_since += spans;
                if now.duration_since(failed.last_told) >= REPEAT_AFTER {
                    log::warn!(
                        "still cannot send spans to {}: {error}; {} more lost",
                        self.endpoint,
                        failed.lost_since
                    );
                    failed.last_told = now;
                    failed.lost_since = 0;
                }
                *failing = Some(failed);
            }
        }
    }
}

impl<E: SpanExporter> SpanExporter for ReportingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len() as u64;
        let result = self.inner.export(batch).await;
        self.observe(spans, &result, Instant::now());
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_sdk::error::OTelSdkError;

    use super::*;

    #[derive(Debug)]
    struct Nowhere;

    impl SpanExporter for Nowhere {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            Ok(())
        }
    }

    fn failed() -> OTelSdkResult {
        Err(OTelSdkError::InternalFailure(
            "connection refused".to_owned(),
        ))
    }

    #[test]
    fn failures_are_counted_until_an_export_succeeds() {
        let exporter = ReportingExporter::new(Nowhere, "http://127.0.0.1:4318/v1/traces");
        let start = Instant::now();
        exporter.observe(512, &failed(), start);
        exporter.observe(100, &failed(), start + Duration::from_secs(1));
        let failing = exporter.failing.lock().unwrap().unwrap();
        assert_eq!((failing.lost_total, failing.lost_since), (612, 100));
        // A minute on, the next failure is told, and the count starts again.
        exporter.observe(8, &failed(), start + REPEAT_AFTER);
        let failing = exporter.failing.lock().unwrap().unwrap();
        assert_eq!((failing.lost_total, failing.lost_since), (620, 0));
        exporter.observe(5, &Ok(()), start + REPEAT_AFTER);
        assert!(exporter.failing.lock().unwrap().is_none());
    }
}
