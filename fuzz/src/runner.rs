//! The bounded loop: calibrate a per-byte time budget, run the seeds, then mutate corpus
//! entries until the time (or iteration) budget is spent, stopping at the first panic, broken
//! invariant or input that takes more than [`Config::tolerance`] times its budget.
//!
//! Everything the loop does is decided by the seed, never by the clock (except when it stops):
//! the same seed replays the same inputs in the same order.

use crate::mutate::Mutator;
use crate::targets::{Signature, Target};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Default time per target: five targets take about a minute of CPU in all.
pub const DEFAULT_SECS: u64 = 12;

/// Default fixed part of every call's budget. It absorbs what is not proportional to the
/// input: allocator and scheduler noise on a loaded two-core machine, a page fault, a
/// preemption by a parallel test. At 10× tolerance, a small input fails only past 50 ms.
pub const DEFAULT_FLOOR: Duration = Duration::from_millis(5);

/// Default tolerance: a call fails when it takes more than this many times its budget.
pub const DEFAULT_TOLERANCE: u32 = 10;

/// Size of the calibration inputs: large enough that the per-byte cost dominates.
pub const CALIBRATION_SIZE: usize = 256 * 1024;

/// How many more times a suspiciously slow input is timed; it fails only if the fastest of
/// these is still over the limit.
pub const RETIMES: usize = 3;

/// Inputs larger than this do not join the corpus (they are still run): a corpus of huge
/// entries would spend the time budget on a few slow calls.
pub const CORPUS_ENTRY_MAX: usize = 64 * 1024;

/// Most entries the corpus grows to; past it a new entry replaces a random non-seed one.
pub const CORPUS_MAX: usize = 4096;

/// Inputs at least this large count for [`Stats::slowest_ns_per_byte`]: below it the fixed
/// costs dominate and ns/byte says nothing.
pub const NS_PER_BYTE_MIN_INPUT: usize = 4096;

/// How the loop runs; [`Config::from_env`] reads it from `COLLAUDO_FUZZ_*`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Time budget per target (`COLLAUDO_FUZZ_SECS`), checked between calls.
    pub duration: Option<Duration>,
    /// Iteration budget per target (`COLLAUDO_FUZZ_ITERS`), seeds included.
    pub iterations: Option<u64>,
    /// The seed (`COLLAUDO_FUZZ_SEED`, decimal or `0x` hex; otherwise from the clock).
    pub seed: u64,
    /// Largest input the mutator makes (`COLLAUDO_FUZZ_MAX_LEN`, bytes).
    pub max_len: usize,
    /// Fixed part of each call's budget.
    pub floor: Duration,
    /// A call fails past `tolerance` × its budget.
    pub tolerance: u32,
    /// Where failing inputs are written.
    pub failures_dir: PathBuf,
    /// When set (`COLLAUDO_FUZZ_TRACE`), every input is written to this file before it is
    /// run, so that an input that kills the process (a stack overflow, an abort) is left there.
    pub trace: Option<PathBuf>,
    /// When set (`COLLAUDO_FUZZ_SAVE_ABOVE`, a ratio such as `3`), every input that passes but
    /// takes more than this many budgets is saved too, as `<target>-slow-<hash>.bin`: the near
    /// misses, to study what costs time.
    pub save_above: Option<f64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            duration: Some(Duration::from_secs(DEFAULT_SECS)),
            iterations: None,
            seed: clock_seed(),
            max_len: crate::mutate::DEFAULT_MAX_LEN,
            floor: DEFAULT_FLOOR,
            tolerance: DEFAULT_TOLERANCE,
            failures_dir: target_dir().join("fuzz-failures"),
            trace: None,
            save_above: None,
        }
    }
}

impl Config {
    /// The defaults, overridden by `COLLAUDO_FUZZ_SECS`, `COLLAUDO_FUZZ_ITERS`,
    /// `COLLAUDO_FUZZ_SEED`, `COLLAUDO_FUZZ_MAX_LEN` and `COLLAUDO_FUZZ_TRACE`.
    ///
    /// # Panics
    /// On a variable that is set but not a number.
    pub fn from_env() -> Config {
        let mut c = Config::default();
        let number = |name: &str| -> Option<u64> {
            let raw = std::env::var(name).ok()?;
            let raw = raw.trim();
            let parsed = match raw.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => raw.parse(),
            };
            Some(parsed.unwrap_or_else(|e| panic!("{name}={raw:?}: {e}")))
        };
        let secs = number("COLLAUDO_FUZZ_SECS");
        let iterations = number("COLLAUDO_FUZZ_ITERS");
        c.iterations = iterations;
        c.duration = match (secs, iterations) {
            (Some(s), _) => Some(Duration::from_secs(s)),
            // An iteration count alone bounds the run.
            (None, Some(_)) => None,
            (None, None) => c.duration,
        };
        if let Some(seed) = number("COLLAUDO_FUZZ_SEED") {
            c.seed = seed;
        }
        if let Some(max) = number("COLLAUDO_FUZZ_MAX_LEN") {
            c.max_len = usize::try_from(max).unwrap_or(usize::MAX);
        }
        c.trace = std::env::var_os("COLLAUDO_FUZZ_TRACE").map(PathBuf::from);
        c.save_above = std::env::var("COLLAUDO_FUZZ_SAVE_ABOVE").ok().map(|raw| {
            raw.trim()
                .parse()
                .unwrap_or_else(|e| panic!("COLLAUDO_FUZZ_SAVE_ABOVE={raw:?}: {e}"))
        });
        c
    }
}

/// `CARGO_TARGET_DIR`, or the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn clock_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // Fold the 128-bit count and the process id so that two tests started in the same
    // nanosecond still differ.
    (nanos as u64) ^ ((nanos >> 64) as u64) ^ (u64::from(std::process::id()) << 32)
}

/// FNV-1a: a stable hash for file names and per-target seeds.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The time a call may take: `floor + len × ns_per_byte`, and it fails past `tolerance` times
/// that.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// The fixed part.
    pub floor: Duration,
    /// The per-byte part, measured on the target's calibration inputs.
    pub ns_per_byte: f64,
    /// How many budgets a call may take before it fails.
    pub tolerance: u32,
}

impl Budget {
    /// Measure `target` on its calibration inputs: the fastest of three runs of each, and the
    /// slowest per-byte cost among them. Never below 1 ns/byte.
    pub fn calibrate(target: &Target, floor: Duration, tolerance: u32) -> Budget {
        install_panic_hook();
        let mut ns_per_byte: f64 = 1.0;
        for input in (target.calibration)(CALIBRATION_SIZE) {
            let fastest = (0..3)
                // Wall time: never below the CPU time the checks use, so a loaded machine
                // can only make the limits more generous.
                .map(|_| call_timed(target, &input, Clock::Wall).1)
                .min()
                .unwrap_or_default();
            let cost = fastest.as_nanos() as f64 / input.len().max(1) as f64;
            ns_per_byte = ns_per_byte.max(cost);
        }
        Budget {
            floor,
            ns_per_byte,
            tolerance,
        }
    }

    /// The budget of an input of `len` bytes.
    pub fn of(&self, len: usize) -> Duration {
        self.floor + Duration::from_nanos((len as f64 * self.ns_per_byte) as u64)
    }

    /// The time past which a call of `len` bytes fails.
    pub fn limit(&self, len: usize) -> Duration {
        self.of(len) * self.tolerance
    }

    /// The time past which a call is taken to never end (the watchdog then stops the process):
    /// 20 s, or five limits if that is more.
    pub fn hang_after(&self, len: usize) -> Duration {
        (self.limit(len) * 5).max(Duration::from_secs(20))
    }
}

/// What went wrong with one input.
#[derive(Debug, Clone)]
pub enum Problem {
    /// The target panicked (or a panic was caught inside it): a crash or a broken invariant.
    Panic {
        /// The panic message.
        message: String,
        /// Where it panicked.
        location: String,
        /// The stack at the panic.
        backtrace: String,
    },
    /// The fastest of [`RETIMES`] runs still took more than the limit.
    TooSlow {
        /// Input size.
        len: usize,
        /// The first run.
        first: Duration,
        /// The fastest rerun.
        fastest: Duration,
        /// The limit for this size.
        limit: Duration,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Panic {
                message,
                location,
                backtrace,
            } => write!(f, "panic at {location}: {message}\n{backtrace}"),
            Problem::TooSlow {
                len,
                first,
                fastest,
                limit,
            } => write!(
                f,
                "too slow: {len} bytes took {first:?}, then at best {fastest:?} in {RETIMES} \
                 reruns; the limit for this size is {limit:?}"
            ),
        }
    }
}

/// A failing input, saved.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The target.
    pub target: &'static str,
    /// What went wrong.
    pub problem: Problem,
    /// The seed of the run.
    pub seed: u64,
    /// The iteration (0-based; seeds first).
    pub iteration: u64,
    /// Where the input was written (`None` if it could not be).
    pub saved: Option<PathBuf>,
    /// Its size.
    pub len: usize,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let saved = self.saved.as_ref().map_or_else(
            || "(could not be saved)".to_string(),
            |p| p.display().to_string(),
        );
        write!(
            f,
            "fuzz target {} failed at iteration {} on {} bytes, saved to {saved}\n\
             reproduce: COLLAUDO_FUZZ_SEED={:#x} COLLAUDO_FUZZ_ITERS={} cargo test -p collaudo-fuzz --test fuzz {} -- --nocapture\n\
             {}",
            self.target,
            self.iteration,
            self.len,
            self.seed,
            self.iteration + 1,
            self.target,
            self.problem
        )
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Inputs run, seeds included.
    pub iterations: u64,
    /// Seeds among them.
    pub seeds: usize,
    /// Largest input run.
    pub max_input: usize,
    /// Slowest ns/byte among inputs of at least [`NS_PER_BYTE_MIN_INPUT`] bytes.
    pub slowest_ns_per_byte: f64,
    /// Largest time / budget among all inputs (fails past the tolerance), and that input's size.
    pub worst_ratio: (f64, usize),
    /// The calibrated budget.
    pub budget: Option<Budget>,
    /// Distinct signatures seen.
    pub signatures: usize,
    /// Corpus size at the end.
    pub corpus: usize,
    /// Inputs that were slow once but not on rerun.
    pub retimed: u64,
    /// Inputs not run because they hit a known bug ([`Target::known_bug`]), by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Wall time of the run, calibration included.
    pub elapsed: Duration,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let budget = self.budget.map_or_else(String::new, |b| {
            format!("{:.1} ns/byte + {:?}", b.ns_per_byte, b.floor)
        });
        write!(
            f,
            "{} iterations ({} seeds) in {:.1?}, max input {} bytes, slowest {:.1} ns/byte \
             (inputs >= {} bytes), worst {:.2}x budget ({} bytes), budget {budget}, \
             {} signatures, corpus {}, {} retimed",
            self.iterations,
            self.seeds,
            self.elapsed,
            self.max_input,
            self.slowest_ns_per_byte,
            NS_PER_BYTE_MIN_INPUT,
            self.worst_ratio.0,
            self.worst_ratio.1,
            self.signatures,
            self.corpus,
            self.retimed,
        )?;
        for (reason, n) in &self.skipped {
            write!(f, "; skipped {n} inputs for a known bug: {reason}")?;
        }
        Ok(())
    }
}

/// A panic seen on this thread while a target ran.
#[derive(Debug, Clone)]
struct Caught {
    message: String,
    location: String,
    backtrace: String,
}

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: RefCell<Option<Caught>> = const { RefCell::new(None) };
}

/// Record panics raised while a target runs on this thread instead of printing them, even
/// when the code under test catches them itself (the station answers `PAA_SYSTEM_ERROR` to
/// its own panics, which would hide them). Other panics go to the previous hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CAPTURING.with(Cell::get) {
                previous(info);
                return;
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic payload)".to_string());
            let location = info
                .location()
                .map_or_else(|| "?".to_string(), ToString::to_string);
            CAUGHT.with(|c| {
                let mut c = c.borrow_mut();
                if c.is_none() {
                    *c = Some(Caught {
                        message,
                        location,
                        backtrace: trim(&Backtrace::force_capture().to_string()),
                    });
                }
            });
        }));
    });
}

/// The frames of a backtrace from the panic up to the target: what the loop and the test
/// harness add below it says nothing.
fn trim(backtrace: &str) -> String {
    let mut out = String::new();
    for line in backtrace.lines() {
        if line.contains("collaudo_fuzz::runner::call") {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// CPU time this thread has used, where Linux tells it (`/proc/thread-self/stat`, in clock
/// ticks of 10 ms); `None` elsewhere.
///
/// The time limits are about the code under test, and the targets run on the calling thread:
/// its CPU time does not grow when compilers and other tests share the 2 cores, wall time
/// does (a 961 KB ACA body "took" 1.29 s against a 1.12 s limit at load 8).
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Run the target once on `input`, timed (CPU time of this thread where measurable),
/// catching panics.
fn call(target: &Target, input: &[u8]) -> (Result<Signature, Caught>, Duration) {
    call_timed(target, input, Clock::ThreadCpu)
}

/// What a call's time is measured with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clock {
    Wall,
    /// CPU time of this thread, or wall time where it cannot be read.
    ThreadCpu,
}

fn call_timed(
    target: &Target,
    input: &[u8],
    clock: Clock,
) -> (Result<Signature, Caught>, Duration) {
    CAUGHT.with(|c| c.borrow_mut().take());
    CAPTURING.with(|c| c.set(true));
    let cpu = if clock == Clock::ThreadCpu {
        thread_cpu()
    } else {
        None
    };
    let started = Instant::now();
    let result = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
    let took = match (cpu, cpu.and_then(|_| thread_cpu())) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => started.elapsed(),
    };
    CAPTURING.with(|c| c.set(false));
    let caught = CAUGHT.with(|c| c.borrow_mut().take());
    let result = match (result, caught) {
        (Ok(signature), None) => Ok(signature),
        (_, Some(caught)) => Err(caught),
        (Err(_), None) => Err(Caught {
            message: "panic (no message recorded)".into(),
            location: "?".into(),
            backtrace: String::new(),
        }),
    };
    (result, took)
}

/// Run `input` through `target` and check it: no panic, and no more than the limit of its
/// size (a slow call is rerun [`RETIMES`] times and fails only if the fastest is still over).
///
/// # Errors
/// The problem found.
pub fn check(target: &Target, input: &[u8], budget: &Budget) -> Result<Checked, Problem> {
    install_panic_hook();
    let (result, first) = call(target, input);
    let signature = result.map_err(|c| Problem::Panic {
        message: c.message,
        location: c.location,
        backtrace: c.backtrace,
    })?;
    let limit = budget.limit(input.len());
    if first <= limit {
        return Ok(Checked {
            signature,
            took: first,
            retimed: false,
        });
    }
    let fastest = (0..RETIMES)
        .map(|_| call(target, input).1)
        .min()
        .unwrap_or(first);
    if fastest > limit {
        return Err(Problem::TooSlow {
            len: input.len(),
            first,
            fastest,
            limit,
        });
    }
    Ok(Checked {
        signature,
        took: fastest,
        retimed: true,
    })
}

/// A call that passed.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    /// What the input did.
    pub signature: Signature,
    /// How long it took (the fastest rerun when it was rerun).
    pub took: Duration,
    /// Whether it was slow once and rerun.
    pub retimed: bool,
}

/// Write a failing input to `dir/<target>-<hash>.bin`.
///
/// # Errors
/// When the directory cannot be made or the file written.
pub fn save(dir: &Path, target: &str, input: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{target}-{:016x}.bin", fnv1a(input)));
    std::fs::write(&path, input)?;
    Ok(path)
}

/// Write one line to the process's standard error, past the test harness's capture: the
/// seed must be in the log even when the process dies.
fn announce(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// What the watchdog sees: the input being run and since when.
#[derive(Debug, Default)]
struct Watched {
    input: Vec<u8>,
    since: Option<Instant>,
    hang_after: Duration,
    iteration: u64,
    done: bool,
}

/// A thread that stops the process when one call runs past [`Budget::hang_after`]: a call that
/// never returns cannot be failed any other way. It saves the input first.
fn watchdog(
    target: &'static str,
    seed: u64,
    dir: PathBuf,
    watched: Arc<Mutex<Watched>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let w = watched.lock().unwrap_or_else(PoisonError::into_inner);
            if w.done {
                return;
            }
            let Some(since) = w.since else { continue };
            if since.elapsed() > w.hang_after {
                let saved = save(&dir, target, &w.input)
                    .map_or_else(|e| format!("(not saved: {e})"), |p| p.display().to_string());
                announce(&format!(
                    "fuzz target {target}: a call has run for {:?} (hang limit {:?}) on {} bytes \
                     at iteration {}; input saved to {saved}; seed {seed:#x}. Stopping the process.",
                    since.elapsed(),
                    w.hang_after,
                    w.input.len(),
                    w.iteration,
                ));
                std::process::exit(101);
            }
        }
    })
}

/// Fuzz `target` as `config` says.
///
/// # Errors
/// The first failure, with its input saved under [`Config::failures_dir`].
pub fn fuzz(target: &Target, config: &Config) -> Result<Stats, Box<Failure>> {
    let started = Instant::now();
    let seed = config.seed;
    announce(&format!(
        "fuzz target {}: seed {seed:#x} (set COLLAUDO_FUZZ_SEED={seed:#x} to replay)",
        target.name
    ));
    let budget = Budget::calibrate(target, config.floor, config.tolerance);
    let mutator = Mutator::new(target.format, config.max_len);
    let mut rng = SmallRng::seed_from_u64(seed ^ fnv1a(target.name.as_bytes()));
    let seeds: Vec<Vec<u8>> = (target.seeds)()
        .into_iter()
        .map(|mut s| {
            s.truncate(config.max_len);
            s
        })
        .collect();
    let mut corpus = seeds.clone();
    let mut seen: HashSet<Signature> = HashSet::new();
    let mut stats = Stats {
        seeds: seeds.len(),
        budget: Some(budget),
        ..Stats::default()
    };
    let watched = Arc::new(Mutex::new(Watched::default()));
    let dog = watchdog(
        target.name,
        seed,
        config.failures_dir.clone(),
        Arc::clone(&watched),
    );
    let outcome = (|| {
        let mut input = Vec::new();
        for iteration in 0u64.. {
            let index = usize::try_from(iteration).unwrap_or(usize::MAX);
            let seeds_done = index >= seeds.len();
            let out_of_time = config.duration.is_some_and(|d| started.elapsed() >= d);
            let out_of_iterations = config.iterations.is_some_and(|n| iteration >= n);
            if out_of_iterations || (seeds_done && out_of_time) {
                break;
            }
            if seeds_done {
                let base = &corpus[rng.random_range(0..corpus.len())];
                input.clone_from(base);
                let other = &corpus[rng.random_range(0..corpus.len())];
                let mutated = panic::catch_unwind(AssertUnwindSafe(|| {
                    mutator.mutate(&mut rng, &mut input, other);
                }));
                if mutated.is_err() {
                    // A bug of this crate, not of the target: keep both inputs of the mutation.
                    let saved = save(&config.failures_dir, "mutator-base", base).ok();
                    let _ = save(&config.failures_dir, "mutator-other", other);
                    return Err(Box::new(Failure {
                        target: target.name,
                        problem: Problem::Panic {
                            message: "the mutator panicked (a bug of collaudo-fuzz); the \
                                      input it mutated is saved, the other input of a splice \
                                      beside it as mutator-other-*.bin"
                                .into(),
                            location: "fuzz/src/mutate.rs".into(),
                            backtrace: String::new(),
                        },
                        seed,
                        iteration,
                        saved,
                        len: base.len(),
                    }));
                }
            } else {
                input.clone_from(&seeds[index]);
            }
            if let Some(reason) = (target.known_bug)(&input) {
                *stats.skipped.entry(reason).or_default() += 1;
                continue;
            }
            if let Some(path) = &config.trace {
                let _ = std::fs::write(path, &input);
            }
            {
                let mut w = watched.lock().unwrap_or_else(PoisonError::into_inner);
                w.input.clone_from(&input);
                w.since = Some(Instant::now());
                w.hang_after = budget.hang_after(input.len());
                w.iteration = iteration;
            }
            let checked = check(target, &input, &budget);
            watched.lock().unwrap_or_else(PoisonError::into_inner).since = None;
            stats.iterations = iteration + 1;
            stats.max_input = stats.max_input.max(input.len());
            let checked = match checked {
                Ok(c) => c,
                Err(problem) => {
                    return Err(Box::new(Failure {
                        target: target.name,
                        problem,
                        seed,
                        iteration,
                        saved: save(&config.failures_dir, target.name, &input).ok(),
                        len: input.len(),
                    }));
                }
            };
            stats.retimed += u64::from(checked.retimed);
            let ratio = checked.took.as_secs_f64() / budget.of(input.len()).as_secs_f64();
            if config.save_above.is_some_and(|above| ratio > above) {
                let _ = save(
                    &config.failures_dir,
                    &format!("{}-slow", target.name),
                    &input,
                );
            }
            if ratio > stats.worst_ratio.0 {
                stats.worst_ratio = (ratio, input.len());
            }
            if input.len() >= NS_PER_BYTE_MIN_INPUT {
                let ns = checked.took.as_nanos() as f64 / input.len() as f64;
                stats.slowest_ns_per_byte = stats.slowest_ns_per_byte.max(ns);
            }
            if seen.insert(checked.signature) && input.len() <= CORPUS_ENTRY_MAX {
                if corpus.len() < CORPUS_MAX {
                    corpus.push(input.clone());
                } else if corpus.len() > seeds.len() {
                    let i = rng.random_range(seeds.len()..corpus.len());
                    corpus[i].clone_from(&input);
                }
            }
        }
        Ok(())
    })();
    watched.lock().unwrap_or_else(PoisonError::into_inner).done = true;
    let _ = dog.join();
    stats.signatures = seen.len();
    stats.corpus = corpus.len();
    stats.elapsed = started.elapsed();
    outcome.map(|()| stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::Format;

    fn target(run: fn(&[u8]) -> Signature) -> Target {
        Target {
            name: "test",
            format: Format::Xml,
            run,
            seeds: || vec![b"<a/>".to_vec()],
            calibration: |_| vec![vec![0; 1024]],
            known_bug: crate::targets::no_known_bug,
        }
    }

    fn budget() -> Budget {
        Budget {
            floor: Duration::from_millis(1),
            ns_per_byte: 1.0,
            tolerance: 10,
        }
    }

    #[test]
    fn a_panic_is_a_problem_with_its_message() {
        let t = target(|b| {
            assert!(b.len() < 3, "too long: {}", b.len());
            0
        });
        assert!(check(&t, b"ab", &budget()).is_ok());
        match check(&t, b"abc", &budget()) {
            Err(Problem::Panic { message, .. }) => assert_eq!(message, "too long: 3"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_panic_the_target_catches_itself_is_still_a_problem() {
        let t = target(|_| {
            let _ = panic::catch_unwind(|| panic!("hidden"));
            0
        });
        match check(&t, b"x", &budget()) {
            Err(Problem::Panic { message, .. }) => assert_eq!(message, "hidden"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_call_over_the_limit_on_every_rerun_is_too_slow() {
        // Busy, not asleep: calls are timed on the thread's CPU time (10 ms ticks), and the
        // limit here is 10 × 1 ms.
        let t = target(|_| {
            let started = Instant::now();
            while started.elapsed() < Duration::from_millis(40) {
                std::hint::spin_loop();
            }
            0
        });
        match check(&t, b"x", &budget()) {
            Err(Problem::TooSlow { fastest, limit, .. }) => assert!(fastest > limit),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn budgets_grow_with_the_size() {
        let b = Budget {
            floor: Duration::from_millis(5),
            ns_per_byte: 100.0,
            tolerance: 10,
        };
        assert_eq!(b.of(0), Duration::from_millis(5));
        assert_eq!(b.of(1_000_000), Duration::from_millis(105));
        assert_eq!(b.limit(1_000_000), Duration::from_millis(1050));
        assert_eq!(b.hang_after(0), Duration::from_secs(20));
    }

    #[test]
    fn the_same_seed_runs_the_same_inputs() {
        let t = Target {
            name: "count",
            format: Format::Xml,
            run: |b| fnv1a(b) % 64,
            seeds: || vec![b"<a><b>1</b></a>".to_vec(), b"<c/>".to_vec()],
            calibration: |_| vec![vec![b'a'; 4096]],
            known_bug: crate::targets::no_known_bug,
        };
        let config = Config {
            duration: None,
            iterations: Some(300),
            seed: 42,
            ..Config::default()
        };
        let a = fuzz(&t, &config).expect("no failure");
        let b = fuzz(&t, &config).expect("no failure");
        assert_eq!(a.iterations, 300);
        assert_eq!(
            (a.max_input, a.signatures, a.corpus),
            (b.max_input, b.signatures, b.corpus)
        );
    }
}
