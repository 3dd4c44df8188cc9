//! `collaudo verify-bundle FILE`: is an evidence bundle still what collaudo wrote?
//!
//! Every file listed in `SHA256SUMS` must be there with that hash, no other file may be there
//! (`SHA256SUMS` itself aside), and the request/response files that `bundle.json` indexes must
//! hold exactly the bytes of the bundled journal. Exit 0 intact, 1 tampered (each problem names
//! the file and why), 2 unreadable or not an evidence bundle.

use super::bundle::{MANIFEST_FILE, Manifest, SUMS_FILE, hex};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek, Write};
use std::path::Path;

/// The bundled journal's entry name.
const JOURNAL_ENTRY: &str = "run/journal.jsonl";

/// Check `file`; the verdict goes to `out`, a file that cannot be read as a bundle to `err`.
pub fn command(file: &Path, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match verify(file) {
        Err(e) => {
            let _ = writeln!(err, "error: {}: {e}", file.display());
            crate::exit::USAGE
        }
        Ok(report) if report.problems.is_empty() => {
            let _ = writeln!(
                out,
                "ok: {}: {} files match {SUMS_FILE}, nothing unlisted; {}",
                file.display(),
                report.checked,
                report.journal_note
            );
            crate::exit::OK
        }
        Ok(report) => {
            for (path, why) in &report.problems {
                let _ = writeln!(out, "TAMPERED  {path}: {why}");
            }
            let n = report.problems.len();
            let _ = writeln!(
                out,
                "{}: {n} problem{}: this bundle is not the one collaudo wrote",
                file.display(),
                if n == 1 { "" } else { "s" }
            );
            crate::exit::FAILED
        }
    }
}

/// What a readable bundle showed.
#[derive(Debug, Default)]
struct Report {
    /// Files whose hash matched.
    checked: usize,
    /// (entry, why) for each problem, in entry order.
    problems: Vec<(String, String)>,
    /// What the journal cross-check did.
    journal_note: String,
}

/// `Err` only for a file that is not a readable bundle at all (exit 2).
fn verify(file: &Path) -> Result<Report, String> {
    let f = File::open(file).map_err(|e| format!("cannot read it: {e}"))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(f))
        .map_err(|e| format!("not a zip file, so not an evidence bundle ({e})"))?;
    let mut names: Vec<String> = Vec::new();
    let mut report = Report::default();
    for i in 0..zip.len() {
        match zip.by_index_raw(i) {
            Ok(entry) if entry.is_dir() => {}
            Ok(entry) => names.push(entry.name().to_string()),
            Err(e) => report
                .problems
                .push((format!("entry #{}", i + 1), format!("unreadable ({e})"))),
        }
    }
    if !names.iter().any(|n| n == SUMS_FILE) {
        return Err(format!(
            "not a collaudo evidence bundle: no {SUMS_FILE} in it (made by `collaudo run --evidence` or `collaudo bundle`)"
        ));
    }
    let mut seen = BTreeSet::new();
    for n in &names {
        if !seen.insert(n.as_str()) {
            report.problems.push((
                n.clone(),
                "present twice in the zip (one copy added later)".into(),
            ));
        }
    }
    let sums = match read_entry(&mut zip, SUMS_FILE) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            report.problems.push((SUMS_FILE.into(), e));
            return Ok(report);
        }
    };
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    for (i, line) in sums.lines().enumerate() {
        let parsed = line
            .split_once("  ")
            .or_else(|| line.split_once(" *"))
            .filter(|(h, p)| {
                h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) && !p.is_empty()
            });
        match parsed {
            Some((hash, path)) => {
                if listed
                    .insert(path.to_string(), hash.to_ascii_lowercase())
                    .is_some()
                {
                    report.problems.push((
                        SUMS_FILE.into(),
                        format!("line {} lists {path} a second time", i + 1),
                    ));
                }
            }
            None => report.problems.push((
                SUMS_FILE.into(),
                format!(
                    "line {} is not `<sha256>  <path>`: {}",
                    i + 1,
                    super::visible_line(&super::shorten(line, 80))
                ),
            )),
        }
    }
    for (path, want) in &listed {
        if path == SUMS_FILE {
            report
                .problems
                .push((SUMS_FILE.into(), "lists itself".into()));
            continue;
        }
        if !seen.contains(path.as_str()) {
            report.problems.push((
                path.clone(),
                format!("missing: listed in {SUMS_FILE}, not in the zip"),
            ));
            continue;
        }
        match hash_entry(&mut zip, path) {
            Ok(got) if got == *want => report.checked += 1,
            Ok(got) => report.problems.push((
                path.clone(),
                format!("content changed: sha256 {got}, {SUMS_FILE} says {want}"),
            )),
            Err(e) => report.problems.push((path.clone(), e)),
        }
    }
    for n in &seen {
        if *n != SUMS_FILE && !listed.contains_key(*n) {
            report.problems.push((
                (*n).to_string(),
                format!("not listed in {SUMS_FILE}: added after the bundle was made"),
            ));
        }
    }
    report.journal_note = cross_check(&mut zip, &seen, &mut report.problems);
    Ok(report)
}

fn read_entry<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Result<Vec<u8>, String> {
    let mut entry = zip.by_name(name).map_err(|e| format!("unreadable ({e})"))?;
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| format!("unreadable: its compressed data is damaged ({e})"))?;
    Ok(bytes)
}

fn hash_entry<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Result<String, String> {
    let mut entry = zip.by_name(name).map_err(|e| format!("unreadable ({e})"))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = entry
            .read(&mut buf)
            .map_err(|e| format!("unreadable: its compressed data is damaged ({e})"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The exchange files against the bundled journal: each request and response file indexed in
/// `bundle.json` holds the journal's bytes for that exchange, and every journal exchange is
/// indexed. Problems are pushed; the return value says what was checked.
fn cross_check<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    present: &BTreeSet<&str>,
    problems: &mut Vec<(String, String)>,
) -> String {
    if !present.contains(MANIFEST_FILE) || !present.contains(JOURNAL_ENTRY) {
        return format!("no {MANIFEST_FILE} and {JOURNAL_ENTRY} to cross-check exchanges with");
    }
    let manifest = match read_entry(zip, MANIFEST_FILE).and_then(|b| {
        serde_json::from_slice::<Manifest>(&b).map_err(|e| format!("not a bundle manifest: {e}"))
    }) {
        Ok(m) => m,
        Err(e) => {
            problems.push((MANIFEST_FILE.into(), e));
            return "exchanges not cross-checked".into();
        }
    };
    let journal = match read_entry(zip, JOURNAL_ENTRY).and_then(|b| load_journal(&b)) {
        Ok(j) => j,
        Err(e) => {
            problems.push((JOURNAL_ENTRY.into(), e));
            return "exchanges not cross-checked".into();
        }
    };
    let by_seq: BTreeMap<u64, &collaudo_nodo::Exchange> =
        journal.iter().map(|e| (e.seq, e)).collect();
    let mut indexed = BTreeSet::new();
    for m in &manifest.exchanges {
        indexed.insert(m.seq);
        let Some(ex) = by_seq.get(&m.seq) else {
            problems.push((
                m.request.clone(),
                format!(
                    "{MANIFEST_FILE} indexes exchange #{} that {JOURNAL_ENTRY} does not have",
                    m.seq
                ),
            ));
            continue;
        };
        let want_response = ex.response.as_ref().map(|r| r.body.as_slice());
        let files = [
            (
                Some(&m.request),
                Some(ex.request_body.as_bytes()),
                "request",
            ),
            (m.response.as_ref(), want_response, "response"),
        ];
        for (file, want, what) in files {
            match (file, want) {
                (Some(file), Some(want)) => {
                    if !present.contains(file.as_str()) {
                        continue; // already reported as missing
                    }
                    match read_entry(zip, file) {
                        Ok(got) if got == want => {}
                        Ok(got) => problems.push((
                            file.clone(),
                            format!(
                                "differs from the {what} of exchange #{} in {JOURNAL_ENTRY} ({} bytes, the journal has {})",
                                m.seq,
                                got.len(),
                                want.len()
                            ),
                        )),
                        Err(e) => problems.push((file.clone(), e)),
                    }
                }
                (None, Some(_)) => problems.push((
                    MANIFEST_FILE.into(),
                    format!(
                        "exchange #{} has a {what} in {JOURNAL_ENTRY} but no {what} file",
                        m.seq
                    ),
                )),
                (Some(file), None) => problems.push((
                    file.clone(),
                    format!("exchange #{} has no {what} in {JOURNAL_ENTRY}", m.seq),
                )),
                (None, None) => {}
            }
        }
    }
    for ex in &journal {
        if !indexed.contains(&ex.seq) {
            problems.push((
                MANIFEST_FILE.into(),
                format!("exchange #{} of {JOURNAL_ENTRY} is not indexed", ex.seq),
            ));
        }
    }
    format!(
        "{} exchange{} match {JOURNAL_ENTRY}",
        manifest.exchanges.len(),
        if manifest.exchanges.len() == 1 {
            ""
        } else {
            "s"
        }
    )
}

/// The bundled journal read with the journal's own loader (through a private temporary file:
/// the loader reads files).
fn load_journal(bytes: &[u8]) -> Result<Vec<collaudo_nodo::Exchange>, String> {
    let path = std::env::temp_dir().join(format!(
        "collaudo-verify-{}-{}.jsonl",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::write(&path, bytes).map_err(|e| format!("cannot check it: {e}"))?;
    let loaded = collaudo_nodo::Journal::load(&path).map_err(|e| format!("not a journal: {e}"));
    let _ = std::fs::remove_file(&path);
    loaded
}
