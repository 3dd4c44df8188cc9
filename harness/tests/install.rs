//! What an installed collaudo offers beyond the suite: `--version` naming the built-in
//! catalogue, `completions` for every shell, and the CI snippets of `docs/ci/`, whose
//! `collaudo` command lines must parse with the real CLI.

use clap::Parser as _;
use collaudo::cli::Cli;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use yaml_rust2::{Yaml, YamlLoader};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the harness crate sits in the workspace")
        .to_path_buf()
}

fn collaudo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_collaudo"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("run the collaudo binary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---- --version ----

#[test]
fn version_names_the_catalogue_digest_and_size() {
    let out = collaudo(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let expected = format!(
        "collaudo {} (catalogue sha256:{}, {} scenarios)\n",
        env!("CARGO_PKG_VERSION"),
        collaudo_scenarios::DIGEST,
        collaudo_scenarios::COUNT
    );
    assert_eq!(stdout(&out), expected);
    assert_eq!(collaudo_scenarios::DIGEST.len(), 64);
    assert!(
        collaudo_scenarios::DIGEST
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
}

/// The count in `--version` is the catalogue `list` shows: every embedded file is a scenario.
#[test]
fn version_count_is_the_listed_catalogue() {
    let out = collaudo(&["list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("\n{} scenarios.", collaudo_scenarios::COUNT)),
        "{text}"
    );
}

// ---- completions ----

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = collaudo(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        assert!(script.contains("collaudo"), "{shell}: no `collaudo`");
        // fish spells flags `-l only`, the others `--only`.
        for word in ["run", "validate", "completions", "only"] {
            assert!(script.contains(word), "{shell}: `{word}` not completed");
        }
        if shell == "bash" {
            bash_parses(&script);
        }
    }
}

/// `bash -n` parses the bash script, where bash is installed.
fn bash_parses(script: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("collaudo.bash");
    std::fs::write(&path, script).expect("write script");
    match Command::new("bash").arg("-n").arg(&path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "bash -n: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("bash not available ({e}); syntax not checked"),
    }
}

#[test]
fn completions_help_says_how_to_install() {
    let out = collaudo(&["completions", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains(
            "collaudo completions bash > ~/.local/share/bash-completion/completions/collaudo"
        ),
        "{text}"
    );
    assert!(text.contains("[possible values: bash"), "{text}");
}

#[test]
fn completions_refuses_an_unknown_shell() {
    let out = collaudo(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

// ---- docs/ci snippets ----

fn load_yaml(name: &str) -> Yaml {
    let path = workspace_root().join("docs/ci").join(name);
    let text = std::fs::read_to_string(&path).expect("docs/ci snippet exists");
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(docs.len(), 1, "{name}: one YAML document");
    docs.remove(0)
}

/// Every shell line of a snippet that runs `collaudo`, split into words (the snippets quote
/// nothing on those lines, so whitespace splitting is the shell's).
fn collaudo_lines(shell: &str) -> Vec<Vec<String>> {
    shell
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("collaudo "))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// Each `collaudo …` line parses with the real CLI (unknown subcommands or flags fail).
fn assert_parses(name: &str, lines: &[Vec<String>]) {
    for words in lines {
        if let Err(e) = Cli::try_parse_from(words) {
            use clap::error::ErrorKind;
            assert!(
                matches!(e.kind(), ErrorKind::DisplayVersion | ErrorKind::DisplayHelp),
                "{name}: `{}` does not parse with collaudo's CLI: {e}",
                words.join(" ")
            );
        }
    }
}

/// The documented run: `collaudo run … --out collaudo-report`.
fn assert_documented_run(name: &str, lines: &[Vec<String>]) {
    let run = lines
        .iter()
        .find(|w| w.get(1).map(String::as_str) == Some("run"))
        .unwrap_or_else(|| panic!("{name}: no `collaudo run`"));
    let out = run
        .iter()
        .position(|w| w == "--out")
        .and_then(|i| run.get(i + 1))
        .unwrap_or_else(|| panic!("{name}: `collaudo run` without --out"));
    assert_eq!(
        out, "collaudo-report",
        "{name}: the artefacts keep collaudo-report/"
    );
    assert!(run.iter().any(|w| w == "--config"), "{name}: --config");
    assert!(
        lines.iter().any(|w| w[1] == "--version"),
        "{name}: logs `collaudo --version` (the catalogue digest)"
    );
}

fn str_of(y: &Yaml) -> &str {
    y.as_str().unwrap_or("")
}

#[test]
fn github_actions_snippet() {
    let doc = load_yaml("github-actions.yml");
    let jobs = doc["jobs"].as_hash().expect("jobs");
    assert_eq!(jobs.len(), 1);
    let steps = jobs.values().next().expect("a job")["steps"]
        .as_vec()
        .expect("steps")
        .clone();
    let shell: String = steps
        .iter()
        .map(|s| format!("{}\n", str_of(&s["run"])))
        .collect();
    let lines = collaudo_lines(&shell);
    assert_parses("github-actions.yml", &lines);
    assert_documented_run("github-actions.yml", &lines);
    assert!(
        shell.contains("cargo install --locked"),
        "installs collaudo"
    );

    let uses = |prefix: &str| {
        steps
            .iter()
            .find(|s| str_of(&s["uses"]).starts_with(prefix))
            .unwrap_or_else(|| panic!("a step using {prefix}"))
            .clone()
    };
    let upload = uses("actions/upload-artifact@");
    assert_eq!(
        str_of(&upload["if"]),
        "always()",
        "artefact kept on failure"
    );
    assert!(str_of(&upload["with"]["path"]).starts_with("collaudo-report"));
    let junit = uses("mikepenz/action-junit-report@");
    assert_eq!(
        str_of(&junit["if"]),
        "always()",
        "report published on failure"
    );
    assert_eq!(
        str_of(&junit["with"]["report_paths"]),
        "collaudo-report/junit.xml"
    );
}

#[test]
fn gitlab_ci_snippet() {
    let doc = load_yaml("gitlab-ci.yml");
    let job = &doc["collaudo"];
    let mut shell = String::new();
    for key in ["before_script", "script"] {
        for line in job[key].as_vec().expect("script lists") {
            shell.push_str(str_of(line));
            shell.push('\n');
        }
    }
    let lines = collaudo_lines(&shell);
    assert_parses("gitlab-ci.yml", &lines);
    assert_documented_run("gitlab-ci.yml", &lines);
    assert!(
        shell.contains("cargo install --locked"),
        "installs collaudo"
    );

    let artifacts = &job["artifacts"];
    assert_eq!(str_of(&artifacts["when"]), "always", "kept on failure");
    assert_eq!(
        str_of(&artifacts["reports"]["junit"]),
        "collaudo-report/junit.xml"
    );
    let paths = artifacts["paths"].as_vec().expect("artifacts: paths");
    assert!(
        paths
            .iter()
            .any(|p| str_of(p).starts_with("collaudo-report"))
    );
}

/// The CI README documents every exit code of src/exit.rs.
#[test]
fn ci_readme_documents_every_exit_code() {
    let text = std::fs::read_to_string(workspace_root().join("docs/ci/README.md"))
        .expect("docs/ci/README.md");
    use collaudo::exit::*;
    for code in [OK, FAILED, USAGE, HARNESS, NOTHING_SELECTED, INTERRUPTED] {
        assert!(text.contains(&format!("| {code} |")), "exit code {code}");
    }
}
