//! Idempotent creation: a client-chosen key makes a retried create return the order the first attempt made, instead
//! of a second order.

use std::fmt;

use thiserror::Error;

use crate::{OrderId, Timestamp};

/// A client's name for one create request: 1 to 255 visible ASCII characters (no spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// The text is not an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("must be 1 to {max} visible ASCII characters", max = IdempotencyKey::MAX_LEN)]
pub struct InvalidIdempotencyKey;

impl IdempotencyKey {
    /// The longest key.
    pub const MAX_LEN: usize = 255;

    /// Checks `raw` is 1..=255 visible ASCII characters.
    ///
    /// # Errors
    /// [`InvalidIdempotencyKey`] otherwise.
    pub fn new(raw: &str) -> Result<Self, InvalidIdempotencyKey> {
        if (1..=Self::MAX_LEN).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidIdempotencyKey)
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whose idempotency keys these are. A key is its caller's own name for a request, so the same key from two callers
/// names two independent requests: records are kept per owner and key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyOwner(String);

impl KeyOwner {
    /// The owner of keys sent when callers are not told apart (authentication is off): the empty name, which
    /// records stored before keys had owners also carry.
    pub const fn anyone() -> Self {
        Self(String::new())
    }

    /// An owner by name; the application names one per caller, such that two callers never share a name.
    pub fn named(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The owner's name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A digest of a create request's content (SHA-256, made by the transport), so a reused key can be told apart from a
/// retry: the same key with another fingerprint is another request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestFingerprint([u8; 32]);

impl RequestFingerprint {
    /// Wraps a 32-byte digest.
    pub const fn new(digest: [u8; 32]) -> Self {
        Self(digest)
    }

    /// The digest's bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// What the repository stores beside a new order so a retry finds it: whose key, the key, the request's fingerprint, when, and
/// from when on an older record of the same key counts as expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Whose key it is.
    pub owner: KeyOwner,
    /// The client's key.
    pub key: IdempotencyKey,
    /// The request's fingerprint.
    pub fingerprint: RequestFingerprint,
    /// When the request was made.
    pub at: Timestamp,
    /// A stored record of this key made before this instant has expired and is replaced.
    pub expired_before: Timestamp,
}

/// What storing a new order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insertion {
    /// The order (and its idempotency record, if any) is stored.
    Inserted,
    /// Nothing was stored: an earlier request holds the idempotency key.
    KeyTaken {
        /// The order the earlier request made.
        order_id: OrderId,
        /// The earlier request's fingerprint.
        fingerprint: RequestFingerprint,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::new("a").is_ok());
        assert!(IdempotencyKey::new("order-2026-11-29/7f3e:retry#1").is_ok());
        assert!(IdempotencyKey::new(&"k".repeat(255)).is_ok());
        for bad in [
            String::new(),
            "k".repeat(256),
            "has space".into(),
            "tab\t".into(),
            "é".into(),
        ] {
            assert_eq!(
                IdempotencyKey::new(&bad),
                Err(InvalidIdempotencyKey),
                "{bad:?}"
            );
        }
    }
}
