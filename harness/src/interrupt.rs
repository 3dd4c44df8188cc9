//! Stopping a run on Ctrl-C or SIGTERM (a CI job's timeout) without losing its evidence.
//!
//! The first signal asks the run to stop: no new case starts, the case in flight is abandoned
//! at once (its exchanges are already in the journal), every unfinished case is reported as an
//! error, and the reports are written as usual. A second signal ends the process at once, for
//! the user who really means it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use tokio::sync::Notify;

/// The signal that interrupted a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C at the terminal.
    Int,
    /// SIGTERM: a CI runner's timeout, `kill`, a container stopping.
    Term,
}

impl Signal {
    /// The exit code of a process killed by this signal (128 + its number), what shells and
    /// CI runners expect after a second signal.
    pub fn killed_code(self) -> i32 {
        match self {
            Signal::Int => 130,
            Signal::Term => 143,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Int => "SIGINT",
            Signal::Term => "SIGTERM",
        })
    }
}

/// A run's stop request, shared by the signal listener and the engine. The default is never
/// triggered (in-process callers and tests may [`trigger`](Interrupt::trigger) it).
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    /// 0 = none, 1 = SIGINT, 2 = SIGTERM.
    signal: AtomicU8,
    notify: Notify,
}

impl Interrupt {
    /// An interrupt triggered by this process's first SIGINT or SIGTERM; a second one exits
    /// the process at once (130 / 143). Call inside the tokio runtime.
    pub fn listen() -> Interrupt {
        let interrupt = Interrupt::default();
        // Installed before returning, so a signal that comes early is not handled by the
        // default action (which would leave no report).
        let Some(mut signals) = Signals::install() else {
            tell(format_args!(
                "warning: cannot install the SIGINT/SIGTERM handlers: an interrupt will leave no report"
            ));
            return interrupt;
        };
        let listener = interrupt.clone();
        tokio::spawn(async move {
            let first = signals.next().await;
            // Triggered before anything is printed: the terminal or pipe may be gone.
            listener.trigger(first);
            tell(format_args!(
                "\n{first}: stopping cleanly (send it again to stop at once)"
            ));
            let second = signals.next().await;
            tell(format_args!(
                "{second} again: stopping now, the reports may be incomplete"
            ));
            std::process::exit(second.killed_code());
        });
        interrupt
    }

    /// Ask the run to stop (the first call wins).
    pub fn trigger(&self, signal: Signal) {
        let code = match signal {
            Signal::Int => 1,
            Signal::Term => 2,
        };
        let _ = self
            .0
            .signal
            .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// The signal received, if any.
    pub fn signal(&self) -> Option<Signal> {
        match self.0.signal.load(Ordering::SeqCst) {
            1 => Some(Signal::Int),
            2 => Some(Signal::Term),
            _ => None,
        }
    }

    /// Resolves once the run is asked to stop (at once if it already was).
    pub async fn wait(&self) -> Signal {
        loop {
            let notified = self.0.notify.notified();
            if let Some(s) = self.signal() {
                return s;
            }
            notified.await;
        }
    }
}

/// A line to stderr that cannot fail: `eprintln!` panics when stderr is a closed pipe
/// (`collaudo run 2>&1 | head`), and a panic here would leave the signal unheeded.
fn tell(line: fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The process's SIGINT and SIGTERM streams.
#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Option<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Some(Signals {
            int: signal(SignalKind::interrupt()).ok()?,
            term: signal(SignalKind::terminate()).ok()?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.int.recv() => Signal::Int,
            _ = self.term.recv() => Signal::Term,
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Option<Signals> {
        Some(Signals)
    }

    async fn next(&mut self) -> Signal {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Int
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_signal_wins_and_wakes_every_waiter() {
        let i = Interrupt::default();
        assert_eq!(i.signal(), None);
        let waiter = tokio::spawn({
            let i = i.clone();
            async move { i.wait().await }
        });
        i.trigger(Signal::Term);
        i.trigger(Signal::Int);
        assert_eq!(waiter.await.unwrap(), Signal::Term);
        assert_eq!(i.signal(), Some(Signal::Term));
        assert_eq!(i.wait().await, Signal::Term);
    }
}
