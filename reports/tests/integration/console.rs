//! Console output, as CI logs see it (no progress bar).

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use collaudo_reports::{ConsoleReporter, Reporter};

use crate::sample;

/// A writer the test can read back after handing it to the reporter.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn console_without_progress() -> Result<(), Box<dyn std::error::Error>> {
    let buf = Shared::default();
    let mut console = ConsoleReporter::new(Box::new(buf.clone()), true);
    for ev in sample::events(&sample::run()) {
        console.write_event(&ev)?;
    }
    let text = String::from_utf8(buf.0.lock().map_err(|_| "poisoned")?.clone())?;
    // The summary line counts the evidence only; the demonstrations have their own.
    assert!(
        text.ends_with(
            "\n2 passed, 1 failed, 1 errors, 1 skipped\n\
             simulator demonstrations — not evidence: 1 passed, 1 failed, 0 errors, 0 skipped\n"
        ),
        "{text}"
    );
    insta::assert_snapshot!("console", text);
    Ok(())
}

/// A writer whose reader is gone, like a pipe into `head` that has exited.
struct Closed(Arc<Mutex<usize>>);

impl Write for Closed {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        *self.0.lock().map_err(|_| io::Error::other("poisoned"))? += 1;
        Err(io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_console_is_one_error_not_one_per_event() {
    let tries = Arc::new(Mutex::new(0));
    let mut console = ConsoleReporter::new(Box::new(Closed(tries.clone())), true);
    let errors = sample::events(&sample::run())
        .iter()
        .filter(|ev| console.write_event(ev).is_err())
        .count();
    assert_eq!(errors, 1);
    assert_eq!(
        *tries.lock().unwrap(),
        1,
        "written to again after it refused"
    );
}
