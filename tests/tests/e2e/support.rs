//! Running collaudo in-process and reading back what it wrote.

use collaudo::run::RunArgs;
use collaudo::scenario::Catalogue;
use collaudo_reports::{CaseResult, CheckRecord, RunResult};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every file `collaudo run` writes into `--out` with the default `--report` set.
pub(crate) const REPORT_FILES: [&str; 5] = [
    "junit.xml",
    "report.json",
    "summary.md",
    "events.jsonl",
    "journal.jsonl",
];

/// The PPT codes the tests expect the Nodo to answer the PSP (DOMAIN.md §4.2).
pub(crate) const ERRORE_RESPONSE: &str = "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE";
pub(crate) const TIMEOUT: &str = "PPT_STAZIONE_INT_PA_TIMEOUT";
pub(crate) const IRRAGGIUNGIBILE: &str = "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE";
pub(crate) const EMESSO_DA_PAA: &str = "PPT_ERRORE_EMESSO_DA_PAA";
/// What the Nodo answers in Stand-In for a notice it cannot collect from ACA (DOMAIN.md §7).
pub(crate) const PAGAMENTO_SCONOSCIUTO: &str = "PPT_PAGAMENTO_SCONOSCIUTO";

/// A scratch folder for one run: an empty `collaudo.toml` and the `out` folder.
///
/// The configuration is always given explicitly, so a `collaudo.toml` lying in the working
/// directory of the test process can never leak into a run.
pub(crate) struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub(crate) fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        std::fs::write(dir.path().join("collaudo.toml"), "").expect("write collaudo.toml");
        Scratch { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    pub(crate) fn config(&self) -> PathBuf {
        self.dir.path().join("collaudo.toml")
    }

    /// Replace the configuration file.
    pub(crate) fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).expect("write collaudo.toml");
    }

    /// `RunArgs` for this folder: explicit config and out, no progress bar, seed 42, no
    /// preflight (the hostile stations are meant to be judged case by case, dead ones too).
    pub(crate) fn args(&self) -> RunArgs {
        RunArgs {
            config: Some(self.config()),
            out: Some(self.out()),
            no_progress: true,
            seed: Some(42),
            no_preflight: true,
            ..RunArgs::default()
        }
    }
}

/// What a finished run left behind.
pub(crate) struct Finished {
    /// The exit code `collaudo run` would return.
    pub(crate) code: i32,
    /// What `run` wrote to its `err` writer.
    pub(crate) log: String,
    /// The report folder.
    pub(crate) out: PathBuf,
}

impl Finished {
    /// `report.json`, read back through the published parser.
    pub(crate) fn report(&self) -> RunResult {
        let text = self.read("report.json");
        collaudo_reports::json::parse(&text)
            .unwrap_or_else(|e| panic!("report.json does not parse: {e}\n{}", self.log))
    }

    pub(crate) fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.out.join(file))
            .unwrap_or_else(|e| panic!("cannot read {file}: {e}\n{}", self.log))
    }

    /// Every report file exists; the journal holds exactly one exchange line per exchange
    /// recorded in report.json (same sequence numbers), plus its classification lines.
    pub(crate) fn assert_reports_complete(&self) {
        for f in REPORT_FILES {
            assert!(
                self.out.join(f).is_file(),
                "{f} is missing from {}\n{}",
                self.out.display(),
                self.log
            );
        }
        let report = self.report();
        let in_report: Vec<u64> = report
            .cases
            .iter()
            .flat_map(|c| &c.steps)
            .flat_map(|s| &s.exchanges)
            .map(|e| e.seq)
            .collect();
        let in_journal = self.journal_exchange_seqs();
        assert_eq!(
            in_journal.len(),
            in_report.len(),
            "journal.jsonl must have one exchange line per exchange in report.json"
        );
        assert_eq!(
            in_journal.iter().copied().collect::<BTreeSet<_>>(),
            in_report.iter().copied().collect::<BTreeSet<_>>(),
            "journal and report must name the same exchanges"
        );
    }

    /// The journal's exchange lines (those naming a primitive), as JSON values.
    pub(crate) fn journal_exchanges(&self) -> Vec<serde_json::Value> {
        self.read("journal.jsonl")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .unwrap_or_else(|e| panic!("journal line is not JSON: {e}: {l:.200}"))
            })
            .filter(|v| v.get("primitive").is_some())
            .collect()
    }

    fn journal_exchange_seqs(&self) -> Vec<u64> {
        self.journal_exchanges()
            .iter()
            .map(|v| v["seq"].as_u64().expect("an exchange line has a seq"))
            .collect()
    }
}

/// Run collaudo in-process with no environment variables, collecting its `err` output. A run
/// with no station named asks for the embedded one, as `--embedded` does.
pub(crate) async fn run(mut args: RunArgs) -> Finished {
    let out = args.out.clone().expect("tests always pass --out");
    let names_station = args.station.is_some()
        || args
            .config
            .as_ref()
            .and_then(|c| std::fs::read_to_string(c).ok())
            .is_some_and(|t| t.contains("[station]") && t.contains("url"));
    if !names_station && args.profile.is_none() {
        args.embedded = true;
    }
    let mut log = Vec::new();
    let code = collaudo::run::run(args, |_| None, &mut log).await;
    Finished {
        code,
        log: String::from_utf8_lossy(&log).into_owned(),
        out,
    }
}

/// The ids of the built-in suite, in catalogue order.
pub(crate) fn builtin_ids() -> Vec<String> {
    let cat = Catalogue::with_dirs(&[] as &[PathBuf], true).expect("load the built-in suite");
    assert!(!cat.has_errors(), "the built-in suite must load cleanly");
    cat.scenarios
        .iter()
        .map(|(s, _)| s.id.get_ref().clone())
        .collect()
}

/// The first failing check of a case, in step order.
pub(crate) fn first_failure(case: &CaseResult) -> Option<&CheckRecord> {
    case.failed_checks().map(|(_, c)| c).next()
}

/// A reference station started in-process that lives through a whole run, as a real EC's
/// station does, with `copies` notices per role, and the collaudo.toml that
/// `collaudo station --print-config` would print for it.
pub(crate) async fn long_lived_station(copies: usize) -> (collaudo_station::StationHandle, String) {
    let config = collaudo_station::StationConfig {
        seed: 42,
        copies,
        ..collaudo_station::StationConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("bound address");
    let handle = collaudo_station::start(config.clone(), listener)
        .await
        .expect("start the station");
    let text = collaudo::station_cmd::render_config(addr, &config, handle.state())
        .expect("render the configuration");
    (handle, text)
}
