//! Replies as Matrix message bodies: an HTML `formatted_body` and a clean plain-text `body`.
//! Every piece of text is escaped, so nothing a user or an article wrote becomes markup or a
//! mention pill, and `@room` is broken up so no client reads it as a room ping.

use crate::bot::{Body, Reply};
use crate::platform::plain;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Breaks `@room` (in any case) with a word joiner, which renders as nothing but stops clients
/// and push rules from matching it.
pub fn defuse(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 8);
    let (mut kept, mut i) = (0, 0);
    while i + 5 <= bytes.len() {
        if bytes[i..i + 5].eq_ignore_ascii_case(b"@room") {
            // `@` is ASCII, so the byte after it starts a character.
            out.push_str(&text[kept..=i]);
            out.push('\u{2060}');
            kept = i + 1;
            i += 5;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[kept..]);
    out
}

fn text(text: &str) -> String {
    escape(&defuse(text))
}

fn safe_url(url: &str) -> Option<&str> {
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

/// `(body, formatted_body)` for a reply.
pub fn render(reply: &Reply, prefix: &str) -> (String, String) {
    let body = defuse(&plain::render(reply, prefix));
    let html = match &reply.body {
        Body::Text(message) => text(message).replace('\n', "<br>"),
        Body::Error(message) => format!("⚠️ {}", text(message)),
        Body::File { caption, .. } => text(caption),
        Body::Card(card) => {
            let mut html = String::new();
            let title = text(&card.title);
            match card.url.as_deref().and_then(safe_url) {
                Some(url) => {
                    html.push_str(&format!("<h4><a href=\"{}\">{title}</a></h4>", escape(url)))
                }
                None => html.push_str(&format!("<h4>{title}</h4>")),
            }
            if let Some(subtitle) = &card.subtitle {
                html.push_str(&format!("<p><em>{}</em></p>", text(subtitle)));
            }
            if !card.description.is_empty() {
                html.push_str(&format!("<p>{}</p>", text(&card.description)));
            }
            if let Some(quote) = &card.quote {
                html.push_str(&format!("<blockquote><p>{}</p>", text(&quote.text)));
                if let Some(speaker) = &quote.speaker {
                    html.push_str(&format!("<p>— {}</p>", text(speaker)));
                }
                html.push_str("</blockquote>");
            }
            if !card.fields.is_empty() {
                html.push_str("<ul>");
                for field in &card.fields {
                    html.push_str(&format!(
                        "<li><strong>{}</strong>: {}</li>",
                        text(&field.name),
                        text(&field.value).replace('\n', "<br>")
                    ));
                }
                html.push_str("</ul>");
            }
            if !card.actions.is_empty() {
                let commands: Vec<String> = card
                    .actions
                    .iter()
                    .map(|a| format!("<code>{}</code>", text(&plain::action_command(a, prefix))))
                    .collect();
                html.push_str(&format!("<p>{}</p>", commands.join(" · ")));
            }
            if let Some(footer) = &card.footer {
                html.push_str(&format!("<p><sub>{}</sub></p>", text(footer)));
            }
            html
        }
    };
    (body, html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::{Card, Quoted};

    #[test]
    fn user_text_cannot_inject_markup_or_ping_the_room() {
        let reply = Reply::card(Card {
            title: "<script>alert(1)</script>".into(),
            url: Some("javascript:alert(1)".into()),
            description: "Hey @room and @ROOM, see <a href=\"https://matrix.to/#/@x:y\">x</a>"
                .into(),
            quote: Some(Quoted {
                text: "“quoted” & <b>bold</b>".into(),
                speaker: Some("@room".into()),
            }),
            ..Card::default()
        });
        let (body, html) = render(&reply, "!");
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
        assert!(!html.contains("javascript:"), "only http(s) links");
        assert!(
            !html.contains("<a href=\"https://matrix.to"),
            "no pills from user text"
        );
        assert!(html.contains("<blockquote><p>“quoted” &amp; &lt;b&gt;bold&lt;/b&gt;</p><p>— @\u{2060}room</p></blockquote>"), "{html}");
        for text in [&body, &html] {
            assert!(!text.to_lowercase().contains("@room"), "{text}");
        }
    }

    #[test]
    fn defuse_keeps_everything_else() {
        assert_eq!(
            defuse("mail me@roomy.example"),
            "mail me@\u{2060}roomy.example"
        );
        assert_eq!(defuse("no mentions"), "no mentions");
        assert_eq!(defuse("ünïcode @Room!"), "ünïcode @\u{2060}Room!");
    }
}
