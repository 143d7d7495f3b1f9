//! Reading RSS, Atom and JSON Feed documents (feed-rs) into the entries the poller needs.

use sha2::{Digest, Sha256};

/// One entry of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The entry's GUID / Atom id, when the feed gives one.
    pub guid: Option<String>,
    /// The entry's link.
    pub link: Option<String>,
    /// Its title.
    pub title: String,
    /// Its content or summary as HTML (or text), when the feed carries one.
    pub html: Option<String>,
    /// SHA-256 of title, link and content: identity of last resort.
    pub hash: String,
}

/// A parsed feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFeed {
    /// The feed's title.
    pub title: Option<String>,
    /// Its entries, as listed.
    pub entries: Vec<FeedEntry>,
}

/// Why a document is not a feed.
#[derive(Debug, thiserror::Error)]
#[error("not an RSS, Atom or JSON feed: {0}")]
pub struct FeedError(String);

/// Parses a feed document.
pub fn parse_feed(bytes: &[u8]) -> Result<ParsedFeed, FeedError> {
    // No made-up ids: an entry without one is recognised by its link or content instead.
    let feed = feed_rs::parser::Builder::new()
        .id_generator(|_, _, _| String::new())
        .build()
        .parse(bytes)
        .map_err(|e| FeedError(e.to_string()))?;
    let entries = feed
        .entries
        .into_iter()
        .map(|entry| {
            let link = entry.links.first().map(|l| l.href.clone());
            let title = entry.title.map(|t| t.content).unwrap_or_default();
            let html = entry
                .content
                .and_then(|c| c.body)
                .or_else(|| entry.summary.map(|s| s.content));
            let mut hasher = Sha256::new();
            for part in [
                title.as_str(),
                link.as_deref().unwrap_or(""),
                html.as_deref().unwrap_or(""),
            ] {
                hasher.update(part.as_bytes());
                hasher.update([0]);
            }
            let hash = hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let guid = Some(entry.id).filter(|id| !id.is_empty());
            FeedEntry {
                guid,
                link,
                title,
                html,
                hash,
            }
        })
        .collect();
    Ok(ParsedFeed {
        title: feed.title.map(|t| t.content),
        entries,
    })
}
