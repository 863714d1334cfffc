//! List orders: one page, newest first, and where the next one starts.

use domain::{Clock, IdGenerator, OrderPosition, OrderRepository};

use super::CoreOrderService;
use crate::{ListOrders, OrderPage, ServiceError};

impl<R: OrderRepository, C: Clock, I: IdGenerator> CoreOrderService<R, C, I> {
    pub(super) fn list(&self, query: ListOrders) -> Result<OrderPage, ServiceError> {
        let limit = query.limit.get();
        // One more than asked: if it comes back, there is a next page, and it starts after the last order shown.
        let mut orders =
            self.repository
                .list(&query.filter, query.after, limit.saturating_add(1))?;
        let more = orders.len() > limit as usize;
        orders.truncate(limit as usize);
        let next = if more {
            orders.last().map(OrderPosition::of)
        } else {
            None
        };
        Ok(OrderPage { orders, next })
    }
}

#[cfg(test)]
mod tests {
    use domain::{MockOrderRepository, Order, OrderId, OrderStatus, Timestamp};

    use super::*;
    use crate::OrderService;
    use crate::use_cases::test_support::{draft, service, unavailable};

    fn listed(count: u8) -> Vec<Order> {
        (0..count)
            .map(|i| {
                let new = draft().validate().unwrap();
                Order::place(
                    OrderId::from_bytes([i; 16]),
                    new,
                    Timestamp::from_unix_micros(1_000 - i64::from(i)),
                )
            })
            .collect()
    }

    fn list_query(limit: u32) -> ListOrders {
        ListOrders {
            filter: domain::OrderFilter::default(),
            limit: domain::PageSize::new(limit).unwrap(),
            after: None,
        }
    }

    #[test]
    fn a_full_page_asks_for_one_more_and_points_after_its_last_order() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .withf(|_, after, limit| after.is_none() && *limit == 3)
            .times(1)
            .returning(|_, _, _| Ok(listed(3)));
        let page = service(repository).list_orders(list_query(2)).unwrap();
        assert_eq!(page.orders.len(), 2);
        assert_eq!(page.next, Some(OrderPosition::of(&listed(2)[1])));
    }

    #[test]
    fn the_last_page_has_no_next_position() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .times(1)
            .returning(|_, _, _| Ok(listed(2)));
        let page = service(repository).list_orders(list_query(2)).unwrap();
        assert_eq!((page.orders.len(), page.next), (2, None));
    }

    #[test]
    fn the_filter_and_position_reach_the_repository() {
        let filter = domain::OrderFilter {
            status: Some(OrderStatus::Accepted),
            ..Default::default()
        };
        let after = OrderPosition::of(&listed(1)[0]);
        let expected = filter.clone();
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .withf(move |f, a, _| *f == expected && *a == Some(after))
            .times(1)
            .returning(|_, _, _| Ok(vec![]));
        let query = ListOrders {
            filter,
            after: Some(after),
            ..list_query(5)
        };
        assert_eq!(
            service(repository).list_orders(query).unwrap(),
            OrderPage {
                orders: vec![],
                next: None
            }
        );
    }

    #[test]
    fn a_storage_outage_while_listing_is_unavailable() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .times(1)
            .returning(|_, _, _| Err(unavailable()));
        assert!(matches!(
            service(repository).list_orders(list_query(5)),
            Err(ServiceError::Unavailable(_))
        ));
    }
}
