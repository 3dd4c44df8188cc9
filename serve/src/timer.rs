//! hyper's timer, made lazy: pushing a deadline later costs a field write.
//!
//! hyper re-arms its header-read timeout at every request head of a kept-alive connection. With
//! hyper-util's `TokioTimer` each re-arm moves an entry in tokio's timer wheel, which cost the
//! reference station ≈ 0.4 µs per request, a twelfth of what hyper itself costs (issue 9,
//! "Performance"). Here a later deadline is only recorded; the wheel entry keeps the earlier
//! one, and when it fires early the sleep re-arms itself for the recorded deadline. A kept-alive
//! connection therefore touches the wheel about once per timeout period, not once per request.
//! An earlier deadline is applied at once, so no timeout ever fires late.

use hyper::rt::{Sleep, Timer};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

/// A [`Timer`] on tokio's clock whose resets to a later deadline are lazy.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LazyTimer;

/// A sleep until `deadline`, armed in tokio's wheel at or before it.
struct LazySleep {
    deadline: tokio::time::Instant,
    armed: Pin<Box<tokio::time::Sleep>>,
}

impl Future for LazySleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            ready!(this.armed.as_mut().poll(cx));
            if this.armed.deadline() >= this.deadline {
                return Poll::Ready(());
            }
            // Fired for a deadline since pushed back: wait for the one recorded.
            let deadline = this.deadline;
            this.armed.as_mut().reset(deadline);
        }
    }
}

impl Sleep for LazySleep {}

impl Timer for LazyTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        let deadline = tokio::time::Instant::from_std(deadline);
        Box::pin(LazySleep {
            deadline,
            armed: Box::pin(tokio::time::sleep_until(deadline)),
        })
    }

    fn now(&self) -> Instant {
        // tokio's clock, so that a paused test runtime moves hyper's deadlines too.
        tokio::time::Instant::now().into_std()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        let new_deadline = tokio::time::Instant::from_std(new_deadline);
        match sleep.as_mut().downcast_mut_pin::<LazySleep>() {
            Some(lazy) => {
                let lazy = lazy.get_mut();
                lazy.deadline = new_deadline;
                if new_deadline < lazy.armed.deadline() {
                    lazy.armed.as_mut().reset(new_deadline);
                }
            }
            None => *sleep = self.sleep_until(new_deadline.into_std()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Instant {
        LazyTimer.now()
    }

    async fn fired(sleep: &mut Pin<Box<dyn Sleep>>) -> bool {
        // One poll after the runtime had the chance to run due timers.
        tokio::task::yield_now().await;
        std::future::poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx).is_ready())).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_pushed_later_fires_at_the_later_deadline_only() {
        let start = now();
        let mut sleep = LazyTimer.sleep_until(start + Duration::from_secs(10));
        assert!(!fired(&mut sleep).await);
        LazyTimer.reset(&mut sleep, start + Duration::from_secs(20));
        tokio::time::advance(Duration::from_secs(15)).await;
        assert!(!fired(&mut sleep).await, "fired at the first deadline");
        tokio::time::advance(Duration::from_secs(4)).await;
        assert!(!fired(&mut sleep).await, "fired before the second deadline");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(
            fired(&mut sleep).await,
            "did not fire after the second deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_brought_earlier_fires_at_once_when_due() {
        let start = now();
        let mut sleep = LazyTimer.sleep_until(start + Duration::from_secs(10));
        LazyTimer.reset(&mut sleep, start + Duration::from_secs(2));
        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(fired(&mut sleep).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fired_sleep_reset_into_the_future_waits_again() {
        let start = now();
        let mut sleep = LazyTimer.sleep_until(start + Duration::from_secs(1));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(fired(&mut sleep).await);
        LazyTimer.reset(&mut sleep, now() + Duration::from_secs(5));
        assert!(
            !fired(&mut sleep).await,
            "a past wheel entry made it fire at once"
        );
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(fired(&mut sleep).await);
    }
}
