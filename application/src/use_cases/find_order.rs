//! Read an order, if the caller may see it.

use domain::{Clock, IdGenerator, Order, OrderId, OrderRepository};

use super::CoreOrderService;
use crate::{Caller, ServiceError, policy};

impl<R: OrderRepository, C: Clock, I: IdGenerator> CoreOrderService<R, C, I> {
    pub(super) fn find(&self, caller: &Caller, id: &OrderId) -> Result<Order, ServiceError> {
        // An order the caller may not see is not found, exactly as one that does not exist.
        self.repository
            .find(id)?
            .filter(|order| policy::may_see(caller, order))
            .ok_or(ServiceError::NotFound(*id))
    }
}

#[cfg(test)]
mod tests {
    use domain::{MockOrderRepository, OrderStatus, RepositoryError};
    use mockall::predicate::eq;

    use super::*;
    use crate::OrderService;
    use crate::use_cases::test_support::{ID, its_restaurant, owner, service, stored, stranger};

    #[test]
    fn finding_an_order_returns_it() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .with(eq(ID))
            .times(1)
            .returning(|_| Ok(Some(stored(OrderStatus::Pending, 1))));
        assert_eq!(
            service(repository)
                .find_order(&Caller::Anyone, &ID)
                .unwrap()
                .id(),
            ID
        );
    }

    #[test]
    fn finding_an_unknown_order_is_not_found() {
        let mut repository = MockOrderRepository::new();
        repository.expect_find().times(1).returning(|_| Ok(None));
        assert!(
            matches!(service(repository).find_order(&Caller::Anyone, &ID), Err(ServiceError::NotFound(id)) if id == ID)
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
            service(repository).find_order(&Caller::Anyone, &ID),
            Err(ServiceError::Internal(_))
        ));
    }

    #[test]
    fn an_order_the_caller_may_not_see_is_not_found() {
        for (caller, found) in [
            (owner(), true),
            (its_restaurant(), true),
            (stranger(), false),
        ] {
            let mut repository = MockOrderRepository::new();
            repository
                .expect_find()
                .times(1)
                .returning(|_| Ok(Some(stored(OrderStatus::Pending, 1))));
            let result = service(repository).find_order(&caller, &ID);
            if found {
                assert!(result.is_ok(), "{caller}: {result:?}");
            } else {
                assert!(
                    matches!(result, Err(ServiceError::NotFound(id)) if id == ID),
                    "{caller}"
                );
            }
        }
    }
}
