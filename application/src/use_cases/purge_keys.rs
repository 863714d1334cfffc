//! Purge expired idempotency keys: a maintenance use case, run in the background, through the same repository
//! (and so the same circuit breaker and metrics) as every request.

use domain::{Clock, IdGenerator, OrderRepository};

use super::CoreOrderService;
use crate::ServiceError;

/// Forgets idempotency keys older than the retention, in short batches.
pub trait ExpiredKeyPurge: Send + Sync {
    /// Forgets up to `batch` keys that expired; returns how many it forgot (fewer than `batch`: none are left).
    ///
    /// # Errors
    /// `Unavailable` or `Internal` when storage fails.
    fn purge_expired_keys(&self, batch: u32) -> Result<usize, ServiceError>;
}

impl<R: OrderRepository, C: Clock, I: IdGenerator> ExpiredKeyPurge for CoreOrderService<R, C, I> {
    fn purge_expired_keys(&self, batch: u32) -> Result<usize, ServiceError> {
        let expired_before = self.clock.now().minus(self.idempotency_retention);
        Ok(self
            .repository
            .purge_idempotency_keys(expired_before, batch)?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use domain::MockOrderRepository;
    use mockall::predicate::eq;

    use super::*;
    use crate::use_cases::test_support::{NOW, service, unavailable};

    #[test]
    fn keys_older_than_the_retention_are_purged_in_batches() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_purge_idempotency_keys()
            .with(eq(NOW.minus(Duration::from_secs(60))), eq(500))
            .times(1)
            .returning(|_, _| Ok(7));
        let service = service(repository).with_idempotency_retention(Duration::from_secs(60));
        assert_eq!(service.purge_expired_keys(500).unwrap(), 7);
    }

    #[test]
    fn a_storage_outage_while_purging_is_unavailable() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_purge_idempotency_keys()
            .times(1)
            .returning(|_, _| Err(unavailable()));
        assert!(matches!(
            service(repository).purge_expired_keys(10),
            Err(ServiceError::Unavailable(_))
        ));
    }
}
