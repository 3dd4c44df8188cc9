//! The folder a run writes its evidence into, chosen so that two runs never mix.
//!
//! Evidence that mixes is worse than none: a stale `junit.xml` with 20 failures beside a fresh
//! `report.json` saying pass tells a reviewer two different stories. So:
//! - the default folder, `collaudo-report/<timestamp>-<n>`, is *created* (not reused) with the
//!   first free sequence number `n`: `create_dir` fails when the folder exists, so two runs
//!   started in the same second, even in two processes, get two folders;
//! - `--out DIR` into an empty or missing folder writes there directly;
//! - `--out DIR` into a previous run's folder (it holds [`MARKER`]) writes the new run into a
//!   sibling staging folder and swaps it in as a whole when the run ends, so no file of the
//!   old run survives and a run killed half-way leaves the old run intact beside the partial
//!   new one;
//! - `--out DIR` into any other non-empty folder is refused: collaudo never writes its reports
//!   among someone else's files, nor deletes them.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// File every run folder holds (the run id inside), by which a later `--out` recognises a
/// previous run's folder it may replace.
pub const MARKER: &str = ".collaudo-run";

/// Where a run writes, and where its folder ends up.
#[derive(Debug)]
pub struct OutDir {
    /// The folder the user will look in.
    target: PathBuf,
    /// The folder being written (the target itself, or a staging sibling).
    work: PathBuf,
    /// Whether `work` replaces `target` at the end.
    staged: bool,
}

impl OutDir {
    /// A fresh folder under `base` named `<stamp>-<n>`, `n` the first number not taken.
    pub fn unique_under(base: &Path, stamp: &str) -> Result<OutDir, String> {
        fs::create_dir_all(base)
            .map_err(|e| format!("cannot create the report folder {}: {e}", base.display()))?;
        for n in 1..10_000u32 {
            let dir = base.join(format!("{stamp}-{n}"));
            match fs::create_dir(&dir) {
                Ok(()) => {
                    return Ok(OutDir {
                        target: dir.clone(),
                        work: dir,
                        staged: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(format!(
                        "cannot create the report folder {}: {e}",
                        dir.display()
                    ));
                }
            }
        }
        Err(format!(
            "cannot find a free report folder name under {} for {stamp}: pass --out DIR",
            base.display()
        ))
    }

    /// The folder the user named with `--out` (or `[run] out`).
    pub fn named(target: &Path) -> Result<OutDir, String> {
        let entries = match fs::read_dir(target) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(target).map_err(|e| {
                    format!("cannot create the report folder {}: {e}", target.display())
                })?;
                return Ok(OutDir {
                    target: target.to_owned(),
                    work: target.to_owned(),
                    staged: false,
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotADirectory || target.is_file() => {
                return Err(format!(
                    "--out {}: this is a file, not a folder",
                    target.display()
                ));
            }
            Err(e) => {
                return Err(format!(
                    "cannot read the report folder {}: {e}",
                    target.display()
                ));
            }
            Ok(entries) => entries,
        };
        let names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        if names.is_empty() {
            return Ok(OutDir {
                target: target.to_owned(),
                work: target.to_owned(),
                staged: false,
            });
        }
        if !names.iter().any(|n| n == MARKER) {
            let mut shown: Vec<&str> = names.iter().map(String::as_str).take(5).collect();
            shown.sort_unstable();
            return Err(format!(
                "--out {}: the folder is not empty and is not a previous collaudo run (it holds {}{}); \
                 collaudo replaces only its own run folders: choose an empty or new folder",
                target.display(),
                shown.join(", "),
                if names.len() > 5 { ", …" } else { "" }
            ));
        }
        // `--out .` has no name to put a sibling beside: use the folder's real path.
        let target = &fs::canonicalize(target).unwrap_or_else(|_| target.to_owned());
        let work = sibling(target, &format!("collaudo-partial-{}", std::process::id()));
        // A staging folder of a process with our pid that died long ago: nothing else uses it.
        let _ = fs::remove_dir_all(&work);
        fs::create_dir(&work).map_err(|e| {
            format!(
                "cannot create the staging folder {} beside {}: {e}",
                work.display(),
                target.display()
            )
        })?;
        Ok(OutDir {
            target: target.to_owned(),
            work,
            staged: true,
        })
    }

    /// The folder to write the run into now.
    pub fn work(&self) -> &Path {
        &self.work
    }

    /// The folder the run's evidence is in once [`Self::finish`] returns.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Whether the run is written beside the target and swapped in at the end.
    pub fn is_staged(&self) -> bool {
        self.staged
    }

    /// Writes the marker that makes this folder recognisable as a run's.
    pub fn mark(&self, run_id: &str) -> Result<(), String> {
        let path = self.work.join(MARKER);
        fs::write(&path, format!("{run_id}\n"))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Gives up before the run started: a staging folder is removed (the previous run stays
    /// as it was); a folder this run created is left, empty or with its event log.
    pub fn abandon(self) {
        if self.staged {
            let _ = fs::remove_dir_all(&self.work);
        }
    }

    /// Puts the run in place: a staged run replaces the previous one as a whole (the old
    /// folder is renamed away, the new one renamed in, then the old one removed).
    pub fn finish(self) -> Result<PathBuf, String> {
        if !self.staged {
            return Ok(self.target);
        }
        let old = sibling(
            &self.target,
            &format!("collaudo-replaced-{}", std::process::id()),
        );
        let _ = fs::remove_dir_all(&old);
        fs::rename(&self.target, &old).map_err(|e| {
            format!(
                "cannot move the previous run {} aside: {e}; this run is in {}",
                self.target.display(),
                self.work.display()
            )
        })?;
        if let Err(e) = fs::rename(&self.work, &self.target) {
            // Put the previous run back rather than leave no folder where the user looks.
            let _ = fs::rename(&old, &self.target);
            return Err(format!(
                "cannot move this run into {}: {e}; it is in {}",
                self.target.display(),
                self.work.display()
            ));
        }
        let _ = fs::remove_dir_all(&old);
        Ok(self.target)
    }
}

/// `dir`'s sibling `<dir name>.<suffix>`.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir.file_name().map_or_else(
        || "collaudo-report".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    parent.join(format!("{name}.{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[test]
    fn default_folders_are_never_shared_within_a_second() {
        let t = tmp();
        let a = OutDir::unique_under(t.path(), "20261201-120000").expect("first");
        let b = OutDir::unique_under(t.path(), "20261201-120000").expect("second");
        assert_ne!(a.target(), b.target());
        assert!(a.target().ends_with("20261201-120000-1"));
        assert!(b.target().ends_with("20261201-120000-2"));
    }

    #[test]
    fn a_foreign_non_empty_folder_is_refused_and_left_alone() {
        let t = tmp();
        fs::write(t.path().join("thesis.docx"), b"x").expect("write");
        let err = OutDir::named(t.path()).expect_err("refused");
        assert!(err.contains("not a previous collaudo run"), "{err}");
        assert!(err.contains("thesis.docx"), "{err}");
        assert!(t.path().join("thesis.docx").exists());
    }

    #[test]
    fn a_previous_run_is_replaced_as_a_whole() {
        let t = tmp();
        let out = t.path().join("report");
        let first = OutDir::named(&out).expect("new folder");
        assert!(!first.is_staged());
        first.mark("run-1").expect("mark");
        fs::write(first.work().join("junit.xml"), b"old").expect("write");
        first.finish().expect("finish");

        let second = OutDir::named(&out).expect("previous run");
        assert!(second.is_staged());
        assert_ne!(second.work(), out.as_path());
        second.mark("run-2").expect("mark");
        fs::write(second.work().join("report.json"), b"new").expect("write");
        // Until the end, the previous run is intact where the user looks.
        assert!(out.join("junit.xml").exists());
        let done = second.finish().expect("finish");
        assert_eq!(done, out);
        assert!(!out.join("junit.xml").exists(), "a stale file survived");
        assert_eq!(fs::read(out.join("report.json")).expect("read"), b"new");
        let leftovers: Vec<_> = fs::read_dir(t.path())
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("report")]);
    }

    #[test]
    fn a_file_is_not_a_folder() {
        let t = tmp();
        let f = t.path().join("f");
        fs::write(&f, b"x").expect("write");
        let err = OutDir::named(&f).expect_err("refused");
        assert!(err.contains("is a file"), "{err}");
    }
}
