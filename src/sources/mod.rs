//! Where article text comes from: files now; URLs and feeds fetch bytes the same way later.

pub mod feed;
pub mod web;

use std::path::Path;

use crate::article::MAX_INPUT_BYTES;

/// Why a source gave no text.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Bigger than an article can be.
    #[error("{path} is {size} bytes; articles are limited to {limit} bytes")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// Not UTF-8 text.
    #[error("{path} is not UTF-8 text (invalid byte at offset {offset})")]
    NotText {
        /// The file.
        path: String,
        /// Where the first invalid byte is.
        offset: usize,
    },
}

/// Reads a text or Markdown file, refusing binaries and oversized files before reading them
/// whole.
pub async fn read_file(path: &Path) -> Result<String, SourceError> {
    let shown = path.display().to_string();
    let read_error = |source| SourceError::Read {
        path: shown.clone(),
        source,
    };
    let size = tokio::fs::metadata(path).await.map_err(read_error)?.len();
    if size > MAX_INPUT_BYTES as u64 {
        return Err(SourceError::TooLarge {
            path: shown,
            size,
            limit: MAX_INPUT_BYTES,
        });
    }
    let bytes = tokio::fs::read(path).await.map_err(read_error)?;
    String::from_utf8(bytes).map_err(|e| SourceError::NotText {
        path: shown,
        offset: e.utf8_error().valid_up_to(),
    })
}
