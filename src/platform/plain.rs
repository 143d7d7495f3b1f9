//! Plain-text rendering of replies, shared by the console and by platforms' text fallbacks
//! (Matrix `body`). Buttons become the commands that do the same.

use crate::bot::{Action, Body, Reply};

/// The command a button stands for, with the platform's prefix.
pub fn action_command(action: &Action, prefix: &str) -> String {
    match action {
        Action::Discuss(id) => format!("{prefix}discuss {}", id.0),
        Action::AnotherQuote(id) => format!("{prefix}quote {}", id.0),
        Action::FullSummary(id) => format!("{prefix}summary {}", id.0),
        Action::ConfirmForget => format!("{prefix}forget-me confirm"),
    }
}

/// Renders a reply as plain text.
pub fn render(reply: &Reply, prefix: &str) -> String {
    let mut out = String::new();
    match &reply.body {
        Body::Text(text) => out.push_str(text),
        Body::Error(text) => {
            out.push_str("! ");
            out.push_str(text);
        }
        Body::File {
            name,
            content,
            caption,
        } => {
            out.push_str(&format!("{caption}\n--- {name} ---\n{content}"));
        }
        Body::Card(card) => {
            out.push_str(&card.title);
            if let Some(subtitle) = &card.subtitle {
                out.push('\n');
                out.push_str(subtitle);
            }
            if let Some(url) = &card.url {
                out.push('\n');
                out.push_str(url);
            }
            if !card.description.is_empty() {
                out.push_str("\n\n");
                out.push_str(&card.description);
            }
            if let Some(quote) = &card.quote {
                out.push_str("\n\n");
                out.push_str(&quote.line());
            }
            if !card.fields.is_empty() {
                out.push('\n');
            }
            for field in &card.fields {
                out.push('\n');
                out.push_str(&field.name);
                out.push_str(": ");
                out.push_str(&field.value.replace('\n', "\n  "));
            }
            if !card.actions.is_empty() {
                let hints: Vec<String> = card
                    .actions
                    .iter()
                    .map(|a| action_command(a, prefix))
                    .collect();
                out.push_str("\n\n→ ");
                out.push_str(&hints.join(" · "));
            }
            if let Some(footer) = &card.footer {
                out.push_str("\n[");
                out.push_str(footer);
                out.push(']');
            }
        }
    }
    out
}
