//! The clock of `collaudo serve`: the wall clock plus an offset that only grows.
//!
//! In a scenario the Nodo runs on a virtual clock that moves only when told to. A server for
//! manual testing must follow real time (a position loaded today is due tomorrow), yet a tester
//! must be able to make an hour pass for a station's receipt retries or Stand-In probes without
//! waiting for it: [`OffsetClock`] reads the wall clock and adds an offset, and every
//! [`Clock::advance`] / [`Clock::advance_to`] grows the offset. The offset is persisted, so
//! time advanced before a restart stays advanced.

use collaudo_nodo::{Clock, SystemClock, VirtualTime};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Wall clock + offset (milliseconds, never negative, never decreasing). Clones share the
/// offset.
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset_ms: Arc<AtomicI64>,
}

impl OffsetClock {
    /// A clock `offset_ms` ahead of the wall clock (a negative offset counts as zero).
    pub fn new(offset_ms: i64) -> Self {
        OffsetClock {
            offset_ms: Arc::new(AtomicI64::new(offset_ms.max(0))),
        }
    }

    /// How far ahead of the wall clock this clock is, in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Clock for OffsetClock {
    fn now(&self) -> VirtualTime {
        SystemClock.now().plus(Duration::from_millis(
            u64::try_from(self.offset_ms()).unwrap_or(0),
        ))
    }

    fn advance(&self, d: Duration) {
        let step = ms(d);
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
                Some(v.saturating_add(step))
            });
    }

    /// Follows the wall clock: time passes on its own.
    fn is_virtual(&self) -> bool {
        false
    }

    fn advance_to(&self, t: VirtualTime) {
        // One atomic step: the offset that makes now() reach t, if it is larger. Reading the
        // wall clock inside the update keeps two callers from adding up their moves.
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
                let wall = SystemClock.now().millis();
                let needed = t.millis().saturating_sub(wall);
                (needed > v).then_some(needed)
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_wall_clock_and_only_moves_forward() {
        let c = OffsetClock::new(0);
        let wall = SystemClock.now();
        assert!(c.now() >= wall);
        c.advance(Duration::from_secs(3600));
        assert!(c.now().since(wall) >= Duration::from_secs(3600));
        assert_eq!(c.offset_ms(), 3_600_000);
        // advance_to a past instant changes nothing.
        c.advance_to(wall);
        assert_eq!(c.offset_ms(), 3_600_000);
        // advance_to two hours from now: the offset grows to about two hours.
        let target = SystemClock.now().plus(Duration::from_secs(7200));
        c.advance_to(target);
        assert!(c.now() >= target);
        assert!(
            (7_199_000..=7_201_000).contains(&c.offset_ms()),
            "{}",
            c.offset_ms()
        );
        let shared = c.clone();
        shared.advance(Duration::from_secs(60));
        assert!(c.offset_ms() >= 7_259_000);
        assert_eq!(OffsetClock::new(-5).offset_ms(), 0);
    }
}
