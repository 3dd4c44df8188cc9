//! The evidence commands through the real binary: `run --evidence` (the bundle holds every
//! exchange of every official case byte for byte, and verifies), `verify-bundle` on tampered,
//! trimmed, padded and foreign files, `bundle` afterwards, `show` (raw bytes, listings,
//! errors, escaped control characters) and `run -v`.

mod support;

use collaudo_nodo::{Exchange, HttpReply, Journal, VirtualTime};
use collaudo_wire::Primitive;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

type Entries = BTreeMap<String, Vec<u8>>;

/// `collaudo` with a pinned environment, in the crate's folder (tests pass absolute paths or
/// set their own folder).
fn collaudo() -> Command {
    support::collaudo_in(Path::new(env!("CARGO_MANIFEST_DIR")))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run the collaudo binary")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("an exit code")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("evidence-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// The official cases the bundle tests run (a handful, to stay fast; EC-PSP-02M's receipt to
/// two stations calls paSendRT several times in one step), plus one case of collaudo's own.
const ONLY: &str = "EC-PSP-01,EC-PSP-02,EC-PSP-02M,CON-001";

/// A secret that must not reach the bundle.
const SECRET: &str = "hunter2-do-not-bundle";

/// One `run --evidence -v` of [`ONLY`], made once for the whole file: (out folder, output).
fn evidence_run() -> &'static (PathBuf, Output) {
    static RUN: OnceLock<(PathBuf, Output)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = scratch("run");
        let config = dir.join("collaudo.toml");
        std::fs::write(
            &config,
            format!(
                "# the gateway key is {SECRET}\n[station.headers]\nX-Gateway-Key = \"{SECRET}\"\nX-From-Env = \"${{GATEWAY_KEY}}\"\n\n[run]\nseed = 7\n"
            ),
        )
        .expect("write the configuration");
        let out = dir.join("out");
        let output = run(collaudo()
            .current_dir(&dir)
            .env("GATEWAY_KEY", "from-the-environment")
            .args(["run", "--embedded", "--config"])
            .arg(&config)
            .args(["--only", ONLY, "--evidence", "-v", "--no-progress", "--out"])
            .arg(&out));
        assert_eq!(
            code(&output),
            0,
            "{}\n{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        (out, output)
    })
}

fn read_zip(path: &Path) -> Entries {
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(path).expect("open the bundle")).expect("a zip");
    let mut entries = Entries::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("an entry");
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).expect("entry bytes");
        entries.insert(f.name().to_string(), bytes);
    }
    entries
}

fn write_zip(path: &Path, entries: &Entries) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).expect("create a zip"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options).expect("start entry");
        zip.write_all(bytes).expect("write entry");
    }
    zip.finish().expect("finish the zip");
}

fn verify(path: &Path) -> Output {
    run(collaudo().arg("verify-bundle").arg(path))
}

/// Official id of every case, from the run's report.json.
fn official_ids(out: &Path) -> BTreeMap<String, Option<String>> {
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("report.json")).expect("report.json"),
    )
    .expect("JSON");
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            (
                c["meta"]["id"].as_str().expect("id").to_string(),
                c["meta"]["official_id"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn every_official_exchange_is_bundled_byte_for_byte_and_the_bundle_verifies() {
    let (out, _) = evidence_run();
    let bundle = out.join("evidence.zip");
    let entries = read_zip(&bundle);
    let journal = Journal::load(out.join("journal.jsonl")).expect("the journal");
    let official = official_ids(out);
    assert!(
        official.values().filter(|o| o.is_some()).count() >= 3,
        "{official:?}"
    );

    // The naming rule: <official>/<case>/<step from 1>-<primitive>[-aNN]-{request,response}.xml,
    // -aNN only where a step calls one primitive several times.
    let mut per_group: BTreeMap<(String, Option<usize>, &str), Vec<u64>> = BTreeMap::new();
    for e in &journal {
        let case = e.scenario.clone().expect("every exchange has its case");
        per_group
            .entry((case, e.step, e.primitive.name()))
            .or_default()
            .push(e.seq);
    }
    let mut official_exchanges = 0;
    for e in &journal {
        let case = e.scenario.clone().expect("case");
        let folder = match &official[&case] {
            Some(o) => {
                official_exchanges += 1;
                format!("{o}/{case}")
            }
            None => format!("collaudo/{case}"),
        };
        let group = &per_group[&(case.clone(), e.step, e.primitive.name())];
        let attempt = match group.iter().position(|s| *s == e.seq) {
            Some(i) if group.len() > 1 => format!("-a{:02}", i + 1),
            _ => String::new(),
        };
        let base = format!(
            "{folder}/{:02}-{}{attempt}",
            e.step.expect("step") + 1,
            e.primitive.name()
        );
        let request = entries
            .get(&format!("{base}-request.xml"))
            .unwrap_or_else(|| panic!("{base}-request.xml missing from {:?}", entries.keys()));
        assert_eq!(request, e.request_body.as_bytes(), "{base}");
        match &e.response {
            Some(reply) => assert_eq!(
                entries
                    .get(&format!("{base}-response.xml"))
                    .unwrap_or_else(|| panic!("{base}-response.xml missing")),
                &reply.body,
                "{base}"
            ),
            None => assert!(!entries.contains_key(&format!("{base}-response.xml"))),
        }
    }
    assert!(official_exchanges > 5, "{official_exchanges}");
    assert!(
        entries
            .keys()
            .any(|k| k.contains("-paSendRT-a02-request.xml")),
        "repeated calls numbered: {:?}",
        entries.keys()
    );
    // collaudo's own ids never sit where an official id would.
    for name in entries.keys() {
        let top = name.split('/').next().unwrap_or_default();
        assert!(
            !top.starts_with("CON-") && !top.starts_with("ACT-") && !top.starts_with("VRF-"),
            "{name}"
        );
    }

    // Reports, logs, manifest.
    for name in [
        "reports/junit.xml",
        "reports/report.json",
        "reports/summary.md",
        "run/journal.jsonl",
        "run/events.jsonl",
        "bundle.json",
        "config/collaudo.toml",
    ] {
        assert!(entries.contains_key(name), "{name}: {:?}", entries.keys());
    }
    assert_eq!(
        entries["reports/report.json"],
        std::fs::read(out.join("report.json")).expect("report.json")
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&entries["bundle.json"]).expect("bundle.json");
    assert_eq!(manifest["format"], "collaudo-evidence/1");
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        manifest["catalogue_digest"],
        format!("sha256:{}", collaudo_scenarios::DIGEST)
    );
    assert_eq!(
        manifest["exchanges"].as_array().map(Vec::len),
        Some(journal.len())
    );

    // The configuration, without its secret but with its environment reference.
    let config = text(&entries["config/collaudo.toml"]);
    assert!(!config.contains(SECRET), "{config}");
    assert!(
        config.contains("X-Gateway-Key = \"<redacted>\""),
        "{config}"
    );
    assert!(config.contains("${GATEWAY_KEY}"), "{config}");
    assert!(
        !entries.values().any(|b| text(b).contains(SECRET)),
        "the secret is somewhere in the bundle"
    );

    // SHA256SUMS in sha256sum's format covers every other entry.
    let sums = text(&entries["SHA256SUMS"]);
    let mut listed = 0;
    for line in sums.lines() {
        let (hash, path) = line.split_once("  ").expect("`<hex>  <path>`");
        let got: String = Sha256::digest(&entries[path])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hash, got, "{path}");
        listed += 1;
    }
    assert_eq!(listed, entries.len() - 1);

    let v = verify(&bundle);
    assert_eq!(code(&v), 0, "{}{}", text(&v.stdout), text(&v.stderr));
    assert!(text(&v.stdout).starts_with("ok: "), "{}", text(&v.stdout));
}

/// The run's bundle with `change` applied, written to a fresh file; verify-bundle's output.
fn tampered(name: &str, change: impl FnOnce(&mut Entries)) -> (i32, String) {
    let (out, _) = evidence_run();
    let mut entries = read_zip(&out.join("evidence.zip"));
    change(&mut entries);
    let path = scratch(name).join("evidence.zip");
    write_zip(&path, &entries);
    let v = verify(&path);
    (code(&v), format!("{}{}", text(&v.stdout), text(&v.stderr)))
}

fn first_response(entries: &Entries) -> String {
    entries
        .keys()
        .find(|k| k.starts_with("EC-PSP-02/") && k.ends_with("-response.xml"))
        .expect("an official response")
        .clone()
}

#[test]
fn one_changed_byte_fails_naming_the_file() {
    let mut victim = String::new();
    let (code, out) = tampered("byte", |entries| {
        victim = first_response(entries);
        let bytes = entries.get_mut(&victim).expect("entry");
        let i = bytes.len() / 2;
        bytes[i] ^= 0x01;
    });
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("TAMPERED  {victim}: content changed")),
        "{out}"
    );
}

#[test]
fn a_change_with_its_checksum_rewritten_still_fails_against_the_journal() {
    let mut victim = String::new();
    let (code, out) = tampered("resummed", |entries| {
        victim = first_response(entries);
        let changed = b"<ok/>".to_vec();
        let hash: String = Sha256::digest(&changed)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let old: String = Sha256::digest(&entries[&victim])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        entries.insert(victim.clone(), changed);
        let sums = text(&entries["SHA256SUMS"]).replace(&old, &hash);
        entries.insert("SHA256SUMS".into(), sums.into_bytes());
    });
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "TAMPERED  {victim}: differs from the response of exchange"
        )),
        "{out}"
    );
}

#[test]
fn a_missing_entry_fails() {
    let mut victim = String::new();
    let (code, out) = tampered("missing", |entries| {
        victim = first_response(entries);
        entries.remove(&victim);
    });
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "TAMPERED  {victim}: missing: listed in SHA256SUMS"
        )),
        "{out}"
    );
}

#[test]
fn an_extra_entry_fails() {
    let (code, out) = tampered("extra", |entries| {
        entries.insert("EC-PSP-02/ACT-001/99-note.xml".into(), b"<x/>".to_vec());
    });
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("TAMPERED  EC-PSP-02/ACT-001/99-note.xml: not listed in SHA256SUMS"),
        "{out}"
    );
}

#[test]
fn a_file_that_is_no_bundle_exits_2() {
    let dir = scratch("foreign");
    let not_zip = dir.join("evidence.zip");
    std::fs::write(&not_zip, b"this is not a zip").expect("write");
    let v = verify(&not_zip);
    assert_eq!(code(&v), 2);
    assert!(
        text(&v.stderr).contains("not a zip file"),
        "{}",
        text(&v.stderr)
    );

    let other_zip = dir.join("other.zip");
    write_zip(
        &other_zip,
        &Entries::from([("a.txt".into(), b"a".to_vec())]),
    );
    let v = verify(&other_zip);
    assert_eq!(code(&v), 2);
    assert!(
        text(&v.stderr).contains("no SHA256SUMS"),
        "{}",
        text(&v.stderr)
    );

    let v = verify(&dir.join("absent.zip"));
    assert_eq!(code(&v), 2);
    assert!(
        text(&v.stderr).contains("cannot read it"),
        "{}",
        text(&v.stderr)
    );
}

#[test]
fn a_bundle_made_afterwards_verifies_too() {
    let (out, _) = evidence_run();
    let path = scratch("afterwards").join("later.zip");
    let b = run(collaudo().arg("bundle").arg(out).arg("-o").arg(&path));
    assert_eq!(code(&b), 0, "{}", text(&b.stderr));
    let v = verify(&path);
    assert_eq!(code(&v), 0, "{}{}", text(&v.stdout), text(&v.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&read_zip(&path)["bundle.json"]).expect("bundle.json");
    assert_eq!(manifest["bundled_by"]["when"], "afterwards");
    assert_eq!(manifest["config"], serde_json::Value::Null);

    let not_a_run = scratch("not-a-run");
    let b = run(collaudo().arg("bundle").arg(&not_a_run));
    assert_eq!(code(&b), 2);
    assert!(
        text(&b.stderr).contains("no journal.jsonl"),
        "{}",
        text(&b.stderr)
    );
}

// ---- show ----

#[test]
fn show_raw_response_is_the_journal_body_byte_for_byte() {
    let (out, _) = evidence_run();
    let journal = Journal::load(out.join("journal.jsonl")).expect("journal");
    let e = journal
        .iter()
        .find(|e| e.scenario.as_deref() == Some("ACT-001") && e.step == Some(1))
        .expect("ACT-001's second step");
    let s = run(collaudo()
        .arg("show")
        .arg(out)
        .args(["ACT-001/2", "--response", "--raw"]));
    assert_eq!(code(&s), 0, "{}", text(&s.stderr));
    assert_eq!(s.stdout, e.response.as_ref().expect("a response").body);

    let s = run(collaudo()
        .arg("show")
        .arg(out)
        .args(["ACT-001/2", "--request", "--raw"]));
    assert_eq!(s.stdout, e.request_body.as_bytes());

    // The step by name, and -o.
    let file = scratch("show-o").join("reply.xml");
    let name = run(collaudo()
        .arg("show")
        .arg(out)
        .args([
            "ACT-001/activate with paGetPayment",
            "--response",
            "--raw",
            "-o",
        ])
        .arg(&file));
    assert_eq!(code(&name), 0, "{}", text(&name.stderr));
    assert_eq!(
        std::fs::read(&file).expect("written"),
        e.response.as_ref().expect("response").body
    );
}

#[test]
fn show_lists_when_the_case_has_several_exchanges() {
    let (out, _) = evidence_run();
    let s = run(collaudo().arg("show").arg(out).arg("ACT-001"));
    assert_eq!(code(&s), 0, "{}", text(&s.stderr));
    let listing = text(&s.stdout);
    let mut lines = listing.lines();
    let head: Vec<&str> = lines.next().expect("a header").split_whitespace().collect();
    assert_eq!(
        head,
        ["seq", "case", "step", "primitive", "status", "outcome"]
    );
    let rows: Vec<&str> = lines.filter(|l| l.contains("ACT-001 ")).collect();
    assert_eq!(rows.len(), 3, "{listing}");
    assert!(
        rows[1].contains("paGetPayment") && rows[1].contains("200"),
        "{listing}"
    );

    // Ambiguous with --raw: an error that lists them.
    let s = run(collaudo()
        .arg("show")
        .arg(out)
        .args(["ACT-001", "--raw", "--response"]));
    assert_eq!(code(&s), 2);
    assert!(s.stdout.is_empty());
    assert!(
        text(&s.stderr).contains("3 exchanges match"),
        "{}",
        text(&s.stderr)
    );

    // --raw needs a side.
    let s = run(collaudo().arg("show").arg(out).args(["ACT-001/2", "--raw"]));
    assert_eq!(code(&s), 2);
    assert!(text(&s.stderr).contains("--request or --response"));
}

#[test]
fn show_unknown_case_or_step_names_what_exists() {
    let (out, _) = evidence_run();
    let s = run(collaudo().arg("show").arg(out).arg("NOPE-404"));
    assert_eq!(code(&s), 2);
    let err = text(&s.stderr);
    assert!(err.contains("no case `NOPE-404`"), "{err}");
    assert!(err.contains("ACT-001 (EC-PSP-02)"), "{err}");
    assert!(err.contains("CON-001"), "{err}");

    let s = run(collaudo().arg("show").arg(out).arg("ACT-001/9"));
    assert_eq!(code(&s), 2);
    let err = text(&s.stderr);
    assert!(err.contains("no exchange in step `9`"), "{err}");
    assert!(err.contains("2 (activate with paGetPayment)"), "{err}");

    let s = run(collaudo().arg("show").arg(scratch("empty")));
    assert_eq!(code(&s), 2);
    assert!(
        text(&s.stderr).contains("no journal.jsonl"),
        "{}",
        text(&s.stderr)
    );
}

/// A run folder whose only exchange's response carries control characters and invalid UTF-8.
fn hostile_folder() -> (PathBuf, Vec<u8>) {
    let dir = scratch("hostile");
    let body = b"<a>\x1b[2J\x1b[31mred\x07\r\n<b>\xff\xfe</b></a>".to_vec();
    let journal = Journal::create(dir.join("journal.jsonl")).expect("journal");
    journal.record(Exchange {
        seq: 0,
        primitive: Primitive::VerifyPaymentNotice,
        url: "http://127.0.0.1:1/station".into(),
        request_headers: vec![("SOAPAction".into(), "\"paVerifyPaymentNotice\"".into())],
        request_body: "<req/>".into(),
        response: Some(HttpReply {
            status: 200,
            headers: vec![("x-evil".into(), "a\u{1b}]0;title\u{7}b".into())],
            body: body.clone(),
        }),
        transport_error: None,
        injected_fault: None,
        real_started_at: "2026-01-01T00:00:00.000Z".into(),
        latency_ms: 1.0,
        virtual_at: VirtualTime::from_millis(0),
        classification: Some("OK".into()),
        scenario: Some("VRF-001".into()),
        step: Some(0),
    });
    (dir, body)
}

#[test]
fn show_escapes_control_characters_unless_raw() {
    let (dir, body) = hostile_folder();
    let s = run(collaudo().arg("show").arg(&dir).arg("VRF-001"));
    assert_eq!(code(&s), 0, "{}", text(&s.stderr));
    let shown = text(&s.stdout);
    assert!(
        !s.stdout
            .iter()
            .any(|&b| b == 0x1b || b == 0x07 || b == b'\r'),
        "{shown:?}"
    );
    assert!(shown.contains("\\u{1b}[31mred\\u{7}"), "{shown}");
    assert!(shown.contains("x-evil: a\\u{1b}]0;title\\u{7}b"), "{shown}");
    assert!(shown.contains("not UTF-8"), "{shown}");

    let s = run(collaudo()
        .arg("show")
        .arg(&dir)
        .args(["VRF-001/1", "--response", "--raw"]));
    assert_eq!(code(&s), 0);
    assert_eq!(s.stdout, body);
}

// ---- run -v ----

#[test]
fn verbose_run_prints_every_exchange_with_its_primitive_and_status() {
    let (out, output) = evidence_run();
    let stderr = text(&output.stderr);
    let journal = Journal::load(out.join("journal.jsonl")).expect("journal");
    assert!(!journal.is_empty());
    for e in &journal {
        let sent = format!("  #{} ", e.seq);
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&sent) && l.contains(" → "))
            .unwrap_or_else(|| panic!("no request line for #{}:\n{stderr}", e.seq));
        assert!(line.contains(e.primitive.name()), "{line}");
        let reply = format!("  #{} ← ", e.seq);
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&reply))
            .unwrap_or_else(|| panic!("no reply line for #{}:\n{stderr}", e.seq));
        match &e.response {
            Some(r) => assert!(line.starts_with(&format!("{reply}{} ", r.status)), "{line}"),
            None => assert!(line.contains("no response"), "{line}"),
        }
    }
    // Each exchange once; cases may run at once (--jobs), so exchanges are printed case by
    // case in catalogue order, each case's in seq order.
    let seqs: Vec<u64> = stderr
        .lines()
        .filter(|l| l.contains(" → "))
        .filter_map(|l| l.trim_start().strip_prefix('#'))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    let want: Vec<u64> = journal.iter().map(|e| e.seq).collect();
    assert_eq!(sorted, want);
    let case_of = |seq: u64| {
        journal
            .iter()
            .find(|e| e.seq == seq)
            .and_then(|e| e.scenario.clone())
    };
    let mut seen_cases: Vec<Option<String>> = Vec::new();
    for pair in seqs.windows(2) {
        let (a, b) = (case_of(pair[0]), case_of(pair[1]));
        if a == b {
            assert!(pair[0] < pair[1], "{seqs:?}");
        } else {
            assert!(
                !seen_cases.contains(&b),
                "a case printed in two pieces: {seqs:?}"
            );
            seen_cases.push(a);
        }
    }
    assert!(stderr.contains("evidence bundle written to"), "{stderr}");
}
