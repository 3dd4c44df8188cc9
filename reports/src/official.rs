//! PagoPA's official go-live cases, rolled up from collaudo's cases.
//!
//! PagoPA asks an EC for evidence per *official* case (`EC-PSP-01`, `EC-PSP-02`, …); several of
//! collaudo's cases can collect evidence towards one of them. An official case is only as good
//! as its worst collaudo case: every one must pass for it to pass. The official id is PagoPA's,
//! the case ids are collaudo's, and every report built from this keeps them in separate,
//! labelled columns.

use crate::json::is_demonstration;
use crate::model::{CaseResult, RunResult, Verdict};

/// One official case and the collaudo cases that collect evidence towards it.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficialRow<'a> {
    /// PagoPA's official id, e.g. `EC-PSP-02`.
    pub official_id: &'a str,
    /// collaudo's cases for it, in catalogue order.
    pub cases: Vec<&'a CaseResult>,
    /// The worst verdict of those cases; `Skipped` when none of them ran.
    pub verdict: Verdict,
}

/// Every official id the run's cases name, in the order they first appear; demonstrations are
/// never evidence and are left out.
#[must_use]
pub fn rollup(run: &RunResult) -> Vec<OfficialRow<'_>> {
    let mut rows: Vec<OfficialRow<'_>> = Vec::new();
    for case in run.cases.iter().filter(|c| !is_demonstration(c)) {
        let Some(official) = case.meta.official_id.as_deref() else {
            continue;
        };
        let row = match rows.iter_mut().position(|r| r.official_id == official) {
            Some(i) => &mut rows[i],
            None => {
                rows.push(OfficialRow {
                    official_id: official,
                    cases: Vec::new(),
                    verdict: Verdict::Skipped,
                });
                let last = rows.len() - 1;
                &mut rows[last]
            }
        };
        row.cases.push(case);
        row.verdict = Verdict::worst(row.verdict, case.verdict);
    }
    rows
}

/// An official case's verdict, as the reports show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficialVerdict {
    /// Every collaudo case for it passed.
    Pass,
    /// None failed or errored, at least one passed, some were skipped (the row lists them).
    PassWithSkips,
    /// A case for it failed.
    Fail,
    /// A case for it could not be judged.
    Error,
    /// None of its cases ran.
    NotRun,
}

impl OfficialVerdict {
    /// Of `row`.
    #[must_use]
    pub fn of(row: &OfficialRow<'_>) -> OfficialVerdict {
        match row.verdict {
            Verdict::Pass if row.cases.iter().any(|c| c.verdict == Verdict::Skipped) => {
                OfficialVerdict::PassWithSkips
            }
            Verdict::Pass => OfficialVerdict::Pass,
            Verdict::Fail => OfficialVerdict::Fail,
            Verdict::Error => OfficialVerdict::Error,
            Verdict::Skipped => OfficialVerdict::NotRun,
        }
    }

    /// Lowercase words: `pass`, `pass (some cases skipped)`, `fail`, `error`, `not run`.
    #[must_use]
    pub const fn text(self) -> &'static str {
        match self {
            OfficialVerdict::Pass => "pass",
            OfficialVerdict::PassWithSkips => "pass (some cases skipped)",
            OfficialVerdict::Fail => "fail",
            OfficialVerdict::Error => "error",
            OfficialVerdict::NotRun => "not run",
        }
    }
}

/// How an official case's verdict reads: `pass` only when every collaudo case for it passed
/// (skipped ones aside, which the row lists), `not run` when none ran.
#[must_use]
pub fn verdict_text(row: &OfficialRow<'_>) -> &'static str {
    OfficialVerdict::of(row).text()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CaseMeta, RunInfo};

    fn case(id: &str, official: Option<&str>, verdict: Verdict) -> CaseResult {
        CaseResult {
            meta: CaseMeta {
                id: id.into(),
                official_id: official.map(Into::into),
                title: format!("title of {id}"),
                area: id.split('-').next().unwrap_or("X").into(),
                tags: Vec::new(),
                class: Some("OBB".into()),
                phase: None,
                source_file: None,
            },
            verdict,
            reason: None,
            steps: Vec::new(),
            duration_ms: 1.0,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn an_official_case_is_as_good_as_its_worst_collaudo_case() {
        let run = RunResult::new(
            RunInfo::default(),
            vec![
                case("VRF-001", Some("EC-PSP-01"), Verdict::Pass),
                case("ACT-001", Some("EC-PSP-02"), Verdict::Pass),
                case("VRF-002", None, Verdict::Fail),
                case("ACT-002", Some("EC-PSP-02"), Verdict::Fail),
                case("RT-001", Some("EC-PSP-04"), Verdict::Skipped),
                case("VRF-003", Some("EC-PSP-01"), Verdict::Skipped),
            ],
            String::new(),
            1.0,
        );
        let rows = rollup(&run);
        let got: Vec<(&str, Vec<&str>, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r.official_id,
                    r.cases.iter().map(|c| c.meta.id.as_str()).collect(),
                    verdict_text(r),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "EC-PSP-01",
                    vec!["VRF-001", "VRF-003"],
                    "pass (some cases skipped)"
                ),
                ("EC-PSP-02", vec!["ACT-001", "ACT-002"], "fail"),
                ("EC-PSP-04", vec!["RT-001"], "not run"),
            ]
        );
    }
}
