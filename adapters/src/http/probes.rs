//! The probes: `GET /healthz` answers 200 while the process serves; `GET /readyz` answers 200 only when the
//! instance's [`Health`] says it is ready.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::inbound::{Health, RequestId, ServiceExecutor};

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
pub(crate) async fn readiness(
    health: web::Data<Health>,
    executor: web::Data<ServiceExecutor>,
    request_id: RequestId,
) -> HttpResponse {
    match check(health.into_inner(), &executor).await {
        Ok(()) => HttpResponse::Ok().json(Status { status: "ready" }),
        Err(reason) => {
            log::debug!("not ready: {reason} request_id={request_id}");
            ApiError::not_ready(reason).to_response(Some(&request_id))
        }
    }
}

/// The instance's readiness: at once while draining, otherwise from the probe, run on the executor after the calls
/// queued before it.
async fn check(health: Arc<Health>, executor: &ServiceExecutor) -> Result<(), String> {
    if health.is_draining() {
        return health.check();
    }
    executor
        .spawn(move || health.check())
        .await
        .unwrap_or_else(|not_run| Err(format!("the probe did not run: {not_run}")))
}
