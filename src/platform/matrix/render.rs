//! Replies as Matrix message bodies: an HTML `formatted_body` and a clean plain-text `body`.
//! Every piece of text is escaped, so nothing a user or an article wrote becomes markup or a
//! mention pill, and `@room` is broken up so no client reads it as a room ping.

use std::borrow::Cow;

use crate::bot::reply::truncate;
use crate::bot::{Body, Reply};
use crate::platform::plain;

/// The note a shortened reply carries.
pub const SHORTENED: &str = "Shortened: the whole reply is too long for one Matrix message.";

/// The most fields a shortened card keeps.
const SHORTENED_FIELDS: usize = 25;

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

/// `render`, shortened until `measure(body, html)` is at most `max`: each text of the reply is cut
/// (halving the allowance until it fits) and the reply says it was shortened, so a long card
/// still goes out instead of being refused by the homeserver. If even the shortest card does
/// not fit, its plain text goes out, cut to fit.
pub fn render_within(
    reply: &Reply,
    prefix: &str,
    max: usize,
    measure: impl Fn(&str, &str) -> usize,
) -> (String, String) {
    let mut keep: Option<usize> = None;
    loop {
        let shown = match keep {
            None => Cow::Borrowed(reply),
            Some(keep) => Cow::Owned(shortened(reply, keep)),
        };
        let (body, html) = render(&shown, prefix);
        if measure(&body, &html) <= max {
            return (body, html);
        }
        match keep {
            Some(k) if k <= 64 => break,
            Some(k) => keep = Some(k / 2),
            None => keep = Some(16_000),
        }
    }
    let mut allowance = max / 8;
    loop {
        let text = format!(
            "{}\n\n({SHORTENED})",
            truncate(&plain::render(reply, prefix), allowance)
        );
        let (body, html) = render(&Reply::text(text), prefix);
        if measure(&body, &html) <= max || allowance <= 16 {
            return (body, html);
        }
        allowance /= 2;
    }
}

/// `reply` with each text cut to `keep` characters, at most [`SHORTENED_FIELDS`] fields, and the
/// note that it was shortened.
pub fn shortened(reply: &Reply, keep: usize) -> Reply {
    let cut = |text: &str| truncate(text, keep);
    let mut short = reply.clone();
    short.body = match &reply.body {
        Body::Text(text) => Body::Text(format!("{}\n\n({SHORTENED})", cut(text))),
        Body::Error(text) => Body::Error(cut(text)),
        Body::File {
            name,
            content,
            caption,
        } => Body::File {
            name: name.clone(),
            content: content.clone(),
            caption: cut(caption),
        },
        Body::Card(card) => {
            let mut card = card.clone();
            card.title = cut(&card.title);
            card.subtitle = card.subtitle.as_deref().map(cut);
            card.description = cut(&card.description);
            if let Some(quote) = &mut card.quote {
                quote.text = cut(&quote.text);
                quote.speaker = quote.speaker.as_deref().map(cut);
            }
            card.fields.truncate(SHORTENED_FIELDS);
            for field in &mut card.fields {
                field.name = cut(&field.name);
                field.value = cut(&field.value);
            }
            card.footer = Some(match &card.footer {
                Some(footer) => format!("{} · {SHORTENED}", cut(footer)),
                None => SHORTENED.to_owned(),
            });
            Body::Card(card)
        }
    };
    short
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

    fn json_size(body: &str, html: &str) -> usize {
        serde_json::to_string(&(body, html)).unwrap().len()
    }

    #[test]
    fn a_reply_too_long_for_one_event_is_shortened_with_a_note() {
        let long = "A sentence that goes on. ".repeat(8_000);
        let card = Reply::card(Card {
            title: "Long".into(),
            description: long.clone(),
            fields: (0..200)
                .map(|i| crate::bot::Field {
                    name: format!("field {i}"),
                    value: "\"<quoted>\" & more ".repeat(100),
                })
                .collect(),
            ..Card::default()
        });
        for reply in [card, Reply::text(long.clone())] {
            let (whole_body, whole_html) = render(&reply, "!");
            assert!(json_size(&whole_body, &whole_html) > 100_000);
            let (body, html) = render_within(&reply, "!", 40_000, json_size);
            assert!(
                json_size(&body, &html) <= 40_000,
                "{}",
                json_size(&body, &html)
            );
            assert!(
                body.contains(SHORTENED) && html.contains(SHORTENED),
                "{body}"
            );
            assert!(
                body.starts_with("Long") || body.starts_with("A sentence"),
                "{body}"
            );
        }
        let short = Reply::text("short");
        assert_eq!(
            render_within(&short, "!", 40_000, json_size),
            render(&short, "!")
        );
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
