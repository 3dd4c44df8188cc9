//! The open connections, oldest first, with what the cap needs to know of each: is a request in
//! flight, and how to ask it to close.

use atomic_waker::AtomicWaker;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use tokio::sync::Notify;
use tokio::time::Instant;

/// One open connection.
#[derive(Debug)]
pub(crate) struct Slot {
    id: u64,
    in_flight: AtomicUsize,
    /// Set once the first request head has arrived.
    begun: AtomicBool,
    /// Set once the registry asked this connection to close (so it is not chosen twice).
    evicted: AtomicBool,
    /// Set when the connection must close: evicted, or the server is stopping.
    close: AtomicBool,
    /// The connection's task, woken when `close` is set. An atomic waker rather than a
    /// `Notify`: the connection polls it at every wake-up, and `Notify` takes a lock each time.
    close_waker: AtomicWaker,
    last_active: Mutex<Instant>,
}

impl Slot {
    pub(crate) fn begin_request(&self) {
        self.begun.store(true, Ordering::SeqCst);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn end_request(&self) {
        *lock(&self.last_active) = Instant::now();
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether a request head has ever arrived on this connection.
    pub(crate) fn has_begun(&self) -> bool {
        self.begun.load(Ordering::SeqCst)
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) == 0
    }

    /// When the connection last finished a request (or opened).
    pub(crate) fn last_active(&self) -> Instant {
        *lock(&self.last_active)
    }

    /// Resolves once the registry asks this connection to close: it was evicted, or the server
    /// is stopping.
    pub(crate) fn close_requested(&self) -> impl Future<Output = ()> + '_ {
        // The waker last registered: a connection's task keeps the same one, so registering
        // again (a clone and a drop per wake-up) is only needed when it changes.
        let mut registered: Option<Waker> = None;
        std::future::poll_fn(move |cx| {
            if self.close.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            if !registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                self.close_waker.register(cx.waker());
                registered = Some(cx.waker().clone());
            }
            // Set between the first check and the registration: the wake-up may be lost.
            if self.close.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }

    fn request_close(&self) {
        self.close.store(true, Ordering::Release);
        self.close_waker.wake();
    }
}

/// Every open connection, by age.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, Arc<Slot>>>,
    emptied: Notify,
}

impl Registry {
    pub(crate) fn len(&self) -> usize {
        lock(&self.open).len()
    }

    pub(crate) fn open(&self) -> Arc<Slot> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            id,
            in_flight: AtomicUsize::new(0),
            begun: AtomicBool::new(false),
            evicted: AtomicBool::new(false),
            close: AtomicBool::new(false),
            close_waker: AtomicWaker::new(),
            last_active: Mutex::new(Instant::now()),
        });
        lock(&self.open).insert(id, Arc::clone(&slot));
        slot
    }

    pub(crate) fn close(&self, slot: &Slot) {
        let mut open = lock(&self.open);
        open.remove(&slot.id);
        if open.is_empty() {
            self.emptied.notify_waiters();
        }
    }

    /// Ask the oldest connection with no request in flight to close. False when there is none.
    ///
    /// The evicted connection leaves the registry at once, so the caller can count on the room.
    pub(crate) fn evict_oldest_idle(&self) -> bool {
        let mut open = lock(&self.open);
        let victim = open
            .values()
            .find(|s| s.is_idle() && !s.evicted.load(Ordering::SeqCst))
            .map(|s| s.id);
        let Some(id) = victim else {
            return false;
        };
        if let Some(slot) = open.remove(&id) {
            slot.evicted.store(true, Ordering::SeqCst);
            slot.request_close();
        }
        true
    }

    /// Ask every open connection to close (the server is stopping).
    pub(crate) fn close_all(&self) {
        for slot in lock(&self.open).values() {
            slot.request_close();
        }
    }

    /// Wait until no connection is open.
    pub(crate) async fn wait_empty(&self) {
        loop {
            let emptied = self.emptied.notified();
            if self.len() == 0 {
                return;
            }
            emptied.await;
        }
    }
}

/// A poisoned lock only means a connection task panicked; the map itself is still sound.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
