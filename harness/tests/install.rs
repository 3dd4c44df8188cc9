//! What an installed collaudo offers beyond the suite: `--version` naming the built-in
//! catalogue, and `completions` for every shell.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

