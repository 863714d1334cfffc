//! What a call's metadata says: its context (the request id the call layer chose, and the client's deadline), the
//! idempotency key, the credentials (`authorization`), and the proxies' `x-forwarded-for`.

use std::time::Duration;

use domain::IdempotencyKey;
use tonic::Request;
use tonic::metadata::MetadataMap;

use crate::inbound::{
    Failure, IDEMPOTENCY_KEY, RequestContext, RequestId, X_FORWARDED_FOR, idempotency_key,
};

/// The metadata key of the client's deadline.
const GRPC_TIMEOUT: &str = "grpc-timeout";

/// The context of `request`: the request id the call layer stored (a new one without it), and the client's
/// deadline, a little early (a twentieth of the timeout, at most 50 ms), so that the answer `DEADLINE_EXCEEDED`
/// reaches the client before its own timer gives up.
pub(crate) fn context_of<T>(request: &Request<T>) -> RequestContext {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate);
    let context = RequestContext::new(request_id);
    match timeout_of(request.metadata()) {
        Some(timeout) => {
            let margin = (timeout / 20).min(Duration::from_millis(50));
            context.with_timeout(timeout.saturating_sub(margin))
        }
        None => context,
    }
}

/// The `grpc-timeout` of a call: 1 to 8 digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`); `None` when absent or
/// malformed.
fn timeout_of(metadata: &MetadataMap) -> Option<Duration> {
    let text = metadata.get(GRPC_TIMEOUT)?.to_str().ok()?;
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(value.checked_mul(3600)?),
        "M" => Duration::from_secs(value.checked_mul(60)?),
        "S" => Duration::from_secs(value),
        "m" => Duration::from_millis(value),
        "u" => Duration::from_micros(value),
        "n" => Duration::from_nanos(value),
        _ => return None,
    })
}

/// The call's idempotency key, by the HTTP header's rules.
///
/// # Errors
/// `malformed_request` when it is not 1 to 255 visible ASCII characters, or sent twice.
pub(crate) fn idempotency_key_of<T>(
    request: &Request<T>,
) -> Result<Option<IdempotencyKey>, Failure> {
    let values = request.metadata().get_all(IDEMPOTENCY_KEY);
    idempotency_key(values.iter().map(|value| value.as_encoded_bytes()))
}

/// Every `authorization` value of the call, in the order received (a bearer token, once).
pub(crate) fn authorization_of(metadata: &MetadataMap) -> impl Iterator<Item = &[u8]> {
    metadata
        .get_all("authorization")
        .into_iter()
        .map(|value| value.as_encoded_bytes())
}

/// Every `x-forwarded-for` value of the call, in the order received.
pub(crate) fn forwarded_of(metadata: &MetadataMap) -> Vec<&[u8]> {
    metadata
        .get_all(X_FORWARDED_FOR)
        .iter()
        .map(|value| value.as_encoded_bytes())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout(text: &str) -> Option<Duration> {
        let mut metadata = MetadataMap::new();
        metadata.insert(GRPC_TIMEOUT, text.parse().unwrap());
        timeout_of(&metadata)
    }

    #[test]
    fn a_grpc_timeout_is_read_in_every_unit() {
        for (text, expected) in [
            ("2H", Duration::from_secs(7200)),
            ("3M", Duration::from_secs(180)),
            ("5S", Duration::from_secs(5)),
            ("250m", Duration::from_millis(250)),
            ("99999999u", Duration::from_micros(99_999_999)),
            ("7n", Duration::from_nanos(7)),
        ] {
            assert_eq!(timeout(text), Some(expected), "{text}");
        }
        for text in ["", "S", "5", "5s", "123456789S", "-1S", "1.5S"] {
            assert_eq!(timeout(text), None, "{text}");
        }
    }

    #[test]
    fn the_deadline_comes_a_little_before_the_clients() {
        let mut request = Request::new(());
        request
            .metadata_mut()
            .insert(GRPC_TIMEOUT, "1000m".parse().unwrap());
        let deadline = context_of(&request).deadline().unwrap();
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        assert!(
            left <= Duration::from_millis(950) && left > Duration::from_millis(900),
            "{left:?}"
        );
    }
}
