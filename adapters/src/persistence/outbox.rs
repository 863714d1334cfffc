//! The outbox: each change's event, written in the change's transaction, claimed by relays, marked published and
//! purged after the retention.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{BigInt, Binary, Nullable, Text};
use domain::{
    Backlog, EventId, Order, OrderEvent, OrderId, OrderStatus, RepositoryError, Timestamp, Version,
};

use super::connection::AnyConnection;
use super::errors::from_diesel;
use super::rows::{CorruptRow, ItemRow, OrderRow, order_id, orders_from_joined_rows};
use super::schema::{order_events, order_items, orders};
use super::writes::{self, InsertEvent};

/// Writes `event` into the outbox, inside the caller's transaction, with the trace context `traceparent` (see
/// [`trace_context`]).
pub(crate) fn record(
    conn: &mut AnyConnection,
    event: &OrderEvent,
    traceparent: Option<&str>,
) -> Result<(), DieselError> {
    writes::execute(conn, insert_of(event, traceparent)).map(|_| ())
}

/// The trace context an event made now is stored with: the one current on this thread (the request's use case,
/// when tracing is on), as a `traceparent`.
pub(crate) fn trace_context() -> Option<String> {
    crate::telemetry::current_traceparent()
}

/// The `INSERT` of `event`'s row.
pub(crate) fn insert_of<'a>(
    event: &'a OrderEvent,
    traceparent: Option<&'a str>,
) -> InsertEvent<'a> {
    let from = match event.change() {
        domain::OrderChange::Placed => None,
        domain::OrderChange::StatusChanged { from, .. } => Some(from.as_str()),
    };
    InsertEvent {
        event_id: *event.id().as_bytes(),
        order_id: *event.order_id().as_bytes(),
        order_version: super::rows::version_column(event.version()),
        from_status: from,
        to_status: event.order().status().as_str(),
        occurred_on: event.occurred_on().unix_micros(),
        traceparent,
    }
}

/// A claimed event as stored.
#[derive(Debug, QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = Binary)]
    event_id: Vec<u8>,
    #[diesel(sql_type = Binary)]
    order_id: Vec<u8>,
    #[diesel(sql_type = BigInt)]
    order_version: i64,
    #[diesel(sql_type = Nullable<Text>)]
    from_status: Option<String>,
    #[diesel(sql_type = Text)]
    to_status: String,
    #[diesel(sql_type = BigInt)]
    occurred_on: i64,
    #[diesel(sql_type = Nullable<Text>)]
    traceparent: Option<String>,
}

/// Of each order only its earliest unpublished event: a scalar subquery, which runs once per candidate as one probe
/// of `order_events_pending_by_order` (a `NOT EXISTS` left the join's shape to the planner's statistics, which lag
/// behind this churning table).
macro_rules! earliest_of_its_order {
    () => {
        "e.order_version = (SELECT min(p.order_version) FROM order_events p \
            WHERE p.order_id = e.order_id AND p.published_on IS NULL)"
    };
}

/// For the relay's own transactions on PostgreSQL (a claim, a settle): commit without waiting for the disk. A crash
/// can then forget the last fraction of a second of them, which loses nothing: a forgotten claim lets the events be
/// claimed again, a forgotten settle has them published again, and the stream drops a repeated event id. Waiting
/// would put the relay's flushes in the queue of the writes the clients wait for.
macro_rules! relay_commit {
    () => {
        "SET LOCAL synchronous_commit = off"
    };
}

/// The settle's transaction settings on PostgreSQL.
const SETTLE_SETTINGS: &str = relay_commit!();

/// The claim's transaction settings on PostgreSQL, sent in one round trip: the relay's commit, and a walk of the
/// pending events in their order that stops at the batch. The planner guesses that almost no row passes the claim's
/// filter (a scalar subquery's equality is put at half a percent), so left to itself it read every pending event and
/// sorted them: under load, with a backlog of thousands, each claim took tens of milliseconds more and the relay
/// fell behind.
const CLAIM_SETTINGS: &str = concat!(
    relay_commit!(),
    "; SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off"
);

/// The claim on PostgreSQL, in one statement: of each order only the earliest unpublished event, and only when no
/// other relay holds it; rows another relay is claiming at this very moment are skipped instead of waited for.
const CLAIM_LEASED: &str = concat!(
    "UPDATE order_events SET claimed_until = $1 WHERE event_id IN (\
        SELECT e.event_id FROM order_events e \
        WHERE e.published_on IS NULL AND (e.claimed_until IS NULL OR e.claimed_until < $2) AND ",
    earliest_of_its_order!(),
    " ORDER BY e.occurred_on, e.event_id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     RETURNING event_id, order_id, order_version, from_status, to_status, occurred_on, traceparent"
);

/// The claim on SQLite, which one process and so one relay uses: nothing to share, so nothing to lease, and a read
/// takes no turn from the writers (leasing cost a third of the create rate while events were published).
const CLAIM_SOLE: &str = concat!(
    "SELECT e.event_id, e.order_id, e.order_version, e.from_status, e.to_status, e.occurred_on, e.traceparent \
     FROM order_events e WHERE e.published_on IS NULL AND ",
    earliest_of_its_order!(),
    " ORDER BY e.occurred_on, e.event_id LIMIT ?1"
);

/// Claims up to `limit` events (on PostgreSQL until `lease_until`) and reads them with their orders.
pub(crate) fn claim(
    conn: &mut AnyConnection,
    limit: u32,
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<Vec<OrderEvent>, RepositoryError> {
    let mut claimed = match conn {
        AnyConnection::Postgresql(pg) => pg.transaction(|pg| {
            pg.batch_execute(CLAIM_SETTINGS)?;
            diesel::sql_query(CLAIM_LEASED)
                .bind::<BigInt, _>(lease_until.unix_micros())
                .bind::<BigInt, _>(now.unix_micros())
                .bind::<BigInt, _>(i64::from(limit))
                .load::<ClaimedRow>(pg)
        }),
        AnyConnection::Sqlite(sqlite) => diesel::sql_query(CLAIM_SOLE)
            .bind::<BigInt, _>(i64::from(limit))
            .load::<ClaimedRow>(sqlite),
    }
    .map_err(from_diesel)?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    // RETURNING follows no ORDER BY: oldest first again, so the batch is published in the order it happened.
    claimed.sort_by(|a, b| (a.occurred_on, &a.event_id).cmp(&(b.occurred_on, &b.event_id)));
    let ids: Vec<&[u8]> = claimed.iter().map(|row| row.order_id.as_slice()).collect();
    let orders = current_orders(conn, &ids)?;
    claimed
        .into_iter()
        .map(|row| event_of(row, &orders).map_err(|e| RepositoryError::Other(Box::new(e))))
        .collect()
}

/// The orders with these ids, as they are now.
fn current_orders(
    conn: &mut AnyConnection,
    ids: &[&[u8]],
) -> Result<HashMap<OrderId, Order>, RepositoryError> {
    macro_rules! load_orders {
        ($conn:expr) => {
            orders::table
                .inner_join(order_items::table)
                .filter(orders::id.eq_any(ids))
                .order((orders::id.asc(), order_items::line_no.asc()))
                .select((OrderRow::as_select(), ItemRow::as_select()))
                .load::<(OrderRow, ItemRow)>($conn)
        };
    }
    let rows = match conn {
        AnyConnection::Postgresql(pg) => load_orders!(pg),
        AnyConnection::Sqlite(sqlite) => load_orders!(sqlite),
    }
    .map_err(from_diesel)?;
    Ok(orders_from_joined_rows(rows)?
        .into_iter()
        .map(|order| (order.id(), order))
        .collect())
}

/// The event of `row`, with its order as it was right after the change.
fn event_of(row: ClaimedRow, orders: &HashMap<OrderId, Order>) -> Result<OrderEvent, CorruptRow> {
    let id = <[u8; 16]>::try_from(row.event_id.as_slice())
        .map(EventId::from_bytes)
        .map_err(|_| CorruptRow::new("an event id is not 16 bytes"))?;
    let order = orders
        .get(&order_id(&row.order_id)?)
        .ok_or_else(|| CorruptRow::new("an event's order is missing"))?;
    let status = |text: &str| text.parse::<OrderStatus>().map_err(CorruptRow::new);
    let version = Version::new(u64::try_from(row.order_version).map_err(CorruptRow::new)?);
    let then = order.as_of(
        version,
        status(&row.to_status)?,
        Timestamp::from_unix_micros(row.occurred_on),
    );
    let event = match row.from_status {
        None => OrderEvent::placed(id, &then),
        Some(from) => OrderEvent::status_changed(id, &then, status(&from)?),
    };
    Ok(event.with_trace_context(row.traceparent))
}

/// Marks `published` as published at `at` (or, unless `keep`, deletes them) and hands `failed` back: one statement
/// each, on PostgreSQL in one transaction that commits without waiting for the disk (see `relay_commit!`).
pub(crate) fn settle(
    conn: &mut AnyConnection,
    published: &[EventId],
    failed: &[EventId],
    at: Timestamp,
    keep: bool,
) -> Result<(), DieselError> {
    let bytes =
        |ids: &[EventId]| -> Vec<Vec<u8>> { ids.iter().map(|id| id.as_bytes().to_vec()).collect() };
    let work = |conn: &mut AnyConnection| -> Result<(), DieselError> {
        if !published.is_empty() {
            let these = order_events::table.filter(order_events::event_id.eq_any(bytes(published)));
            if keep {
                diesel::update(these)
                    .set((
                        order_events::published_on.eq(Some(at.unix_micros())),
                        order_events::claimed_until.eq(None::<i64>),
                    ))
                    .execute(conn)?;
            } else {
                // A delete writes no new row version and no index entry: the cheapest way out of the outbox.
                diesel::delete(these).execute(conn)?;
            }
        }
        if !failed.is_empty() {
            diesel::update(
                order_events::table
                    .filter(order_events::event_id.eq_any(bytes(failed)))
                    .filter(order_events::published_on.is_null()),
            )
            .set(order_events::claimed_until.eq(None::<i64>))
            .execute(conn)?;
        }
        Ok(())
    };
    match conn {
        AnyConnection::Postgresql(_) => conn.transaction(|conn| {
            conn.batch_execute(SETTLE_SETTINGS)?;
            work(conn)
        }),
        AnyConnection::Sqlite(_) => work(conn),
    }
}

/// Deletes up to `limit` events published before `before`; returns how many.
pub(crate) fn purge(
    conn: &mut AnyConnection,
    before: Timestamp,
    limit: i64,
) -> Result<usize, DieselError> {
    let before = before.unix_micros();
    let expired: Vec<Vec<u8>> = order_events::table
        .filter(order_events::published_on.lt(before))
        .select(order_events::event_id)
        .limit(limit)
        .load(conn)?;
    if expired.is_empty() {
        return Ok(0);
    }
    diesel::delete(order_events::table.filter(order_events::event_id.eq_any(&expired)))
        .execute(conn)
}

/// How many events wait, and the time of the oldest.
pub(crate) fn backlog(conn: &mut AnyConnection) -> Result<Backlog, DieselError> {
    let (count, oldest): (i64, Option<i64>) = order_events::table
        .filter(order_events::published_on.is_null())
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(order_events::occurred_on),
        ))
        .first(conn)?;
    Ok(Backlog {
        count: u64::try_from(count).unwrap_or(0),
        oldest: oldest.map(Timestamp::from_unix_micros),
    })
}
