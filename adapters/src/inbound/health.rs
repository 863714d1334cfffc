//! The instance's health, for orchestrators and load balancers on any transport: HTTP's `GET /readyz` and gRPC's
//! `grpc.health.v1.Health` both answer from [`Health::check`]. Ready means the database answers a round trip and the
//! instance is not draining, so a balancer stops sending traffic before the instance stops.

#[cfg(test)]
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use domain::BoxError;

/// A readiness probe of a dependency: `Ok` when it answered in time. It blocks, so it runs on the executor.
pub type Probe = Box<dyn Fn() -> Result<(), BoxError> + Send + Sync>;

/// The instance's health: whether it is draining, and how to probe its database.
pub struct Health {
    draining: AtomicBool,
    probe: Probe,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("draining", &self.is_draining())
            .finish_non_exhaustive()
    }
}

impl Health {
    /// Ready while `probe` succeeds, until [`Health::start_draining`].
    pub fn new(probe: Probe) -> Self {
        Self {
            draining: AtomicBool::new(false),
            probe,
        }
    }

    /// From now on readiness fails, so balancers take the instance out; every other route keeps serving.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether [`Health::start_draining`] was called.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Whether the instance should get traffic: `Err` with the reason (for an operator: it names the dependency)
    /// while draining or when the probe fails. Blocks on the probe, so transports run it on the executor.
    ///
    /// # Errors
    /// The reason the instance is not ready.
    pub fn check(&self) -> Result<(), String> {
        if self.is_draining() {
            return Err("the instance is draining".to_owned());
        }
        (self.probe)().map_err(|error| {
            format!(
                "the database did not answer: {}",
                application::error_chain(&*error)
            )
        })
    }
}

/// A health whose probe always succeeds, for tests of other routes.
#[cfg(test)]
pub fn always_ready() -> Arc<Health> {
    Arc::new(Health::new(Box::new(|| Ok(()))))
}
