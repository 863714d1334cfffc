//! A static file served the way a browser and a proxy expect: compressed with gzip when the client accepts it (and
//! it is worth it), with a strong `ETag` over its content, answered `304 Not Modified` when the client already has
//! it, and `Vary: Accept-Encoding` so that caches keep both forms apart.
//!
//! Each file is compressed once, the first time it is asked for, and kept: the set of files is fixed by the binary.

use actix_web::http::StatusCode;
use actix_web::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, HeaderMap, IF_NONE_MATCH,
    VARY,
};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use std::io::Write;

/// Files smaller than this are sent as they are: gzip's framing would eat most of the gain.
const MIN_COMPRESSED_SIZE: usize = 1024;

/// One file, ready to send in either form.
#[derive(Debug)]
pub(crate) struct Asset {
    content_type: String,
    cache_control: &'static str,
    identity: Bytes,
    /// The gzip form, when it is smaller.
    gzip: Option<Bytes>,
    /// A strong validator of the content (not of its encoding: the gzip form gets its own, suffixed).
    etag: String,
}

impl Asset {
    /// `bytes` of `content_type`, sent with `cache_control`.
    pub(crate) fn new(content_type: &str, cache_control: &'static str, bytes: Bytes) -> Self {
        let digest = Sha256::digest(&bytes);
        let etag = format!("\"{}\"", hex(&digest[..12]));
        let gzip = (bytes.len() >= MIN_COMPRESSED_SIZE)
            .then(|| gzip(&bytes))
            .flatten()
            .filter(|compressed| compressed.len() < bytes.len())
            .map(Bytes::from);
        Self {
            content_type: content_type.to_owned(),
            cache_control,
            identity: bytes,
            gzip,
            etag,
        }
    }

    /// The response to `req`: `304` when its `If-None-Match` names the form it would get, else the file, gzipped
    /// when the client accepts gzip.
    pub(crate) fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let gzip = self.gzip.as_ref().filter(|_| accepts_gzip(req.headers()));
        let etag = match gzip {
            Some(_) => format!("{}-gzip\"", self.etag.trim_end_matches('"')),
            None => self.etag.clone(),
        };
        let not_modified = none_match(req.headers(), &etag);
        let mut response = if not_modified {
            HttpResponse::build(StatusCode::NOT_MODIFIED)
        } else {
            HttpResponse::Ok()
        };
        response
            .insert_header((ETAG, etag.as_str()))
            .insert_header((CACHE_CONTROL, self.cache_control))
            .insert_header((VARY, "Accept-Encoding"));
        if not_modified {
            return response.finish();
        }
        response.insert_header((CONTENT_TYPE, self.content_type.as_str()));
        match gzip {
            Some(compressed) => response
                .insert_header((CONTENT_ENCODING, "gzip"))
                .body(compressed.clone()),
            None => response.body(self.identity.clone()),
        }
    }
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::default());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether `Accept-Encoding` accepts gzip: `gzip` or `*`, with a `q` other than 0 (RFC 9110, section 12.5.3).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(text) = value.to_str() else { continue };
        for coding in text.split(',') {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let q = parts
                .filter_map(|param| {
                    param
                        .strip_prefix("q=")
                        .or_else(|| param.strip_prefix("Q="))
                })
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(q > 0.0);
            } else if name == "*" {
                any = Some(q > 0.0);
            }
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// Whether `If-None-Match` names `etag` (or is `*`), compared weakly as RFC 9110 asks for this header.
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    headers.get_all(IF_NONE_MATCH).any(|value| {
        value.to_str().is_ok_and(|text| {
            text.split(',')
                .any(|tag| tag.trim() == "*" || opaque(tag) == opaque(etag))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn with(name: actix_web::http::header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn gzip_is_accepted_unless_refused_by_a_zero_q() {
        for (value, accepted) in [
            ("gzip", true),
            ("gzip, deflate, br", true),
            ("br;q=1.0, gzip;q=0.8", true),
            ("*", true),
            ("gzip;q=0", false),
            ("*, gzip;q=0", false),
            ("br", false),
            ("identity", false),
        ] {
            assert_eq!(
                accepts_gzip(&with(ACCEPT_ENCODING, value)),
                accepted,
                "{value}"
            );
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_compares_weakly_and_knows_star() {
        let etag = "\"abc\"";
        for (value, matches) in [
            ("\"abc\"", true),
            ("W/\"abc\"", true),
            ("\"x\", \"abc\"", true),
            ("*", true),
            ("\"abd\"", false),
        ] {
            assert_eq!(
                none_match(&with(IF_NONE_MATCH, value), etag),
                matches,
                "{value}"
            );
        }
    }

    #[test]
    fn a_small_file_is_never_compressed_and_a_large_one_is() {
        let small = Asset::new("text/plain", "no-cache", Bytes::from_static(b"tiny"));
        assert!(small.gzip.is_none());
        let large = Asset::new("text/plain", "no-cache", Bytes::from("a".repeat(10_000)));
        let compressed = large.gzip.as_ref().unwrap();
        assert!(compressed.len() < 200, "{}", compressed.len());
    }
}
