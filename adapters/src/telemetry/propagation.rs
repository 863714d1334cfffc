//! W3C Trace Context (`traceparent`, `tracestate`): read from a call's headers or metadata, and written as the
//! `traceparent` an event keeps.

use std::collections::HashMap;
use std::marker::PhantomData;

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry_sdk::propagation::TraceContextPropagator;

/// The header, metadata key and CloudEvents attribute that carries a trace context.
pub(crate) const TRACEPARENT: &str = "traceparent";

/// The context a caller sent in the fields `field` looks up by name (its headers or metadata); an empty context,
/// which starts a trace of its own, when it sent none or one that is not valid.
pub(crate) fn extract<'a>(field: impl Fn(&str) -> Option<&'a str>) -> Context {
    TraceContextPropagator::new().extract(&Lookup(field, PhantomData))
}

/// The `traceparent` of `context`'s span, when it has a valid one.
pub(crate) fn traceparent_of(context: &Context) -> Option<String> {
    let mut fields = HashMap::new();
    TraceContextPropagator::new().inject_context(context, &mut fields);
    fields.remove(TRACEPARENT)
}

/// The context a stored `traceparent` names (a remote parent), or an empty one.
pub(crate) fn from_traceparent(traceparent: &str) -> Context {
    extract(|key| (key == TRACEPARENT).then_some(traceparent))
}

/// Fields looked up by name: all the W3C propagator asks of a carrier (it never lists them).
struct Lookup<'a, F>(F, PhantomData<&'a ()>);

impl<'a, F: Fn(&str) -> Option<&'a str>> Extractor for Lookup<'a, F> {
    fn get(&self, key: &str) -> Option<&str> {
        (self.0)(key)
    }

    fn keys(&self) -> Vec<&str> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TraceContextExt;

    use super::*;

    const SAMPLED: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_traceparent_goes_in_and_comes_out_unchanged() {
        let context = from_traceparent(SAMPLED);
        assert!(context.span().span_context().is_remote());
        assert_eq!(traceparent_of(&context).as_deref(), Some(SAMPLED));
    }

    #[test]
    fn a_malformed_traceparent_is_no_context() {
        for text in [
            "",
            "00-zz-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        ] {
            let context = from_traceparent(text);
            assert!(!context.span().span_context().is_valid(), "{text:?}");
            assert_eq!(traceparent_of(&context), None);
        }
    }
}
