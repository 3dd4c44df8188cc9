//! The typed event stream from the engine to the reporters.
//!
//! The engine emits one [`EventEnvelope`] per happening and hands it to a [`Reporter`]
//! (usually the [`Reporters`] fan-out). Reporters only consume: they never call back into the
//! engine, and the engine never formats text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::model::{CaseMeta, CaseResult, RunInfo, RunResult, StepRecord};

/// Something that happened during a run.
///
/// Serialised with a `kind` tag (`run_started`, `scenario_started`, …), one per line in
/// `events.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The run is about to start its first case.
    RunStarted {
        /// Facts about the run.
        info: RunInfo,
        /// Number of cases selected.
        total_cases: usize,
    },
    /// A case is about to run.
    ScenarioStarted {
        /// The case.
        meta: CaseMeta,
    },
    /// A step of the current case finished.
    StepFinished {
        /// Id of the case the step belongs to.
        case_id: String,
        /// The finished step.
        step: StepRecord,
    },
    /// A case finished (or was skipped without starting).
    ScenarioFinished {
        /// Its result.
        result: CaseResult,
    },
    /// The run finished; this is the last event.
    RunFinished {
        /// The whole run.
        result: RunResult,
    },
}

/// An [`Event`] with the times it happened at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventEnvelope {
    /// Wall-clock time of the event, RFC 3339, supplied by the engine.
    pub at: String,
    /// Real time since the run started.
    pub elapsed_ms: f64,
    /// What happened.
    pub event: Event,
}

impl EventEnvelope {
    /// Wraps `event` with its wall-clock time and the elapsed time of the run.
    #[must_use]
    pub fn new(at: impl Into<String>, elapsed_ms: f64, event: Event) -> EventEnvelope {
        EventEnvelope {
            at: at.into(),
            elapsed_ms,
            event,
        }
    }
}

/// A consumer of the event stream.
///
/// `Send` so that the engine can drive reporters from whichever thread runs the scenarios.
pub trait Reporter: Send {
    /// Handles one event. An error is reported to the engine but does not stop the stream:
    /// the engine keeps sending the following events.
    fn write_event(&mut self, ev: &EventEnvelope) -> Result<(), ReportError>;
}

/// Fan-out: passes every event to each reporter in turn.
///
/// A failing reporter does not keep the others from seeing the event; all errors of one event
/// are returned together.
#[derive(Default)]
pub struct Reporters {
    reporters: Vec<Box<dyn Reporter>>,
}

impl Reporters {
    /// An empty fan-out.
    #[must_use]
    pub fn new() -> Reporters {
        Reporters::default()
    }

    /// Adds a reporter; events reach reporters in the order they were added.
    pub fn push(&mut self, reporter: Box<dyn Reporter>) {
        self.reporters.push(reporter);
    }

    /// Builder form of [`Reporters::push`].
    #[must_use]
    pub fn with(mut self, reporter: Box<dyn Reporter>) -> Reporters {
        self.push(reporter);
        self
    }

    /// Number of reporters.
    #[must_use]
    pub fn len(&self) -> usize {
        self.reporters.len()
    }

    /// Whether there are no reporters.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.reporters.is_empty()
    }
}

impl Reporter for Reporters {
    /// Sends `ev` to every reporter. One failure is returned as is; several come back as
    /// [`ReportError::Several`].
    fn write_event(&mut self, ev: &EventEnvelope) -> Result<(), ReportError> {
        let mut errors: Vec<ReportError> = self
            .reporters
            .iter_mut()
            .filter_map(|r| r.write_event(ev).err())
            .collect();
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(ReportError::Several(errors)),
        }
    }
}

impl std::fmt::Debug for Reporters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporters")
            .field("len", &self.reporters.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::model::{CaseMeta, Verdict};

    struct Recorder {
        seen: Arc<Mutex<Vec<String>>>,
        fail: bool,
    }

    impl Reporter for Recorder {
        fn write_event(&mut self, ev: &EventEnvelope) -> Result<(), ReportError> {
            if let Ok(mut seen) = self.seen.lock() {
                seen.push(ev.at.clone());
            }
            if self.fail {
                Err(ReportError::Console(std::io::Error::other("closed")))
            } else {
                Ok(())
            }
        }
    }

    fn started() -> EventEnvelope {
        EventEnvelope::new(
            "2025-01-01T00:00:00Z",
            0.0,
            Event::ScenarioStarted {
                meta: CaseMeta {
                    id: "VRF-001".into(),
                    official_id: Some("EC-PSP-01".into()),
                    title: "t".into(),
                    area: "VRF".into(),
                    tags: vec![],
                    class: None,
                    phase: None,
                    source_file: None,
                },
            },
        )
    }

    #[test]
    fn a_failing_reporter_does_not_stop_the_others() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut all = Reporters::new()
            .with(Box::new(Recorder {
                seen: seen.clone(),
                fail: true,
            }))
            .with(Box::new(Recorder {
                seen: seen.clone(),
                fail: false,
            }))
            .with(Box::new(Recorder {
                seen: seen.clone(),
                fail: true,
            }));
        let err = all.write_event(&started()).err();
        assert!(
            matches!(err, Some(ReportError::Several(ref v)) if v.len() == 2),
            "{err:?}"
        );
        assert_eq!(seen.lock().map(|s| s.len()).unwrap_or_default(), 3);
    }

    #[test]
    fn events_are_tagged_by_kind() -> Result<(), serde_json::Error> {
        let json = serde_json::to_value(started())?;
        assert_eq!(json["event"]["kind"], "scenario_started");
        assert_eq!(json["event"]["meta"]["official_id"], "EC-PSP-01");
        let back: EventEnvelope = serde_json::from_value(json)?;
        assert_eq!(back, started());
        assert_eq!(Verdict::Fail.to_string(), "fail");
        Ok(())
    }
}
