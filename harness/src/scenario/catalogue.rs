//! The scenario catalogue: the built-in suite embedded at build time plus the user's folders,
//! loaded and checked together, and the `--only` selection.

use super::load::{Problem, Severity, load_dir, load_str};
use super::model::Scenario;
use std::path::Path;

/// A scenario file: where it came from and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Shown in diagnostics: `scenarios/verify/vrf-001.toml` or the user's path.
    pub path: String,
    /// The file text.
    pub text: String,
}

/// The built-in scenario files (the `collaudo-scenarios` crate).
pub fn embedded() -> Vec<SourceFile> {
    collaudo_scenarios::FILES
        .iter()
        .map(|(path, text)| SourceFile {
            path: format!("scenarios/{path}"),
            text: (*text).to_string(),
        })
        .collect()
}

/// Loaded scenarios with every problem found.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// Scenarios that loaded without error, with their source file.
    pub scenarios: Vec<(Scenario, SourceFile)>,
    /// Every error and warning, in file order.
    pub problems: Vec<Problem>,
}

impl Catalogue {
    /// Load the given files, then check ids are unique across them.
    pub fn load(files: Vec<SourceFile>) -> Catalogue {
        let mut cat = Catalogue::default();
        for f in files {
            let (scenario, problems) = load_str(&f.path, &f.text);
            cat.problems.extend(problems);
            if let Some(s) = scenario {
                if let Some((_, first)) = cat
                    .scenarios
                    .iter()
                    .find(|(o, _)| o.id.get_ref() == s.id.get_ref())
                {
                    let at = super::load::line_col(&f.text, s.id.span().start);
                    cat.problems.push(Problem {
                        file: f.path.clone(),
                        position: Some(at),
                        severity: Severity::Error,
                        title: format!("duplicate scenario id `{}`", s.id.get_ref()),
                        help: Some(format!("already defined in {}", first.path)),
                        src: f.text.clone(),
                    });
                    continue;
                }
                cat.scenarios.push((s, f));
            }
        }
        cat
    }

    /// The built-in suite plus every `*.toml` under `extra` folders.
    pub fn with_dirs(
        extra: &[impl AsRef<Path>],
        include_builtin: bool,
    ) -> Result<Catalogue, String> {
        let mut files = if include_builtin {
            embedded()
        } else {
            Vec::new()
        };
        for dir in extra {
            for (path, text) in load_dir(dir.as_ref())? {
                files.push(SourceFile { path, text });
            }
        }
        Ok(Catalogue::load(files))
    }

    /// True when some file has an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// Scenarios matching any of the selectors: an id (`VRF-001`), an id prefix ending in `*`
    /// (`VRF-*`), an area (`VRF`), an official id (`EC-PSP-02`) or a tag. No selector = all.
    pub fn select<'a>(&'a self, only: &[String]) -> Vec<&'a (Scenario, SourceFile)> {
        self.scenarios
            .iter()
            .filter(|(s, _)| only.is_empty() || only.iter().any(|sel| matches(s, sel)))
            .collect()
    }
}

fn matches(s: &Scenario, sel: &str) -> bool {
    let id = s.id.get_ref();
    if let Some(prefix) = sel.strip_suffix('*') {
        return id.starts_with(prefix);
    }
    id.eq_ignore_ascii_case(sel)
        || s.area().eq_ignore_ascii_case(sel)
        || s.official
            .as_ref()
            .is_some_and(|o| o.get_ref().eq_ignore_ascii_case(sel))
        || s.tags.iter().any(|t| t.eq_ignore_ascii_case(sel))
}
