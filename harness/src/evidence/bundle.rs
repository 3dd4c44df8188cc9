//! The evidence bundle: one zip per run, with every exchange's raw request and response, the
//! reports, the configuration without its secrets, a `bundle.json` manifest and `SHA256SUMS`.
//!
//! Layout (every path below is an entry of the zip):
//!
//! ```text
//! SHA256SUMS                      sha256sum format: `sha256sum -c SHA256SUMS` after unzipping
//! bundle.json                     tool version, catalogue digest, seed, cases, exchange index
//! config/collaudo.toml            the configuration, secrets redacted (when the run had one)
//! reports/junit.xml, report.json, summary.md, *.html   the reports the run folder holds
//! run/journal.jsonl, events.jsonl, aca.jsonl           the raw logs the reports come from
//! EC-PSP-02/ACT-001/02-paGetPaymentV2-request.xml      PagoPA official case / collaudo case
//! EC-PSP-02/ACT-001/02-paGetPaymentV2-response.xml
//! EC-PSP-04/RT-003/02-paSendRTV2-a03-request.xml       3rd call of that primitive in the step
//! collaudo/CON-001/01-paVerifyPaymentNotice-request.xml   a case with no PagoPA official id
//! ```
//!
//! Steps are numbered from 1, as `collaudo show` takes them. Every case's exchanges are kept:
//! the cases PagoPA numbers under their official id, collaudo's own under `collaudo/`, a name
//! that no official id has, so that one can never pass for the other. A response file exists
//! when a response (even a broken one) came back; `bundle.json` gives the transport error
//! otherwise. File contents are the journal's bytes, untouched.

use super::{JOURNAL_FILE, RunFolder, redact};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The bundle's file name in a run folder.
pub const BUNDLE_FILE: &str = "evidence.zip";
/// The checksum manifest's entry name.
pub const SUMS_FILE: &str = "SHA256SUMS";
/// The bundle manifest's entry name.
pub const MANIFEST_FILE: &str = "bundle.json";
/// `bundle.json`'s `format`.
pub const FORMAT: &str = "collaudo-evidence/1";
/// The folder of the cases without a PagoPA official id.
pub const OWN_CASES_DIR: &str = "collaudo";

/// Report files copied into `reports/` (plus any `*.html` of the run folder).
const REPORTS: [&str; 3] = ["junit.xml", "report.json", "summary.md"];
/// Run logs copied into `run/`.
const LOGS: [&str; 3] = [
    JOURNAL_FILE,
    collaudo_reports::files::EVENTS_FILE,
    "aca.jsonl",
];

/// `bundle.json`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) format: String,
    /// collaudo's version that made the run.
    pub(crate) tool_version: Option<String>,
    /// The built-in scenario catalogue's digest (`collaudo --version`), known when the bundle
    /// is made by the run itself.
    pub(crate) catalogue_digest: Option<String>,
    pub(crate) seed: Option<u64>,
    pub(crate) run_id: Option<String>,
    pub(crate) started_at: Option<String>,
    pub(crate) finished_at: Option<String>,
    pub(crate) station_url: Option<String>,
    pub(crate) station_kind: Option<String>,
    /// Digest of the configuration file as read (before redaction).
    pub(crate) config_digest: Option<String>,
    /// The redacted configuration's entry, if any.
    pub(crate) config: Option<String>,
    /// Why there is no configuration, or what was redacted.
    pub(crate) config_note: String,
    pub(crate) bundled_by: BundledBy,
    pub(crate) cases: Vec<ManifestCase>,
    pub(crate) exchanges: Vec<ManifestExchange>,
}

/// Who made the bundle, and when.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct BundledBy {
    pub(crate) tool_version: String,
    pub(crate) catalogue_digest: String,
    /// `run` (collaudo run --evidence) or `afterwards` (collaudo bundle).
    pub(crate) when: String,
}

/// One case in `bundle.json`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ManifestCase {
    pub(crate) id: String,
    pub(crate) official_id: Option<String>,
    pub(crate) title: String,
    pub(crate) verdict: Option<String>,
    /// Its folder in the bundle.
    pub(crate) folder: String,
}

/// One exchange in `bundle.json`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ManifestExchange {
    pub(crate) seq: u64,
    pub(crate) case: Option<String>,
    pub(crate) official_id: Option<String>,
    /// From 1.
    pub(crate) step: Option<usize>,
    pub(crate) step_name: Option<String>,
    pub(crate) primitive: String,
    pub(crate) status: Option<u16>,
    pub(crate) classification: Option<String>,
    pub(crate) transport_error: Option<String>,
    pub(crate) request: String,
    pub(crate) response: Option<String>,
}

/// What a bundle holds, for the line printed after writing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Where it was written.
    pub path: PathBuf,
    /// Entries, `SHA256SUMS` included.
    pub entries: usize,
    /// Exchanges bundled.
    pub exchanges: usize,
    /// Cases with a PagoPA official id that made at least one exchange.
    pub official_cases: usize,
    /// A note on the configuration (absent, redacted...).
    pub config_note: String,
}

/// A letter-digit-dot-dash-underscore form of an id, safe as one path component.
fn component(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.chars().all(|c| c == '.') {
        format!("_{s}")
    } else {
        s
    }
}

/// The folder of a case: `<official id>/<case>` or `collaudo/<case>`.
fn case_folder(case: Option<&str>, official: Option<&str>) -> String {
    match (case, official) {
        (Some(c), Some(o)) if component(o) != OWN_CASES_DIR => {
            format!("{}/{}", component(o), component(c))
        }
        (Some(c), _) => format!("{OWN_CASES_DIR}/{}", component(c)),
        (None, _) => format!("{OWN_CASES_DIR}/_no-case"),
    }
}

/// Make the bundle of the run folder `run_dir` into `out`.
///
/// `config` is the configuration file the run read, if any; `at_run` says the bundle is made
/// by the run itself (so this binary's catalogue digest is the run's).
pub fn write(
    run_dir: &Path,
    out: &Path,
    config: Option<&Path>,
    at_run: bool,
) -> Result<Written, String> {
    let folder = RunFolder::load(run_dir)?;
    let run_dir = folder
        .journal
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();

    // ---- exchanges ----
    // (folder, step, primitive) → the exchanges in seq order, to number repeated calls.
    let mut exchanges: Vec<&collaudo_nodo::Exchange> = folder.exchanges.iter().collect();
    exchanges.sort_by_key(|e| e.seq);
    let mut groups: BTreeMap<(String, Option<usize>, String), Vec<u64>> = BTreeMap::new();
    for e in &exchanges {
        let official = e
            .scenario
            .as_deref()
            .and_then(|c| folder.case(c))
            .and_then(|c| c.official_id.as_deref());
        groups
            .entry((
                case_folder(e.scenario.as_deref(), official),
                e.step,
                e.primitive.name().to_string(),
            ))
            .or_default()
            .push(e.seq);
    }
    let mut index = Vec::new();
    let mut official_cases = std::collections::BTreeSet::new();
    for e in &exchanges {
        let official = e
            .scenario
            .as_deref()
            .and_then(|c| folder.case(c))
            .and_then(|c| c.official_id.clone());
        let dir = case_folder(e.scenario.as_deref(), official.as_deref());
        let primitive = e.primitive.name().to_string();
        let group = &groups[&(dir.clone(), e.step, primitive.clone())];
        let attempt = if group.len() > 1 {
            let width = group.len().to_string().len().max(2);
            let n = group.iter().position(|s| *s == e.seq).unwrap_or(0) + 1;
            format!("-a{n:0width$}")
        } else {
            String::new()
        };
        let step = e.step.map_or(0, |s| s + 1);
        let base = format!("{dir}/{step:02}-{primitive}{attempt}");
        let request = format!("{base}-request.xml");
        let response = e.response.as_ref().map(|_| format!("{base}-response.xml"));
        if entries
            .insert(request.clone(), e.request_body.as_bytes().to_vec())
            .is_some()
        {
            return Err(format!(
                "two exchanges would be bundled as {request} (journal seq {})",
                e.seq
            ));
        }
        if let (Some(name), Some(reply)) = (&response, &e.response) {
            entries.insert(name.clone(), reply.body.clone());
        }
        if official.is_some() {
            official_cases.insert(e.scenario.clone());
        }
        index.push(ManifestExchange {
            seq: e.seq,
            case: e.scenario.clone(),
            official_id: official,
            step: e.step.map(|s| s + 1),
            step_name: e
                .scenario
                .as_deref()
                .zip(e.step)
                .and_then(|(c, s)| folder.step_name(c, s))
                .map(str::to_string),
            primitive,
            status: e.response.as_ref().map(|r| r.status),
            classification: e.classification.clone(),
            transport_error: e.transport_error.as_ref().map(ToString::to_string),
            request,
            response,
        });
    }

    // ---- reports and logs ----
    let mut reports: Vec<String> = REPORTS.iter().map(|s| (*s).to_string()).collect();
    if let Ok(rd) = std::fs::read_dir(&run_dir) {
        let mut html: Vec<String> = rd
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".html"))
            .collect();
        html.sort();
        reports.extend(html);
    }
    for (sub, names) in [
        ("reports", reports),
        ("run", LOGS.map(String::from).to_vec()),
    ] {
        for name in names {
            let path = run_dir.join(&name);
            match std::fs::read(&path) {
                Ok(bytes) => {
                    entries.insert(format!("{sub}/{}", component(&name)), bytes);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            }
        }
    }

    // ---- configuration ----
    let (config_entry, config_note) = match config {
        None => (
            None,
            "the run read no configuration file (defaults and command-line flags)".to_string(),
        ),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot be read: {e}"))
                .and_then(|text| redact::redact_config(&text));
            match text {
                Ok((redacted, n)) => {
                    entries.insert("config/collaudo.toml".into(), redacted.into_bytes());
                    (
                        Some("config/collaudo.toml".to_string()),
                        format!(
                            "{}, {n} secret value{} replaced by \"{}\"",
                            path.display(),
                            if n == 1 { "" } else { "s" },
                            redact::REDACTED
                        ),
                    )
                }
                Err(e) => (
                    None,
                    format!("{} left out of the bundle: {e}", path.display()),
                ),
            }
        }
    };

    // ---- manifest ----
    let info = folder.info.as_ref();
    let manifest = Manifest {
        format: FORMAT.into(),
        tool_version: info.map(|i| i.tool_version.clone()),
        // The run's own record when report.json has it (runs from before it was recorded: only
        // a bundle made by the run itself knows).
        catalogue_digest: info
            .map(|i| i.catalogue_digest.clone())
            .filter(|d| !d.is_empty())
            .or_else(|| at_run.then(|| format!("sha256:{}", collaudo_scenarios::DIGEST))),
        seed: info.map(|i| i.seed),
        run_id: info.map(|i| i.run_id.clone()),
        started_at: info.map(|i| i.started_at.clone()),
        finished_at: folder.finished_at.clone(),
        station_url: info.map(|i| super::redact_userinfo(&i.station_url)),
        station_kind: info.map(|i| i.station_kind.clone()),
        config_digest: info.map(|i| i.config_digest.clone()),
        config: config_entry,
        config_note: config_note.clone(),
        bundled_by: BundledBy {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            catalogue_digest: format!("sha256:{}", collaudo_scenarios::DIGEST),
            when: if at_run { "run" } else { "afterwards" }.into(),
        },
        cases: folder
            .cases
            .iter()
            .map(|c| ManifestCase {
                id: c.id.clone(),
                official_id: c.official_id.clone(),
                title: c.title.clone(),
                verdict: c.verdict.clone(),
                folder: case_folder(Some(&c.id), c.official_id.as_deref()),
            })
            .collect(),
        exchanges: index,
    };
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| format!("cannot write {MANIFEST_FILE}: {e}"))?;
    entries.insert(MANIFEST_FILE.into(), json);

    // ---- checksums and the zip ----
    let mut sums = String::new();
    for (name, bytes) in &entries {
        sums.push_str(&format!("{}  {name}\n", hex(&Sha256::digest(bytes))));
    }
    entries.insert(SUMS_FILE.into(), sums.into_bytes());
    let count = entries.len();
    write_zip(out, &entries)?;
    Ok(Written {
        path: out.to_path_buf(),
        entries: count,
        exchanges: manifest.exchanges.len(),
        official_cases: official_cases.len(),
        config_note,
    })
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Write the entries (in name order) to `out` through a temporary file beside it, so that a
/// failure never leaves half a bundle under the final name.
fn write_zip(out: &Path, entries: &BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    let tmp = out.with_extension("zip.partial");
    let result = (|| -> Result<(), String> {
        let file = std::fs::File::create(&tmp)
            .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        // A fixed time and mode: the same run folder gives the same bundle, byte for byte.
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        for (name, bytes) in entries {
            zip.start_file(name.as_str(), options)
                .map_err(|e| format!("cannot add {name} to {}: {e}", out.display()))?;
            zip.write_all(bytes)
                .map_err(|e| format!("cannot write {name} into {}: {e}", out.display()))?;
        }
        let mut inner = zip
            .finish()
            .map_err(|e| format!("cannot finish {}: {e}", out.display()))?;
        inner
            .flush()
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        std::fs::rename(&tmp, out)
            .map_err(|e| format!("cannot move {} to {}: {e}", tmp.display(), out.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// After `collaudo run --evidence`: bundle the run folder into `<out_dir>/evidence.zip` and say
/// so on `err`. False (after saying why) when the bundle could not be made.
pub fn after_run(out_dir: &Path, config: Option<&Path>, err: &mut dyn Write) -> bool {
    let path = out_dir.join(BUNDLE_FILE);
    match write(out_dir, &path, config, true) {
        Ok(w) => {
            let _ = writeln!(err, "{}", written_line(&w));
            true
        }
        Err(e) => {
            let _ = writeln!(err, "error: cannot write the evidence bundle: {e}");
            false
        }
    }
}

fn written_line(w: &Written) -> String {
    format!(
        "evidence bundle written to {}: {} exchange{} ({} collaudo case{} with a PagoPA official id), {} files; configuration: {}",
        w.path.display(),
        w.exchanges,
        if w.exchanges == 1 { "" } else { "s" },
        w.official_cases,
        if w.official_cases == 1 { "" } else { "s" },
        w.entries,
        w.config_note
    )
}

/// `collaudo bundle RUN_DIR [--config FILE] [-o FILE]`: the bundle of a finished run folder.
/// Exit 0 written, 2 not a run folder or an unreadable configuration, 3 the zip could not be
/// written.
pub fn command(
    run_dir: &Path,
    config: Option<&Path>,
    out: Option<&Path>,
    err: &mut dyn Write,
) -> i32 {
    if let Err(e) = RunFolder::load(run_dir) {
        let _ = writeln!(err, "error: {e}");
        return crate::exit::USAGE;
    }
    if let Some(c) = config {
        if let Err(e) = std::fs::metadata(c) {
            let _ = writeln!(err, "error: cannot read {}: {e}", c.display());
            return crate::exit::USAGE;
        }
    }
    let out = out.map_or_else(|| run_dir.join(BUNDLE_FILE), Path::to_path_buf);
    match write(run_dir, &out, config, false) {
        Ok(w) => {
            let _ = writeln!(err, "{}", written_line(&w));
            crate::exit::OK
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            crate::exit::HARNESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_folders_keep_official_and_own_ids_apart() {
        assert_eq!(
            case_folder(Some("ACT-001"), Some("EC-PSP-02")),
            "EC-PSP-02/ACT-001"
        );
        assert_eq!(case_folder(Some("CON-001"), None), "collaudo/CON-001");
        assert_eq!(case_folder(None, None), "collaudo/_no-case");
        // An id that would climb out of its folder, or pose as collaudo's own, cannot.
        assert_eq!(case_folder(Some("../x"), Some("a/b")), "a_b/.._x");
        assert_eq!(case_folder(Some(".."), None), "collaudo/_..");
        assert_eq!(case_folder(Some("X"), Some("collaudo")), "collaudo/X");
    }
}
