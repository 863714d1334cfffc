//! Read an order.

use domain::{Clock, IdGenerator, Order, OrderId, OrderRepository};

use super::CoreOrderService;
use crate::ServiceError;

impl<R: OrderRepository, C: Clock, I: IdGenerator> CoreOrderService<R, C, I> {
    pub(super) fn find(&self, id: &OrderId) -> Result<Order, ServiceError> {
        self.repository.find(id)?.ok_or(ServiceError::NotFound(*id))
    }
}

#[cfg(test)]
mod tests {
    use domain::{MockOrderRepository, OrderStatus, RepositoryError};
    use mockall::predicate::eq;

    use super::*;
    use crate::OrderService;
    use crate::use_cases::test_support::{ID, service, stored};

    #[test]
    fn finding_an_order_returns_it() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .with(eq(ID))
            .times(1)
            .returning(|_| Ok(Some(stored(OrderStatus::Pending, 1))));
        assert_eq!(service(repository).find_order(&ID).unwrap().id(), ID);
    }

    #[test]
    fn finding_an_unknown_order_is_not_found() {
        let mut repository = MockOrderRepository::new();
        repository.expect_find().times(1).returning(|_| Ok(None));
        assert!(
            matches!(service(repository).find_order(&ID), Err(ServiceError::NotFound(id)) if id == ID)
        );
    }

    #[test]
    fn a_storage_failure_while_finding_is_internal() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .times(1)
            .returning(|_| Err(RepositoryError::Other("corrupt row".into())));
        assert!(matches!(
            service(repository).find_order(&ID),
            Err(ServiceError::Internal(_))
        ));
    }
}
