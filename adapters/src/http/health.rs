//! Liveness and readiness, for orchestrators and load balancers.
//!
//! `GET /healthz` answers 200 while the process serves. `GET /readyz` answers 200 only when the database answers a
//! round trip and the instance is not draining, so a balancer stops sending traffic before the instance stops.

#[cfg(test)]
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::{HttpResponse, web};
use domain::BoxError;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::request_id::RequestId;

/// A readiness probe of a dependency: `Ok` when it answered in time. It blocks, so it runs on the blocking pool.
pub type Probe = Box<dyn Fn() -> Result<(), BoxError> + Send + Sync>;

/// The instance's health: whether it is draining, and how to probe its database.
pub struct Health {
    draining: AtomicBool,
    probe: Probe,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("draining", &self.is_draining())
            .finish_non_exhaustive()
    }
}

impl Health {
    /// Ready while `probe` succeeds, until [`Health::start_draining`].
    pub fn new(probe: Probe) -> Self {
        Self {
            draining: AtomicBool::new(false),
            probe,
        }
    }

    /// From now on readiness fails, so balancers take the instance out; every other route keeps serving.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether [`Health::start_draining`] was called.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

/// The body of a successful probe.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProbeStatus)]
pub(crate) struct Status {
    /// `ok` from `/healthz`, `ready` from `/readyz`.
    #[schema(value_type = String, examples("ok"))]
    status: &'static str,
}

/// Liveness
///
/// The process serves requests, whatever the database's state: point liveness checks here.
#[utoipa::path(
    get,
    path = "/healthz",
    responses((status = 200, description = "Alive.", body = Status, example = json!({"status": "ok"})))
)]
pub(crate) async fn liveness() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// Readiness
///
/// 200 when a database round trip succeeded within a second and the instance is not draining; otherwise 503
/// `unavailable` with the reason in `detail`. Point readiness checks and load balancers here.
#[utoipa::path(
    get,
    path = "/readyz",
    responses((status = 200, description = "Ready for traffic.", body = Status, example = json!({"status": "ready"})))
)]
// A failed probe is the expected answer during an outage or a drain, so it is logged at `debug`, not as an error.
pub(crate) async fn readiness(health: web::Data<Health>, request_id: RequestId) -> HttpResponse {
    let reason = if health.is_draining() {
        Some("the instance is draining".to_owned())
    } else {
        match web::block(move || (health.probe)()).await {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(format!("the database did not answer: {}", chain(&*error))),
            Err(error) => Some(format!("the probe did not run: {error}")),
        }
    };
    match reason {
        None => HttpResponse::Ok().json(Status { status: "ready" }),
        Some(reason) => {
            log::debug!("not ready: {reason} request_id={request_id}");
            ApiError::not_ready(reason).to_response(Some(&request_id))
        }
    }
}

/// `error` and its sources, as `a: b`.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// A health whose probe always succeeds, for tests of other routes.
#[cfg(test)]
pub(crate) fn always_ready() -> Arc<Health> {
    Arc::new(Health::new(Box::new(|| Ok(()))))
}
