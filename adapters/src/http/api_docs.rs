//! `GET /openapi.json` and the API reference page, `GET /docs`: Swagger UI, whose files are compiled into the binary
//! (`utoipa-swagger-ui`'s `vendored` feature), so the page works with no network and loads nothing from a CDN.

use std::sync::{Arc, LazyLock};

use actix_web::HttpResponse;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::{self, Bytes};
use utoipa_swagger_ui::Config;

use super::error::ApiError;

/// The page at `/docs`. Its assets are relative to `/docs/`, and the document's URL (in the initializer) is relative
/// to the page, so it also works behind a proxy that mounts the service under a prefix.
const PAGE: &str = include_str!("api_docs/page.html");

/// The API document as served: serialized once (it is a function of the code alone) by the app, which hands it to
/// the handler, since the document is built from the route table that lists this handler.
#[derive(Debug)]
pub(crate) struct ApiDocument(Result<Bytes, String>);

impl ApiDocument {
    /// `document` as JSON.
    pub(crate) fn new(document: &utoipa::openapi::OpenApi) -> Self {
        Self(
            serde_json::to_vec(document)
                .map(Bytes::from)
                .map_err(|error| error.to_string()),
        )
    }
}

/// Swagger UI's settings: where the document is, and no online validator (its badge would be fetched from the
/// internet on every view).
static SWAGGER_CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::new(["openapi.json"])
            .validator_url("none")
            .display_operation_id(true),
    )
});

/// The API document
///
/// This document: OpenAPI 3.1, generated from the code that serves the routes.
#[utoipa::path(
    get,
    path = "/openapi.json",
    responses((status = 200, description = "The OpenAPI document.", body = Object))
)]
pub(crate) async fn openapi_json(
    document: web::Data<ApiDocument>,
) -> Result<HttpResponse, ApiError> {
    let document = document
        .0
        .as_ref()
        .map_err(|error| ApiError::internal(error.clone()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(document.clone()))
}

/// The API reference page
///
/// A browsable reference of this document (Swagger UI), served with all its assets by the service itself.
#[utoipa::path(
    get,
    path = "/docs",
    responses((status = 200, description = "The page.", body = String, content_type = "text/html"))
)]
pub(crate) async fn reference_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

/// An asset of the API reference page
///
/// A script, style sheet or icon of the page at `/docs`.
#[utoipa::path(
    get,
    path = "/docs/{file}",
    params(("file" = String, Path, description = "The asset's name.", example = "swagger-ui.css")),
    responses((status = 200, description = "The asset.", content(
        (String = "text/css"), (String = "text/javascript"), (String = "image/png"), (String = "text/html")
    )))
)]
pub(crate) async fn reference_asset(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let asset = utoipa_swagger_ui::serve(&file, SWAGGER_CONFIG.clone())
        .map_err(|error| ApiError::internal(error.to_string()))?
        .ok_or_else(ApiError::route_not_found)?;
    let mut response = HttpResponse::Ok();
    // The assets change only with the binary; a day keeps reloads cheap without outliving an upgrade for long.
    response.insert_header((CACHE_CONTROL, "public, max-age=86400"));
    response.insert_header((CONTENT_TYPE, asset.content_type));
    Ok(response.body(asset.bytes.into_owned()))
}
