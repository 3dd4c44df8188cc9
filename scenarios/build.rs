//! Embeds every scenario file of this crate (`**/*.toml` below the crate root, except the
//! crate's own `Cargo.toml`) and computes the catalogue digest, so that collaudo carries its
//! whole built-in suite however it is built: from the checkout, from `cargo package` or from
//! `cargo install`.
//!
//! The build fails, naming the folder, when it finds no scenario or cannot read one: a
//! collaudo with an empty or partial catalogue must never be built silently.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Files at the crate root that are not scenarios (`Cargo.toml.orig` is what `cargo package`
/// leaves of the original manifest).
const NOT_SCENARIOS: &[&str] = &["Cargo.toml", "Cargo.toml.orig"];

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "collaudo-scenarios: cannot read the scenario folder {}: {e}",
            dir.display()
        )
    });
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| {
            panic!(
                "collaudo-scenarios: cannot list the scenario folder {}: {e}",
                dir.display()
            )
        });
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            // `target/` (a build inside this folder) and hidden folders hold no scenario.
            if !(name.starts_with('.') || (dir == root && (name == "target" || name == "src"))) {
                collect(root, &path, out);
            }
        } else if path.extension().is_some_and(|e| e == "toml")
            && !(dir == root && NOT_SCENARIOS.contains(&name.as_ref()))
        {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR for build.rs"),
    );
    // Any file added, removed or changed below the root rebuilds the catalogue.
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    let mut entries: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|f| {
            let rel = f
                .strip_prefix(&root)
                .expect("collected below the root")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, f)
        })
        .collect();
    // Sorted by the relative path with `/`, so the order (and the digest) is the same on
    // every platform.
    entries.sort();
    if entries.is_empty() {
        panic!(
            "collaudo-scenarios: no scenario file (*.toml) found under {}: the built-in \
             catalogue would be empty; was the folder left out of the package?",
            root.display()
        );
    }

    let mut hasher = Sha256::new();
    let mut code = String::from(
        "/// Every built-in scenario file: (path relative to `scenarios/`, contents), sorted by path.\n\
         pub static FILES: &[(&str, &str)] = &[\n",
    );
    for (rel, path) in &entries {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
            panic!(
                "collaudo-scenarios: cannot read the scenario file {} (under {}): {e}",
                path.display(),
                root.display()
            )
        });
        hash_pair(&mut hasher, rel, &text);
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    let digest = hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
    let _ = writeln!(
        code,
        "/// SHA-256 of the catalogue, lowercase hex (how it is computed: the crate docs).\n\
         pub const DIGEST: &str = {digest:?};\n\
         /// How many scenario files [`FILES`] holds.\n\
         pub const COUNT: usize = {};",
        entries.len()
    );

    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build.rs"))
        .join("embedded.rs");
    std::fs::write(&out, code)
        .unwrap_or_else(|e| panic!("collaudo-scenarios: cannot write {}: {e}", out.display()));
}

/// One (path, contents) pair into the digest; the scheme the crate docs (src/lib.rs) describe.
fn hash_pair(hasher: &mut Sha256, path: &str, text: &str) {
    hasher.update((path.len() as u64).to_le_bytes());
    hasher.update(path.as_bytes());
    hasher.update((text.len() as u64).to_le_bytes());
    hasher.update(text.as_bytes());
}
