//! The connection's timers, made cheap to re-arm and to poll.
//!
//! hyper re-arms its header-read timeout at every request head of a kept-alive connection: it
//! drops the previous sleep once a head is read and asks for a new one when it waits for the
//! next head. With hyper-util's `TokioTimer` each one is a new entry in tokio's timer wheel,
//! inserted and removed again for every request, which cost the reference station ≈ 0.4 µs per
//! request, a twelfth of what hyper itself costs (issue 9, "Performance"). Here each connection
//! has its own [`LazyTimer`], which keeps the wheel entry of the sleep hyper dropped and hands
//! it to the next one. A later deadline is only recorded; the wheel entry keeps the earlier
//! one, and when it fires early the sleep re-arms itself for the recorded deadline. A kept-alive
//! connection therefore touches the wheel about once per timeout period, not once per request.
//! An earlier deadline is applied at once, so no timeout ever fires late.
//!
//! [`TaskSleep`] also spares the repeated polls: the connection's task polls its timers at every
//! wake-up, and a tokio sleep re-registers the task's waker each time.

use hyper::rt::{Sleep, Timer};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

/// A tokio sleep that remembers which waker its wheel entry holds. Polled again by the same
/// task before it fires, it answers `Pending` without going to tokio, whose poll re-registers
/// the waker and charges the task's budget (≈ 300 instructions at every wake-up of a
/// connection). Any other waker goes through tokio's poll, so the future contract holds.
pub(crate) struct TaskSleep {
    sleep: Pin<Box<tokio::time::Sleep>>,
    /// The waker tokio's entry holds, as of the last `Pending`; `None` once it fired or was
    /// reset, when tokio may hold none.
    registered: Option<Waker>,
}

impl TaskSleep {
    pub(crate) fn until(deadline: tokio::time::Instant) -> Self {
        TaskSleep {
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            registered: None,
        }
    }

    pub(crate) fn deadline(&self) -> tokio::time::Instant {
        self.sleep.deadline()
    }

    pub(crate) fn reset(&mut self, deadline: tokio::time::Instant) {
        self.sleep.as_mut().reset(deadline);
        self.registered = None;
    }
}

impl Future for TaskSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Some(waker) = &this.registered {
            if waker.will_wake(cx.waker()) && !this.sleep.is_elapsed() {
                return Poll::Pending;
            }
        }
        match this.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.registered = None;
                Poll::Ready(())
            }
            Poll::Pending => {
                // The waker tokio now holds: a new one (the same one returned above unless
                // the sleep had elapsed and tokio's budget deferred it).
                this.registered = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// The wheel entry a connection's last header-read sleep left behind.
type Spare = Arc<Mutex<Option<TaskSleep>>>;

/// A [`Timer`] on tokio's clock, one per connection, whose sleeps share one wheel entry and
/// whose resets to a later deadline are lazy.
#[derive(Default)]
pub(crate) struct LazyTimer {
    spare: Spare,
}

/// A sleep until `deadline`, armed in tokio's wheel at or before it.
struct LazySleep {
    deadline: tokio::time::Instant,
    /// Always `Some` but in `drop`, which gives it back to the timer.
    armed: Option<TaskSleep>,
    spare: Spare,
}

impl Future for LazySleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(armed) = this.armed.as_mut() else {
            return Poll::Ready(());
        };
        loop {
            ready!(Pin::new(&mut *armed).poll(cx));
            if armed.deadline() >= this.deadline {
                return Poll::Ready(());
            }
            // Fired for a deadline since pushed back: wait for the one recorded.
            armed.reset(this.deadline);
        }
    }
}

impl Drop for LazySleep {
    fn drop(&mut self) {
        if let (Some(armed), Ok(mut spare)) = (self.armed.take(), self.spare.lock()) {
            *spare = Some(armed);
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
        let spare = self.spare.lock().ok().and_then(|mut spare| spare.take());
        let armed = match spare {
            Some(mut armed) => {
                if deadline < armed.deadline() {
                    armed.reset(deadline);
                }
                armed
            }
            None => TaskSleep::until(deadline),
        };
        Box::pin(LazySleep {
            deadline,
            armed: Some(armed),
            spare: Arc::clone(&self.spare),
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
                if let Some(armed) = lazy.armed.as_mut() {
                    if new_deadline < armed.deadline() {
                        armed.reset(new_deadline);
                    }
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
        LazyTimer::default().now()
    }

    async fn fired(sleep: &mut Pin<Box<dyn Sleep>>) -> bool {
        // One poll after the runtime had the chance to run due timers.
        tokio::task::yield_now().await;
        std::future::poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx).is_ready())).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_pushed_later_fires_at_the_later_deadline_only() {
        let timer = LazyTimer::default();
        let start = now();
        let mut sleep = timer.sleep_until(start + Duration::from_secs(10));
        assert!(!fired(&mut sleep).await);
        timer.reset(&mut sleep, start + Duration::from_secs(20));
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
        let timer = LazyTimer::default();
        let start = now();
        let mut sleep = timer.sleep_until(start + Duration::from_secs(10));
        timer.reset(&mut sleep, start + Duration::from_secs(2));
        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(fired(&mut sleep).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fired_sleep_reset_into_the_future_waits_again() {
        let timer = LazyTimer::default();
        let start = now();
        let mut sleep = timer.sleep_until(start + Duration::from_secs(1));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(fired(&mut sleep).await);
        timer.reset(&mut sleep, now() + Duration::from_secs(5));
        assert!(
            !fired(&mut sleep).await,
            "a past wheel entry made it fire at once"
        );
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(fired(&mut sleep).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_sleep_takes_over_the_entry_of_the_one_dropped() {
        let timer = LazyTimer::default();
        let start = now();
        let mut first = timer.sleep_until(start + Duration::from_secs(10));
        assert!(!fired(&mut first).await);
        drop(first);
        assert!(
            timer.spare.lock().unwrap().is_some(),
            "the entry was not kept"
        );
        // Later: the kept entry still fires at 10 s, and the new sleep waits on to 12 s.
        let mut later = timer.sleep_until(start + Duration::from_secs(12));
        assert!(
            timer.spare.lock().unwrap().is_none(),
            "the entry was not taken"
        );
        tokio::time::advance(Duration::from_secs(11)).await;
        assert!(
            !fired(&mut later).await,
            "fired at the dropped sleep's deadline"
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(fired(&mut later).await);
        drop(later);
        // Earlier than the kept entry: applied at once.
        let kept = timer
            .spare
            .lock()
            .unwrap()
            .as_ref()
            .map(TaskSleep::deadline);
        assert_eq!(
            kept.map(tokio::time::Instant::into_std),
            Some(start + Duration::from_secs(12))
        );
        let mut sooner = timer.sleep_until(now() + Duration::from_secs(1));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(
            fired(&mut sooner).await,
            "an earlier deadline was applied late"
        );
    }

    /// A waker that counts its wake-ups.
    struct Counter(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(std::sync::atomic::AtomicUsize::new(0)));
        (Arc::clone(&counter), Waker::from(counter))
    }

    fn wakes(counter: &Counter) -> usize {
        counter.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn poll_with(sleep: &mut TaskSleep, waker: &Waker) -> Poll<()> {
        Pin::new(sleep).poll(&mut Context::from_waker(waker))
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_sleep_polled_again_by_the_same_waker_still_wakes_it() {
        let (count, waker) = counter();
        let mut sleep = TaskSleep::until(tokio::time::Instant::now() + Duration::from_secs(1));
        assert!(poll_with(&mut sleep, &waker).is_pending());
        assert!(poll_with(&mut sleep, &waker).is_pending());
        tokio::time::advance(Duration::from_secs(2)).await;
        tokio::task::yield_now().await;
        assert_eq!(wakes(&count), 1);
        assert!(poll_with(&mut sleep, &waker).is_ready());
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_sleep_polled_by_another_waker_wakes_that_one() {
        let (first_count, first) = counter();
        let (second_count, second) = counter();
        let mut sleep = TaskSleep::until(tokio::time::Instant::now() + Duration::from_secs(1));
        assert!(poll_with(&mut sleep, &first).is_pending());
        assert!(poll_with(&mut sleep, &second).is_pending());
        tokio::time::advance(Duration::from_secs(2)).await;
        tokio::task::yield_now().await;
        assert_eq!(
            wakes(&second_count),
            1,
            "the later waker was not registered"
        );
        assert_eq!(wakes(&first_count), 0);
        assert!(poll_with(&mut sleep, &second).is_ready());
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_task_sleep_registers_its_waker_again() {
        let (count, waker) = counter();
        let mut sleep = TaskSleep::until(tokio::time::Instant::now() + Duration::from_secs(1));
        assert!(poll_with(&mut sleep, &waker).is_pending());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(poll_with(&mut sleep, &waker).is_ready());
        sleep.reset(tokio::time::Instant::now() + Duration::from_secs(1));
        assert!(poll_with(&mut sleep, &waker).is_pending());
        let before = wakes(&count);
        tokio::time::advance(Duration::from_secs(2)).await;
        tokio::task::yield_now().await;
        assert_eq!(wakes(&count), before + 1, "the reset sleep woke nobody");
        assert!(poll_with(&mut sleep, &waker).is_ready());
    }
}
