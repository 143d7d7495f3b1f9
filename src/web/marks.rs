//! Where the summary sentences and the quotations stand in an article's paragraphs, as nested
//! pieces of text the page marks up in place, each mark with its anchor.
//!
//! Both are verbatim spans of one paragraph (the pipeline's invariant), so finding them is a
//! substring search in that paragraph. A quotation inside a summary sentence nests in it; two
//! spans that cross are cut at the outer one's end, so the markup always nests.

use crate::article::Article;
use crate::bot::web::{quote_anchor, summary_anchor};

/// What a mark highlights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A summary sentence.
    Summary,
    /// A quotation.
    Quote,
}

/// A piece of a paragraph: plain text, or a highlighted span with its anchor and its inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text outside any mark.
    Text(&'a str),
    /// A highlighted span.
    Mark {
        /// What it is.
        kind: Kind,
        /// Its anchor (`s1`, `q3`).
        anchor: String,
        /// What it holds.
        inside: Vec<Piece<'a>>,
    },
}

#[derive(Debug, Clone)]
struct Span {
    start: usize,
    end: usize,
    kind: Kind,
    anchor: String,
}

/// Every paragraph of `article` as pieces, in order.
pub fn paragraphs(article: &Article) -> Vec<Vec<Piece<'_>>> {
    let mut spans: Vec<Vec<Span>> = vec![Vec::new(); article.paragraphs.len()];
    let mut place = |paragraph: usize, text: &str, kind: Kind, anchor: String| {
        let (Some(list), Some(p)) = (spans.get_mut(paragraph), article.paragraphs.get(paragraph))
        else {
            return;
        };
        if text.is_empty() {
            return;
        }
        // The same words twice in a paragraph: each span takes the next place not yet taken by
        // its kind.
        let mut from = 0;
        while let Some(found) = p.text[from..].find(text) {
            let start = from + found;
            if !list.iter().any(|s| s.kind == kind && s.start == start) {
                list.push(Span {
                    start,
                    end: start + text.len(),
                    kind,
                    anchor,
                });
                return;
            }
            from = start + p.text[start..].chars().next().map_or(1, char::len_utf8);
        }
    };
    for (index, sentence) in article.summary.sentences.iter().enumerate() {
        place(
            sentence.paragraph,
            &sentence.text,
            Kind::Summary,
            summary_anchor(index),
        );
    }
    for (index, quote) in article.quotes.iter().enumerate() {
        place(
            quote.paragraph,
            &quote.text,
            Kind::Quote,
            quote_anchor(index),
        );
    }
    article
        .paragraphs
        .iter()
        .zip(spans)
        .map(|(p, mut list)| {
            // Outer spans first: by start, the longer first, a summary sentence around a
            // quotation of the same words.
            list.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end), s.kind == Kind::Quote));
            nest(&p.text, 0, p.text.len(), list)
        })
        .collect()
}

/// The pieces of `text[lo..hi]` with `spans` (sorted, all inside `lo..hi`) marked.
fn nest(text: &str, lo: usize, hi: usize, spans: Vec<Span>) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut at = lo;
    let mut rest = spans.into_iter().peekable();
    while let Some(mut span) = rest.next() {
        // A span crossing the one before it starts where that one ended.
        span.start = span.start.max(at);
        if span.start >= span.end {
            continue;
        }
        if span.start > at {
            out.push(Piece::Text(&text[at..span.start]));
        }
        let mut inner = Vec::new();
        while let Some(next) = rest.next_if(|next| next.start < span.end) {
            inner.push(Span {
                end: next.end.min(span.end),
                ..next
            });
        }
        out.push(Piece::Mark {
            kind: span.kind,
            anchor: span.anchor,
            inside: nest(text, span.start, span.end, inner),
        });
        at = span.end;
    }
    if at < hi {
        out.push(Piece::Text(&text[at..hi]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{Paragraph, Quote, Sentence};

    fn article(text: &str, summary: &[&str], quotes: &[&str]) -> Article {
        let mut article = Article {
            paragraphs: vec![Paragraph {
                section: None,
                text: text.to_owned(),
            }],
            ..Article::default()
        };
        article.summary.sentences = summary
            .iter()
            .map(|s| Sentence {
                text: (*s).to_owned(),
                paragraph: 0,
            })
            .collect();
        article.quotes = quotes
            .iter()
            .map(|q| Quote {
                text: (*q).to_owned(),
                speaker: None,
                paragraph: 0,
            })
            .collect();
        article
    }

    /// The pieces written back as text with `[s1 …]` marks, to compare.
    fn show(pieces: &[Piece<'_>]) -> String {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => (*t).to_owned(),
                Piece::Mark { anchor, inside, .. } => format!("[{anchor} {}]", show(inside)),
            })
            .collect()
    }

    #[test]
    fn a_quotation_nests_in_its_summary_sentence() {
        let a = article(
            "Intro here. She said “we will win” loudly. The end.",
            &["She said “we will win” loudly."],
            &["we will win"],
        );
        assert_eq!(
            show(&paragraphs(&a)[0]),
            "Intro here. [s1 She said “[q1 we will win]” loudly.] The end."
        );
    }

    #[test]
    fn crossing_spans_are_cut_and_repeated_words_take_the_next_place() {
        let a = article(
            "One two. One two. Three four.",
            &["One two.", "One two."],
            &["two. Three"],
        );
        assert_eq!(
            show(&paragraphs(&a)[0]),
            "[s1 One two.] [s2 One [q1 two.]] Three four."
        );
    }

    #[test]
    fn spans_that_are_not_there_are_left_out() {
        let a = article("Plain text.", &["Not in it."], &[""]);
        assert_eq!(show(&paragraphs(&a)[0]), "Plain text.");
    }
}
