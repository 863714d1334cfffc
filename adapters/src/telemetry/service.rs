//! The use case's span: a decorator over the `OrderService` port (Go kit's tracing endpoint middleware), so the
//! application stays free of OpenTelemetry. Each call gets an INTERNAL span named after the use case, beneath the
//! context current on the executor thread (the call's SERVER span), and made current while the call runs, so the
//! database spans nest beneath it.

use application::{
    Caller, ChangeStatus, ListOrders, OrderPage, OrderService, PlaceOrder, Placed, ServiceError,
    error_chain,
};
use domain::{Order, OrderId};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};

use super::tracer;

/// The attribute naming the order a call concerns.
const ORDER_ID: &str = "ordersvc.order.id";

/// Traces each call of the wrapped service. It traces nothing while tracing is off, so it may wrap a service
/// unconditionally.
#[derive(Debug, Clone)]
pub struct TracedService<S> {
    next: S,
}

impl<S> TracedService<S> {
    /// Wraps `next`.
    pub const fn new(next: S) -> Self {
        Self { next }
    }
}

/// Runs `call` in the span `name` (when tracing is on), which ends with the call's outcome: a server fault
/// (`unavailable`, `internal`) is the span's error, with its causes; a refusal is the caller's, not the span's.
fn traced<T>(
    name: &'static str,
    order_id: Option<&OrderId>,
    call: impl FnOnce() -> Result<T, ServiceError>,
    id_of: impl Fn(&T) -> Option<OrderId>,
) -> Result<T, ServiceError> {
    let Some(tracer) = tracer() else {
        return call();
    };
    let parent = Context::current();
    let mut builder = tracer.span_builder(name).with_kind(SpanKind::Internal);
    if let Some(id) = order_id {
        builder = builder.with_attributes([KeyValue::new(ORDER_ID, id.to_string())]);
    }
    let context = parent.with_span(builder.start_with_context(tracer, &parent));
    let result = {
        let _current = context.clone().attach();
        call()
    };
    let span = context.span();
    match &result {
        Ok(value) => {
            if order_id.is_none()
                && let Some(id) = id_of(value)
            {
                span.set_attribute(KeyValue::new(ORDER_ID, id.to_string()));
            }
        }
        Err(error @ (ServiceError::Unavailable(_) | ServiceError::Internal(_))) => {
            span.set_status(Status::error(error_chain(error)));
        }
        Err(_) => {}
    }
    span.end();
    result
}

impl<S: OrderService> OrderService for TracedService<S> {
    fn place_order(&self, caller: &Caller, command: PlaceOrder) -> Result<Placed, ServiceError> {
        traced(
            "place_order",
            None,
            || self.next.place_order(caller, command),
            |placed| Some(placed.id),
        )
    }

    fn find_order(&self, caller: &Caller, id: &OrderId) -> Result<Order, ServiceError> {
        traced(
            "find_order",
            Some(id),
            || self.next.find_order(caller, id),
            |_| None,
        )
    }

    fn list_orders(&self, caller: &Caller, query: ListOrders) -> Result<OrderPage, ServiceError> {
        traced(
            "list_orders",
            None,
            || self.next.list_orders(caller, query),
            |_| None,
        )
    }

    fn change_status(&self, caller: &Caller, command: ChangeStatus) -> Result<Order, ServiceError> {
        let id = command.id;
        traced(
            "change_status",
            Some(&id),
            || self.next.change_status(caller, command),
            |_| None,
        )
    }
}

#[cfg(test)]
mod tests {
    use application::MockOrderService;

    use super::*;

    #[test]
    fn with_tracing_off_it_passes_calls_and_results_through() {
        let mut next = MockOrderService::new();
        next.expect_find_order()
            .times(1)
            .returning(|_, id| Err(ServiceError::NotFound(*id)));
        let service = TracedService::new(next);
        let id = OrderId::from_bytes([3; 16]);
        assert!(matches!(
            service.find_order(&Caller::Anyone, &id),
            Err(ServiceError::NotFound(found)) if found == id
        ));
    }
}
