//! Listing cursors: a page's end position, signed so a client can pass it back but not forge or alter it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::{OrderId, OrderPosition, Timestamp};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

/// The cursor format's version, so the format can change without misreading old cursors.
const VERSION: u8 = 1;

/// Bytes of the signature kept (128 bits: forging one is out of reach).
const TAG_LEN: usize = 16;

/// Version, creation time (8 bytes, big-endian), id (16 bytes).
const BODY_LEN: usize = 1 + 8 + 16;

/// The text is not a cursor this service made (altered, truncated, or signed with another key).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("is not a cursor from a previous page")]
pub struct InvalidCursor;

/// Turns positions into opaque cursors and back, with an HMAC-SHA256 key every instance shares.
#[derive(Clone)]
pub struct CursorCodec {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec")
    }
}

impl CursorCodec {
    /// A codec signing with `key`.
    pub fn new(key: &[u8; 32]) -> Self {
        // HMAC pads a key shorter than the hash's block with zeros, so padding it here is the same key, and the
        // fixed-size constructor cannot fail.
        let mut block = hmac::digest::Key::<Hmac<Sha256>>::default();
        block[..key.len()].copy_from_slice(key);
        Self {
            mac: <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block),
        }
    }

    /// The cursor for `position`: base64url text, 55 characters.
    pub fn encode(&self, position: OrderPosition) -> String {
        let mut bytes = Vec::with_capacity(BODY_LEN + TAG_LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&position.created_on.unix_micros().to_be_bytes());
        bytes.extend_from_slice(position.id.as_bytes());
        let tag = self.sign(&bytes);
        bytes.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The position `cursor` was made for.
    ///
    /// # Errors
    /// [`InvalidCursor`] unless this codec's key made exactly this text.
    pub fn decode(&self, cursor: &str) -> Result<OrderPosition, InvalidCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| InvalidCursor)?;
        if bytes.len() != BODY_LEN + TAG_LEN || bytes[0] != VERSION {
            return Err(InvalidCursor);
        }
        let (body, tag) = bytes.split_at(BODY_LEN);
        let mut mac = self.mac.clone();
        mac.update(body);
        mac.verify_truncated_left(tag).map_err(|_| InvalidCursor)?;
        let micros = <[u8; 8]>::try_from(&body[1..9]).map_err(|_| InvalidCursor)?;
        let id = <[u8; 16]>::try_from(&body[9..]).map_err(|_| InvalidCursor)?;
        Ok(OrderPosition {
            created_on: Timestamp::from_unix_micros(i64::from_be_bytes(micros)),
            id: OrderId::from_bytes(id),
        })
    }

    fn sign(&self, body: &[u8]) -> Vec<u8> {
        let mut mac = self.mac.clone();
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> OrderPosition {
        OrderPosition {
            created_on: Timestamp::from_unix_micros(1_700_000_000_123_456),
            id: OrderId::from_bytes([7; 16]),
        }
    }

    #[test]
    fn a_cursor_round_trips_and_is_url_safe() {
        let codec = CursorCodec::new(&[1; 32]);
        let cursor = codec.encode(position());
        assert_eq!(cursor.len(), 55);
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{cursor}"
        );
        assert_eq!(codec.decode(&cursor), Ok(position()));
    }

    #[test]
    fn an_altered_truncated_or_foreign_cursor_is_refused() {
        let codec = CursorCodec::new(&[1; 32]);
        let cursor = codec.encode(position());
        let mut altered = cursor.clone().into_bytes();
        altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        for bad in [
            altered.as_str(),
            &cursor[..54],
            "",
            "not a cursor",
            &format!("{cursor}A"),
        ] {
            assert_eq!(codec.decode(bad), Err(InvalidCursor), "{bad:?}");
        }
        assert_eq!(
            CursorCodec::new(&[2; 32]).decode(&cursor),
            Err(InvalidCursor),
            "signed with another key"
        );
    }
}
