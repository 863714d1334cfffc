//! `GET /openapi.json` and the API reference page, `GET /docs`: Swagger UI, whose files are compiled into the binary
//! (`utoipa-swagger-ui`'s `vendored` feature), so the page works with no network and loads nothing from a CDN.
//!
//! All three are served as [`Asset`]s: gzipped when the client accepts it, with an `ETag`, and `304` on a match
//! (the Swagger UI bundle is 1.5 MB as it is, about 400 KB gzipped). They count against the rate limit.

mod asset;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use utoipa_swagger_ui::Config;

use self::asset::Asset;
use super::error::ApiError;

/// The page and the document change with the binary only, but cost one request to revalidate.
const REVALIDATE: &str = "no-cache";

/// The assets change only with the binary; a day keeps reloads cheap without outliving an upgrade for long, and
/// the `ETag` makes the check after it cheap.
const ONE_DAY: &str = "public, max-age=86400";

/// The page at `/docs`. Its assets are relative to `/docs/`, and the document's URL (in the initializer) is relative
/// to the page, so it also works behind a proxy that mounts the service under a prefix.
const PAGE: &str = include_str!("api_docs/page.html");

/// The API document as served: serialized once (it is a function of the code alone) by the app, which hands it to
/// the handler, since the document is built from the route table that lists this handler.
#[derive(Debug)]
pub(crate) struct ApiDocument(Result<Asset, String>);

impl ApiDocument {
    /// `document` as JSON.
    pub(crate) fn new(document: &utoipa::openapi::OpenApi) -> Self {
        Self(
            serde_json::to_vec(document)
                .map(|json| Asset::new("application/json", REVALIDATE, Bytes::from(json)))
                .map_err(|error| error.to_string()),
        )
    }
}

/// The page, ready to send.
static PAGE_ASSET: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "text/html; charset=utf-8",
        REVALIDATE,
        Bytes::from_static(PAGE.as_bytes()),
    )
});

/// The Swagger UI files asked for so far, by name, each compressed once. Only files that exist are kept, so the
/// map never grows past Swagger UI's few files.
static ASSETS: LazyLock<Mutex<HashMap<String, Arc<Asset>>>> = LazyLock::new(Mutex::default);

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
    req: HttpRequest,
    document: web::Data<ApiDocument>,
) -> Result<HttpResponse, ApiError> {
    let document = document
        .0
        .as_ref()
        .map_err(|error| ApiError::internal(error.clone()))?;
    Ok(document.respond(&req))
}

/// The API reference page
///
/// A browsable reference of this document (Swagger UI), served with all its assets by the service itself.
#[utoipa::path(
    get,
    path = "/docs",
    responses((status = 200, description = "The page.", body = String, content_type = "text/html"))
)]
pub(crate) async fn reference_page(req: HttpRequest) -> HttpResponse {
    PAGE_ASSET.respond(&req)
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
pub(crate) async fn reference_asset(
    req: HttpRequest,
    file: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let known = ASSETS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(file.as_str())
        .cloned();
    let asset = match known {
        Some(asset) => asset,
        None => {
            let found = utoipa_swagger_ui::serve(&file, SWAGGER_CONFIG.clone())
                .map_err(|error| ApiError::internal(error.to_string()))?
                .ok_or_else(ApiError::route_not_found)?;
            // Compressed outside the lock; two first requests at once both compress, and one copy is kept.
            let asset = Arc::new(Asset::new(
                &found.content_type,
                ONE_DAY,
                Bytes::from(found.bytes.into_owned()),
            ));
            ASSETS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(file.into_inner())
                .or_insert(asset)
                .clone()
        }
    };
    Ok(asset.respond(&req))
}
