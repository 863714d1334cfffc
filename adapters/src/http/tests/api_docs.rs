//! The API reference page: HTML whose every asset the service serves itself, with no address on another host.

use actix_web::test::{self, TestRequest};
use application::MockOrderService;

use super::{capture_logs, header, log_lines_of, send};

/// Hosts that serve JavaScript, style sheets or fonts to pages: none may appear in what `/docs` loads.
const CDN_HOSTS: [&str; 6] = [
    "unpkg.com",
    "jsdelivr.net",
    "cdnjs.cloudflare.com",
    "fonts.googleapis.com",
    "fonts.gstatic.com",
    "cdn.redoc.ly",
];

/// Status, content type and body (as text, lossily: the icons are PNG) of `GET path`.
async fn get(path: &str) -> (u16, Option<String>, String) {
    let response = send(MockOrderService::new(), TestRequest::get().uri(path)).await;
    let content_type = header(&response, "content-type").map(str::to_owned);
    let status = response.status().as_u16();
    let body = test::read_body(response).await;
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// The values of every `src="..."` and `href="..."` in `html`.
fn asset_links(html: &str) -> Vec<String> {
    ["src=\"", "href=\""]
        .iter()
        .flat_map(|attribute| html.split(attribute).skip(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[actix_web::test]
async fn the_page_is_html_whose_assets_are_all_served_by_the_service() {
    let (status, content_type, html) = get("/docs").await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("text/html; charset=utf-8"));
    let links = asset_links(&html);
    assert!(links.len() >= 5, "{links:?}");
    for link in links {
        assert!(
            !link.contains("//") && !link.starts_with('/'),
            "{link} is not relative to the page"
        );
        // Relative to `/docs`, `docs/x` is `/docs/x`.
        let (status, content_type, body) = get(&format!("/{link}")).await;
        assert_eq!(status, 200, "{link}");
        assert!(!body.is_empty(), "{link}");
        assert!(
            content_type.is_some_and(|t| !t.contains("octet-stream")),
            "{link}"
        );
    }
}

#[actix_web::test]
async fn nothing_the_page_loads_names_a_cdn_or_an_online_validator() {
    let (_, _, html) = get("/docs").await;
    for link in asset_links(&html) {
        let (_, _, body) = get(&format!("/{link}")).await;
        for host in CDN_HOSTS {
            assert!(!body.contains(host), "{link} mentions {host}");
        }
    }
    let (_, _, initializer) = get("/docs/swagger-initializer.js").await;
    assert!(
        initializer.contains(r#""url": "openapi.json""#),
        "{initializer}"
    );
    assert!(
        initializer.contains(r#""validatorUrl": "none""#),
        "{initializer}"
    );
    assert!(!initializer.contains("http://") && !initializer.contains("https://"));
}

#[actix_web::test]
async fn an_unknown_asset_is_a_404_problem() {
    let (status, content_type, body) = get("/docs/missing.js").await;
    assert_eq!(status, 404);
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert!(body.contains(r#""code":"not_found""#), "{body}");
}

#[actix_web::test]
async fn a_successful_fetch_of_the_document_or_the_page_is_no_info_access_line() {
    capture_logs();
    for (path, id) in [
        ("/openapi.json", "docs-quiet-1"),
        ("/docs", "docs-quiet-2"),
        ("/docs/swagger-ui.css", "docs-quiet-3"),
    ] {
        let request = TestRequest::get()
            .uri(path)
            .insert_header(("x-request-id", id));
        let response = send(MockOrderService::new(), request).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(log_lines_of(id), Vec::<String>::new(), "{path}");
    }
}

#[actix_web::test]
async fn heavy_files_are_gzipped_for_clients_that_accept_it_and_revalidate_with_their_etag() {
    for path in ["/docs/swagger-ui-bundle.js", "/openapi.json"] {
        let plain = send(MockOrderService::new(), TestRequest::get().uri(path)).await;
        assert_eq!(header(&plain, "content-encoding"), None, "{path}");
        assert_eq!(header(&plain, "vary"), Some("Accept-Encoding"), "{path}");
        let plain_etag = header(&plain, "etag").unwrap().to_owned();
        let plain_body = test::read_body(plain).await;

        let request = TestRequest::get()
            .uri(path)
            .insert_header(("accept-encoding", "gzip, br"));
        let gzipped = send(MockOrderService::new(), request).await;
        assert_eq!(header(&gzipped, "content-encoding"), Some("gzip"), "{path}");
        let etag = header(&gzipped, "etag").unwrap().to_owned();
        assert_ne!(etag, plain_etag, "{path}: one ETag for two forms");
        let body = test::read_body(gzipped).await;
        assert!(
            body.len() * 2 < plain_body.len(),
            "{path}: {} of {}",
            body.len(),
            plain_body.len()
        );
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain_body, "{path}");

        let again = TestRequest::get()
            .uri(path)
            .insert_header(("accept-encoding", "gzip"))
            .insert_header(("if-none-match", etag.as_str()));
        let again = send(MockOrderService::new(), again).await;
        assert_eq!(again.status().as_u16(), 304, "{path}");
        assert_eq!(header(&again, "etag"), Some(etag.as_str()));
        assert!(test::read_body(again).await.is_empty());
    }
}

#[actix_web::test]
async fn the_page_is_too_small_to_gzip_but_revalidates_with_its_etag() {
    let request = TestRequest::get()
        .uri("/docs")
        .insert_header(("accept-encoding", "gzip"));
    let page = send(MockOrderService::new(), request).await;
    assert_eq!(header(&page, "content-encoding"), None);
    let etag = header(&page, "etag").unwrap().to_owned();
    let again = TestRequest::get()
        .uri("/docs")
        .insert_header(("if-none-match", etag.as_str()));
    let again = send(MockOrderService::new(), again).await;
    assert_eq!(again.status().as_u16(), 304);
}

#[actix_web::test]
async fn the_assets_may_be_cached_for_a_day_and_the_page_revalidated() {
    let asset = send(
        MockOrderService::new(),
        TestRequest::get().uri("/docs/swagger-ui.css"),
    )
    .await;
    assert_eq!(
        header(&asset, "cache-control"),
        Some("public, max-age=86400")
    );
    let page = send(MockOrderService::new(), TestRequest::get().uri("/docs")).await;
    assert_eq!(header(&page, "cache-control"), Some("no-cache"));
}
