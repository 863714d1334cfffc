//! List orders: one page of those the caller may see, newest first, and where the next one starts.

use domain::{Clock, IdGenerator, Order, OrderPosition, OrderRepository};

use super::CoreOrderService;
use crate::{Caller, ListOrders, OrderPage, ServiceError, policy};

impl<R: OrderRepository, C: Clock, I: IdGenerator> CoreOrderService<R, C, I> {
    pub(super) fn list(
        &self,
        caller: &Caller,
        query: ListOrders,
    ) -> Result<OrderPage, ServiceError> {
        let filter = policy::narrow(caller, query.filter)?;
        let limit = query.limit.get();
        // One more than asked: if it comes back, there is a next page, and it starts after the last order shown.
        let mut orders = self.repository.list(
            &filter,
            query.after,
            limit.saturating_add(1),
            PAGE_WEIGHT_LIMIT,
        )?;
        let mut more = orders.len() > limit as usize;
        orders.truncate(limit as usize);
        let fit = fitting(&orders);
        if fit < orders.len() {
            orders.truncate(fit);
            more = true;
        }
        let next = if more {
            orders.last().map(OrderPosition::of)
        } else {
            None
        };
        Ok(OrderPage { orders, next })
    }
}

/// The most a page may weigh, by [`Order::weight`]: about its size on the wire, so a page of the largest orders is about
/// a quarter of a megabyte whichever transport carries it, and a listing's memory is bounded by the service, not by
/// what a client asks for. A page of ordinary orders never comes near it (a hundred orders of a few items weigh some
/// 60 KB); a page of the largest orders (a hundred items with 200-character names, some 30 KB each) holds about
/// eight of them. Half a megabyte measured no better for throughput and a fifth more memory under 20 readers.
pub const PAGE_WEIGHT_LIMIT: usize = 256 * 1024;

/// How many of `orders`, from the first, fit within [`PAGE_WEIGHT_LIMIT`]; at least one, so every page makes
/// progress.
fn fitting(orders: &[Order]) -> usize {
    let mut total = 0;
    orders
        .iter()
        .position(|order| {
            total += order.weight();
            total > PAGE_WEIGHT_LIMIT
        })
        .map_or(orders.len(), |over| over.max(1))
}

#[cfg(test)]
mod tests {
    use domain::{MockOrderRepository, Order, OrderId, OrderStatus, Timestamp};

    use super::*;
    use crate::OrderService;
    use crate::use_cases::test_support::{draft, owner, service, stranger, unavailable};

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
            .withf(|_, after, limit, weight| {
                after.is_none() && *limit == 3 && *weight == PAGE_WEIGHT_LIMIT
            })
            .times(1)
            .returning(|_, _, _, _| Ok(listed(3)));
        let page = service(repository)
            .list_orders(&Caller::Anyone, list_query(2))
            .unwrap();
        assert_eq!(page.orders.len(), 2);
        assert_eq!(page.next, Some(OrderPosition::of(&listed(2)[1])));
    }

    /// `count` orders of a hundred items with 200-character names: the largest orders there are.
    fn largest(count: u8) -> Vec<Order> {
        (0..count)
            .map(|i| {
                let mut draft = draft();
                let item = draft.items.as_ref().unwrap()[0].clone();
                draft.items = Some(
                    (0..100)
                        .map(|n| domain::OrderItemDraft {
                            product_code: Some(format!("product-{n}")),
                            name: Some("n".repeat(200)),
                            ..item.clone()
                        })
                        .collect(),
                );
                Order::place(
                    OrderId::from_bytes([i; 16]),
                    draft.validate().unwrap(),
                    Timestamp::from_unix_micros(1_000 - i64::from(i)),
                )
            })
            .collect()
    }

    #[test]
    fn a_page_of_the_largest_orders_is_cut_at_its_weight_limit_and_points_after_its_last_order() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .times(1)
            .returning(|_, _, _, _| Ok(largest(40)));
        let page = service(repository)
            .list_orders(&Caller::Anyone, list_query(100))
            .unwrap();
        let weight: usize = page.orders.iter().map(Order::weight).sum();
        assert!(weight <= PAGE_WEIGHT_LIMIT, "{weight}");
        assert!(
            (5..40).contains(&page.orders.len()),
            "{}",
            page.orders.len()
        );
        let last = page.orders.last().unwrap();
        assert_eq!(page.next, Some(OrderPosition::of(last)));
    }

    #[test]
    fn a_page_holds_at_least_one_order_and_a_short_cut_page_still_has_a_next() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .times(1)
            .returning(|_, _, _, _| Ok(largest(2)));
        let page = service(repository)
            .list_orders(&Caller::Anyone, list_query(2))
            .unwrap();
        // Both fit; with a weight limit below one order, one would still be listed.
        assert_eq!(page.orders.len(), 2);
        assert_eq!(fitting(&largest(1)), 1);
        assert_eq!(fitting(&[]), 0);
    }

    #[test]
    fn ordinary_orders_fill_the_largest_page_without_being_cut() {
        assert!(listed(100).iter().map(Order::weight).sum::<usize>() < PAGE_WEIGHT_LIMIT / 4);
    }

    #[test]
    fn the_last_page_has_no_next_position() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .times(1)
            .returning(|_, _, _, _| Ok(listed(2)));
        let page = service(repository)
            .list_orders(&Caller::Anyone, list_query(2))
            .unwrap();
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
            .withf(move |f, a, _, _| *f == expected && *a == Some(after))
            .times(1)
            .returning(|_, _, _, _| Ok(vec![]));
        let query = ListOrders {
            filter,
            after: Some(after),
            ..list_query(5)
        };
        assert_eq!(
            service(repository)
                .list_orders(&Caller::Anyone, query)
                .unwrap(),
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
            .returning(|_, _, _, _| Err(unavailable()));
        assert!(matches!(
            service(repository).list_orders(&Caller::Anyone, list_query(5)),
            Err(ServiceError::Unavailable(_))
        ));
    }

    #[test]
    fn a_customers_listing_is_narrowed_to_its_own_orders() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .withf(|filter, _, _, _| {
                filter.customer_id.as_ref().map(domain::CustomerId::as_str) == Some("c-1")
            })
            .times(1)
            .returning(|_, _, _, _| Ok(listed(1)));
        assert_eq!(
            service(repository)
                .list_orders(&owner(), list_query(10))
                .unwrap()
                .orders
                .len(),
            1
        );
    }

    #[test]
    fn a_filter_naming_another_customer_is_forbidden_and_reads_nothing() {
        let mut repository = MockOrderRepository::new();
        repository.expect_list().never();
        let mut query = list_query(10);
        query.filter.customer_id = Some(domain::CustomerId::new("c-1").unwrap());
        let result = service(repository).list_orders(&stranger(), query);
        assert!(
            matches!(result, Err(ServiceError::Forbidden(_))),
            "{result:?}"
        );
    }
}
