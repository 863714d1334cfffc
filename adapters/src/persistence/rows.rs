//! Rows as stored, and their conversion to and from the domain. Private to the persistence adapter.

use diesel::prelude::*;
use domain::{
    CustomerId, ItemName, Money, Order, OrderId, OrderItem, OrderItems, ProductCode, Quantity,
    RepositoryError, RestaurantId, StoredOrder, Timestamp, UnitPrice, Version,
};
use thiserror::Error;

use super::schema::{order_items, orders};

/// A stored row that the domain refuses: written by something other than this service, or a bug.
#[derive(Debug, Error)]
#[error("corrupt stored order: {0}")]
pub(crate) struct CorruptRow(String);

impl CorruptRow {
    pub(crate) fn new(what: impl std::fmt::Display) -> Self {
        Self(what.to_string())
    }
}

fn corrupt(what: impl std::fmt::Display) -> CorruptRow {
    CorruptRow::new(what)
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = orders)]
pub(crate) struct OrderRow {
    pub id: Vec<u8>,
    pub customer_id: String,
    pub restaurant_id: String,
    pub status: String,
    pub created_on: i64,
    pub updated_on: i64,
    pub version: i64,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_items)]
pub(crate) struct ItemRow {
    pub order_id: Vec<u8>,
    pub line_no: i32,
    pub product_code: String,
    pub name: String,
    pub unit_price: i64,
    pub quantity: i32,
}

impl OrderRow {
    pub fn from_order(order: &Order) -> Self {
        Self {
            id: order.id().as_bytes().to_vec(),
            customer_id: order.customer_id().to_string(),
            restaurant_id: order.restaurant_id().to_string(),
            status: order.status().as_str().to_owned(),
            created_on: order.created_on().unix_micros(),
            updated_on: order.updated_on().unix_micros(),
            version: version_column(order.version()),
        }
    }

    /// Rebuilds the order from its row and its item rows (in `line_no` order).
    pub fn into_order(self, items: Vec<ItemRow>) -> Result<Order, CorruptRow> {
        let items = items
            .into_iter()
            .map(ItemRow::into_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Order::restore(StoredOrder {
            id: order_id(&self.id)?,
            customer_id: CustomerId::new(&self.customer_id).map_err(corrupt)?,
            restaurant_id: RestaurantId::new(&self.restaurant_id).map_err(corrupt)?,
            status: self.status.parse().map_err(corrupt)?,
            created_on: Timestamp::from_unix_micros(self.created_on),
            updated_on: Timestamp::from_unix_micros(self.updated_on),
            version: Version::new(u64::try_from(self.version).map_err(corrupt)?),
            items: OrderItems::new(items).map_err(corrupt)?,
        }))
    }
}

impl ItemRow {
    pub fn from_order(order: &Order) -> Vec<Self> {
        let order_id = order.id().as_bytes().to_vec();
        (0..)
            .zip(order.items())
            .map(|(line_no, item)| Self {
                order_id: order_id.clone(),
                line_no,
                product_code: item.product_code().to_string(),
                name: item.name().to_string(),
                unit_price: item.unit_price().amount().cents(),
                quantity: i32::try_from(item.quantity().get()).unwrap_or(i32::MAX),
            })
            .collect()
    }

    fn into_item(self) -> Result<OrderItem, CorruptRow> {
        let price =
            Money::from_cents(self.unit_price).ok_or_else(|| corrupt("negative unit price"))?;
        Ok(OrderItem::new(
            ProductCode::new(&self.product_code).map_err(corrupt)?,
            ItemName::new(&self.name).map_err(corrupt)?,
            UnitPrice::new(price).map_err(corrupt)?,
            Quantity::new(i64::from(self.quantity)).map_err(corrupt)?,
        ))
    }
}

/// Orders from rows of an order-items join, sorted so each order's rows are adjacent and its items in `line_no`
/// order: the order's columns repeat on each of its item rows, which costs less than a second round trip.
pub(crate) fn orders_from_joined_rows(
    rows: Vec<(OrderRow, ItemRow)>,
) -> Result<Vec<Order>, RepositoryError> {
    let mut grouped: Vec<(OrderRow, Vec<ItemRow>)> = Vec::new();
    for (order, item) in rows {
        match grouped.last_mut() {
            Some((open, items)) if open.id == order.id => items.push(item),
            _ => grouped.push((order, vec![item])),
        }
    }
    grouped
        .into_iter()
        .map(|(order, items)| {
            order
                .into_order(items)
                .map_err(|e| RepositoryError::Other(Box::new(e)))
        })
        .collect()
}

/// Orders from a stream of the same join's rows, read only as far as needed: it stops after the order that brings
/// the total [`Order::weight`] over `max_weight`, so a page of the largest orders never holds more than that in
/// memory (the rest of the rows are left unread). Each order's rows must be adjacent; its items may come in any
/// order and are put in `line_no` order here, so the statement need not sort them (on SQLite that sort took a
/// temporary B-tree per connection, some megabytes each under load).
pub(crate) fn orders_from_row_stream(
    rows: impl Iterator<Item = QueryResult<(OrderRow, ItemRow)>>,
    max_weight: usize,
) -> Result<Vec<Order>, RepositoryError> {
    let mut orders = Vec::new();
    let mut weight = 0;
    let mut open: Option<(OrderRow, Vec<ItemRow>)> = None;
    let finish = |(order, mut items): (OrderRow, Vec<ItemRow>)| {
        // Already in order as both databases read them (the items' primary key is (order_id, line_no)); a stable
        // sort of a sorted list is one pass.
        items.sort_by_key(|item| item.line_no);
        order
            .into_order(items)
            .map_err(|e| RepositoryError::Other(Box::new(e)))
    };
    for row in rows {
        let (order, item) = row.map_err(super::errors::from_diesel)?;
        match &mut open {
            Some((current, items)) if current.id == order.id => items.push(item),
            _ => {
                if let Some(done) = open.replace((order, vec![item])) {
                    let done = finish(done)?;
                    weight += done.weight();
                    orders.push(done);
                    if weight > max_weight {
                        return Ok(orders);
                    }
                }
            }
        }
    }
    if let Some(done) = open {
        orders.push(finish(done)?);
    }
    Ok(orders)
}

/// An order id read from a 16-byte column.
pub(crate) fn order_id(bytes: &[u8]) -> Result<OrderId, CorruptRow> {
    <[u8; 16]>::try_from(bytes)
        .map(OrderId::from_bytes)
        .map_err(|_| corrupt("an id is not 16 bytes"))
}

/// A version as stored: versions count status changes, far below `i64::MAX`.
pub(crate) fn version_column(version: Version) -> i64 {
    i64::try_from(version.get()).unwrap_or(i64::MAX)
}
