//! The listing query: a keyset page of orders, newest first, then their items in one more round trip.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use domain::{Order, OrderFilter, OrderPosition, RepositoryError};

use super::connection::AnyConnection;
use super::errors::from_diesel;
use super::rows::{ItemRow, OrderRow};
use super::schema::{order_items, orders};

/// Up to `limit` orders matching `filter`, after `after`, newest first, with their items.
pub(crate) fn list_orders(
    conn: &mut AnyConnection,
    filter: &OrderFilter,
    after: Option<OrderPosition>,
    limit: u32,
) -> Result<Vec<Order>, RepositoryError> {
    let rows = page(conn, filter, after, limit).map_err(from_diesel)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Vec<u8>> = rows.iter().map(|row| row.id.clone()).collect();
    let items: Vec<ItemRow> = order_items::table
        .filter(order_items::order_id.eq_any(&ids))
        .order((order_items::order_id, order_items::line_no))
        .select(ItemRow::as_select())
        .load(conn)
        .map_err(from_diesel)?;
    let mut items_by_order: HashMap<Vec<u8>, Vec<ItemRow>> = HashMap::with_capacity(rows.len());
    for item in items {
        items_by_order
            .entry(item.order_id.clone())
            .or_default()
            .push(item);
    }
    rows.into_iter()
        .map(|row| {
            let items = items_by_order.remove(&row.id).unwrap_or_default();
            row.into_order(items)
                .map_err(|e| RepositoryError::Other(Box::new(e)))
        })
        .collect()
}

/// The order rows of one page. Keyset pagination: the page starts after a position, never at an offset, so a deep
/// page costs what the first does and a page never repeats an order.
fn page(
    conn: &mut AnyConnection,
    filter: &OrderFilter,
    after: Option<OrderPosition>,
    limit: u32,
) -> Result<Vec<OrderRow>, DieselError> {
    let mut query = orders::table.select(OrderRow::as_select()).into_boxed();
    if let Some(customer) = &filter.customer_id {
        query = query.filter(orders::customer_id.eq(customer.as_str().to_owned()));
    }
    if let Some(restaurant) = &filter.restaurant_id {
        query = query.filter(orders::restaurant_id.eq(restaurant.as_str().to_owned()));
    }
    if let Some(status) = filter.status {
        query = query.filter(orders::status.eq(status.as_str()));
    }
    if let Some(position) = after {
        let (created_on, id) = (
            position.created_on.unix_micros(),
            position.id.as_bytes().to_vec(),
        );
        // (created_on, id) < (position): the `<=` bound is what the index range scan uses; the rest only sorts out
        // the orders created at that very microsecond.
        query = query.filter(
            orders::created_on
                .le(created_on)
                .and(orders::created_on.lt(created_on).or(orders::id.lt(id))),
        );
    }
    query
        .order((orders::created_on.desc(), orders::id.desc()))
        .limit(i64::from(limit))
        .load(conn)
}
