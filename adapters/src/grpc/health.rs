//! `grpc.health.v1.Health`, answered live from the instance's [`Health`]: SERVING exactly when `GET /readyz` is
//! ready, NOT_SERVING at once while draining. It knows the whole server (`""`) and `orders.v1.OrderService`.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_server::Health as HealthEndpoints;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

use super::proto::orders::v1::order_service_server::SERVICE_NAME;
use crate::inbound::{Health, ServiceExecutor};

/// How often a watch probes the database again.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// How often a watch looks whether the instance started draining (a flag: costs nothing).
const DRAIN_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// The health service over the instance's health; probes run on the executor, after the calls queued before them.
#[derive(Debug, Clone)]
pub(crate) struct LiveHealth {
    pub(crate) health: Arc<Health>,
    pub(crate) executor: Arc<ServiceExecutor>,
}

impl LiveHealth {
    /// The status of `service` now.
    async fn status(&self, service: &str) -> Result<ServingStatus, Status> {
        if !service.is_empty() && service != SERVICE_NAME {
            return Err(Status::not_found(format!(
                "no service is named {service:?}"
            )));
        }
        if self.health.is_draining() {
            return Ok(ServingStatus::NotServing);
        }
        let health = Arc::clone(&self.health);
        Ok(match self.executor.spawn(move || health.check()).await {
            Ok(Ok(())) => ServingStatus::Serving,
            Ok(Err(reason)) => {
                log::debug!("not serving: {reason}");
                ServingStatus::NotServing
            }
            Err(not_run) => {
                log::debug!("not serving: the probe did not run: {not_run}");
                ServingStatus::NotServing
            }
        })
    }

    /// Waits until the status of `service` differs from `last`, and returns the new one.
    async fn next_change(
        &self,
        service: &str,
        last: ServingStatus,
    ) -> Result<ServingStatus, Status> {
        loop {
            let mut waited = Duration::ZERO;
            while waited < PROBE_INTERVAL
                && !(self.health.is_draining() && last == ServingStatus::Serving)
            {
                tokio::time::sleep(DRAIN_CHECK_INTERVAL).await;
                waited += DRAIN_CHECK_INTERVAL;
            }
            let now = self.status(service).await?;
            if now != last {
                return Ok(now);
            }
        }
    }
}

/// The stream a watch answers with.
type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

fn response(status: ServingStatus) -> HealthCheckResponse {
    HealthCheckResponse {
        status: status.into(),
    }
}

#[tonic::async_trait]
impl HealthEndpoints for LiveHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let status = self.status(&request.get_ref().service).await?;
        Ok(Response::new(response(status)))
    }

    type WatchStream = WatchStream;

    /// The status now, then each change, until the client hangs up.
    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let service = request.into_inner().service;
        let first = self.status(&service).await?;
        let watcher = self.clone();
        let changes = futures_util::stream::unfold(
            (watcher, service, first),
            |(watcher, service, last)| async move {
                let next = watcher.next_change(&service, last).await;
                let state = next.as_ref().map_or(last, |status| *status);
                Some((next.map(response), (watcher, service, state)))
            },
        );
        let stream = futures_util::stream::once(async move { Ok(response(first)) }).chain(changes);
        Ok(Response::new(Box::pin(stream)))
    }
}
