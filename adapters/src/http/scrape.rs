//! `GET /metrics`: every metric in the Prometheus text format.

use actix_web::{HttpResponse, web};

use super::error::ApiError;
use crate::metrics::PrometheusMetrics;

/// The content type of the Prometheus text format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Metrics
///
/// Every metric in the Prometheus text format, all prefixed `ordersvc_`.
#[utoipa::path(
    get,
    path = "/metrics",
    responses((status = 200, description = "The metrics.", body = String, content_type = "text/plain"))
)]
// A 404 when the app was built without metrics (tests only: the binary always has them).
pub(crate) async fn metrics(
    metrics: Option<web::Data<PrometheusMetrics>>,
) -> Result<HttpResponse, ApiError> {
    let metrics = metrics.ok_or_else(ApiError::route_not_found)?;
    let text = metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type(PROMETHEUS_TEXT).body(text))
}
