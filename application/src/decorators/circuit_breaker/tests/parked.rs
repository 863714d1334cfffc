//! A store call held in place, so a test can act while it is in flight, on real threads and without sleeping.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

use domain::{MockOrderRepository, Order, RepositoryError};

use super::{Answer, Harness};

/// What a parked `find`, and the thread running it, tell the test.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    InStore,
    Returned,
}

/// A `find` that stops inside the store until the test lets it go.
pub(super) struct Parked {
    sender: Sender<Event>,
    receiver: Receiver<Event>,
    release: Sender<()>,
}

/// Makes the store's one `find` stop inside it until released, then answer `answer`.
pub(super) fn park_find(store: &mut MockOrderRepository, answer: Answer) -> Parked {
    let (sender, receiver) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let in_store = sender.clone();
    store.expect_find().times(1).returning(move |_| {
        in_store.send(Event::InStore).unwrap();
        let _ = released.recv();
        answer.result()
    });
    Parked {
        sender,
        receiver,
        release,
    }
}

impl Parked {
    /// Runs `find` on another thread and, once it is inside the store, `meanwhile` on this one; then lets the store
    /// answer. Dropping `release` (also when `meanwhile` panics) is what lets it answer, so no failure can hang.
    pub(super) fn while_find_is_held<T>(
        self,
        harness: &Harness,
        meanwhile: impl FnOnce() -> T,
    ) -> (Result<Option<Order>, RepositoryError>, T) {
        let Self {
            sender,
            receiver,
            release,
        } = self;
        thread::scope(|scope| {
            let held = scope.spawn(move || {
                let result = harness.find();
                let _ = sender.send(Event::Returned);
                result
            });
            assert_eq!(receiver.recv().unwrap(), Event::InStore);
            let outcome = meanwhile();
            drop(release);
            (held.join().unwrap(), outcome)
        })
    }
}
