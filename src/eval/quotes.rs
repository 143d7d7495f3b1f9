//! Measuring the quotation extractor against hand labels: precision, recall and speaker
//! accuracy of [`crate::article::Quote`]s on corpus articles. Used by `readingroom eval
//! --quotes`; pure (no I/O), so the caller reads the corpus and the label file.
//!
//! # Labels
//! One JSON object a line, `{"id", "quotes": [{"start", "end", "speaker"}]}`: `start..end` are
//! Unicode code point offsets into the article's `text` (the words inside the quotation marks)
//! and `speaker` a name or `null`.
//!
//! # Locating our quotations
//! A [`crate::article::Quote`] carries its text, normalised the way the parser normalises a
//! paragraph (white space folded, entities decoded, emphasis markers dropped). Each one is
//! looked up in the raw text with white space folded on both sides, first at or after the end
//! of the previous quotation's match, then anywhere; failing that, on letters and digits alone
//! (lower-cased). A quotation that still cannot be found counts as a wrong prediction and is
//! reported in [`QuoteReport::unlocated`].
//!
//! # Matching
//! Pairs are one-to-one.
//! * **Lenient**: a predicted and a gold span match when they overlap by at least half the
//!   length of the longer of the two; pairs are taken greedily, largest overlap first.
//! * **Strict**: the two spans are equal once white space and punctuation are trimmed from both
//!   ends (so a comma or full stop left inside the marks does not matter).
//!
//! Precision = matched predicted / predicted, recall = matched gold / gold, speaker accuracy =
//! the share of matched pairs whose speakers agree ([`same_speaker`]).

use serde::Deserialize;

use crate::article::{self, Options};
use crate::eval::Entry;

/// One labelled quotation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoldQuote {
    /// First code point inside the quotation marks.
    pub start: usize,
    /// One past the last code point inside the marks.
    pub end: usize,
    /// Who said it, or `None` where the text does not say.
    #[serde(default)]
    pub speaker: Option<String>,
}

/// The labels of one article.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Labels {
    /// The corpus entry's id.
    pub id: String,
    /// Every quotation in the article.
    pub quotes: Vec<GoldQuote>,
}

/// Reads a labels file: one [`Labels`] object a line, blank lines ignored.
pub fn parse_labels(jsonl: &str) -> Result<Vec<Labels>, serde_json::Error> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect()
}

/// A quotation we found, placed in the raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predicted {
    /// Code point range in the raw text, `None` where it could not be located.
    pub span: Option<(usize, usize)>,
    /// The quotation as the extractor gave it.
    pub text: String,
    /// Its speaker.
    pub speaker: Option<String>,
}

/// One matched pair: indices into [`ArticleQuotes::predicted`] and [`ArticleQuotes::gold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// Index of the predicted quotation.
    pub predicted: usize,
    /// Index of the gold quotation.
    pub gold: usize,
    /// Whether the speakers agree.
    pub speaker_right: bool,
}

/// What happened on one article, for inspection.
#[derive(Debug, Clone)]
pub struct ArticleQuotes {
    /// The article's id.
    pub id: String,
    /// Our quotations, in order.
    pub predicted: Vec<Predicted>,
    /// The gold quotations.
    pub gold: Vec<GoldQuote>,
    /// Lenient pairs.
    pub lenient: Vec<Pair>,
    /// Strict pairs.
    pub strict: Vec<Pair>,
}

/// Scores under one matching rule.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    /// Predicted quotations that matched a gold one.
    pub matched_predicted: usize,
    /// Gold quotations that matched a predicted one.
    pub matched_gold: usize,
    /// Matched pairs whose speakers agree.
    pub speaker_right: usize,
    /// matched predicted / predicted (1 when nothing was predicted).
    pub precision: f64,
    /// matched gold / gold (1 when there is no gold quotation).
    pub recall: f64,
    /// speaker right / matched pairs (1 when nothing matched).
    pub speaker_accuracy: f64,
}

/// The measurement over all labelled articles.
#[derive(Debug, Clone)]
pub struct QuoteReport {
    /// Labelled articles found among the entries.
    pub articles: usize,
    /// Our quotations in those articles.
    pub predicted: usize,
    /// Gold quotations in those articles.
    pub gold: usize,
    /// Our quotations that could not be located in the raw text.
    pub unlocated: usize,
    /// Overlap of at least half the longer span.
    pub lenient: Score,
    /// Equal spans after trimming white space and punctuation.
    pub strict: Score,
    /// Per article, in label order.
    pub details: Vec<ArticleQuotes>,
}

/// Runs the pipeline on every entry that has labels and scores its quotations. Labels whose id
/// is not among `entries` are skipped.
pub fn evaluate(entries: &[Entry], labels: &[Labels]) -> QuoteReport {
    let mut details = Vec::with_capacity(labels.len());
    for label in labels {
        let Some(entry) = entries.iter().find(|e| e.id == label.id) else {
            continue;
        };
        let options = Options {
            title: Some(entry.title.clone()),
            ..Options::default()
        };
        let quotes = article::parse_with(&entry.text, &options)
            .map(|a| a.quotes)
            .unwrap_or_default();
        let raw: Vec<char> = entry.text.chars().collect();
        let predicted = place(&raw, &quotes);
        let lenient = match_lenient(&predicted, &label.quotes);
        let strict = match_strict(&raw, &predicted, &label.quotes);
        details.push(ArticleQuotes {
            id: label.id.clone(),
            predicted,
            gold: label.quotes.clone(),
            lenient,
            strict,
        });
    }
    let predicted: usize = details.iter().map(|d| d.predicted.len()).sum();
    let gold: usize = details.iter().map(|d| d.gold.len()).sum();
    let unlocated = details
        .iter()
        .flat_map(|d| &d.predicted)
        .filter(|p| p.span.is_none())
        .count();
    let lenient = score(&details, predicted, gold, |d| &d.lenient);
    let strict = score(&details, predicted, gold, |d| &d.strict);
    QuoteReport {
        articles: details.len(),
        predicted,
        gold,
        unlocated,
        lenient,
        strict,
        details,
    }
}

/// The report as a short plain-text table.
pub fn table(report: &QuoteReport) -> String {
    let mut out = format!(
        "quotes: {} articles, {} predicted ({} not located), {} gold\n",
        report.articles, report.predicted, report.unlocated, report.gold
    );
    out.push_str(&format!(
        "{:<8} {:>9} {:>7} {:>8}\n",
        "match", "precision", "recall", "speaker"
    ));
    for (name, s) in [("strict", &report.strict), ("lenient", &report.lenient)] {
        out.push_str(&format!(
            "{:<8} {:>9.3} {:>7.3} {:>8.3}\n",
            name, s.precision, s.recall, s.speaker_accuracy
        ));
    }
    out
}

fn score(
    details: &[ArticleQuotes],
    predicted: usize,
    gold: usize,
    pairs: impl Fn(&ArticleQuotes) -> &Vec<Pair>,
) -> Score {
    let matched: usize = details.iter().map(|d| pairs(d).len()).sum();
    let speaker_right = details
        .iter()
        .flat_map(|d| pairs(d).iter())
        .filter(|p| p.speaker_right)
        .count();
    let ratio = |n: usize, d: usize| if d == 0 { 1.0 } else { n as f64 / d as f64 };
    Score {
        matched_predicted: matched,
        matched_gold: matched,
        speaker_right,
        precision: ratio(matched, predicted),
        recall: ratio(matched, gold),
        speaker_accuracy: ratio(speaker_right, matched),
    }
}

/// Whether a predicted speaker agrees with a gold one: both absent, or both present and equal
/// (case-insensitive), or one of them contains the other's last word as a word ("Pat" and "Pat
/// Ingles", "Mr Keita" and "Keita"). An absent gold speaker matches only an absent prediction.
pub fn same_speaker(predicted: Option<&str>, gold: Option<&str>) -> bool {
    match (predicted, gold) {
        (None, None) => true,
        (Some(p), Some(g)) => {
            let (p, g) = (name_words(p), name_words(g));
            if p.is_empty() || g.is_empty() {
                return p == g;
            }
            p == g
                || p.last().is_some_and(|last| g.contains(last))
                || g.last().is_some_and(|last| p.contains(last))
        }
        _ => false,
    }
}

/// Lower-cased words of a name, punctuation around each word dropped.
fn name_words(name: &str) -> Vec<String> {
    name.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Places each quotation in the raw text (see the module docs).
fn place(raw: &[char], quotes: &[article::Quote]) -> Vec<Predicted> {
    let folded = Folded::new(raw, |c| Some(if c.is_whitespace() { ' ' } else { c }), true);
    let alnum = Folded::new(
        raw,
        |c| {
            c.is_alphanumeric()
                .then(|| c.to_lowercase().next().unwrap_or(c))
        },
        false,
    );
    let mut cursor = 0;
    let mut out = Vec::with_capacity(quotes.len());
    for q in quotes {
        let qchars: Vec<char> = q.text.chars().collect();
        let span = folded
            .find(&qchars, cursor)
            .or_else(|| folded.find(&qchars, 0))
            .or_else(|| alnum.find(&qchars, cursor))
            .or_else(|| alnum.find(&qchars, 0));
        if let Some((_, end)) = span {
            cursor = end;
        }
        out.push(Predicted {
            span,
            text: q.text.clone(),
            speaker: q.speaker.clone(),
        });
    }
    out
}

/// The raw text mapped through a per-character fold, with each kept character's code point
/// offset in the raw text.
struct Folded {
    chars: Vec<char>,
    at: Vec<usize>,
    map: fn(char) -> Option<char>,
    squeeze: bool,
}

impl Folded {
    fn new(raw: &[char], map: fn(char) -> Option<char>, squeeze_spaces: bool) -> Self {
        let mut chars = Vec::with_capacity(raw.len());
        let mut at = Vec::with_capacity(raw.len());
        for (i, &c) in raw.iter().enumerate() {
            let Some(m) = map(c) else { continue };
            if squeeze_spaces && m == ' ' && chars.last().is_none_or(|&l| l == ' ') {
                continue;
            }
            chars.push(m);
            at.push(i);
        }
        Folded {
            chars,
            at,
            map,
            squeeze: squeeze_spaces,
        }
    }

    /// The raw code point range of the first occurrence of `needle` (folded the same way)
    /// starting at or after raw offset `from`.
    fn find(&self, needle: &[char], from: usize) -> Option<(usize, usize)> {
        let mut n: Vec<char> = Vec::with_capacity(needle.len());
        for &c in needle {
            let Some(m) = (self.map)(c) else { continue };
            if self.squeeze && m == ' ' && n.last().is_none_or(|&l| l == ' ') {
                continue;
            }
            n.push(m);
        }
        while n.last() == Some(&' ') {
            n.pop();
        }
        if n.is_empty() || n.len() > self.chars.len() {
            return None;
        }
        let first = self.at.partition_point(|&a| a < from);
        (first..=self.chars.len() - n.len())
            .find(|&i| self.chars[i..i + n.len()] == n[..])
            .map(|i| (self.at[i], self.at[i + n.len() - 1] + 1))
    }
}

/// Lenient one-to-one pairs: overlap of at least half the longer span, largest overlap first.
fn match_lenient(predicted: &[Predicted], gold: &[GoldQuote]) -> Vec<Pair> {
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for (pi, p) in predicted.iter().enumerate() {
        let Some((ps, pe)) = p.span else { continue };
        for (gi, g) in gold.iter().enumerate() {
            let overlap = pe.min(g.end).saturating_sub(ps.max(g.start));
            let longer = (pe - ps).max(g.end.saturating_sub(g.start));
            if overlap > 0 && 2 * overlap >= longer {
                candidates.push((overlap, pi, gi));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut used_p = vec![false; predicted.len()];
    let mut used_g = vec![false; gold.len()];
    let mut pairs = Vec::new();
    for (_, pi, gi) in candidates {
        if used_p[pi] || used_g[gi] {
            continue;
        }
        used_p[pi] = true;
        used_g[gi] = true;
        pairs.push(pair(predicted, gold, pi, gi));
    }
    pairs.sort_by_key(|p| p.predicted);
    pairs
}

/// Strict one-to-one pairs: equal spans once white space and punctuation are trimmed.
fn match_strict(raw: &[char], predicted: &[Predicted], gold: &[GoldQuote]) -> Vec<Pair> {
    let mut used_g = vec![false; gold.len()];
    let mut pairs = Vec::new();
    for (pi, p) in predicted.iter().enumerate() {
        let Some((ps, pe)) = p.span else { continue };
        let pt = trim_span(raw, ps, pe);
        if pt.0 >= pt.1 {
            continue;
        }
        let hit = gold
            .iter()
            .enumerate()
            .find(|(gi, g)| !used_g[*gi] && trim_span(raw, g.start, g.end) == pt);
        if let Some((gi, _)) = hit {
            used_g[gi] = true;
            pairs.push(pair(predicted, gold, pi, gi));
        }
    }
    pairs
}

fn pair(predicted: &[Predicted], gold: &[GoldQuote], pi: usize, gi: usize) -> Pair {
    Pair {
        predicted: pi,
        gold: gi,
        speaker_right: same_speaker(
            predicted[pi].speaker.as_deref(),
            gold[gi].speaker.as_deref(),
        ),
    }
}

/// `start..end` without white space and punctuation at either end.
fn trim_span(raw: &[char], mut start: usize, mut end: usize) -> (usize, usize) {
    end = end.min(raw.len());
    while start < end && !raw[start].is_alphanumeric() {
        start += 1;
    }
    while end > start && !raw[end - 1].is_alphanumeric() {
        end -= 1;
    }
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, text: &str) -> Entry {
        Entry {
            id: id.into(),
            title: "Mill to be rebuilt".into(),
            text: text.into(),
            reference: String::new(),
            source: "test".into(),
        }
    }

    /// The code point range of `needle` in `text`.
    fn cp_span(text: &str, needle: &str) -> (usize, usize) {
        let byte = text.find(needle).unwrap_or_else(|| panic!("{needle:?}"));
        let start = text[..byte].chars().count();
        (start, start + needle.chars().count())
    }

    fn gold(text: &str, needle: &str, speaker: Option<&str>) -> GoldQuote {
        let (start, end) = cp_span(text, needle);
        GoldQuote {
            start,
            end,
            speaker: speaker.map(str::to_string),
        }
    }

    #[test]
    fn speakers_agree_on_surnames_and_case() {
        assert!(same_speaker(Some("Pat"), Some("Pat Ingles")));
        assert!(same_speaker(Some("Mr Keita"), Some("Keita")));
        assert!(same_speaker(Some("ADA QUILL"), Some("Ada Quill")));
        assert!(same_speaker(
            Some("A spokesman for the council"),
            Some("a spokesman for the council")
        ));
        assert!(same_speaker(None, None));
        assert!(!same_speaker(Some("Ada Quill"), None));
        assert!(!same_speaker(None, Some("Ada Quill")));
        assert!(!same_speaker(Some("Ingles"), Some("Pat")));
        assert!(!same_speaker(Some("Ann"), Some("Joanne Smith")));
    }

    #[test]
    fn quotations_are_placed_through_folded_white_space() {
        let raw: Vec<char> = "Ada Quill said: \"We will  rebuild\nthe mill.\" Then she left."
            .chars()
            .collect();
        let quotes = vec![article::Quote {
            text: "We will rebuild the mill.".into(),
            speaker: Some("Ada Quill".into()),
            paragraph: 0,
        }];
        let placed = place(&raw, &quotes);
        assert_eq!(placed[0].span, Some((17, 43)));
        let missing = vec![article::Quote {
            text: "Nothing like this".into(),
            speaker: None,
            paragraph: 0,
        }];
        assert_eq!(place(&raw, &missing)[0].span, None);
    }

    #[test]
    fn lenient_and_strict_matching() {
        let raw: Vec<char> = "He said: \"one two three four five six.\" And more."
            .chars()
            .collect();
        let g = vec![GoldQuote {
            start: 10,
            end: 38,
            speaker: Some("He".into()),
        }];
        let p = |s, e| Predicted {
            span: Some((s, e)),
            text: String::new(),
            speaker: None,
        };
        // Same words, the full stop left out: strict and lenient.
        assert_eq!(match_strict(&raw, &[p(10, 37)], &g).len(), 1);
        assert_eq!(match_lenient(&[p(10, 37)], &g).len(), 1);
        // Half the words: lenient only at >= 50% of the longer span.
        assert!(match_strict(&raw, &[p(10, 24)], &g).is_empty());
        assert_eq!(match_lenient(&[p(10, 24)], &g).len(), 1);
        assert!(match_lenient(&[p(10, 18)], &g).is_empty());
        // One to one: a second prediction over the same gold span does not match.
        assert_eq!(match_lenient(&[p(10, 38), p(10, 37)], &g).len(), 1);
    }

    #[test]
    fn evaluates_a_labelled_article() {
        let text = "Ada Quill said: \"We will rebuild the mill before the winter comes.\"\n\n\
                    The council met on Monday to discuss the cost of the work.\n\n\
                    \"It will cost more than anyone thinks,\" said Bo Lind, the treasurer.";
        let entries = vec![entry("a1", text), entry("other", "Nothing here.")];
        let labels = vec![Labels {
            id: "a1".into(),
            quotes: vec![
                gold(
                    text,
                    "We will rebuild the mill before the winter comes.",
                    Some("Ada Quill"),
                ),
                gold(text, "It will cost more than anyone thinks,", Some("Quill")),
            ],
        }];
        let r = evaluate(&entries, &labels);
        assert_eq!((r.articles, r.predicted, r.gold, r.unlocated), (1, 2, 2, 0));
        assert_eq!(r.strict.matched_predicted, 2);
        assert!((r.strict.precision - 1.0).abs() < 1e-9);
        assert!((r.lenient.recall - 1.0).abs() < 1e-9);
        // The second gold speaker is wrong on purpose: Bo Lind said it.
        assert!((r.lenient.speaker_accuracy - 0.5).abs() < 1e-9);
        assert!(table(&r).contains("lenient"));
    }

    #[test]
    fn labels_parse_and_empty_inputs_score_one() {
        let labels = parse_labels(
            "{\"id\":\"x\",\"quotes\":[{\"start\":1,\"end\":4,\"speaker\":null}]}\n\n\
             {\"id\":\"y\",\"quotes\":[]}\n",
        )
        .expect("valid labels");
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0].quotes[0].speaker, None);
        assert!(parse_labels("{not json").is_err());
        let r = evaluate(&[], &labels);
        assert_eq!(r.articles, 0);
        assert!((r.lenient.precision - 1.0).abs() < 1e-9);
    }
}
