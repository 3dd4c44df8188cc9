//! `collaudo check` and `collaudo list`: the catalogue without any network.

use crate::exit;
use crate::scenario::{Catalogue, Scenario, Severity};
use std::io::Write;
use std::path::PathBuf;

/// `collaudo check [DIR...]`: parse and validate scenario files, print every problem.
/// Without folders it checks the built-in suite.
pub fn check(dirs: &[PathBuf], out: &mut dyn Write) -> i32 {
    let cat = match Catalogue::with_dirs(dirs, dirs.is_empty()) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "error: {e}");
            return exit::USAGE;
        }
    };
    for p in &cat.problems {
        let _ = write!(out, "{}", p.render());
    }
    let errors = cat
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = cat.problems.len() - errors;
    let files: std::collections::BTreeSet<&str> = cat
        .scenarios
        .iter()
        .map(|(_, f)| f.path.as_str())
        .chain(cat.problems.iter().map(|p| p.file.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "{} scenario file{} checked: {} ok, {} error{}, {} warning{}",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        cat.scenarios.len(),
        errors,
        if errors == 1 { "" } else { "s" },
        warnings,
        if warnings == 1 { "" } else { "s" },
    );
    if errors > 0 { exit::USAGE } else { exit::OK }
}

/// The built-in suite plus `dirs`, or the exit code after printing why it cannot be used.
fn valid_catalogue(dirs: &[PathBuf], out: &mut dyn Write) -> Result<Catalogue, i32> {
    let cat = Catalogue::with_dirs(dirs, true).map_err(|e| {
        let _ = writeln!(out, "error: {e}");
        exit::USAGE
    })?;
    if cat.has_errors() {
        for p in &cat.problems {
            let _ = write!(out, "{}", p.render());
        }
        return Err(exit::USAGE);
    }
    Ok(cat)
}

/// The cases `only` selects, or the exit code after saying that none matched.
fn selection<'c>(
    cat: &'c Catalogue,
    only: &[String],
    out: &mut dyn Write,
) -> Result<Vec<&'c (Scenario, crate::scenario::SourceFile)>, i32> {
    let selected = cat.select(only);
    if selected.is_empty() {
        let _ = writeln!(out, "no scenario matches {}", only.join(", "));
        return Err(exit::NOTHING_SELECTED);
    }
    Ok(selected)
}

/// `collaudo list`: the catalogue with ids, PagoPA official ids, class and tags.
pub fn list(dirs: &[PathBuf], only: &[String], out: &mut dyn Write) -> i32 {
    let cat = match valid_catalogue(dirs, out) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let selected = match selection(&cat, only, out) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let _ = writeln!(
        out,
        "{:<10} {:<12} {:<5} {:<40} title",
        "id", "PagoPA id", "class", "tags"
    );
    for (s, _) in &selected {
        let official = s.official.as_ref().map_or("—", |o| o.get_ref().as_str());
        let class = s.class.as_ref().map_or("", |c| c.get_ref().as_str());
        let _ = writeln!(
            out,
            "{:<10} {:<12} {:<5} {:<40} {}",
            s.id.get_ref(),
            official,
            class,
            s.tags.join(","),
            s.title
        );
    }
    let _ = writeln!(
        out,
        "\n{} scenario{}. Ids such as VRF-001 are collaudo's own catalogue; only the \"PagoPA id\" column (EC-PSP-*) refers to PagoPA's official test plan.",
        selected.len(),
        if selected.len() == 1 { "" } else { "s" }
    );
    exit::OK
}

/// `collaudo plan`: every selected case with what it needs from the station and the
/// configuration, then the notices each fixture role must have for the whole selection to run
/// once against a station that is not restarted between cases.
pub fn plan(dirs: &[PathBuf], only: &[String], out: &mut dyn Write) -> i32 {
    let cat = match valid_catalogue(dirs, out) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let selected = match selection(&cat, only, out) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let rows: Vec<PlanRow<'_>> = selected.iter().map(|(s, _)| PlanRow::of(s)).collect();
    let _ = writeln!(
        out,
        "{:<10} {:<12} {:<5} {:<5} needs",
        "id", "PagoPA id", "class", "phase"
    );
    for r in &rows {
        let _ = writeln!(
            out,
            "{:<10} {:<12} {:<5} {:<5} {}",
            r.id,
            r.official.unwrap_or("—"),
            r.class,
            r.phase,
            r.needs.join(", ")
        );
    }
    let scenarios: Vec<&Scenario> = selected.iter().map(|(s, _)| s).collect();
    let _ = writeln!(
        out,
        "\nNotices per fixture role for one run of these {} cases against a long-lived station\n(one shared by the cases that only read the role, plus one per case that pays it):",
        scenarios.len()
    );
    for (role, n) in crate::fixtures::needed(scenarios.iter().copied()) {
        let _ = writeln!(out, "  {role:<20} {n}");
    }
    let _ = writeln!(
        out,
        "\nList them in [fixtures] of collaudo.toml, e.g. payable = [\"…\", \"…\"]; a paid notice is never\npayable again, so prepare fresh ones before the next run. Ids such as VRF-001 are collaudo's own\ncatalogue; only the \"PagoPA id\" column (EC-PSP-*) refers to PagoPA's official test plan."
    );
    exit::OK
}

/// One case as the test plan shows it.
struct PlanRow<'s> {
    id: &'s str,
    official: Option<&'s str>,
    title: &'s str,
    class: &'s str,
    phase: &'s str,
    /// Fixture roles (`payable (pays it)`) then configuration sections (`[aca]`).
    needs: Vec<String>,
}

impl<'s> PlanRow<'s> {
    fn of(s: &'s Scenario) -> Self {
        PlanRow {
            id: s.id.get_ref(),
            official: s.official.as_ref().map(|o| o.get_ref().as_str()),
            title: &s.title,
            class: s.class.as_ref().map_or("", |c| c.get_ref().as_str()),
            phase: s.phase.as_ref().map_or_else(
                || if s.official.is_some() { "BOTH" } else { "COL" },
                |p| p.get_ref().as_str(),
            ),
            needs: crate::fixtures::uses(s)
                .into_iter()
                .map(|(role, u)| match u {
                    crate::fixtures::Use::Read => role,
                    crate::fixtures::Use::Consume => format!("{role} (pays it)"),
                })
                .chain(s.needs().into_iter().map(|n| format!("[{n}]")))
                .collect(),
        }
    }
}

/// Text for a Markdown table cell: pipes and line breaks would end the cell or the row.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// `collaudo plan --markdown`: the same plan as a Markdown document for the EC's own test
/// documentation, with PagoPA's official cases in a table of their own so that nobody reads
/// collaudo's ids as PagoPA's.
pub fn plan_markdown(dirs: &[PathBuf], only: &[String], out: &mut dyn Write) -> i32 {
    let cat = match valid_catalogue(dirs, out) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let selected = match selection(&cat, only, out) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let rows: Vec<PlanRow<'_>> = selected.iter().map(|(s, _)| PlanRow::of(s)).collect();
    let mut md = String::new();
    md.push_str("# pagoPA station test plan (collaudo)\n\n");
    md.push_str(&format!(
        "Generated by collaudo {} from its scenario catalogue: {} case{}.\n\n",
        env!("CARGO_PKG_VERSION"),
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ));
    md.push_str("Ids such as `VRF-001` are collaudo's own catalogue. Only the ids in the first table (`EC-PSP-*`) are PagoPA's official test cases; the collaudo cases next to them collect the evidence for them.\n\n");
    md.push_str("## PagoPA official test cases\n\n");
    let mut official: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for r in &rows {
        if let Some(o) = r.official {
            official.entry(o).or_default().push(r.id);
        }
    }
    if official.is_empty() {
        md.push_str("None of the selected cases collects evidence for an official case.\n\n");
    } else {
        md.push_str("| PagoPA official id | collaudo cases |\n|---|---|\n");
        for (o, ids) in &official {
            md.push_str(&format!("| {} | {} |\n", cell(o), cell(&ids.join(", "))));
        }
        md.push('\n');
    }
    md.push_str("## collaudo cases\n\n");
    md.push_str("Class: OBB mandatory, OSP mandatory when the EC uses the feature, DEMO a simulator demonstration (never evidence). Phase: COL collaudo (before go-live), PRE pre-production, BOTH.\n\n");
    md.push_str("| collaudo id | title | PagoPA official id | class | phase | needs |\n|---|---|---|---|---|---|\n");
    for r in &rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            cell(r.id),
            cell(r.title),
            r.official.map_or_else(|| "—".to_string(), cell),
            cell(r.class),
            cell(r.phase),
            cell(&r.needs.join(", "))
        ));
    }
    let scenarios: Vec<&Scenario> = selected.iter().map(|(s, _)| s).collect();
    md.push_str("\n## Notices to prepare\n\n");
    md.push_str("For one run against a station that is not restarted between cases: one notice shared by the cases that only read a role, plus one per case that pays it. A paid notice is never payable again, so prepare fresh ones before each run.\n\n");
    md.push_str("| fixture role | notices |\n|---|---|\n");
    for (role, n) in crate::fixtures::needed(scenarios.iter().copied()) {
        md.push_str(&format!("| {} | {n} |\n", cell(&role)));
    }
    match out.write_all(md.as_bytes()) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: cannot write the plan: {e}");
            exit::HARNESS
        }
    }
}
