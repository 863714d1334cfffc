//! `GET /metrics`: every metric in the Prometheus text format.

use actix_web::{HttpResponse, web};

use super::error::ApiError;
use crate::metrics::PrometheusMetrics;

/// The content type of the Prometheus text format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`; a 404 when the app was built without metrics.
pub(crate) async fn metrics(
    metrics: Option<web::Data<PrometheusMetrics>>,
) -> Result<HttpResponse, ApiError> {
    let metrics = metrics.ok_or_else(ApiError::route_not_found)?;
    let text = metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type(PROMETHEUS_TEXT).body(text))
}
