//! Direct quotations and who said them.
//!
//! Quotation marks are found by their position (an opening mark stands at a word start, a
//! closing mark after a word), matched in order with the marks of the other family ignored while
//! a quotation is open, so nested quotes and apostrophes do not end the outer quotation. Spans
//! that are too short to be speech (scare quotes, terms, titles) are dropped unless a speech verb
//! stands right next to them, or elsewhere in their sentence for spans of four words or more.
//! The speaker is the subject next to a speech verb in the same sentence; a pronoun is resolved
//! to the subject of the sentences just before, else to the last speaker.
//!
//! Scraped text loses marks, and two repairs cover the usual losses: a closing mark with nothing
//! open ends speech that began right after the previous closing mark ("... my future.' I will
//! say this: ... a step down.'"), and speech resumed after a photo caption that lost its full
//! stop ends where the caption begins. Lower-cased, re-tokenised text with every mark glued to
//! the word before it is read by its own rules (`lower_case_spans`).

use std::ops::Range;

use super::sentences;
use super::speakers::{Attribution, Who, attribute, recent_subject, resolve_pronoun, sentence_of};
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
    let mut out: Vec<Quote> = Vec::new();
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
        // Photo captions run into the text are not part of a quotation's sentence: they
        // would lend their words to its attribution.
        let mut pieces = Vec::with_capacity(sents.len());
        for r in sents {
            sentences::caption_pieces(text, r.clone(), &mut pieces);
        }
        let mut prev_speaker: Option<String> = None;
        // Where the previous quotation of this paragraph closed.
        let mut prev_close: Option<usize> = None;
        let mut next_run = None;
        // Index in `out` of the first quotation of the current run of continued speech.
        let mut run_start = out.len();
        for span in &spans {
            if !span.continuation {
                run_start = out.len();
            }
            let inner = &text[span.inner.clone()];
            let attribution = attribute(text, span.open, span.close, &pieces);
            let adjacent = attribution.as_ref().is_some_and(|a| a.adjacent);
            if !is_quotation(inner, adjacent, attribution.is_some()) {
                // A scare-quoted word still tells who was speaking just then ("The director
                // said he was 'thrilled'"), for a pronoun later on.
                if let Some(Attribution {
                    who: Who::Name(n) | Who::Definite(n),
                    ..
                }) = attribution
                {
                    last_speaker = Some((pi, span.open, n));
                }
                continue;
            }
            let attributed = attribution.is_some();
            let speaker = match attribution {
                Some(a) => match a.who {
                    Who::Name(n) => Some(n),
                    Who::Pronoun => {
                        resolve_pronoun(paragraphs, ranges, pi, span.open, &last_speaker)
                    }
                    Who::Definite(d) => {
                        recent_subject(paragraphs, ranges, pi, span.open, &last_speaker, false)
                            .or(Some(d))
                    }
                    Who::Unknown => None,
                },
                None if span.continuation => prev_speaker.clone(),
                None if span.open == 0 => open_run.clone().or_else(|| prev_speaker.clone()),
                // A further quotation opening a sentence (or following a photo caption) of the
                // same paragraph, with no attribution of its own and soon after the last one,
                // goes on with the last speaker.
                None if opens_sentence(text, span.open, sents)
                    && prev_close.is_some_and(|c| span.open.saturating_sub(c) < 400) =>
                {
                    prev_speaker.clone()
                }
                None => None,
            };
            // Speech split by a sentence break and attributed only at its end ("'We are all
            // watched. 'Everywhere,' he said."): its first part is the same speaker's.
            if span.continuation && attributed && speaker.is_some() {
                for q in out[run_start..].iter_mut().rev() {
                    if q.speaker.is_some() {
                        break;
                    }
                    q.speaker.clone_from(&speaker);
                }
            }
            if let Some(s) = &speaker {
                last_speaker = Some((pi, span.open, s.clone()));
            }
            prev_speaker.clone_from(&speaker);
            prev_close = span.close.or(Some(span.inner.end));
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
    if glued_marks(text) {
        return lower_case_spans(text);
    }
    let mut possessives = Vec::new();
    let marks = marks(text, &mut possessives);
    let finder = SpanFinder {
        text,
        sents,
        possessives: &possessives,
    };
    let mut out = Vec::new();
    let mut open: Option<(Mark, bool)> = None;
    // Where the last closing mark (or orphan closer) ended, if it closed a sentence.
    let mut after_close: Option<(usize, Family)> = None;
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
            } else if m.can_close {
                // A closing mark with nothing open: the opening mark of this stretch of speech
                // was lost where it met the previous closing mark ("... my future.' I will
                // say this, though: ... a step down.'"). The speech starts after that mark.
                if let Some((from, family)) = after_close
                    && family == m.family
                    && let Some(span) = orphan_span(text, from, m.at, m.at + m.len)
                {
                    out.push(span);
                }
                after_close = ends_sentence_before(text, m.at).then_some((m.at + m.len, m.family));
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
            after_close = ends_sentence_before(text, m.at).then_some((m.at + m.len, m.family));
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
                // after a caption that lost its full stop: the same speaker goes on. The
                // caption is not speech: end the first part where the caption's sentence
                // starts.
                let mut end = m.at;
                if !after_sentence_end(&text[..m.at]) {
                    let sentence_start = sentence_of(sents, m.at).start;
                    if sentence_start > o.at + o.len {
                        end = sentence_start;
                    }
                }
                let span = finder.finish(o, cont, end, None);
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

/// First- and second-person words: their presence marks a stretch of text as speech.
const SPEECH_WORDS: &[&str] = &[
    "i", "i'm", "i've", "i'd", "i'll", "me", "my", "we", "we're", "we've", "we'd", "we'll", "our",
    "us", "you", "your", "you're", "you've",
];

/// Whether `text` is lower-cased and re-tokenised with its quotation marks glued to the word
/// before them (see [`lower_case_spans`]): no capital letters, and marks with a space after
/// them (plural possessives aside) outnumber those with a space before them three to one.
fn glued_marks(text: &str) -> bool {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return false;
    }
    let (mut glued, mut normal) = (0usize, 0usize);
    let mut prev = ' ';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if matches!(c, '\'' | '"' | '‘' | '’' | '“' | '”') {
            let next = chars.peek().copied().unwrap_or(' ');
            if prev.is_whitespace() && next.is_alphanumeric() {
                normal += 1;
            } else if !prev.is_whitespace() && next.is_whitespace() && !(c == '’' && prev == 's')
            {
                glued += 1;
            }
        }
        prev = c;
    }
    glued >= 2 && glued > 3 * normal
}

/// Quotations in text that a corpus lower-cased and re-tokenised, where every quotation mark
/// is glued to the word before it and spaced from the word after it, opening and closing alike
/// ("... incident.' had it been a few seconds earlier i would ...,' said a shaken mr shiraz.").
/// The marks cannot tell opening from closing, so each stretch of text between two marks is
/// judged on its own: speech when a colon leads into it or it speaks in the first or second
/// person; narration when it opens on an attribution ("said ...", "he added ..."); otherwise
/// the opposite of the stretch before it.
fn lower_case_spans(text: &str) -> Vec<Span> {
    const MAX_SPEECH: usize = 800;
    // Quotation marks that are not apostrophes inside a word ("didn't", "shiraz's").
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for (i, c) in text.char_indices() {
        if !matches!(c, '\'' | '"' | '‘' | '’' | '“' | '”') {
            continue;
        }
        let len = c.len_utf8();
        let prev = text[..i].chars().next_back();
        let next = text[i + len..].chars().next();
        if prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric) {
            continue;
        }
        // A plural possessive: "builders' hats" (not "described as' highly audacious'").
        let word_before = text[..i]
            .rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        if word_before.len() >= 4
            && word_before.ends_with('s')
            && !super::shape::FUNCTION_WORDS.contains(&word_before)
            && possessive(text, i, len, prev)
        {
            continue;
        }
        // A split contraction or possessive: "collector ’ s", "don ' t".
        let after = text[i + len..].trim_start();
        if after.len() < text.len() - i - len
            && matches!(
                after.split(' ').next(),
                Some("s" | "t" | "ll" | "re" | "ve" | "d")
            )
        {
            continue;
        }
        marks.push((i, len));
    }
    let mut out = Vec::new();
    let mut prev_speech = false;
    for pair in marks.windows(2) {
        let ((a, alen), (b, _)) = (pair[0], pair[1]);
        let inner = trim_range(text, a + alen, b);
        let gap = &text[inner.clone()];
        let words: Vec<&str> = gap
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '!' | '?' | ';' | ':'))
            .filter(|w| !w.is_empty())
            .collect();
        let led_by_colon = text[..a].trim_end().ends_with(':');
        let first_person = words.iter().any(|w| SPEECH_WORDS.contains(w));
        let attribution = words.len() < 40
            && (matches!(
                words.first().copied(),
                Some("said" | "says" | "added" | "adds" | "told" | "according")
            ) || (words.len() >= 2
                && matches!(words[0], "he" | "she" | "they")
                && matches!(words[1], "said" | "says" | "added" | "told")));
        // Narration in the third person, or leading into the next quotation ("..., told
        // reporters:").
        let narration = gap.ends_with(':')
            || (words.len() > 30
                && words
                    .iter()
                    .any(|w| matches!(*w, "he" | "she" | "his" | "her" | "they" | "their")));
        let speech = if gap.is_empty()
            || b - a > MAX_SPEECH
            || attribution
            || gap.starts_with(|c: char| c.is_ascii_punctuation())
        {
            false
        } else if led_by_colon || first_person {
            !gap.ends_with(':')
        } else {
            !prev_speech && !narration
        };
        if speech && !inner.is_empty() {
            // The source lost some closing marks: narration after the speech, with no
            // first-person word in it, is not part of it.
            let mut inner = inner;
            if first_person {
                for r in sentences::split(&text[inner.clone()]).iter().rev().skip(1) {
                    let tail = &text[inner.start + r.end..inner.end];
                    let tail_words: Vec<&str> = tail
                        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
                        .collect();
                    let spoken = tail_words.iter().any(|w| SPEECH_WORDS.contains(w));
                    let narrated = tail_words
                        .iter()
                        .any(|w| matches!(*w, "he" | "she" | "his" | "her" | "said" | "added"));
                    if spoken || !narrated {
                        break;
                    }
                    inner = trim_range(text, inner.start, inner.start + r.end);
                }
            }
            out.push(Span {
                // After a colon the attribution is the text before the mark; otherwise the
                // mark is glued to the end of the sentence before, which says nothing about
                // who speaks.
                open: if led_by_colon { a } else { inner.start },
                inner,
                close: Some(b + text[b..].chars().next().map_or(1, char::len_utf8)),
                continuation: prev_speech,
            });
        }
        prev_speech = speech;
    }
    out
}

/// Whether the text just before byte `at` ends a sentence (a closing mark after it then ends
/// quoted speech, not a quoted term).
fn ends_sentence_before(text: &str, at: usize) -> bool {
    text[..at].trim_end().ends_with(['.', '!', '?'])
}

/// The speech between a closing mark that ended at `from` and an orphan closing mark at
/// `close..close_end`: a sentence or two that starts with a capital, ends in speech
/// punctuation and holds no other quotation mark.
fn orphan_span(text: &str, from: usize, close: usize, close_end: usize) -> Option<Span> {
    const MAX_ORPHAN: usize = 400;
    if close - from > MAX_ORPHAN {
        return None;
    }
    // "... He added: [Ada told police] that ...'": the speech starts after its attribution.
    let from = text[from..close]
        .rmatch_indices(':')
        .find(|&(i, _)| {
            let before = text[from..from + i].trim_end();
            let verb = before.rsplit(' ').next().unwrap_or("");
            matches!(
                verb.to_ascii_lowercase().as_str(),
                "said" | "says" | "added" | "adds" | "told" | "explained" | "continued"
            )
        })
        .map_or(from, |(i, _)| from + i + 1);
    // Photo captions run in between: this is not one stretch of speech.
    let mut pieces = Vec::new();
    sentences::caption_pieces(text, from..close, &mut pieces);
    if pieces.len() > 1 {
        return None;
    }
    let inner = trim_range(text, from, close);
    let t = text.get(inner.clone())?;
    let words = t.split_whitespace().count();
    let ok = words >= 3
        && t.chars().next().is_some_and(char::is_uppercase)
        && t.ends_with(['.', '!', '?', ','])
        && !t.contains(['"', '“', '”', '‘'])
        && !t.contains(" '")
        && !t.contains("' ");
    ok.then_some(Span {
        open: inner.start,
        inner,
        close: Some(close_end),
        continuation: true,
    })
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

/// Whether a quotation opening at byte `at` starts a sentence: after a full stop, or where a
/// photo caption that lost its full stop runs into it.
fn opens_sentence(text: &str, at: usize, sents: &[Range<usize>]) -> bool {
    if after_sentence_end(&text[..at]) {
        return true;
    }
    let mut pieces = Vec::new();
    sentences::caption_pieces(text, sentence_of(sents, at), &mut pieces);
    pieces.iter().any(|p| p.start == at)
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

/// Speech or a scare quote? Speech is long, or has a sentence inside, or is attributed: right
/// next to a speech verb (`adjacent`), or elsewhere in its sentence (`attributed`) when it is
/// at least four words and not a title.
fn is_quotation(inner: &str, adjacent: bool, attributed: bool) -> bool {
    let words = inner
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    if words == 0 {
        return false;
    }
    if adjacent || (attributed && words >= 4 && !title_case(inner)) {
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
            (
                "Asked what the rooms should become, one regular said her wish was simple: \
                 “Keep the lamps on late and leave the rules alone.”",
                "Keep the lamps on late and leave the rules alone.",
                Some("one regular"),
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
    fn a_lost_opening_mark_is_recovered_from_the_closing_one() {
        let q = quotes(&[
            "The coach was asked about the final. 'It is the biggest game of my life,' Bo \
             Lind told reporters. 'We have waited for this for years.' I will say this, \
             though: the other side are very good. We respect them.'",
        ]);
        assert_eq!(q.len(), 3, "{q:?}");
        assert_eq!(
            q[2],
            (
                "I will say this, though: the other side are very good. We respect them.".into(),
                Some("Bo Lind".into())
            )
        );
        // Glued to the end of the sentence before: "... the team.' I'm happy ...,' said Lind."
        let q = quotes(&[
            "Bo Lind will run for the team.' I am happy to be part of the team and ready to \
             run,' said Lind.",
        ]);
        assert_eq!(
            q,
            vec![(
                "I am happy to be part of the team and ready to run,".into(),
                Some("Lind".into())
            )]
        );
    }

    #[test]
    fn speech_attributed_at_its_end_gives_its_first_part_the_same_speaker() {
        let q = quotes(&[
            "Ada Quill built the robots. 'We are now all living in a shop window. 'Cameras \
             watch us on every street corner,' she said.",
        ]);
        assert_eq!(q.len(), 2, "{q:?}");
        assert!(
            q.iter().all(|(_, s)| s.as_deref() == Some("Ada Quill")),
            "{q:?}"
        );
    }

    #[test]
    fn pronouns_prefer_the_subject_of_the_sentences_before() {
        // Colin is the last name, but Pat is the subject the story is about.
        let q = quotes(&[
            "Pat Ingle has been single for years. But now she has found happiness with \
             Colin Bell, 66. She said: 'We have a fantastic time together and we enjoy each \
             other's company.'",
        ]);
        assert_eq!(q[0].1.as_deref(), Some("Pat Ingle"), "{q:?}");
        // A job description before the name, and a caption label before the subject.
        let q = quotes(&[
            "Exercise physiologist Alex Lawson from the sports council has studied the \
             problem. 'It is far easier to eat less than to run it off later,' he said.",
        ]);
        assert_eq!(q[0].1.as_deref(), Some("Alex Lawson"), "{q:?}");
        // Reported speech before the quotation names the speaker.
        let q = quotes(&[
            "The landslide was not caused by the earthquake, said an official at the \
             regional bureau. 'Our understanding is that this is something different,' he \
             told reporters.",
        ]);
        assert_eq!(q[0].1.as_deref(), Some("an official"), "{q:?}");
    }

    #[test]
    fn definite_descriptions_stand_for_the_person_just_named() {
        let q = quotes(&[
            "Bo Lind missed the cut at his first Masters. 'It was a tough week for me,' the \
             19-year-old Scot said.",
        ]);
        assert_eq!(q[0].1.as_deref(), Some("Bo Lind"), "{q:?}");
        // Nobody named just before: the description itself.
        let q = quotes(&["'We will appeal against the decision,' the club chairman said."]);
        assert_eq!(q[0].1.as_deref(), Some("the club chairman"), "{q:?}");
        // Titles with full stops and possessives before the name.
        let q = quotes(&[
            "Lowmere County Sheriff's Lt. Ada Quill said the fire was no accident. 'This was \
             not a random act at all,' she told the Gazette.",
        ]);
        assert_eq!(q[0].1.as_deref(), Some("Ada Quill"), "{q:?}");
        let q = quotes(&[
            "The town's doctor, Dr. Bo Lind, agrees with the council. 'The water is not safe \
             to drink yet,' he said.",
        ]);
        assert_eq!(q[0].1.as_deref(), Some("Bo Lind"), "{q:?}");
    }

    #[test]
    fn unnamed_speakers_by_their_job() {
        let (_, speaker) = one(
            "Lowmere Rowing Club team managing director told the Gazette: \
             'We are all pleased with how things are going this season.'",
        );
        assert_eq!(
            speaker.as_deref(),
            Some("Lowmere Rowing Club team managing director")
        );
    }

    #[test]
    fn a_caption_between_two_parts_of_speech_is_not_speech() {
        let q = quotes(&[
            "Bo Lind told the Gazette: 'We are all pleased. 'The talent is there, the will \
             is there. Bo Lind pictured at the club in March 2004 'We are proud of the team.'",
        ]);
        assert_eq!(q.len(), 3, "{q:?}");
        assert_eq!(q[1].0, "The talent is there, the will is there.");
        assert!(
            q.iter().all(|(_, s)| s.as_deref() == Some("Bo Lind")),
            "{q:?}"
        );
    }

    #[test]
    fn partial_quotations_need_four_words_unless_next_to_the_verb() {
        let q = quotes(&["The mayor said the plan would be 'a big step for the town' and left."]);
        assert_eq!(q.len(), 1, "{q:?}");
        assert!(quotes(&["The mayor said the plan was 'a big step' for all."]).is_empty());
    }

    #[test]
    fn lower_cased_text_with_glued_marks() {
        // Every mark is glued to the word before it, opening and closing alike.
        let text = "the fire broke out on monday.' i was lucky. i had just walked past it,' \
                    said a shaken mr bo lind. the council said it would look into the cause. \
                    a spokesman for the council said:' we were called at 7pm.' the road was \
                    closed for four hours. workers' huts were moved.' we used a hose,' the \
                    spokesman added.";
        let q = quotes(&[text]);
        let texts: Vec<&str> = q.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "i was lucky. i had just walked past it,",
                "we were called at 7pm.",
                "we used a hose,"
            ],
            "{q:?}"
        );
        assert_eq!(q[0].1.as_deref(), Some("a shaken mr bo lind"));
        assert_eq!(q[1].1.as_deref(), Some("a spokesman for the council"));
        // Ordinary marks in lower-cased text take the ordinary path.
        assert!(!glued_marks(
            "he said 'we will go,' and left. 'it is late,' she said."
        ));
        assert!(glued_marks(text));
    }

    #[test]
    fn spans_are_substrings() {
        let text = "“Ça va,” dit-il. ‘Oui’ — \"non\" 'x";
        for s in spans(text, &sentences::split(text)) {
            assert!(text.get(s.inner.clone()).is_some());
        }
    }
}
