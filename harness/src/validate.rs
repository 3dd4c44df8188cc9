//! `collaudo validate`: check saved pagoPA messages against the XSD facts and the Nodo's rules.

use crate::diagnostic::Diagnostic;
use crate::exit;
use collaudo_wire::{Kind, Parsed, Severity, Violation, parse};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Output format of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human diagnostics with source excerpts.
    Human,
    /// One JSON document listing every file and violation.
    Json,
}

/// What validating one file found.
#[derive(Debug, Serialize)]
pub struct FileReport {
    /// The file as given.
    pub file: String,
    /// Set when the file could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_error: Option<String>,
    /// Operation name, e.g. `paGetPaymentV2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primitive: Option<String>,
    /// `request` or `response`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Payload element found, e.g. `paGetPaymentV2Response`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    /// No error (warnings allowed).
    pub valid: bool,
    /// No XML/envelope/XSD error (what `xmllint --schema` would decide on the payload).
    pub schema_valid: bool,
    /// The violations kept (the first ones in document order; see `omitted_*`).
    pub violations: Vec<Violation>,
    /// Errors found beyond the ones kept (a hostile file can hold millions).
    #[serde(default)]
    pub omitted_errors: usize,
    /// Warnings found beyond the ones kept.
    #[serde(default)]
    pub omitted_warnings: usize,
}

fn report_for(file: &str, parsed: &Parsed) -> FileReport {
    FileReport {
        file: file.to_string(),
        read_error: None,
        primitive: parsed.kind.map(|(p, _)| p.name().to_string()),
        direction: parsed.kind.map(|(_, d)| {
            match d {
                collaudo_wire::Direction::Request => "request",
                collaudo_wire::Direction::Response => "response",
            }
            .to_string()
        }),
        element: parsed.kind.map(|(p, d)| p.element(d).to_string()),
        valid: parsed.is_valid(),
        schema_valid: parsed.is_schema_valid(),
        violations: parsed.violations.clone(),
        omitted_errors: parsed.omitted.errors,
        omitted_warnings: parsed.omitted.warnings,
    }
}

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Xml => "xml",
        Kind::Envelope => "soap",
        Kind::Xsd => "xsd",
        Kind::Semantic => "pagopa",
    }
}

fn render_human(out: &mut dyn Write, r: &FileReport, src: &str) -> std::io::Result<()> {
    if let Some(e) = &r.read_error {
        writeln!(out, "error: cannot read {}: {e}", r.file)?;
        return Ok(());
    }
    let what = match (&r.element, &r.primitive) {
        (Some(el), Some(p)) => format!("{el} ({} {p})", r.direction.as_deref().unwrap_or("")),
        _ => "no pagoPA message recognised".to_string(),
    };
    let kept_errors = r.violations.iter().filter(|v| v.is_error()).count();
    let errors = kept_errors + r.omitted_errors;
    let warnings = r.violations.len() - kept_errors + r.omitted_warnings;
    if r.valid {
        let w = if warnings > 0 {
            format!(
                ", {warnings} warning{}",
                if warnings == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        writeln!(out, "valid    {}: {what}{w}", r.file)?;
    } else {
        writeln!(
            out,
            "INVALID  {}: {what}: {errors} error{}{}",
            r.file,
            if errors == 1 { "" } else { "s" },
            if warnings > 0 {
                format!(
                    ", {warnings} warning{}",
                    if warnings == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        )?;
    }
    for v in &r.violations {
        let title = format!("[{}] {}", kind_label(v.kind), v.message);
        let mut notes = vec![format!("path: {}", v.path)];
        if let Some(val) = &v.value {
            notes.push(format!("found: {val:?}"));
        }
        let d = Diagnostic {
            level: if v.severity == Severity::Error {
                "error"
            } else {
                "warning"
            },
            title: &title,
            file: &r.file,
            position: v.position.map(|p| (p.line, p.column)),
            notes,
        };
        write!(out, "{}", d.render(src))?;
    }
    let omitted = r.omitted_errors + r.omitted_warnings;
    if omitted > 0 {
        writeln!(
            out,
            "… and {omitted} more violation{} not shown ({} error{}, {} warning{}): the first {} are",
            if omitted == 1 { "" } else { "s" },
            r.omitted_errors,
            if r.omitted_errors == 1 { "" } else { "s" },
            r.omitted_warnings,
            if r.omitted_warnings == 1 { "" } else { "s" },
            r.violations.len()
        )?;
    }
    Ok(())
}

/// Validate `files`, write the verdicts to `out`, return the exit code:
/// 0 all valid, 1 some invalid, 2 some unreadable.
pub fn run(files: &[PathBuf], format: Format, out: &mut dyn Write) -> i32 {
    let mut reports = Vec::new();
    let mut unreadable = false;
    let mut invalid = false;
    for path in files {
        let name = path.display().to_string();
        match read_input(path) {
            Ok(bytes) => {
                let parsed = parse(&bytes);
                let report = report_for(&name, &parsed);
                invalid |= !report.valid;
                if format == Format::Human {
                    let src = String::from_utf8_lossy(&bytes);
                    let _ = render_human(out, &report, &src);
                }
                reports.push(report);
            }
            Err(e) => {
                unreadable = true;
                let report = FileReport {
                    file: name,
                    read_error: Some(e),
                    primitive: None,
                    direction: None,
                    element: None,
                    valid: false,
                    schema_valid: false,
                    violations: Vec::new(),
                    omitted_errors: 0,
                    omitted_warnings: 0,
                };
                if format == Format::Human {
                    let _ = render_human(out, &report, "");
                }
                reports.push(report);
            }
        }
    }
    match format {
        Format::Json => {
            let doc = serde_json::json!({ "files": reports });
            let _ = serde_json::to_writer_pretty(&mut *out, &doc);
            let _ = writeln!(out);
        }
        Format::Human => {
            let bad = reports.iter().filter(|r| !r.valid).count();
            let _ = writeln!(
                out,
                "{} file{} checked: {} valid, {} invalid or unreadable",
                reports.len(),
                if reports.len() == 1 { "" } else { "s" },
                reports.len() - bad,
                bad
            );
        }
    }
    if unreadable {
        exit::USAGE
    } else if invalid {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// Read a file, or standard input for `-`, with a size cap so a wrong path to a huge file fails
/// quickly instead of eating memory.
fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    const MAX: u64 = 64 * 1024 * 1024;
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buf)
            .map_err(|e| e.to_string())?;
        return Ok(buf);
    }
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.is_dir() {
        return Err("is a directory (give the message files themselves)".into());
    }
    if meta.len() > MAX {
        return Err(format!(
            "{} bytes is larger than the {MAX}-byte limit",
            meta.len()
        ));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}
