//! What collaudo's users read must cite only what they can get: files of this repository or
//! public pagoPA documents. The project's internal notes (the domain brief, the test plan, the
//! architecture and style notes) are not published, so a product document that sends a reader
//! there is a dead end. This test keeps README.md, docs/, the built-in scenarios and the
//! `collaudo init` template free of them, every relative link in README.md and docs/ pointing at
//! something that exists, and every scenario `sources` entry within the short forms that
//! docs/scenarios.md resolves to public documents.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Names of internal files a product document must not cite.
const INTERNAL: &[&str] = &[
    "DOMAIN.md",
    "TEST-PLAN.md",
    // The repository's own ARCHITECTURE.md is a product document; the shared one is not.
    "shared/ARCHITECTURE.md",
    "STYLE.md",
    "shared/spec",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the harness crate sits in the workspace root")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `dir` whose name ends with `ext`, sorted.
fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// README.md and every Markdown file under docs/.
fn markdown_docs() -> Vec<PathBuf> {
    let root = root();
    let mut docs = vec![root.join("README.md")];
    docs.extend(files_under(&root.join("docs"), ".md"));
    docs
}

/// Every TOML file under scenarios/ that is a scenario (has an `id` and steps), parsed.
fn scenarios() -> Vec<(PathBuf, toml::Table)> {
    files_under(&root().join("scenarios"), ".toml")
        .into_iter()
        .filter_map(|p| {
            let table: toml::Table = read(&p)
                .parse()
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (table.contains_key("id") && table.contains_key("step")).then_some((p, table))
        })
        .collect()
}

fn internal_citations(name: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for bad in INTERNAL {
            if line.contains(bad) {
                found.push(format!("{name}:{}: cites {bad}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn product_documents_cite_no_internal_file() {
    let root = root();
    let mut found = Vec::new();
    let mut texts: Vec<(String, String)> = markdown_docs()
        .into_iter()
        .chain(files_under(&root.join("scenarios"), ".toml"))
        .chain([root.join("harness/collaudo.example.toml")])
        .map(|p| (p.display().to_string(), read(&p)))
        .collect();
    texts.push((
        "`collaudo init` template".to_string(),
        collaudo::config::template(),
    ));
    for (name, text) in &texts {
        found.extend(internal_citations(name, text));
    }
    assert!(
        found.is_empty(),
        "cite a public source or docs/checks.md instead:\n{}",
        found.join("\n")
    );
}

/// The GitHub anchor of a Markdown heading: lower case, punctuation dropped, spaces → `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.insert(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

/// The targets of the inline links `[text](target)` of a Markdown text, outside code blocks.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_code = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            if let Some(end) = rest.find(')') {
                out.push((n + 1, rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
    }
    out
}

#[test]
fn relative_links_point_at_files_that_exist() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in markdown_docs() {
        let text = read(&doc);
        for (line, target) in link_targets(&text) {
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            let (path, fragment) = match target.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                doc.clone()
            } else {
                doc.parent().expect("a file has a folder").join(path)
            };
            checked += 1;
            let at = format!("{}:{line}: ({target})", doc.display());
            if !file.exists() {
                broken.push(format!("{at}: no such file"));
            } else if let Some(f) = fragment.filter(|_| file.extension() == Some("md".as_ref())) {
                if !anchors(&read(&file)).contains(f) {
                    broken.push(format!("{at}: no heading with that anchor"));
                }
            }
        }
    }
    assert!(checked > 0, "no relative link found: is the parser broken?");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The short forms docs/scenarios.md defines for `sources`, from its marked table.
fn source_keys() -> Vec<String> {
    let text = read(&root().join("docs/scenarios.md"));
    let start = text
        .find("<!-- sources-key")
        .expect("docs/scenarios.md marks its table of sources");
    let end = text[start..]
        .find("<!-- end sources-key -->")
        .expect("the table of sources ends with its marker")
        + start;
    let keys: Vec<String> = text[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(k, _)| k.to_string()))
        .collect();
    assert!(keys.len() > 5, "too few short forms parsed: {keys:?}");
    keys
}

/// Whether `source` is one of the short forms, possibly followed by a type name
/// (`paForNode.xsd ctTransferPA`), or a section of docs/checks.md that exists.
fn is_known_source(source: &str, keys: &[String], checks_anchors: &BTreeSet<String>) -> bool {
    if let Some(fragment) = source.strip_prefix("docs/checks.md#") {
        return checks_anchors.contains(fragment);
    }
    keys.iter().any(|k| {
        source == k
            || source
                .strip_prefix(k.as_str())
                .is_some_and(|rest| rest.starts_with(' ') && !rest.trim().contains(' '))
    })
}

#[test]
fn every_source_is_a_documented_public_source() {
    let keys = source_keys();
    let checks_anchors = anchors(&read(&root().join("docs/checks.md")));
    let mut unknown = Vec::new();
    let all = scenarios();
    assert!(all.len() > 20, "the built-in scenarios were not found");
    for (path, table) in &all {
        let sources = table
            .get("sources")
            .and_then(|s| s.as_array())
            .cloned()
            .unwrap_or_default();
        if sources.is_empty() {
            unknown.push(format!("{}: no sources", path.display()));
        }
        for s in sources {
            let s = s.as_str().unwrap_or_default();
            if !is_known_source(s, &keys, &checks_anchors) {
                unknown.push(format!("{}: {s:?}", path.display()));
            }
        }
    }
    for check in collaudo::engine::severity::CHECKS {
        for s in check.source.split("; ") {
            if s != "the case's `sources`" && !is_known_source(s, &keys, &checks_anchors) {
                unknown.push(format!("check {}: {s:?}", check.name));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "sources must use a short form listed in docs/scenarios.md (\"Sources\"):\n{}",
        unknown.join("\n")
    );
}
