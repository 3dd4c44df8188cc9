//! One bounded fuzz run per target (`COLLAUDO_FUZZ_SECS` each, 12 s by default), and the replay
//! of the committed regression inputs in `fuzz/regressions/<target>/`. See `fuzz/README.md`.

use collaudo_fuzz::runner::{self, Budget, Config};
use collaudo_fuzz::targets::{self, Target};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Regression inputs that still fail, with the reason they are skipped by [`regressions`] and
/// replayed only by an ignored test of their own: (target, file name, reason). Empty: every
/// bug the fuzzer found is fixed, and its input is replayed by [`regressions`].
const KNOWN_FAILURES: &[(&str, &str, &str)] = &[];

fn run(target: Target) {
    let config = Config::from_env();
    match runner::fuzz(&target, &config) {
        Ok(stats) => {
            // Past the harness's capture, so that CI logs show every target's figures.
            let _ = writeln!(
                std::io::stderr().lock(),
                "fuzz target {}: {stats}",
                target.name
            );
        }
        Err(failure) => panic!("{failure}"),
    }
}

#[test]
fn soap() {
    run(targets::SOAP);
}

#[test]
fn typed() {
    run(targets::TYPED);
}

#[test]
fn aca_json() {
    run(targets::ACA_JSON);
}

#[test]
fn judge() {
    run(targets::JUDGE);
}

#[test]
fn station() {
    run(targets::STATION);
}

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions")
}

/// The regression files of `target`, sorted.
fn regression_files(target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(regressions_dir().join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Replay one file: no panic, within the time limit.
fn replay(target: &Target, budget: &Budget, path: &Path) -> Result<(), String> {
    let input = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    runner::check(target, &input, budget)
        .map(|_| ())
        .map_err(|problem| format!("{} ({} bytes): {problem}", path.display(), input.len()))
}

fn budget(target: &Target) -> Budget {
    let config = Config::from_env();
    Budget::calibrate(target, config.floor, config.tolerance)
}

#[test]
fn regressions() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for target in targets::ALL {
        let files: Vec<PathBuf> = regression_files(target.name)
            .into_iter()
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                !KNOWN_FAILURES
                    .iter()
                    .any(|(t, f, _)| *t == target.name && *f == name)
            })
            .collect();
        if files.is_empty() {
            continue;
        }
        let budget = budget(&target);
        for path in files {
            replayed += 1;
            if let Err(e) = replay(&target, &budget, &path) {
                failures.push(e);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} regression inputs fail:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Every regression file names a target that exists, and every known failure a file that does.
#[test]
fn regressions_are_filed_by_target() {
    let Ok(entries) = std::fs::read_dir(regressions_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            assert!(
                targets::by_name(&name).is_some(),
                "fuzz/regressions/{name} is not a target"
            );
        }
    }
    for (target, file, _) in KNOWN_FAILURES {
        assert!(
            regressions_dir().join(target).join(file).is_file(),
            "known failure {target}/{file} has no file"
        );
    }
}
