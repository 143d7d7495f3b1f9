//! Reading Room: a bot for communities that read and argue about articles together.
//!
//! The layers, inner to outer (ARCHITECTURE.md has the map and the invariants):
//! - [`article`]: the pure text pipeline (no I/O, no clock, no randomness);
//! - [`store`]: every SQL statement;
//! - [`sources`]: reading files and fetching pages and feeds;
//! - [`bot`]: the platform-neutral core: commands, platform events, digests, feeds;
//! - [`platform`]: the adapters, the only modules that import a platform crate;
//! - [`web`]: the web reader, which reads through the store and the core's reply trees;
//! - [`eval`]: summary and quotation scoring, off the bot's path.
pub mod article;
pub mod bot;
pub mod clock;
pub mod config;
pub mod eval;
pub mod metrics;
pub mod platform;
pub mod sources;
pub mod store;
pub mod web;

#[cfg(test)]
mod layers {
    //! The layer rules, checked on the source: no arrow runs back up.

    use std::path::Path;

    /// Every `.rs` file under `src/<dir>` with its text, test-only files (`tests.rs`, which
    /// read corpus files) left out.
    fn sources(dir: &str) -> Vec<(String, String)> {
        fn walk(path: &Path, out: &mut Vec<(String, String)>) {
            let Ok(entries) = std::fs::read_dir(path) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("tests.rs")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    out.push((path.display().to_string(), text));
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir),
            &mut out,
        );
        assert!(!out.is_empty(), "no sources under src/{dir}");
        out
    }

    fn refuses(dir: &str, forbidden: &[&str]) {
        for (path, text) in sources(dir) {
            for word in forbidden {
                assert!(
                    !text.contains(word),
                    "{path} uses {word}, which src/{dir} must not"
                );
            }
        }
    }

    #[test]
    fn the_pipeline_does_no_io() {
        refuses(
            "article",
            &[
                "tokio::",
                "reqwest::",
                "sqlx::",
                "std::fs",
                "crate::store",
                "crate::bot",
            ],
        );
    }

    #[test]
    fn the_core_knows_no_platform() {
        refuses(
            "bot",
            &["serenity::", "matrix_sdk::", "crate::platform", "sqlx::"],
        );
    }

    #[test]
    fn the_web_reader_knows_no_platform() {
        refuses(
            "web",
            &["serenity::", "matrix_sdk::", "crate::platform", "sqlx::"],
        );
    }

    #[test]
    fn only_the_store_writes_sql() {
        for dir in ["bot", "platform", "sources", "article", "web"] {
            refuses(dir, &["sqlx::query"]);
        }
    }
}
