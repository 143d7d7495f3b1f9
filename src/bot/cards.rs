//! Building the cards the core answers with. Text from articles and readers goes in as it is;
//! escaping and mention safety are the platforms' job, since each has its own markup.

use crate::article::{Article, Sentence, SummaryKind};
use crate::bot::commands::{self, CommandSpec};
use crate::bot::reply::{Action, Card, Field, Quoted, truncate};
use crate::store::{DiscussionStats, Pin, SearchHit, StoredArticle, StoredQuote};

/// How many pinned comments an article card shows.
pub const PINS_ON_CARD: u32 = 3;
/// Sentences of the summary on an article card.
const CARD_SUMMARY_SENTENCES: usize = 3;
/// Longest quotation or comment shown in a card field, in characters.
const FIELD_TEXT_CHARS: usize = 400;

/// "Tirza Shorr · Jerusalem Center for Security and Foreign Affairs · posted by Geoffrey
/// Clarfield · 2026-01-12"
pub fn subtitle(article: &Article) -> Option<String> {
    let mut parts = Vec::new();
    if !article.authors.is_empty() {
        parts.push(article.authors.join(", "));
    }
    if let Some(name) = &article.source.name {
        parts.push(name.clone());
    }
    if let Some(byline) = &article.byline {
        if article.authors.is_empty() {
            parts.push(format!("by {byline}"));
        } else {
            parts.push(format!("posted by {byline}"));
        }
    }
    if let Some(date) = &article.published {
        parts.push(date.clone());
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The article's own web address (the outlet's or where it was fetched), when it has one.
pub fn link(stored: &StoredArticle) -> Option<String> {
    let url = stored
        .article
        .source
        .url
        .as_deref()
        .or(stored.origin.as_deref())?;
    (url.starts_with("https://") || url.starts_with("http://")).then(|| url.to_owned())
}

fn quotation(text: &str, speaker: Option<&str>) -> Quoted {
    Quoted {
        text: truncate(text, FIELD_TEXT_CHARS),
        speaker: speaker.map(str::to_owned),
    }
}

fn footer(stored: &StoredArticle) -> String {
    format!(
        "Article #{} · added {}",
        stored.id.0,
        stored.created_at.format("%Y-%m-%d")
    )
}

/// The article card: what `/article` and `/discuss` show.
pub fn article(stored: &StoredArticle, stats: DiscussionStats, pins: &[Pin], prefix: &str) -> Card {
    let article = &stored.article;
    let summary = &article.summary.sentences;
    let shown = summary.iter().take(CARD_SUMMARY_SENTENCES);
    let mut description = shown.map(|s| s.text.as_str()).collect::<Vec<_>>().join(" ");
    if summary.len() > CARD_SUMMARY_SENTENCES {
        description.push_str(" …");
    }
    let mut fields = Vec::new();
    let key_quote = article
        .quotes
        .iter()
        .find(|q| q.speaker.is_some())
        .or_else(|| article.quotes.first());
    for pin in pins {
        let mut value = format!(
            "{}: “{}”",
            pin.author_name,
            truncate(&pin.body, FIELD_TEXT_CHARS)
        );
        if let Some(note) = &pin.note {
            value.push_str(&format!(" ({note})"));
        }
        fields.push(Field {
            name: "Pinned commentary".into(),
            value,
        });
    }
    fields.push(Field {
        name: "Discussion".into(),
        value: match stats.messages {
            0 => format!(
                "No messages yet. Start it with {prefix}discuss {}.",
                stored.id.0
            ),
            1 => "1 message".to_owned(),
            n => format!(
                "{n} messages from {} reader{}",
                stats.participants,
                if stats.participants == 1 { "" } else { "s" }
            ),
        },
    });
    let mut actions = vec![Action::Discuss(stored.id)];
    if !article.quotes.is_empty() {
        actions.push(Action::AnotherQuote(stored.id));
    }
    actions.push(Action::FullSummary(stored.id));
    Card {
        title: article.title.clone(),
        url: link(stored),
        subtitle: subtitle(article),
        description,
        quote: key_quote.map(|q| quotation(&q.text, q.speaker.as_deref())),
        fields,
        footer: Some(footer(stored)),
        actions,
    }
}

/// The card of `/summary`.
pub fn summary(stored: &StoredArticle, label: &str, sentences: &[Sentence]) -> Card {
    let description = if sentences.is_empty() {
        "This article is too short to summarise.".to_owned()
    } else {
        sentences
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let kind = match stored.article.summary.kind {
        SummaryKind::Provided if label.starts_with("The author") => "the author's own",
        _ => "sentences chosen from the article",
    };
    Card {
        title: format!("{label}: {}", stored.article.title),
        url: link(stored),
        subtitle: subtitle(&stored.article),
        description,
        quote: None,
        fields: Vec::new(),
        footer: Some(format!("{} · {kind}", footer(stored))),
        actions: vec![Action::Discuss(stored.id)],
    }
}

/// The card of `/quote`.
pub fn quote(quote: &StoredQuote) -> Card {
    Card {
        title: quote.title.clone(),
        url: None,
        subtitle: None,
        description: String::new(),
        quote: Some(quotation(&quote.text, quote.speaker.as_deref())),
        fields: Vec::new(),
        footer: Some(format!(
            "Article #{} · paragraph {}",
            quote.article_id.0,
            quote.paragraph + 1
        )),
        actions: vec![
            Action::AnotherQuote(quote.article_id),
            Action::Discuss(quote.article_id),
        ],
    }
}

/// The card of `/search`.
pub fn search(words: &str, hits: &[SearchHit], prefix: &str) -> Card {
    Card {
        title: format!("Articles matching “{}”", truncate(words, 60)),
        url: None,
        subtitle: None,
        description: String::new(),
        quote: None,
        fields: hits
            .iter()
            .map(|hit| Field {
                name: format!("#{} {}", hit.id.0, truncate(&hit.title, 200)),
                value: truncate(&hit.snippet, 300),
            })
            .collect(),
        footer: Some(format!("{prefix}article <id> shows one")),
        actions: Vec::new(),
    }
}

/// The card of `/pins`.
pub fn pins(title: Option<&str>, pins: &[Pin]) -> Card {
    Card {
        title: match title {
            Some(title) => format!("Pinned commentary on {title}"),
            None => "Latest pinned commentary".to_owned(),
        },
        url: None,
        subtitle: None,
        description: String::new(),
        quote: None,
        fields: pins
            .iter()
            .map(|pin| {
                let mut value = format!("“{}”", truncate(&pin.body, FIELD_TEXT_CHARS));
                if let Some(note) = &pin.note {
                    value.push_str(&format!("\nNote: {note}"));
                }
                value.push_str(&format!(
                    "\nPinned by {} on {}",
                    pin.pinned_by,
                    pin.pinned_at.format("%Y-%m-%d")
                ));
                Field {
                    name: format!(
                        "{} on #{} {} (message #{})",
                        pin.author_name,
                        pin.article_id.0,
                        truncate(&pin.article_title, 80),
                        pin.message_id
                    ),
                    value,
                }
            })
            .collect(),
        footer: None,
        actions: Vec::new(),
    }
}

/// The card of `/help`.
pub fn help(prefix: &str, moderator: bool) -> Card {
    Card {
        title: "Reading Room commands".into(),
        url: None,
        subtitle: None,
        description: "Read articles together: summaries, quotations, and a discussion per article."
            .into(),
        quote: None,
        fields: commands::leaves()
            .filter(|spec| moderator || !spec.moderator)
            .map(|spec| Field {
                name: spec.usage(prefix),
                value: if spec.moderator {
                    format!("{} (moderators)", spec.description)
                } else {
                    spec.description.to_owned()
                },
            })
            .collect(),
        footer: Some(format!("{prefix}help <command> explains one")),
        actions: Vec::new(),
    }
}

/// The card of `/help <command>`: its arguments, an example, and its subcommands.
pub fn command_help(spec: &CommandSpec, prefix: &str) -> Card {
    let arguments = spec.args.iter().map(|arg| Field {
        name: format!(
            "{}{}",
            arg.name,
            if arg.required { "" } else { " (optional)" }
        ),
        value: arg.description.to_owned(),
    });
    let subcommands = spec.subcommands.iter().map(|sub| Field {
        name: sub.usage(prefix),
        value: if sub.moderator {
            format!("{} (moderators)", sub.description)
        } else {
            sub.description.to_owned()
        },
    });
    let example = (spec.subcommands.is_empty()).then(|| Field {
        name: "Example".to_owned(),
        value: spec.example_line(prefix),
    });
    Card {
        title: spec.usage(prefix),
        url: None,
        subtitle: None,
        description: spec.description.to_owned(),
        quote: None,
        fields: arguments.chain(subcommands).chain(example).collect(),
        footer: spec.moderator.then(|| "Moderators only".to_owned()),
        actions: Vec::new(),
    }
}
