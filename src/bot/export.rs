//! Exporting an article's whole discussion, across channels and platforms, as a reply tree in
//! order with pins marked. Deleted messages stay out (their replies move up a level).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::store::{ArticleId, Scope, Store, StoreError, StoredArticle, StoredMessage};

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
    let messages = store.article_messages(scope, stored.id).await?;
    let pins: HashMap<i64, Option<String>> = store
        .pins(scope, Some(stored.id), u32::MAX)
        .await?
        .into_iter()
        .map(|p| (p.message_id, p.note))
        .collect();
    Ok(tree(stored.id, &stored.article.title, &messages, &pins))
}

fn tree(
    article: ArticleId,
    title: &str,
    messages: &[(StoredMessage, String)],
    pins: &HashMap<i64, Option<String>>,
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
            if parent.deleted_at.is_none() {
                return Some(parent.id);
            }
            current = parent;
        }
        None
    };
    let mut children: HashMap<Option<i64>, Vec<(&StoredMessage, &str)>> = HashMap::new();
    let mut standing = 0;
    for (message, channel) in messages {
        if message.deleted_at.is_some() || message.body.is_none() {
            continue;
        }
        standing += 1;
        children
            .entry(parent_of(message))
            .or_default()
            .push((message, channel));
    }
    fn build(
        parent: Option<i64>,
        children: &HashMap<Option<i64>, Vec<(&StoredMessage, &str)>>,
        pins: &HashMap<i64, Option<String>>,
        depth: usize,
    ) -> Vec<Node> {
        let Some(list) = children.get(&parent) else {
            return Vec::new();
        };
        list.iter()
            .map(|(m, channel)| Node {
                id: m.id,
                platform: m.platform.clone(),
                channel: (*channel).to_owned(),
                author: m.author_name.clone(),
                body: m.body.clone().unwrap_or_default(),
                created_at: m.created_at.to_rfc3339(),
                edited_at: m.edited_at.map(|t| t.to_rfc3339()),
                pinned: pins.contains_key(&m.id),
                pin_note: pins.get(&m.id).cloned().flatten(),
                // Reply chains are bounded by the message count; the depth guard is for cycles
                // that slipped past `parent_of`.
                replies: if depth < 10_000 {
                    build(Some(m.id), children, pins, depth + 1)
                } else {
                    Vec::new()
                },
            })
            .collect()
    }
    Export {
        article: article.0,
        title: title.to_owned(),
        messages: standing,
        thread: build(None, &children, pins, 0),
    }
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
