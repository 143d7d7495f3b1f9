//! The text pipeline: plain text or Markdown in, a structured [`Article`] out.
//!
//! Pure and synchronous: no I/O, no clock, no randomness, so it can be tested, fuzzed and
//! benchmarked on its own. Every sentence it reports (summary or quotation) is a verbatim span of
//! one of the article's paragraphs, and carries that paragraph's index.
//!
//! Layout: [`parse_with`] runs the `parse` submodule (structure: title, metadata, sections,
//! captions, links, paragraphs), then [`summarize()`] (extractive summary, unless the author
//! wrote one) and `quotes` (quotation spans) with `speakers` (who said them).
//! [`sentences::split`] is the sentence splitter they share. `inline`, `meta` and `shape` hold
//! the smaller recognisers the parser uses, `lexicon` the word lists several of them share, and
//! `html` the front end for web pages.

use serde::{Deserialize, Serialize};

pub mod html;
mod inline;
mod lexicon;
mod meta;
mod parse;
mod quotes;
pub mod sentences;
mod shape;
mod speakers;
mod summarize;

#[cfg(test)]
mod tests;

pub use summarize::{Weights, summarize, summarize_with};

/// Largest input the parser accepts, in bytes. Anything bigger is not an article.
pub const MAX_INPUT_BYTES: usize = 2 * 1024 * 1024;

/// Default number of sentences in an extractive summary.
pub const DEFAULT_SUMMARY_SENTENCES: usize = 3;

/// A parsed article. The default one is empty, with an empty extractive summary: what the
/// structural pass fills in before the summary and the quotations are found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// The headline.
    pub title: String,
    /// Who posted it ("Posted by ..."), when the text names them.
    pub byline: Option<String>,
    /// The original authors, where a repost names them.
    pub authors: Vec<String>,
    /// The outlet the article comes from.
    pub source: Source,
    /// Publication date as written in ISO 8601 (`YYYY-MM-DD`), when known.
    pub published: Option<String>,
    /// Body paragraphs in order, hard wraps rejoined and Markdown reduced to text.
    pub paragraphs: Vec<Paragraph>,
    /// Image captions, kept out of the body.
    pub captions: Vec<String>,
    /// Every link the text carried, in order of appearance.
    pub links: Vec<Link>,
    /// The author's summary where the article has one, else an extractive one.
    pub summary: Summary,
    /// Direct quotations, in order of appearance.
    pub quotes: Vec<Quote>,
}

/// The outlet an article comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The outlet's name.
    pub name: Option<String>,
    /// The outlet's or the article's address.
    pub url: Option<String>,
}

/// One body paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paragraph {
    /// The heading of the section this paragraph belongs to.
    pub section: Option<String>,
    /// The paragraph's text.
    pub text: String,
}

/// A link found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The link text, as it stands in the body.
    pub text: String,
    /// The target, as written.
    pub url: String,
}

/// Where a summary comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SummaryKind {
    /// The author's own summary section.
    Provided,
    /// Sentences chosen from the body by the summarizer.
    #[default]
    Extractive,
}

/// A summary: sentences of the article, in article order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Provided or extractive.
    pub kind: SummaryKind,
    /// The sentences, verbatim.
    pub sentences: Vec<Sentence>,
}

/// A verbatim sentence with the index of the paragraph it stands in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    /// The sentence text, a span of `paragraphs[paragraph].text`.
    pub text: String,
    /// Index into [`Article::paragraphs`].
    pub paragraph: usize,
}

/// A direct quotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The quoted words without the quotation marks, a span of `paragraphs[paragraph].text`.
    pub text: String,
    /// Who said it, as the text names them.
    pub speaker: Option<String>,
    /// Index into [`Article::paragraphs`].
    pub paragraph: usize,
}

/// Why a text could not be made into an article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but white space.
    #[error("the text is empty")]
    Empty,
    /// Bigger than [`MAX_INPUT_BYTES`].
    #[error("the text is {size} bytes; articles are limited to {limit} bytes")]
    TooLarge {
        /// The input's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A title but no body text.
    #[error("the text has a title but no body paragraphs")]
    NoBody,
}

/// How to parse an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Sentences in the extractive summary, when the article has no summary of its own.
    pub summary_sentences: usize,
    /// The headline, when it is known from elsewhere (a feed entry, a page title). The input is
    /// then body only, and its first line is not taken as the title.
    pub title: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            summary_sentences: DEFAULT_SUMMARY_SENTENCES,
            title: None,
        }
    }
}

/// How long an extractive summary should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// At most this many sentences.
    Sentences(usize),
    /// At most this many words, counted on white space, without cutting a sentence; at least one
    /// sentence whenever the article has one.
    Words(usize),
}

/// Parses `input` with the default [`Options`]: the first non-blank line is the title.
pub fn parse(input: &str) -> Result<Article, ParseError> {
    parse_with(input, &Options::default())
}

/// Parses `input` (plain text or Markdown) into an [`Article`].
///
/// Fails with [`ParseError::TooLarge`] above [`MAX_INPUT_BYTES`] (checked before anything
/// else), [`ParseError::Empty`] for blank input and [`ParseError::NoBody`] when nothing is left
/// for the body once the title, metadata, headings, captions and boilerplate are taken out.
pub fn parse_with(input: &str, opts: &Options) -> Result<Article, ParseError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(ParseError::TooLarge {
            size: input.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    if input.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let mut article = parse::parse(input, opts.title.as_deref());
    if article.paragraphs.is_empty() {
        return Err(ParseError::NoBody);
    }
    // Split once; the summary and the quotation finder share the sentence ranges.
    let ranges: Vec<Vec<std::ops::Range<usize>>> = article
        .paragraphs
        .iter()
        .map(|p| sentences::split(&p.text))
        .collect();
    let provided = provided_summary(&article.paragraphs, &ranges);
    article.summary = if provided.is_empty() {
        Summary {
            kind: SummaryKind::Extractive,
            sentences: summarize::summarize_split(
                &article,
                &ranges,
                Length::Sentences(opts.summary_sentences),
                &Weights::default(),
            ),
        }
    } else {
        Summary {
            kind: SummaryKind::Provided,
            sentences: provided,
        }
    };
    article.quotes = quotes::extract(&article.paragraphs, &ranges);
    Ok(article)
}

/// Every sentence of the paragraphs under the author's own summary heading.
fn provided_summary(
    paragraphs: &[Paragraph],
    ranges: &[Vec<std::ops::Range<usize>>],
) -> Vec<Sentence> {
    let mut out = Vec::new();
    for (i, (p, rs)) in paragraphs.iter().zip(ranges).enumerate() {
        if p.section.as_deref().is_some_and(shape::is_summary_heading) {
            for r in rs {
                out.push(Sentence {
                    text: p.text[r.clone()].to_string(),
                    paragraph: i,
                });
            }
        }
    }
    out
}
