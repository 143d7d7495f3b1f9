//! Replies as Discord messages: embeds, buttons and plain content, cut to Discord's limits on
//! a sentence or word boundary, with every piece of user or article text escaped so it can
//! neither format nor mention anything.

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAttachment, CreateButton, CreateEmbed, CreateEmbedAuthor,
    CreateEmbedFooter,
};

use crate::bot::reply::truncate;
use crate::bot::{Action, Body, Card, Reply};

/// Discord's limits, in characters.
pub mod limits {
    /// Message content.
    pub const CONTENT: usize = 2000;
    /// Embed title.
    pub const TITLE: usize = 256;
    /// Embed description.
    pub const DESCRIPTION: usize = 4096;
    /// Field name.
    pub const FIELD_NAME: usize = 256;
    /// Field value.
    pub const FIELD_VALUE: usize = 1024;
    /// Fields per embed.
    pub const FIELDS: usize = 25;
    /// Footer text.
    pub const FOOTER: usize = 2048;
    /// Author name.
    pub const AUTHOR: usize = 256;
    /// All text of one embed together.
    pub const EMBED_TOTAL: usize = 6000;
    /// A thread name.
    pub const THREAD_NAME: usize = 100;
    /// An autocomplete choice name.
    pub const CHOICE_NAME: usize = 100;
    /// An embed's URL.
    pub const URL: usize = 2048;
}

/// Escapes Discord markdown and breaks mentions: `@everyone`, `@here`, `<@id>`, `<@&role>` and
/// `<#channel>` in user text show as text and ping no one (sends also carry empty
/// `allowed_mentions`, so this is the second lock on the door).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut line_start = true;
    for c in text.chars() {
        match c {
            // Inline markup, masked links (`[text](url)`), mentions (`<@id>`) and quotes.
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '<' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            // Headings and lists only mean something at the start of a line.
            '#' | '-' if line_start => {
                out.push('\\');
                out.push(c);
            }
            '@' => {
                out.push('@');
                // A zero-width space after `@` keeps `@everyone` from being a mention.
                out.push('\u{200B}');
            }
            _ => out.push(c),
        }
        line_start = c == '\n' || (line_start && c.is_whitespace());
    }
    out
}

/// `text` escaped and cut to `max` characters; the cut happens on the raw text so an escape
/// sequence is never split.
pub fn fit(text: &str, max: usize) -> String {
    let mut budget = max;
    loop {
        let escaped = escape(&truncate(text, budget));
        if escaped.chars().count() <= max || budget == 0 {
            return escaped;
        }
        // Escaping added characters; cut the raw text shorter by the excess.
        let excess = escaped.chars().count() - max;
        budget = budget.saturating_sub(excess.max(1));
    }
}

/// The custom id of a button, parsed back by [`parse_action`].
pub fn action_id(action: &Action) -> String {
    match action {
        Action::Discuss(id) => format!("rr:discuss:{}", id.0),
        Action::AnotherQuote(id) => format!("rr:quote:{}", id.0),
        Action::FullSummary(id) => format!("rr:summary:{}", id.0),
        Action::ConfirmForget => "rr:forget-me:confirm".to_owned(),
    }
}

/// The command line a button stands for (`discuss 3`), from its custom id.
pub fn parse_action(custom_id: &str) -> Option<String> {
    let mut parts = custom_id.split(':');
    if parts.next()? != "rr" {
        return None;
    }
    let verb = parts.next()?;
    if verb == "forget-me" {
        return (parts.next()? == "confirm").then(|| "forget-me confirm".to_owned());
    }
    let id: i64 = parts.next()?.parse().ok()?;
    matches!(verb, "discuss" | "quote" | "summary").then(|| format!("{verb} {id}"))
}

/// What to send for a reply: message content, embeds and button rows.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Plain content (for text replies and errors).
    pub content: Option<String>,
    /// At most one embed.
    pub embeds: Vec<CreateEmbed>,
    /// Buttons.
    pub components: Vec<CreateActionRow>,
    /// Attached files.
    pub files: Vec<CreateAttachment>,
}

/// Renders a reply.
pub fn render(reply: &Reply) -> Rendered {
    match &reply.body {
        Body::Text(text) => Rendered {
            content: Some(fit(text, limits::CONTENT)),
            ..Rendered::default()
        },
        Body::Error(text) => Rendered {
            content: Some(fit(&format!("⚠️ {text}"), limits::CONTENT)),
            ..Rendered::default()
        },
        Body::Card(card) => Rendered {
            content: None,
            embeds: vec![embed(card)],
            components: buttons(&card.actions),
            files: Vec::new(),
        },
        Body::File {
            name,
            content,
            caption,
        } => Rendered {
            content: Some(fit(caption, limits::CONTENT)),
            files: vec![CreateAttachment::bytes(
                content.as_bytes().to_vec(),
                name.clone(),
            )],
            ..Rendered::default()
        },
    }
}

fn buttons(actions: &[Action]) -> Vec<CreateActionRow> {
    if actions.is_empty() {
        return Vec::new();
    }
    let buttons = actions
        .iter()
        .take(5)
        .map(|action| {
            CreateButton::new(action_id(action))
                .label(action.label())
                .style(match action {
                    Action::Discuss(_) => ButtonStyle::Primary,
                    _ => ButtonStyle::Secondary,
                })
        })
        .collect();
    vec![CreateActionRow::Buttons(buttons)]
}

/// The embed for a card, within every per-field limit and the 6000-character total.
pub fn embed(card: &Card) -> CreateEmbed {
    let mut used = 0;
    let take = |used: &mut usize, text: String| {
        *used += text.chars().count();
        text
    };
    let title = take(&mut used, fit(&card.title, limits::TITLE));
    let mut embed = CreateEmbed::new().title(title);
    // Discord refuses the whole message for an embed URL over its limit: such a link is left
    // out rather than cut (a cut URL leads somewhere else).
    let url = card.url.as_deref().filter(|u| {
        (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= limits::URL
    });
    if let Some(url) = url {
        embed = embed.url(url);
    }
    if let Some(subtitle) = &card.subtitle {
        embed = embed.author(CreateEmbedAuthor::new(take(
            &mut used,
            fit(subtitle, limits::AUTHOR),
        )));
    }
    let footer = card.footer.as_deref().map(|f| fit(f, limits::FOOTER));
    let footer_len = footer.as_deref().map_or(0, |f| f.chars().count());
    if !card.description.is_empty() {
        // The description may not push the embed past Discord's total either.
        let limit = limits::DESCRIPTION.min(limits::EMBED_TOTAL.saturating_sub(used + footer_len));
        let full = escape(&card.description);
        let description = if full.chars().count() <= limit {
            full
        } else {
            // Cut, and point to the rest.
            let more = url
                .map(|u| format!("\n[Read the whole article]({u})"))
                .unwrap_or_default();
            let room = limit.saturating_sub(more.chars().count());
            format!("{}{more}", fit(&card.description, room))
        };
        embed = embed.description(take(&mut used, description));
    }
    let mut fields = Vec::new();
    if let Some(quote) = &card.quote {
        let speaker = quote
            .speaker
            .as_deref()
            .map(|s| format!("\n— {}", fit(s, 200)))
            .unwrap_or_default();
        let room = limits::FIELD_VALUE.saturating_sub(speaker.chars().count() + 4);
        fields.push((
            "Key quotation".to_owned(),
            format!("“{}”{speaker}", fit(&quote.text, room)),
        ));
    }
    for field in &card.fields {
        fields.push((
            fit(&field.name, limits::FIELD_NAME),
            fit(&field.value, limits::FIELD_VALUE),
        ));
    }
    for (name, value) in fields.into_iter().take(limits::FIELDS) {
        let size = name.chars().count() + value.chars().count();
        if used + size + footer_len > limits::EMBED_TOTAL {
            break;
        }
        used += size;
        embed = embed.field(name, value, false);
    }
    if let Some(footer) = footer {
        embed = embed.footer(CreateEmbedFooter::new(footer));
    }
    embed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::Quoted;

    #[test]
    fn escape_neutralises_mentions_and_markdown() {
        let escaped = escape("@everyone <@&123> **bold** [x](https://evil)");
        assert!(!escaped.contains("@everyone"));
        assert!(!escaped.contains("<@&"));
        assert!(escaped.contains("\\*\\*bold\\*\\*"));
        assert!(!escaped.contains("[x](https"));
    }

    #[test]
    fn fit_respects_the_limit_after_escaping() {
        let text = "*".repeat(3000);
        assert!(fit(&text, limits::FIELD_VALUE).chars().count() <= limits::FIELD_VALUE);
        let words = "word ".repeat(2000);
        let fitted = fit(&words, limits::CONTENT);
        assert!(fitted.chars().count() <= limits::CONTENT);
        assert!(
            fitted.ends_with("word…"),
            "cut on a word boundary: {}",
            &fitted[fitted.len() - 20..]
        );
    }

    #[test]
    fn embeds_stay_within_discord_limits() {
        let card = Card {
            title: "t".repeat(500),
            url: Some("https://example.org/a".into()),
            subtitle: Some("s".repeat(400)),
            description: "A sentence. ".repeat(800),
            quote: Some(Quoted {
                text: "q ".repeat(900),
                speaker: Some("Someone".into()),
            }),
            fields: (0..40)
                .map(|i| crate::bot::Field {
                    name: format!("field {i}"),
                    value: "v ".repeat(700),
                })
                .collect(),
            footer: Some("f".repeat(300)),
            actions: vec![],
        };
        let json = serde_json::to_value(embed(&card)).unwrap();
        let len = |key: &str| json[key].as_str().map_or(0, |s| s.chars().count());
        assert!(len("title") <= limits::TITLE);
        assert!(len("description") <= limits::DESCRIPTION);
        assert!(
            json["description"]
                .as_str()
                .unwrap()
                .ends_with("(https://example.org/a)"),
            "links to the rest"
        );
        let fields = json["fields"].as_array().unwrap();
        assert!(!fields.is_empty() && fields.len() <= limits::FIELDS);
        let mut total = len("title")
            + len("description")
            + json["author"]["name"].as_str().unwrap().chars().count();
        total += json["footer"]["text"].as_str().unwrap().chars().count();
        for field in fields {
            let value = field["value"].as_str().unwrap().chars().count();
            assert!(value <= limits::FIELD_VALUE);
            total += value + field["name"].as_str().unwrap().chars().count();
        }
        assert!(total <= limits::EMBED_TOTAL, "{total}");
    }

    #[test]
    fn buttons_round_trip() {
        let id = crate::store::ArticleId(7);
        for action in [
            Action::Discuss(id),
            Action::AnotherQuote(id),
            Action::FullSummary(id),
        ] {
            assert!(parse_action(&action_id(&action)).unwrap().ends_with(" 7"));
        }
        assert_eq!(parse_action("rr:drop:1"), None);
        assert_eq!(parse_action("other"), None);
    }

    #[test]
    fn a_ten_kilobyte_url_is_left_out_and_nothing_overflows() {
        let url = format!("https://example.org/{}", "a".repeat(10 * 1024));
        let card = Card {
            title: "t".repeat(300),
            url: Some(url.clone()),
            description: "d ".repeat(5000),
            quote: Some(crate::bot::Quoted {
                text: "q".repeat(3000),
                speaker: Some("s".repeat(3000)),
            }),
            footer: Some("f".repeat(3000)),
            ..Card::default()
        };
        let json = serde_json::to_value(embed(&card)).unwrap();
        assert!(
            json.get("url").is_none_or(serde_json::Value::is_null),
            "{json}"
        );
        assert!(!json.to_string().contains(&url[..100]));
        let chars = |key: &str| json[key].as_str().map_or(0, |s| s.chars().count());
        assert!(chars("description") <= limits::DESCRIPTION);
        assert!(chars("title") <= limits::TITLE);
        let total: usize = ["title", "description"]
            .iter()
            .map(|k| chars(k))
            .sum::<usize>()
            + json["footer"]["text"]
                .as_str()
                .map_or(0, |s| s.chars().count())
            + json["fields"].as_array().map_or(0, |fields| {
                fields
                    .iter()
                    .map(|f| {
                        f["name"].as_str().unwrap().chars().count()
                            + f["value"].as_str().unwrap().chars().count()
                    })
                    .sum()
            });
        assert!(total <= limits::EMBED_TOTAL, "{total}");
        let short = Card {
            url: Some("https://example.org/a".into()),
            description: "d ".repeat(5000),
            ..Card::default()
        };
        let json = serde_json::to_value(embed(&short)).unwrap();
        assert_eq!(json["url"], "https://example.org/a");
        assert!(
            json["description"]
                .as_str()
                .unwrap()
                .ends_with("(https://example.org/a)")
        );
    }
}
