//! Direct quotations and who said them.
//!
//! Quotation marks are found by their position (an opening mark stands at a word start, a
//! closing mark after a word), matched in order with the marks of the other family ignored while
//! a quotation is open, so nested quotes and apostrophes do not end the outer quotation. Spans
//! that are too short to be speech (scare quotes, terms, titles) are dropped unless a speech verb
//! stands right next to them. The speaker is the subject next to a speech verb in the same
//! sentence; a pronoun is resolved to the most recent name before it.

use std::ops::Range;

use super::sentences;
use super::speakers::{Attribution, Who, attribute, resolve_pronoun, sentence_of};
use super::{Paragraph, Quote};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Double,
    Single,
}

#[derive(Debug, Clone, Copy)]
struct Mark {
    at: usize,
    len: usize,
    family: Family,
    can_open: bool,
    can_close: bool,
    straight: bool,
}

/// A quotation span inside one paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    /// Byte offset of the opening mark.
    open: usize,
    /// The quoted words, marks excluded.
    inner: Range<usize>,
    /// Byte offset just past the closing mark, when there is one.
    close: Option<usize>,
    /// Opened while another quotation of the same family was still open (Daily Mail style
    /// multi-paragraph speech run together): the same speaker goes on.
    continuation: bool,
}

/// Finds the quotations of every paragraph, in order, with their speakers. `ranges` holds the
/// sentence ranges of each paragraph.
pub(crate) fn extract(paragraphs: &[Paragraph], ranges: &[Vec<Range<usize>>]) -> Vec<Quote> {
    let mut out = Vec::new();
    let mut last_speaker: Option<(usize, usize, String)> = None;
    // The previous paragraph's last quotation ran to its end: a quotation opening the next
    // paragraph is the same speech going on.
    let mut open_run: Option<String> = None;
    for (pi, para) in paragraphs.iter().enumerate() {
        let text = para.text.as_str();
        let sents = ranges.get(pi).map_or(&[][..], Vec::as_slice);
        let spans = spans(text, sents);
        if spans.is_empty() {
            open_run = None;
            continue;
        }
        let mut prev_speaker: Option<String> = None;
        let mut next_run = None;
        for span in &spans {
            let inner = &text[span.inner.clone()];
            let attribution = attribute(text, span.open, span.close, sents);
            let adjacent = attribution.as_ref().is_some_and(|a| a.adjacent);
            if !is_quotation(inner, adjacent) {
                // A scare-quoted word still tells who was speaking just then ("The director
                // said he was 'thrilled'"), for a pronoun later on.
                if let Some(Attribution {
                    who: Who::Name(n), ..
                }) = attribution
                {
                    last_speaker = Some((pi, span.open, n));
                }
                continue;
            }
            let speaker = match attribution {
                Some(a) => match a.who {
                    Who::Name(n) => Some(n),
                    Who::Pronoun => resolve_pronoun(paragraphs, pi, span.open, &last_speaker),
                    Who::Unknown => None,
                },
                None if span.continuation => prev_speaker.clone(),
                None if span.open == 0 => open_run.clone().or_else(|| prev_speaker.clone()),
                // A further quotation opening a sentence of the same paragraph, with no
                // attribution of its own, goes on with the last speaker.
                None if after_sentence_end(&text[..span.open]) => prev_speaker.clone(),
                None => None,
            };
            if let Some(s) = &speaker {
                last_speaker = Some((pi, span.open, s.clone()));
            }
            prev_speaker.clone_from(&speaker);
            // Speech that runs to the paragraph's end (unclosed, or closed with only its
            // attribution after it) may go on in the next paragraph.
            next_run = match span.close {
                None => speaker.clone(),
                Some(close) if text.len() - close < 120 => speaker.clone(),
                Some(_) => None,
            };
            out.push(Quote {
                text: inner.to_string(),
                speaker,
                paragraph: pi,
            });
        }
        open_run = next_run;
    }
    out
}

/// Quotation marks of `text` with what their neighbours allow them to be.
fn marks(text: &str, possessives: &mut Vec<usize>) -> Vec<Mark> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let (family, len, straight, curly_open) = match b {
            b'"' => (Family::Double, 1, true, None),
            b'\'' => (Family::Single, 1, true, None),
            0xE2 => match bytes.get(i + 1..i + 3) {
                Some([0x80, 0x9C]) => (Family::Double, 3, false, Some(true)),
                Some([0x80, 0x9D]) => (Family::Double, 3, false, Some(false)),
                Some([0x80, 0x98]) => (Family::Single, 3, false, Some(true)),
                Some([0x80, 0x99]) => (Family::Single, 3, false, Some(false)),
                _ => continue,
            },
            _ => continue,
        };
        let prev = text[..i].chars().next_back();
        let next = text[i + len..].chars().next();
        let after_next = text[i + len..].chars().nth(1);
        // Scraped text sometimes detaches a closing mark: "was planned, ' said Murray".
        let detached = prev.is_some_and(char::is_whitespace)
            && text[..i].trim_end().ends_with([',', '.', '!', '?'])
            && next.is_none_or(char::is_whitespace);
        let possessive_like =
            family == Family::Single && curly_open != Some(true) && possessive(text, i, len, prev);
        if possessive_like && closes(prev, next) {
            possessives.push(i);
        }
        let (can_open, can_close) = match curly_open {
            Some(true) => (next.is_some_and(|c| !c.is_whitespace()), false),
            Some(false) if family == Family::Double => (false, true),
            Some(false) => (false, (closes(prev, next) || detached) && !possessive_like),
            None => {
                let open = opens(prev, next)
                    && (family == Family::Double || !elision(&text[i + len..]))
                    && (family == Family::Double
                        || next.is_some_and(|c| c.is_alphanumeric() || is_quote_char(c))
                        || (next == Some('.') && after_next == Some('.')));
                let close = (closes(prev, next) || detached) && !possessive_like;
                (open, close)
            }
        };
        if can_open || can_close || (straight && family == Family::Single && prev == Some(':')) {
            out.push(Mark {
                at: i,
                len,
                family,
                can_open,
                can_close,
                straight,
            });
        }
    }
    out
}

fn is_quote_char(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’')
}

fn opens(prev: Option<char>, next: Option<char>) -> bool {
    let prev_ok = prev.is_none_or(|c| {
        c.is_whitespace()
            || matches!(c, '(' | '[' | '{' | '—' | '–' | '-' | ':' | '/')
            || is_quote_char(c)
    });
    prev_ok && next.is_some_and(|c| !c.is_whitespace())
}

fn closes(prev: Option<char>, next: Option<char>) -> bool {
    let prev_ok = prev.is_some_and(|c| !c.is_whitespace());
    prev_ok
        && next.is_none_or(|c| {
            c.is_whitespace()
                || matches!(
                    c,
                    ',' | '.' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '—' | '–' | '-' | '…'
                )
                || is_quote_char(c)
        })
}

/// `'em`, `'n'`, `'til`, `'90s`: apostrophes at a word start that open nothing.
fn elision(after: &str) -> bool {
    let word: &str = after
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    let lower = word.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "em" | "n" | "til" | "cause" | "tis" | "twas" | "bout" | "round" | "s"
    ) {
        return true;
    }
    // '90s, '60s
    let b = word.as_bytes();
    b.len() == 3 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b's'
}

/// `players' union`: a plural possessive, not a closing mark. The word after it is a noun in
/// lower case; after a real closing mark come attribution words or punctuation.
fn possessive(text: &str, at: usize, len: usize, prev: Option<char>) -> bool {
    if !matches!(prev, Some('s' | 'S')) {
        return false;
    }
    let rest = &text[at + len..];
    let Some(after) = rest.strip_prefix(' ') else {
        return false;
    };
    let word: &str = after
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    let Some(first) = word.chars().next() else {
        return false;
    };
    // After a real closing mark come verbs, auxiliaries and prepositions; after a possessive,
    // a noun.
    if !first.is_lowercase() || word.ends_with("ed") || word.ends_with("ing") {
        return false;
    }
    const AFTER_QUOTE: &[&str] = &[
        "said",
        "says",
        "say",
        "he",
        "she",
        "they",
        "we",
        "i",
        "and",
        "but",
        "or",
        "according",
        "told",
        "added",
        "as",
        "so",
        "then",
        "before",
        "after",
        "when",
        "which",
        "who",
        "while",
        "is",
        "was",
        "are",
        "were",
        "for",
        "in",
        "on",
        "at",
        "to",
        "with",
        "from",
        "by",
        "of",
        "that",
        "it",
        "the",
        "a",
        "an",
        "his",
        "her",
        "their",
        "explained",
        "wrote",
        "asked",
        "insisted",
        "admitted",
        "continued",
        "claimed",
        "warned",
        "noted",
        "writes",
        "could",
        "can",
        "will",
        "would",
        "should",
        "may",
        "might",
        "must",
        "has",
        "have",
        "had",
        "does",
        "did",
        "about",
        "into",
        "over",
        "under",
        "against",
        "because",
        "if",
        "than",
        "not",
        "also",
        "be",
        "been",
        "being",
        "do",
        "where",
        "why",
        "how",
        "what",
    ];
    !AFTER_QUOTE.contains(&word)
}

/// The quotation spans of one paragraph, whose sentence ranges are `sents`.
fn spans(text: &str, sents: &[Range<usize>]) -> Vec<Span> {
    let mut possessives = Vec::new();
    let marks = marks(text, &mut possessives);
    let finder = SpanFinder {
        text,
        sents,
        possessives: &possessives,
    };
    let mut out = Vec::new();
    let mut open: Option<(Mark, bool)> = None;
    for &m in &marks {
        let Some((o, cont)) = open else {
            if m.can_open {
                open = Some((m, false));
            } else if m.straight
                && m.family == Family::Single
                && text[..m.at].ends_with(':')
                && text[m.at + m.len..].starts_with(' ')
            {
                // Scraped Daily Mail text: `said:' words...'` with the space misplaced.
                open = Some((m, false));
            }
            continue;
        };
        if o.family != m.family {
            // A mark of the other family inside the quotation: nested, ignored.
            continue;
        }
        if m.can_close && m.at > o.at + o.len {
            out.push(finder.finish(o, cont, m.at, Some(m.at + m.len)));
            open = None;
        } else if m.can_open {
            let resumes = after_sentence_end(&text[..m.at])
                || (m.straight
                    && m.family == Family::Single
                    && text[m.at + m.len..]
                        .chars()
                        .next()
                        .is_some_and(char::is_uppercase));
            if resumes {
                // Speech resumed after a sentence end, or (run-together Daily Mail text)
                // after a caption that lost its full stop: the same speaker goes on.
                let span = finder.finish(o, cont, m.at, None);
                let cut_short = span.close.is_some();
                out.push(span);
                open = Some((m, !cut_short));
            } else {
                // A new quotation opens mid-sentence while one is still open: the first lost
                // its closing mark. End it where the new one's sentence starts, if that is
                // after it; otherwise the new mark is nested and ignored.
                let sentence_start = sentence_of(sents, m.at).start;
                if sentence_start > o.at + o.len {
                    out.push(finder.finish(o, cont, sentence_start, None));
                    open = Some((m, false));
                }
            }
        }
    }
    if let Some((o, cont)) = open {
        let before = &text[..o.at];
        // An apostrophe-like straight single mark only counts as an unclosed quotation where
        // speech would start: at a sentence start or after a colon or comma.
        let plausible = !o.straight
            || o.family == Family::Double
            || after_sentence_end(before)
            || before.trim_end().ends_with([',', ':'])
            || cont;
        let span = finder.finish(o, cont, unclosed_end(text, o.at + o.len), None);
        if plausible || span.close.is_some() {
            out.push(span);
        }
    }
    out.retain(|s| !s.inner.is_empty());
    out
}

/// What [`spans`] needs to end a quotation.
struct SpanFinder<'a> {
    text: &'a str,
    sents: &'a [Range<usize>],
    /// Straight single marks that looked like plural possessives.
    possessives: &'a [usize],
}

impl SpanFinder<'_> {
    /// The span of the quotation opened by `o` and ending at `end` (closed by a mark ending at
    /// `close`, if any).
    ///
    /// A straight single mark opened mid-sentence marks a term or a partial quotation, which
    /// ends within its sentence. When such a span runs past its sentence and a mark inside the
    /// sentence was taken for a possessive ("an 'absolutely ridiculous' inquiry"), that mark
    /// was the closer.
    fn finish(&self, o: Mark, cont: bool, end: usize, close: Option<usize>) -> Span {
        let start = o.at + o.len;
        if o.straight && o.family == Family::Single && !cont {
            let before = &self.text[..o.at];
            let speech_start =
                after_sentence_end(before) || before.trim_end().ends_with([',', ':']);
            let sentence_end = sentence_of(self.sents, o.at).end;
            let inside = self
                .possessives
                .iter()
                .rev()
                .find(|&&p| p > start && p < sentence_end);
            if let (false, true, Some(&p)) = (speech_start, end > sentence_end, inside) {
                return Span {
                    open: o.at,
                    inner: trim_range(self.text, start, p),
                    close: Some(p + 1),
                    continuation: false,
                };
            }
        }
        Span {
            open: o.at,
            inner: trim_range(self.text, start, end),
            close,
            continuation: cont,
        }
    }
}

/// Where a quotation without a closing mark ends: the paragraph's end, unless that is far away
/// (text run together without paragraph breaks), then the end of its first sentence.
fn unclosed_end(text: &str, start: usize) -> usize {
    const MAX_UNCLOSED: usize = 600;
    if text.len() - start <= MAX_UNCLOSED {
        return text.len();
    }
    let rest = &text[start..];
    sentences::split(rest)
        .first()
        .map_or(text.len(), |r| start + r.end)
}

fn after_sentence_end(before: &str) -> bool {
    let t = before.trim_end();
    t.is_empty()
        || t.trim_end_matches(['"', '\'', '”', '’', ')'])
            .ends_with(['.', '!', '?', '…', ':'])
}

fn trim_range(text: &str, start: usize, end: usize) -> Range<usize> {
    let Some(s) = text.get(start..end) else {
        return start..start;
    };
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    start + lead..start + lead + t.len()
}

/// Speech or a scare quote? Speech is long, or has a sentence inside, or is attributed.
fn is_quotation(inner: &str, attributed: bool) -> bool {
    let words = inner
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    if words == 0 {
        return false;
    }
    if attributed {
        return true;
    }
    let core = inner.trim_end_matches(['"', '\'', '”', '’', ')', ']']);
    let ends_final = core.ends_with(['.', '!', '?', '…']);
    let inner_sentence = inner
        .as_bytes()
        .windows(3)
        .any(|w| matches!(w[0], b'.' | b'!' | b'?') && w[1] == b' ' && w[2].is_ascii_uppercase());
    if title_case(inner) && words <= 8 {
        return false;
    }
    if (ends_final || inner_sentence) && words >= 3 {
        return true;
    }
    words >= 6 && !title_case(inner)
}

/// "The Lord of the Rings and the Return": a title of a work, not speech.
fn title_case(text: &str) -> bool {
    text.split_whitespace()
        .filter(|w| w.len() > 3)
        .all(|w| w.chars().next().is_some_and(char::is_uppercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes(texts: &[&str]) -> Vec<(String, Option<String>)> {
        let paras: Vec<Paragraph> = texts
            .iter()
            .map(|t| Paragraph {
                section: None,
                text: (*t).to_string(),
            })
            .collect();
        let ranges: Vec<_> = paras.iter().map(|p| sentences::split(&p.text)).collect();
        extract(&paras, &ranges)
            .into_iter()
            .map(|q| (q.text, q.speaker))
            .collect()
    }

    fn one(text: &str) -> (String, Option<String>) {
        let q = quotes(&[text]);
        assert_eq!(q.len(), 1, "expected one quotation in {text:?}, got {q:?}");
        q.into_iter().next().unwrap_or_default()
    }

    #[test]
    fn attribution_patterns() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "Ada Quill said: \"We will rebuild the mill before winter.\"",
                "We will rebuild the mill before winter.",
                Some("Ada Quill"),
            ),
            (
                "Ada Quill said \"we will rebuild the mill before winter\" and left.",
                "we will rebuild the mill before winter",
                Some("Ada Quill"),
            ),
            (
                "\"We will rebuild the mill,\" Ada Quill said.",
                "We will rebuild the mill,",
                Some("Ada Quill"),
            ),
            (
                "\"We will rebuild the mill,\" said Ada Quill, the mayor.",
                "We will rebuild the mill,",
                Some("Ada Quill"),
            ),
            (
                "\"The mill will be rebuilt by spring,\" according to Ada Quill.",
                "The mill will be rebuilt by spring,",
                Some("Ada Quill"),
            ),
            (
                "Ada Quill told reporters \"the mill will be rebuilt by spring\".",
                "the mill will be rebuilt by spring",
                Some("Ada Quill"),
            ),
            (
                "Quill writes that she \"never expected the river to rise so fast in one night.\"",
                "never expected the river to rise so fast in one night.",
                Some("Quill"),
            ),
            (
                "A spokesman for the company said: 'We are looking into it.'",
                "We are looking into it.",
                Some("A spokesman for the company"),
            ),
            (
                "'We are looking into it,' the official said.",
                "We are looking into it,",
                Some("the official"),
            ),
            (
                "President Ada Quill said: “Nobody will be left behind.”",
                "Nobody will be left behind.",
                Some("Ada Quill"),
            ),
            (
                "Ada Quill, 45, said: 'It was the worst night of my life.'",
                "It was the worst night of my life.",
                Some("Ada Quill"),
            ),
            (
                "'We must be careful', Quill told the Gazette.",
                "We must be careful",
                Some("Quill"),
            ),
            (
                "'It is over,' Ada Quill, who runs the mill, explained.",
                "It is over,",
                Some("Ada Quill"),
            ),
        ];
        for (text, want_text, want_speaker) in cases {
            let (got_text, got_speaker) = one(text);
            assert_eq!(&got_text, want_text, "text of {text:?}");
            assert_eq!(got_speaker.as_deref(), *want_speaker, "speaker of {text:?}");
        }
    }

    #[test]
    fn pronouns_resolve_to_the_last_name() {
        let q = quotes(&[
            "Mayor Ada Quill visited the mill on Monday.",
            "\"It will be rebuilt,\" she said.",
        ]);
        assert_eq!(
            q,
            vec![("It will be rebuilt,".into(), Some("Ada Quill".into()))]
        );
        let q = quotes(&["\"It will be rebuilt,\" she said."]);
        assert_eq!(q, vec![("It will be rebuilt,".into(), None)]);
    }

    #[test]
    fn scare_quotes_and_titles_are_not_quotations() {
        for text in [
            "They spoke of \"justice\" and \"freedom fighters,\" he was reminded of it.",
            "Protesters chanted \"Free River\" slogans in the square.",
            "Her book \"The Long Road Home From The Northern Mountains\" sold well.",
            "The so-called ‘reform’ failed.",
            "The players' union and the fans' group met the clubs' owners.",
        ] {
            assert!(
                quotes(&[text]).is_empty(),
                "{text:?} gave {:?}",
                quotes(&[text])
            );
        }
    }

    #[test]
    fn nested_marks_and_apostrophes_do_not_break_a_quotation() {
        let (text, speaker) = one(
            "Bo Lind said: 'I have heard the saying \"act your age\" but I don't see why. \
             The players' mood is good.'",
        );
        assert_eq!(
            text,
            "I have heard the saying \"act your age\" but I don't see why. The players' mood is good."
        );
        assert_eq!(speaker.as_deref(), Some("Bo Lind"));
    }

    #[test]
    fn daily_mail_continuations_split_and_keep_the_speaker() {
        let q = quotes(&[
            "She lives alone. Bo Lind said: 'I have cared for people all my life. I want rest. \
             'Whatever time I have left I will enjoy it.' Later she left.",
        ]);
        assert_eq!(q.len(), 2, "{q:?}");
        assert_eq!(q[0].0, "I have cared for people all my life. I want rest.");
        assert_eq!(q[1].0, "Whatever time I have left I will enjoy it.");
        assert_eq!(q[1].1.as_deref(), Some("Bo Lind"));
    }

    #[test]
    fn unclosed_quote_runs_to_paragraph_end_and_next_paragraph_continues() {
        let q = quotes(&[
            "Ada Quill said: \"We will rebuild the mill before the winter comes.",
            "\"And we will do it together.\"",
        ]);
        assert_eq!(q.len(), 2, "{q:?}");
        assert_eq!(q[0].0, "We will rebuild the mill before the winter comes.");
        assert_eq!(q[1].1.as_deref(), Some("Ada Quill"));
    }

    #[test]
    fn spans_are_substrings() {
        let text = "“Ça va,” dit-il. ‘Oui’ — \"non\" 'x";
        for s in spans(text, &sentences::split(text)) {
            assert!(text.get(s.inner.clone()).is_some());
        }
    }
}
