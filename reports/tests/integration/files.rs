//! The file reporters: event log streamed as it goes, reports on RunFinished.

use std::fs;
use std::path::PathBuf;

use collaudo_reports::{
    EventEnvelope, FileReporters, ReportError, ReportFormat, Reporter, json, junit, markdown,
};

use crate::sample;

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("reports-{name}"));
    let _ = fs::remove_dir_all(&dir);
    dir
}

#[test]
fn writes_every_format_and_the_event_log() -> Result<(), Box<dyn std::error::Error>> {
    let dir = scratch("all").join("nested/out");
    let run = sample::run();
    let events = sample::events(&run);
    let mut reporter = FileReporters::new(&dir, &ReportFormat::ALL)?;
    for ev in &events {
        reporter.write_event(ev)?;
    }
    assert_eq!(
        fs::read_to_string(dir.join("junit.xml"))?,
        junit::render(&run)?
    );
    assert_eq!(
        fs::read_to_string(dir.join("report.json"))?,
        json::render(&run)?
    );
    assert_eq!(
        fs::read_to_string(dir.join("summary.md"))?,
        markdown::render(&run)
    );
    let log = fs::read_to_string(dir.join("events.jsonl"))?;
    let read: Vec<EventEnvelope> = log
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(read, events);
    Ok(())
}

#[test]
fn a_run_that_dies_still_leaves_its_events() -> Result<(), Box<dyn std::error::Error>> {
    let dir = scratch("crash");
    let run = sample::run();
    let events = sample::events(&run);
    {
        let mut reporter = FileReporters::new(&dir, &[ReportFormat::Junit])?;
        for ev in events.iter().take(4) {
            reporter.write_event(ev)?;
        }
        // Dropped without RunFinished, as when the engine crashes.
    }
    let log = fs::read_to_string(dir.join("events.jsonl"))?;
    assert_eq!(log.lines().count(), 4);
    assert!(!dir.join("junit.xml").exists());
    Ok(())
}

#[test]
fn only_the_chosen_formats_are_written() -> Result<(), Box<dyn std::error::Error>> {
    let dir = scratch("some");
    let written = collaudo_reports::files::write_reports(
        &dir,
        &[ReportFormat::Markdown, ReportFormat::Markdown],
        &sample::run(),
    )?;
    assert_eq!(written, vec![dir.join("summary.md")]);
    assert!(!dir.join("report.json").exists());
    Ok(())
}

#[test]
fn io_errors_name_the_path() -> Result<(), Box<dyn std::error::Error>> {
    let base = scratch("blocked");
    fs::create_dir_all(&base)?;
    let blocker = base.join("not-a-dir");
    fs::write(&blocker, "")?;
    let err = FileReporters::new(blocker.join("out"), &ReportFormat::ALL)
        .err()
        .ok_or("creating a directory under a file must fail")?;
    assert!(matches!(err, ReportError::CreateDir { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&*blocker.to_string_lossy()),
        "{err}"
    );
    Ok(())
}
