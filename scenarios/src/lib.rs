//! collaudo's built-in scenario catalogue, as data.
//!
//! The scenario files live in this crate (`scenarios/<area>/<id>.toml` in the repository) and
//! `build.rs` embeds every one of them, so a collaudo built from a checkout, a `cargo package`
//! tarball or `cargo install` always carries the whole suite; the build fails when it finds
//! none or cannot read one.
//!
//! [`DIGEST`] identifies the catalogue: the SHA-256, in lowercase hex, of the files sorted by
//! their path relative to this folder (with `/`), each fed as
//! `u64 LE length of path ‖ path ‖ u64 LE length of contents ‖ contents` (UTF-8 bytes). Two
//! builds with the same digest run the same built-in scenarios; `collaudo --version` prints it.

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// The digest is the documented scheme over [`FILES`], so anyone can recompute it.
    #[test]
    fn digest_follows_the_documented_scheme() {
        let mut h = Sha256::new();
        for (path, text) in FILES {
            h.update((path.len() as u64).to_le_bytes());
            h.update(path.as_bytes());
            h.update((text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, DIGEST);
    }

    /// Every scenario file of the folder, and nothing else, sorted by path.
    #[test]
    fn files_are_the_folder_sorted() {
        assert_eq!(FILES.len(), COUNT);
        assert!(!FILES.is_empty());
        assert!(FILES.windows(2).all(|w| w[0].0 < w[1].0), "sorted by path");
        for (path, text) in FILES {
            assert!(path.ends_with(".toml") && path.contains('/'), "{path}");
            assert!(!text.is_empty(), "{path} is empty");
        }
        let root = env!("CARGO_MANIFEST_DIR");
        let mut on_disk = 0;
        for area in std::fs::read_dir(root).expect("crate root") {
            let area = area.expect("entry").path();
            if area.is_dir() && !area.ends_with("src") && !area.ends_with("target") {
                on_disk += std::fs::read_dir(&area)
                    .expect("area folder")
                    .filter(|f| {
                        f.as_ref()
                            .is_ok_and(|f| f.path().extension().is_some_and(|e| e == "toml"))
                    })
                    .count();
            }
        }
        assert_eq!(on_disk, COUNT, "every scenarios/<area>/*.toml is embedded");
    }
}
