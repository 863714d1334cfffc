//! The event adapter: order events as CloudEvents 1.0 (structured JSON), published to NATS JetStream.
//!
//! The relay use case (`application::EventRelay`) takes events from the outbox and hands them to
//! [`JetStreamPublisher`], which publishes each with `Nats-Msg-Id` = the event id and waits for the stream's ack:
//! an event published twice (a relay died between the ack and the mark) is dropped by the stream's duplicate window.

mod cloud_event;
mod jetstream;

pub use cloud_event::{CloudEventEncoder, EventSource, InvalidEventSource};
pub use jetstream::{
    EventSettings, InvalidSubjectPrefix, JetStreamPublisher, STREAM_DUPLICATE_WINDOW, STREAM_NAME,
    StartError, SubjectPrefix,
};
