//! What the bot core answers: platform-neutral replies that each platform renders natively
//! (Discord embeds and buttons, Matrix HTML, console text).

use crate::store::ArticleId;

/// A reply to a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// What to show.
    pub body: Body,
    /// Show it to the caller only, where the platform can.
    pub ephemeral: bool,
    /// Something the platform should do besides showing the reply.
    pub effect: Option<Effect>,
    /// Better left unsaid where the platform may stay silent (a repeated cooldown notice):
    /// Matrix sends nothing; Discord, which must answer an interaction, answers ephemerally.
    pub quiet: bool,
}

/// The shown part of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A plain message.
    Text(String),
    /// A rich card.
    Card(Card),
    /// A problem with the user's request (shown ephemerally where possible).
    Error(String),
    /// A document to hand over as a file.
    File {
        /// Its file name.
        name: String,
        /// Its contents.
        content: String,
        /// A line to show with it.
        caption: String,
    },
}

/// A rich reply: a title (linked where there is a link), a line under it, a body, named fields,
/// a footer and buttons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Card {
    /// The heading.
    pub title: String,
    /// Where the heading links to.
    pub url: Option<String>,
    /// A line under the title (authors, outlet, date).
    pub subtitle: Option<String>,
    /// The main text.
    pub description: String,
    /// A quotation to set off (the article's key quotation).
    pub quote: Option<Quoted>,
    /// Named sections.
    pub fields: Vec<Field>,
    /// A small closing line.
    pub footer: Option<String>,
    /// Follow-up actions (buttons on Discord).
    pub actions: Vec<Action>,
}

/// A quotation and who said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted {
    /// The words (possibly cut to fit, marked with "…").
    pub text: String,
    /// The speaker.
    pub speaker: Option<String>,
}

impl Quoted {
    /// `“words” — speaker`.
    pub fn line(&self) -> String {
        match &self.speaker {
            Some(speaker) => format!("“{}” — {speaker}", self.text),
            None => format!("“{}”", self.text),
        }
    }
}

/// A named section of a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Its name.
    pub name: String,
    /// Its text.
    pub value: String,
}

/// A follow-up a reader can take from a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open the article's discussion.
    Discuss(ArticleId),
    /// Another quotation from the article.
    AnotherQuote(ArticleId),
    /// The article's whole summary.
    FullSummary(ArticleId),
    /// Go ahead with `/forget-me`.
    ConfirmForget,
}

impl Action {
    /// The button label.
    pub fn label(&self) -> &'static str {
        match self {
            Action::Discuss(_) => "Discuss",
            Action::AnotherQuote(_) => "Another quote",
            Action::FullSummary(_) => "Full summary",
            Action::ConfirmForget => "Yes, forget me",
        }
    }
}

/// Work for the platform after a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The article's discussion in this channel is open: the platform opens a thread for it
    /// when `thread_ref` is `None` (and reports it back), or links the existing one.
    Discussion {
        /// The discussion's row id.
        discussion_id: i64,
        /// The article.
        article_id: ArticleId,
        /// The platform thread already carrying it.
        thread_ref: Option<String>,
    },
}

impl Reply {
    /// A plain public message.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            body: Body::Text(text.into()),
            ephemeral: false,
            effect: None,
            quiet: false,
        }
    }

    /// A public card.
    pub fn card(card: Card) -> Self {
        Self {
            body: Body::Card(card),
            ephemeral: false,
            effect: None,
            quiet: false,
        }
    }

    /// An error for the caller's eyes.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            body: Body::Error(text.into()),
            ephemeral: true,
            effect: None,
            quiet: false,
        }
    }

    /// The same reply, marked [`Reply::quiet`].
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// The same reply, for the caller only.
    pub fn ephemeral(mut self) -> Self {
        self.ephemeral = true;
        self
    }

    /// The same reply with an effect.
    pub fn with_effect(mut self, effect: Effect) -> Self {
        self.effect = Some(effect);
        self
    }
}

/// Cuts `text` to at most `max` characters, at the end of a sentence if one ends in the last
/// third, else at a word boundary, and marks the cut with "…". Never cuts inside a word.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let budget = max.saturating_sub(1);
    let end = text
        .char_indices()
        .nth(budget)
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    let sentence_end = head
        .char_indices()
        .filter(|&(i, c)| {
            matches!(c, '.' | '!' | '?')
                && head[i + c.len_utf8()..].starts_with(char::is_whitespace)
        })
        .map(|(i, c)| i + c.len_utf8())
        .next_back()
        .filter(|&i| i * 3 >= head.len() * 2);
    if let Some(i) = sentence_end {
        return format!("{} …", head[..i].trim_end());
    }
    // The cut lands inside a word unless the next character is white space.
    let next_is_space = text[end..].starts_with(char::is_whitespace);
    let cut = if next_is_space {
        head.len()
    } else {
        head.rfind(char::is_whitespace).unwrap_or(0)
    };
    let kept = head[..cut].trim_end();
    if kept.is_empty() {
        // A single word longer than the budget: cut it on a character boundary.
        return format!("{head}…");
    }
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncate_keeps_short_text() {
        assert_eq!(truncate("short one.", 20), "short one.");
    }

    #[test]
    fn truncate_prefers_sentence_then_word_boundaries() {
        let text = "First sentence here. Second sentence is longer than that.";
        assert_eq!(truncate(text, 30), "First sentence here. …");
        assert_eq!(truncate("alpha beta gamma delta", 14), "alpha beta…");
        assert_eq!(truncate("alpha beta gamma", 11), "alpha beta…");
        assert_eq!(truncate("abcdefghijkl", 5), "abcd…");
    }

    #[test]
    fn truncate_respects_the_limit_in_characters() {
        let text = "ééé ééé ééé ééé ééé";
        let out = truncate(text, 9);
        assert!(out.chars().count() <= 9, "{out}");
        assert_eq!(out, "ééé ééé…");
    }
}
