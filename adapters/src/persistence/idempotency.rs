//! Idempotency records: claimed in the order's own transaction, read back when an earlier request holds the key,
//! and purged once expired.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use domain::{IdempotencyRecord, Insertion, OrderId, RequestFingerprint, Timestamp};

use super::connection::AnyConnection;
use super::rows::{CorruptRow, order_id};
use super::schema::idempotency_keys;

/// Claims `record`'s key for `order` inside the caller's transaction: `None` when claimed, the earlier request's
/// order when an unexpired record holds the key. A concurrent claim of the same key waits for the first one's
/// transaction (PostgreSQL's unique index; SQLite's single writer), then sees its record.
pub(crate) fn claim(
    conn: &mut AnyConnection,
    record: &IdempotencyRecord,
    order: OrderId,
) -> Result<Option<Insertion>, DieselError> {
    let (owner, key) = (record.owner.as_str(), record.key.as_str());
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::owner.eq(owner))
            .filter(idempotency_keys::key.eq(key))
            .filter(idempotency_keys::created_on.lt(record.expired_before.unix_micros())),
    )
    .execute(conn)?;
    let row = (
        idempotency_keys::owner.eq(owner),
        idempotency_keys::key.eq(key),
        idempotency_keys::fingerprint.eq(record.fingerprint.as_bytes().as_slice()),
        idempotency_keys::order_id.eq(order.as_bytes().as_slice()),
        idempotency_keys::created_on.eq(record.at.unix_micros()),
    );
    // ON CONFLICT is per backend in diesel, so the statement runs on the inner connection.
    let insert = diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict_do_nothing();
    let claimed = match conn {
        AnyConnection::Postgresql(pg) => insert.execute(pg)?,
        AnyConnection::Sqlite(sqlite) => insert.execute(sqlite)?,
    };
    if claimed == 1 {
        return Ok(None);
    }
    let (held_by, fingerprint): (Vec<u8>, Vec<u8>) = idempotency_keys::table
        .filter(idempotency_keys::owner.eq(owner))
        .filter(idempotency_keys::key.eq(key))
        .select((idempotency_keys::order_id, idempotency_keys::fingerprint))
        .first(conn)?;
    let corrupt = |e: CorruptRow| DieselError::DeserializationError(Box::new(e));
    let fingerprint = <[u8; 32]>::try_from(fingerprint.as_slice())
        .map_err(|_| corrupt(CorruptRow::new("a fingerprint is not 32 bytes")))?;
    Ok(Some(Insertion::KeyTaken {
        order_id: order_id(&held_by).map_err(corrupt)?,
        fingerprint: RequestFingerprint::new(fingerprint),
    }))
}

/// Deletes up to `batch` records made before `expired_before`; returns how many. Small batches keep each
/// statement short, so purging never holds up requests for long.
pub(crate) fn purge(
    conn: &mut AnyConnection,
    expired_before: Timestamp,
    batch: i64,
) -> Result<usize, DieselError> {
    let before = expired_before.unix_micros();
    let expired: Vec<String> = idempotency_keys::table
        .filter(idempotency_keys::created_on.lt(before))
        .select(idempotency_keys::key)
        .limit(batch)
        .load(conn)?;
    if expired.is_empty() {
        return Ok(0);
    }
    // By key and age: another owner's unexpired record of the same key stays.
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::key.eq_any(&expired))
            .filter(idempotency_keys::created_on.lt(before)),
    )
    .execute(conn)
}
