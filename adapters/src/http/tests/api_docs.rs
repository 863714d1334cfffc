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
