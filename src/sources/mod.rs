//! Where article text comes from: files now; URLs and feeds fetch bytes the same way later.

pub mod feed;
pub mod reach;
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
    /// A file with no size up front (a pipe, a device, a file still growing) gave more than an
    /// article can be.
    #[error("{path} gives more than {limit} bytes; articles are limited to {limit} bytes")]
    TooLargeWhileReading {
        /// The file.
        path: String,
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

/// Reads a text or Markdown file, refusing binaries and oversized files: by their size before
/// reading them, and by what they give while reading (a pipe, a device such as `/dev/zero` or
/// a file still growing has no size up front).
pub async fn read_file(path: &Path) -> Result<String, SourceError> {
    use tokio::io::AsyncReadExt;

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
    let file = tokio::fs::File::open(path).await.map_err(read_error)?;
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(read_error)?;
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(SourceError::TooLargeWhileReading {
            path: shown,
            limit: MAX_INPUT_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|e| SourceError::NotText {
        path: shown,
        offset: e.utf8_error().valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_without_a_size_is_read_only_up_to_the_limit() {
        // `/dev/zero` reports no size and never ends: it used to be read until memory ran out.
        let zero = Path::new("/dev/zero");
        if !zero.exists() {
            return;
        }
        let error = read_file(zero).await.unwrap_err();
        assert!(
            matches!(error, SourceError::TooLargeWhileReading { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("limited to"), "{error}");
    }
}
