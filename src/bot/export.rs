//! Exporting an article's whole discussion, across channels and platforms, as a reply tree in
//! order with pins marked. Deleted messages stay out (their replies move up a level), or, for
//! the web reader, stay in their place as removed, with neither text nor author.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::store::{ArticleId, Pin, Scope, Store, StoreError, StoredArticle, StoredMessage};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown, for reading.
    Md,
    /// JSON, for tools.
    Json,
}

/// One message with its replies.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// The store's message number.
    pub id: i64,
    /// `discord`, `matrix` or `console`.
    pub platform: String,
    /// The channel it was posted in.
    pub channel: String,
    /// Author display name.
    pub author: String,
    /// The text.
    pub body: String,
    /// Sent at (RFC 3339).
    pub created_at: String,
    /// Last edit (RFC 3339), if edited.
    pub edited_at: Option<String>,
    /// Whether a moderator pinned it.
    pub pinned: bool,
    /// The moderator's note on the pin.
    pub pin_note: Option<String>,
    /// Deleted or forgotten: shown as removed, with no text and no author.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// Replies, oldest first.
    pub replies: Vec<Node>,
}

/// The export of one article's discussion.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    /// The article.
    pub article: i64,
    /// Its title.
    pub title: String,
    /// Messages that still stand.
    pub messages: usize,
    /// Top-level messages with their reply trees.
    pub thread: Vec<Node>,
}

/// Builds the export of an article's discussion in `scope`'s channels.
pub async fn build(
    store: &Store,
    scope: Scope,
    stored: &StoredArticle,
) -> Result<Export, StoreError> {
    thread(store, scope, stored, Removed::Skip).await
}

/// What becomes of deleted and forgotten messages in a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// Left out; their replies hang from the nearest standing ancestor.
    Skip,
    /// Kept in their place, marked removed, without text or author.
    Mark,
}

/// The reply tree of an article's discussion in `scope`'s channels.
pub async fn thread(
    store: &Store,
    scope: Scope,
    stored: &StoredArticle,
    removed: Removed,
) -> Result<Export, StoreError> {
    Ok(thread_with_pins(store, scope, stored, removed).await?.0)
}

/// [`thread`], and the article's pins in `scope`, newest first.
pub async fn thread_with_pins(
    store: &Store,
    scope: Scope,
    stored: &StoredArticle,
    removed: Removed,
) -> Result<(Export, Vec<Pin>), StoreError> {
    let messages = store.article_messages(scope, stored.id).await?;
    let pins = store.pins(scope, Some(stored.id), u32::MAX).await?;
    Ok((tree_with(stored, messages, &pins, removed), pins))
}

/// The reply tree of `messages` (an article's, as [`Store::article_messages`] gives them),
/// with `pins` marked.
pub fn tree_with(
    stored: &StoredArticle,
    messages: Vec<(StoredMessage, String)>,
    pins: &[Pin],
    removed: Removed,
) -> Export {
    let notes: HashMap<i64, Option<String>> = pins
        .iter()
        .map(|p| (p.message_id, p.note.clone()))
        .collect();
    tree(stored.id, &stored.article.title, messages, &notes, removed)
}

/// Levels of replies shown; deeper ones are shown flat under their ancestor at this level.
pub const MAX_DEPTH: usize = 50;

/// Each message's depth in the reply tree (a root is 0), found without recursion so a chain of
/// any length costs one pass. A cycle of replies is cut where it closes.
fn depths(parent: &HashMap<i64, Option<i64>>) -> HashMap<i64, usize> {
    let mut depth: HashMap<i64, usize> = HashMap::with_capacity(parent.len());
    for &start in parent.keys() {
        let mut chain = Vec::new();
        let mut on_chain = HashSet::new();
        let mut current = Some(start);
        let mut base = 0;
        while let Some(id) = current {
            if let Some(known) = depth.get(&id) {
                base = known + 1;
                break;
            }
            if !on_chain.insert(id) {
                break;
            }
            chain.push(id);
            current = parent.get(&id).copied().flatten();
        }
        for (offset, id) in chain.iter().rev().enumerate() {
            depth.insert(*id, base + offset);
        }
    }
    depth
}

fn tree(
    article: ArticleId,
    title: &str,
    messages: Vec<(StoredMessage, String)>,
    pins: &HashMap<i64, Option<String>>,
    removed: Removed,
) -> Export {
    let by_platform_id: HashMap<(&str, &str), &StoredMessage> = messages
        .iter()
        .map(|(m, _)| ((m.platform.as_str(), m.platform_id.as_str()), m))
        .collect();
    // A reply to a deleted (or unknown) message hangs from the nearest standing ancestor.
    let parent_of = |message: &StoredMessage| -> Option<i64> {
        let mut seen = HashSet::new();
        let mut current = message;
        while let Some(parent) = current.reply_to.as_deref() {
            let parent = by_platform_id.get(&(current.platform.as_str(), parent))?;
            if !seen.insert(parent.id) {
                return None;
            }
            if parent.deleted_at.is_none() || removed == Removed::Mark {
                return Some(parent.id);
            }
            current = parent;
        }
        None
    };
    let gone = |m: &StoredMessage| m.deleted_at.is_some() || m.body.is_none();
    let shown_count = messages.iter().filter(|(m, _)| !gone(m)).count();
    let standing: Vec<(&StoredMessage, &str)> = messages
        .iter()
        .filter(|(m, _)| removed == Removed::Mark || !gone(m))
        .map(|(m, channel)| (m, channel.as_str()))
        .collect();
    let parent: HashMap<i64, Option<i64>> =
        standing.iter().map(|(m, _)| (m.id, parent_of(m))).collect();
    let depth = depths(&parent);
    // Replies deeper than MAX_DEPTH hang, flat and in order, from their ancestor at the last
    // level shown: a chain thousands deep stays a tree anyone (and any renderer) can read.
    let mut by_depth: Vec<i64> = parent.keys().copied().collect();
    by_depth.sort_by_key(|id| depth[id]);
    let mut anchor: HashMap<i64, i64> = HashMap::new();
    for id in by_depth {
        if depth[&id] < MAX_DEPTH {
            continue;
        }
        if let Some(up) = parent[&id] {
            let above = if depth[&up] + 1 == MAX_DEPTH {
                up
            } else {
                anchor[&up]
            };
            anchor.insert(id, above);
        }
    }
    let mut children: HashMap<Option<i64>, Vec<i64>> = HashMap::new();
    for (message, _) in &standing {
        let under = match anchor.get(&message.id) {
            Some(above) => Some(*above),
            None => parent[&message.id],
        };
        children.entry(under).or_default().push(message.id);
    }
    let shown: HashSet<i64> = standing.iter().map(|(m, _)| m.id).collect();
    // The nodes take the messages' text over rather than copying it: a page of a long
    // discussion builds this tree on every view.
    let mut nodes: HashMap<i64, Node> = messages
        .into_iter()
        .filter(|(m, _)| shown.contains(&m.id))
        .map(|(m, channel)| (m.id, node(m, channel, pins)))
        .collect();
    fn node(m: StoredMessage, channel: String, pins: &HashMap<i64, Option<String>>) -> Node {
        let removed = m.deleted_at.is_some() || m.body.is_none();
        Node {
            id: m.id,
            platform: m.platform,
            channel,
            // A removed message tells nothing of what it said or who said it.
            author: if removed {
                String::new()
            } else {
                m.author_name
            },
            body: if removed {
                String::new()
            } else {
                m.body.unwrap_or_default()
            },
            created_at: m.created_at.to_rfc3339(),
            edited_at: m.edited_at.filter(|_| !removed).map(|t| t.to_rfc3339()),
            pinned: !removed && pins.contains_key(&m.id),
            pin_note: pins.get(&m.id).cloned().flatten().filter(|_| !removed),
            removed,
            replies: Vec::new(),
        }
    }
    fn build(
        parent: Option<i64>,
        children: &HashMap<Option<i64>, Vec<i64>>,
        nodes: &mut HashMap<i64, Node>,
        depth: usize,
    ) -> Vec<Node> {
        let Some(list) = children.get(&parent) else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|id| {
                let mut node = nodes.remove(id)?;
                // The tree is at most MAX_DEPTH deep (deeper replies hang from their anchor);
                // the guard is for a cycle of replies, which has no root to start from.
                if depth <= MAX_DEPTH {
                    node.replies = build(Some(*id), children, nodes, depth + 1);
                }
                Some(node)
            })
            .collect()
    }
    let thread = build(None, &children, &mut nodes, 0);
    Export {
        article: article.0,
        title: title.to_owned(),
        messages: shown_count,
        thread,
    }
}

/// The export as Markdown, cut (with a note saying so) once it passes `limit` bytes: chat
/// platforms take files of a few megabytes.
pub fn markdown_within(export: &Export, limit: usize) -> String {
    let mut out = markdown(export);
    if out.len() > limit {
        let mut end = limit;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(out[..end].rfind('\n').map_or(0, |n| n + 1));
        out.push_str(
            "\n… cut here: the discussion is too long for one file. The operator's `readingroom export` has all of it.\n",
        );
    }
    out
}

/// The export as Markdown.
pub fn markdown(export: &Export) -> String {
    let mut out = format!(
        "# Discussion of #{} {}\n\n{} message{}\n\n",
        export.article,
        export.title,
        export.messages,
        if export.messages == 1 { "" } else { "s" }
    );
    fn write(out: &mut String, nodes: &[Node], depth: usize) {
        for node in nodes {
            let indent = "  ".repeat(depth);
            let pin = match (&node.pinned, &node.pin_note) {
                (true, Some(note)) => format!(" 📌 pinned ({note})"),
                (true, None) => " 📌 pinned".to_owned(),
                _ => String::new(),
            };
            let edited = if node.edited_at.is_some() {
                " (edited)"
            } else {
                ""
            };
            out.push_str(&format!(
                "{indent}- **{}** · {} · {} #{}{edited}{pin}\n",
                node.author, node.created_at, node.platform, node.id
            ));
            for line in node.body.lines() {
                out.push_str(&format!("{indent}  > {line}\n"));
            }
            write(out, &node.replies, depth + 1);
        }
    }
    write(&mut out, &export.thread, 0);
    out
}

/// The export in the requested format.
pub fn render(export: &Export, format: Format) -> String {
    match format {
        Format::Md => markdown(export),
        Format::Json => serde_json::to_string_pretty(export)
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{TimeZone, Utc};

    use super::*;

    fn message(id: i64, reply_to: Option<i64>) -> (StoredMessage, String) {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let message = StoredMessage {
            id,
            discussion_id: 1,
            article_id: ArticleId(1),
            platform: "console".into(),
            platform_id: format!("m{id}"),
            author_id: format!("u{id}"),
            author_name: format!("reader {id}"),
            body: Some(format!("message {id}")),
            reply_to: reply_to.map(|r| format!("m{r}")),
            created_at: at + chrono::Duration::seconds(id),
            edited_at: None,
            deleted_at: None,
        };
        (message, "console:c".into())
    }

    fn deepest(nodes: &[Node]) -> usize {
        let mut deepest = 0;
        let mut level: Vec<&Node> = nodes.iter().collect();
        while !level.is_empty() {
            deepest += 1;
            level = level.iter().flat_map(|n| n.replies.iter()).collect();
        }
        deepest
    }

    #[test]
    fn a_chain_ten_thousand_deep_exports_fifty_levels_deep_and_whole() {
        let messages: Vec<_> = (1..=10_000)
            .map(|id| message(id, (id > 1).then(|| id - 1)))
            .collect();
        let started = std::time::Instant::now();
        let export = tree(ArticleId(1), "t", messages, &HashMap::new(), Removed::Skip);
        let text = markdown(&export);
        println!(
            "10,000-deep export: {:?}, {} bytes",
            started.elapsed(),
            text.len()
        );
        assert_eq!(export.messages, 10_000);
        assert_eq!(deepest(&export.thread), MAX_DEPTH + 1);
        assert_eq!(text.matches("> message ").count(), 10_000);
        // Everything past the last level hangs from it, in order.
        let mut anchor = &export.thread[0];
        for _ in 0..MAX_DEPTH - 1 {
            anchor = &anchor.replies[0];
        }
        assert_eq!(anchor.id, MAX_DEPTH as i64);
        assert_eq!(anchor.replies.len(), 10_000 - MAX_DEPTH);
        assert!(anchor.replies.windows(2).all(|w| w[0].id < w[1].id));
        let cut = markdown_within(&export, 4096);
        assert!(
            cut.len() < 4096 + 200 && cut.ends_with("has all of it.\n"),
            "{cut}"
        );
    }

    #[test]
    fn a_cycle_of_replies_does_not_hang() {
        let mut messages = vec![message(1, Some(2)), message(2, Some(1)), message(3, None)];
        messages.push(message(4, Some(3)));
        let export = tree(ArticleId(1), "t", messages, &HashMap::new(), Removed::Skip);
        assert_eq!(export.thread.len(), 1);
        assert_eq!(export.thread[0].replies[0].id, 4);
    }
}
