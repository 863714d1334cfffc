//! Where log lines go: stderr, written by a thread of its own. A write to stderr can block (a pipe whose reader is
//! slow, a disk that is flushing dirty pages); written in place, it would hold up the HTTP worker that logged, and
//! every connection that worker serves. Lines wait in a bounded queue instead; when it is full, lines are dropped and
//! counted, and the count is logged once there is room again: logging must never become the outage.
//!
//! The thread is never woken by a line: it looks at the queue every few milliseconds and writes whatever has queued
//! up in one go (a pause of 2 ms while lines keep coming, growing to 50 ms when none do). A thread woken for each
//! line cost a wake-up, two context switches, per request: the benchmark measured 12 to 15% of the service's CPU for
//! access logging, most of it there.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::time::Duration;

/// Lines the queue holds before it drops: about a megabyte of typical lines.
const QUEUE_LINES: usize = 4096;

/// How long [`LogFlusher::flush`] waits for the queue to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// The writer's pause between two looks at the queue while lines keep coming: a batch of a few milliseconds.
const BUSY_PAUSE: Duration = Duration::from_millis(2);

/// The longest pause, reached by doubling while no line comes: an idle service wakes the writer 20 times a second.
const IDLE_PAUSE: Duration = Duration::from_millis(50);

enum Message {
    Line(Vec<u8>),
    /// Answer once every line queued before this one is written.
    Flush(SyncSender<()>),
}

/// The `Write` the logger formats into: each write is one log record, queued for the writer thread.
pub(crate) struct QueuedStderr {
    queue: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

/// Waits for the queued lines to be written: call it before the process exits or writes to stderr itself.
#[derive(Clone)]
pub struct LogFlusher {
    queue: SyncSender<Message>,
}

/// The queue's sending end for the logger, and a flusher for `main`; starts the writer thread.
pub(crate) fn start() -> io::Result<(QueuedStderr, LogFlusher)> {
    let (queue, lines) = mpsc::sync_channel(QUEUE_LINES);
    let dropped = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&dropped);
    std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || write_lines(&lines, &counter, &mut io::stderr()))?;
    let flusher = LogFlusher {
        queue: queue.clone(),
    };
    Ok((QueuedStderr { queue, dropped }, flusher))
}

impl Write for QueuedStderr {
    fn write(&mut self, record: &[u8]) -> io::Result<usize> {
        match self.queue.try_send(Message::Line(record.to_vec())) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            // The writer thread is gone: write in place rather than lose the line.
            Err(TrySendError::Disconnected(_)) => io::stderr().write_all(record)?,
        }
        Ok(record.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl LogFlusher {
    /// Returns once every line logged so far is written, or after two seconds.
    pub fn flush(&self) {
        let (done, written) = mpsc::sync_channel(1);
        if self.queue.send(Message::Flush(done)).is_ok() {
            let _ = written.recv_timeout(FLUSH_TIMEOUT);
        }
    }
}

/// The writer thread: every pause, takes what has queued up, writes it in one go, and says how many lines were
/// dropped; returns once every sender is gone and the queue is written.
fn write_lines(queue: &Receiver<Message>, dropped: &AtomicU64, out: &mut impl Write) {
    let (mut batch, mut flushed, mut pause) = (Vec::new(), Vec::new(), BUSY_PAUSE);
    loop {
        let open = loop {
            match queue.try_recv() {
                Ok(Message::Line(line)) => batch.extend_from_slice(&line),
                Ok(Message::Flush(done)) => flushed.push(done),
                Err(TryRecvError::Empty) => break true,
                Err(TryRecvError::Disconnected) => break false,
            }
        };
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            batch.extend_from_slice(
                format!(
                    "ordersvc: {lost} log lines dropped: stderr was not keeping up with the service\n"
                )
                .as_bytes(),
            );
        }
        pause = if batch.is_empty() && flushed.is_empty() {
            (pause * 2).min(IDLE_PAUSE)
        } else {
            BUSY_PAUSE
        };
        if !batch.is_empty() {
            // A failed write has nowhere to be reported: the lines are lost either way.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
            batch.clear();
        }
        for done in flushed.drain(..) {
            let _ = done.send(());
        }
        if !open {
            return;
        }
        std::thread::sleep(pause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_lines_are_written_in_order_and_a_flush_waits_for_them() {
        let (queue, lines) = mpsc::sync_channel(16);
        let dropped = Arc::new(AtomicU64::new(0));
        let mut logger = QueuedStderr {
            queue: queue.clone(),
            dropped: Arc::clone(&dropped),
        };
        logger.write_all(b"one\n").unwrap();
        logger.write_all(b"two\n").unwrap();
        let flusher = LogFlusher { queue };
        let writer = std::thread::spawn(move || {
            let mut out = Vec::new();
            write_lines(&lines, &dropped, &mut out);
            out
        });
        flusher.flush();
        drop((logger, flusher));
        assert_eq!(writer.join().unwrap(), b"one\ntwo\n");
    }

    #[test]
    fn a_full_queue_drops_lines_and_says_how_many() {
        let (queue, lines) = mpsc::sync_channel(1);
        let dropped = Arc::new(AtomicU64::new(0));
        let mut logger = QueuedStderr {
            queue,
            dropped: Arc::clone(&dropped),
        };
        for line in [&b"kept\n"[..], b"lost\n", b"lost too\n"] {
            logger.write_all(line).unwrap();
        }
        drop(logger);
        let mut out = Vec::new();
        write_lines(&lines, &dropped, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "kept\nordersvc: 2 log lines dropped: stderr was not keeping up with the service\n"
        );
    }
}
