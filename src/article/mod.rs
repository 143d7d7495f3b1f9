//! The text pipeline: plain text or Markdown in, a structured [`Article`] out.
//!
//! Pure and synchronous: no I/O, no clock, no randomness, so it can be tested, fuzzed and
//! benchmarked on its own. Every sentence it reports (summary or quotation) is a verbatim span of
//! one of the article's paragraphs, and carries that paragraph's index.

use serde::{Deserialize, Serialize};

/// Largest input the parser accepts, in bytes. Anything bigger is not an article.
pub const MAX_INPUT_BYTES: usize = 2 * 1024 * 1024;

/// Default number of sentences in an extractive summary.
pub const DEFAULT_SUMMARY_SENTENCES: usize = 3;

/// A parsed article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SummaryKind {
    /// The author's own summary section.
    Provided,
    /// Sentences chosen from the body by the summarizer.
    Extractive,
}

/// A summary: sentences of the article, in article order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Parsing options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Sentences of the extractive summary.
    pub summary_sentences: usize,
    /// The title, when it is known apart from the text.
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

/// How long a summary may be.
#[derive(Debug, Clone, Copy)]
pub enum Length {
    /// This many sentences.
    Sentences(usize),
    /// About this many words, never cutting a sentence.
    Words(usize),
}

/// Parses with default options.
pub fn parse(input: &str) -> Result<Article, ParseError> {
    parse_with(input, &Options::default())
}

/// INTERIM: blocks as paragraphs.
pub fn parse_with(input: &str, opts: &Options) -> Result<Article, ParseError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(ParseError::TooLarge {
            size: input.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    let mut blocks = input
        .split("\n\n")
        .map(|b| b.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|b| !b.is_empty());
    let title = match &opts.title {
        Some(t) => t.clone(),
        None => blocks.next().ok_or(ParseError::Empty)?,
    };
    let paragraphs: Vec<Paragraph> = blocks
        .map(|text| Paragraph {
            section: None,
            text,
        })
        .collect();
    if paragraphs.is_empty() {
        return Err(ParseError::NoBody);
    }
    let mut a = Article {
        title,
        byline: None,
        authors: vec![],
        source: Source::default(),
        published: None,
        paragraphs,
        captions: vec![],
        links: vec![],
        summary: Summary {
            kind: SummaryKind::Extractive,
            sentences: vec![],
        },
        quotes: vec![],
    };
    a.summary.sentences = summarize(&a, Length::Sentences(opts.summary_sentences));
    Ok(a)
}

/// INTERIM: first paragraphs.
pub fn summarize(article: &Article, length: Length) -> Vec<Sentence> {
    let n = match length {
        Length::Sentences(n) => n,
        Length::Words(_) => 3,
    };
    article
        .paragraphs
        .iter()
        .enumerate()
        .take(n)
        .map(|(i, p)| Sentence {
            text: p.text.clone(),
            paragraph: i,
        })
        .collect()
}

/// INTERIM sentence splitter.
pub mod sentences {
    /// Sentence byte ranges.
    pub fn split(text: &str) -> Vec<std::ops::Range<usize>> {
        if text.trim().is_empty() {
            Vec::new()
        } else {
            vec![0..text.len()]
        }
    }
}
