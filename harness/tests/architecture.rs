//! The Nodo's answers are the Nodo's: no code in `harness/src` may build a paForNode response
//! (ARCHITECTURE.md, "Where the Nodo's decisions live"). The harness drives the mock Nodo and
//! judges the station; an answer it built itself would be a second, unreviewed Nodo.
//!
//! The check reads the sources: a struct literal of a response type (`VerifyPaymentNoticeRes
//! { … }` without `..`, which only a pattern has) is a construction.

use std::path::{Path, PathBuf};

/// The paForNode response bodies (collaudo-wire's names).
const RESPONSE_TYPES: &[&str] = &[
    "VerifyPaymentNoticeRes",
    "GetPaymentRes",
    "SimpleRes",
    "DemandPaymentNoticeRes",
];

/// `(line, type)` of every struct literal of a response type in `source`.
fn constructions(source: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for ty in RESPONSE_TYPES {
        let mut from = 0;
        while let Some(i) = source[from..].find(ty) {
            let at = from + i;
            from = at + ty.len();
            // A whole identifier: not a longer name that contains it.
            let before = source[..at].chars().next_back();
            let after = source[from..].chars().next();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                || after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let rest = source[from..].trim_start();
            if !rest.starts_with('{') {
                continue;
            }
            // The braces' content, to the matching close.
            let mut depth = 0usize;
            let mut body_end = rest.len();
            for (j, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            body_end = j;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if !rest[..body_end].contains("..") {
                found.push((source[..at].lines().count(), *ty));
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read harness/src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_harness_never_builds_a_nodo_answer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 10,
        "harness sources not found in {}",
        src.display()
    );
    let mut offenders = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        for (line, ty) in constructions(&text) {
            offenders.push(format!("{}:{line}: builds a {ty}", f.display()));
        }
    }
    assert!(
        offenders.is_empty(),
        "the harness builds paForNode responses; they belong to mock-nodo's Nodo:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_scanner_tells_a_construction_from_a_pattern() {
    let built = "let v = VerifyPaymentNoticeRes {\n    outcome: Outcome::Ok,\n    fault: None,\n};";
    assert_eq!(constructions(built), vec![(1, "VerifyPaymentNoticeRes")]);
    let pattern = "if let GetPaymentRes { data: Some(d), .. } = r {}";
    assert!(constructions(pattern).is_empty());
    let other = "fn f(v: &VerifyPaymentNoticeRes) {} struct MyGetPaymentRes { a: u8 }";
    assert!(constructions(other).is_empty());
}

/// What only the Nodo may do: judge the Stand-In state of a station, mint payment tokens, or
/// build a receipt. A scenario step asks the case's `Nodo` (ARCHITECTURE.md).
const NODO_ONLY: &[(&str, &str)] = &[
    ("StationMonitor::new", "a Stand-In monitor of its own"),
    ("receipt::token(", "a payment token of its own"),
    ("receipt::from_activation(", "a receipt of its own"),
    ("receipt::from_verify(", "a receipt of its own"),
    ("standin_answer::verify(", "a Stand-In verify answer"),
    (
        "standin_answer::activation(",
        "a Stand-In activation answer",
    ),
];

#[test]
fn the_harness_keeps_no_nodo_state_of_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        for (line_no, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (needle, what) in NODO_ONLY {
                if code.contains(needle) {
                    offenders.push(format!("{}:{}: {what}", f.display(), line_no + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the harness does what the case's Nodo does:\n{}",
        offenders.join("\n")
    );
}
