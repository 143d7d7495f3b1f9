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

/// An entry's link as a web address: resolved against the feed's own address, and kept only
/// when it is http(s). Anything else (a path, `file:`, `javascript:`) is no article to fetch,
/// and on the operator's machine a bare path would read a local file.
fn web_link(base: Option<&url::Url>, href: &str) -> Option<String> {
    let resolved = match base {
        Some(base) => base.join(href.trim()),
        None => url::Url::parse(href.trim()),
    };
    match resolved {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url.to_string()),
        _ => {
            tracing::info!(link = %crate::bot::reply::truncate(href, 200), "skipping a feed entry link that is not a web address");
            None
        }
    }
}

/// Parses a feed document fetched from `url` (relative entry links are resolved against it).
pub fn parse_feed(bytes: &[u8], url: &str) -> Result<ParsedFeed, FeedError> {
    let base = url::Url::parse(url).ok();
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
            let link = entry
                .links
                .first()
                .and_then(|l| web_link(base.as_ref(), &l.href));
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn entry_links_are_web_addresses_resolved_against_the_feed() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
            <item><title>a</title><link>/posts/a</link></item>
            <item><title>b</title><link>b.html</link></item>
            <item><title>c</title><link>//cdn.example/c</link></item>
            <item><title>d</title><link>/home/me/.env</link></item>
            <item><title>e</title><link>file:///etc/passwd</link></item>
            <item><title>f</title><link>javascript:alert(1)</link></item>
            </channel></rss>"#;
        let feed = parse_feed(rss, "https://news.example/feeds/rss.xml").unwrap();
        let links: Vec<Option<&str>> = feed.entries.iter().map(|e| e.link.as_deref()).collect();
        assert_eq!(
            links,
            [
                Some("https://news.example/posts/a"),
                Some("https://news.example/feeds/b.html"),
                Some("https://cdn.example/c"),
                // A path is a path on the feed's site, never a local file.
                Some("https://news.example/home/me/.env"),
                None,
                None,
            ]
        );
    }
}
