//! Sentence splitting for English prose.
//!
//! A single forward pass over the text that only stops at `.`, `!`, `?` and `…`. At each
//! candidate it looks at the word before the mark and the word after the following space, so the
//! cost is linear in the text and nothing is allocated except the returned ranges.
//!
//! The rules err towards keeping text together: a missed boundary makes a summary sentence a bit
//! long, a false one cuts a name or a quotation in half, which a reader notices at once.
//!
//! `caption_pieces` goes one step further for the summarizer and the quotation finder: scraped
//! pages (the Daily Mail's above all) run photo captions into the text without a full stop, and
//! it cuts a sentence where a caption meets the next sentence. [`split`] itself never does.

use std::ops::Range;

use super::lexicon::MONTH_ABBREVIATIONS;

/// Titles and other abbreviations that never end a sentence, whatever follows them.
const ALWAYS_JOIN: &[&str] = &[
    "mr", "mrs", "ms", "messrs", "mme", "dr", "prof", "gen", "sen", "rep", "gov", "rev", "sgt",
    "capt", "lt", "col", "maj", "adm", "cmdr", "hon", "pres", "supt", "insp", "det", "mt", "ft",
    "fig", "figs", "vs", "v", "cf", "approx", "e.g", "i.e", "eg", "ie", "viz", "al", "esp",
];

/// Abbreviations that never end a sentence when a number follows ("No. 10", "Jan. 5").
/// Month abbreviations ([`MONTH_ABBREVIATIONS`]) join before a number as well.
const JOIN_BEFORE_NUMBER: &[&str] = &[
    "no", "nos", "vol", "pp", "p", "art", "sec", "ch", "para", "op", "ed",
];

/// Abbreviations that may end a sentence; they do only when a sentence opener follows.
/// Month abbreviations ([`MONTH_ABBREVIATIONS`]) may as well.
const MAYBE_END: &[&str] = &[
    "inc", "ltd", "co", "corp", "jr", "sr", "etc", "st", "bros", "plc", "llc", "ave", "blvd", "rd",
    "est", "dept", "univ", "assn",
];

/// Words that commonly open a sentence. After an abbreviation or initial, a capitalised word from
/// this list means a new sentence; any other capitalised word is taken as part of a name.
#[rustfmt::skip]
const OPENERS: &[&str] = &[
    "the", "a", "an", "he", "she", "it", "they", "we", "i", "you", "but", "and", "in", "on", "at",
    "this", "that", "these", "those", "there", "his", "her", "its", "their", "our", "my", "your",
    "as", "if", "when", "while", "after", "before", "since", "so", "yet", "or", "for", "some",
    "many", "most", "one", "both", "also", "however", "meanwhile", "still", "now", "then", "today",
    "yesterday", "what", "why", "how", "who", "where", "with", "by", "from", "to", "no", "not",
    "all", "other", "another", "each", "every", "such", "despite", "although", "though", "last",
    "next", "earlier", "later", "under", "officials", "police", "according", "instead", "thus",
    "here", "more", "only", "during", "over", "after", "until", "once", "even",
];

fn in_list(list: &[&str], word: &str) -> bool {
    list.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// Byte ranges of the sentences of `text`, trimmed of white space, in order.
///
/// Every range starts and ends on a char boundary, ranges never overlap, and a text with any
/// non-space character yields at least one range.
pub fn split(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let len = bytes.len();
    // Lower-cased corpora lose the capital that marks a new sentence; there a period after an
    // ordinary word is trusted on its own.
    let lower_mode = !bytes.iter().any(u8::is_ascii_uppercase);
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < len {
        let b = bytes[i];
        if !(b == b'.' || b == b'!' || b == b'?' || is_ellipsis_at(bytes, i)) {
            i += 1;
            continue;
        }
        let term_start = i;
        let mut dots = 0usize;
        let mut bang = false;
        let mut ellipsis = false;
        let mut j = i;
        while j < len {
            match bytes[j] {
                b'.' => {
                    dots += 1;
                    j += 1;
                }
                b'!' | b'?' => {
                    bang = true;
                    j += 1;
                }
                _ if is_ellipsis_at(bytes, j) => {
                    ellipsis = true;
                    j += 3;
                }
                _ => break,
            }
        }
        if dots >= 3 {
            ellipsis = true;
        }
        let mut k = j;
        let mut closed_quote = false;
        while k < len {
            let n = closer_len(bytes, k);
            if n == 0 {
                break;
            }
            if bytes[k] != b')' && bytes[k] != b']' {
                closed_quote = true;
            }
            k += n;
        }
        if k < len && !starts_with_space(text, k) {
            i = k;
            continue;
        }
        let next = skip_space(text, k);
        if next >= len {
            break;
        }
        let word = next_word(text, next);
        let first = word.chars().next();
        let next_lower = first.is_some_and(char::is_lowercase);
        let boundary = if bang && !ellipsis {
            !next_lower || (lower_mode && !closed_quote)
        } else if ellipsis {
            !next_lower
        } else {
            period_ends(text, term_start, word, next_lower, lower_mode)
        };
        if boundary {
            push_trimmed(text, start, k, &mut out);
            start = next;
        }
        i = k.max(i + 1);
    }
    push_trimmed(text, start, len, &mut out);
    out
}

/// Whether a single period at `dot` ends the sentence, given the word that follows.
fn period_ends(text: &str, dot: usize, next: &str, next_lower: bool, lower_mode: bool) -> bool {
    let token = word_before(text, dot);
    let next_digit = next.chars().next().is_some_and(|c| c.is_ascii_digit());
    if token.is_empty() {
        return !next_lower || lower_mode;
    }
    // No listed abbreviation is longer than six letters; most words skip the lists.
    if token.len() > 6 && !token.contains('.') {
        return !next_lower || lower_mode;
    }
    if in_list(ALWAYS_JOIN, token) {
        return false;
    }
    let month = in_list(MONTH_ABBREVIATIONS, token);
    if next_digit && (month || in_list(JOIN_BEFORE_NUMBER, token)) {
        return false;
    }
    if next_lower && !lower_mode {
        return false;
    }
    let opener = in_list(OPENERS, next);
    if month
        || in_list(MAYBE_END, token)
        || is_dotted_acronym(token)
        || is_initial(token, lower_mode)
    {
        return opener || next.is_empty();
    }
    true
}

/// "U.S", "a.m", "D.C": letters separated by single dots (the final dot is not in `token`).
fn is_dotted_acronym(token: &str) -> bool {
    let b = token.as_bytes();
    b.len() >= 3
        && b.contains(&b'.')
        && b.iter().all(|c| c.is_ascii_alphabetic() || *c == b'.')
        && b.split(|c| *c == b'.').all(|part| part.len() == 1)
}

fn is_initial(token: &str, lower_mode: bool) -> bool {
    let mut chars = token.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => c.is_uppercase() || (lower_mode && c.is_alphabetic()),
        _ => false,
    }
}

/// The word that ends at `end`, without opening quotes or brackets in front of it.
fn word_before(text: &str, end: usize) -> &str {
    let bytes = text.as_bytes();
    let mut s = end;
    // Words longer than this are not abbreviations; stopping early keeps the scan bounded.
    let floor = end.saturating_sub(24);
    while s > floor {
        let c = bytes[s - 1];
        if c.is_ascii_whitespace() || matches!(c, b'(' | b'[' | b'"' | b'\'' | b'/') {
            break;
        }
        if c >= 0x80 {
            // Multi-byte characters: stop at curly quotes, dashes and non-breaking spaces.
            let ch_start = char_start(bytes, s - 1);
            let ch = text[ch_start..s].chars().next().unwrap_or(' ');
            if ch.is_whitespace() || is_open_punct(ch) || ch == '—' || ch == '–' {
                break;
            }
            s = ch_start;
            continue;
        }
        s -= 1;
    }
    text.get(s..end).unwrap_or("")
}

fn char_start(bytes: &[u8], mut i: usize) -> usize {
    while i > 0 && (bytes[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

/// The word starting at `at`, after any opening quotes or brackets.
fn next_word(text: &str, at: usize) -> &str {
    let rest = text.get(at..).unwrap_or("");
    let rest = rest.trim_start_matches(|c: char| is_open_punct(c) || c == '*' || c == '_');
    let end = rest
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map_or(rest.len(), |(i, _)| i);
    let word = &rest[..end];
    if word.is_empty() {
        // Something other than a word follows ("— ", a digit sign): report one char.
        let n = rest.chars().next().map_or(0, char::len_utf8);
        &rest[..n]
    } else {
        word
    }
}

fn is_open_punct(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '‘' | '(' | '[' | '«' | '¿' | '¡')
}

fn is_ellipsis_at(bytes: &[u8], i: usize) -> bool {
    bytes.get(i..i + 3) == Some("…".as_bytes())
}

/// Length of a closing quote or bracket at `i`, or 0.
fn closer_len(bytes: &[u8], i: usize) -> usize {
    match bytes[i] {
        b'"' | b'\'' | b')' | b']' => 1,
        0xE2 => {
            let tail = bytes.get(i..i + 3);
            if tail == Some("”".as_bytes()) || tail == Some("’".as_bytes()) {
                3
            } else {
                0
            }
        }
        0xC2 if bytes.get(i + 1) == Some(&0xBB) => 2,
        _ => 0,
    }
}

fn starts_with_space(text: &str, at: usize) -> bool {
    text.get(at..)
        .and_then(|s| s.chars().next())
        .is_some_and(char::is_whitespace)
}

fn skip_space(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    at + (rest.len() - rest.trim_start().len())
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Range<usize>>) {
    let Some(slice) = text.get(start..end) else {
        return;
    };
    let lead = slice.len() - slice.trim_start().len();
    let trimmed = slice.trim();
    if !trimmed.is_empty() {
        let s = start + lead;
        out.push(s..s + trimmed.len());
    }
}

/// Capitalised words that open a sentence and are hardly ever capitalised inside one when a
/// lower-case word follows them ("... his winnings A man who ...").
#[rustfmt::skip]
const CAPTION_OPENERS: &[&str] = &[
    "A", "An", "The", "He", "She", "They", "It", "We", "His", "Her", "Their", "Its", "This",
    "These", "Those", "But", "However", "Some", "When", "While", "After", "Although", "Despite",
    "If", "Last", "As", "In", "On", "At", "Police", "Meanwhile", "Yesterday", "Today", "Now",
    "Here", "There", "Then", "Other", "Ever", "Elsewhere", "Earlier", "Later",
];

/// Lower-case words after which a capitalised word or a quotation is ordinary text, not the
/// start of a new sentence: verbs that introduce speech and words that introduce a name or a
/// title (function words are in [`super::shape::FUNCTION_WORDS`]).
#[rustfmt::skip]
const BEFORE_NAMES: &[&str] = &[
    "said", "says", "told", "tells", "wrote", "writes", "added", "asked", "read", "reads",
    "reading", "called", "dubbed", "named", "nicknamed", "titled", "entitled", "labelled",
    "labeled", "branded", "include", "includes", "including", "like", "via", "see", "watch",
    "star", "stars", "song", "show", "film", "movie", "book", "album", "word", "words", "term",
    "phrase", "slogan", "motto", "hashtag", "sign", "signs", "onto", "per", "vs", "and", "or",
];

/// Speech verbs: a "Name said:" is an attribution, not a caption label.
const LABEL_STOPS: &[&str] = &[
    "said",
    "says",
    "told",
    "tells",
    "added",
    "adds",
    "explained",
    "wrote",
    "writes",
    "asked",
];

/// Pushes the pieces of the sentence at `range` of `text`, cut where a photo caption that lost
/// its full stop runs into the next sentence, as scraped Daily Mail pages have them ("... in
/// this 2012 mugshot A man who won ...", "... European glory 'We must be careful', ...",
/// "... of the magazine Short and sweet: Julia revealed ..."). See [`caption_join`] for the
/// rule; it never fires on lower-cased text and leaves titles and names alone ("The Great
/// Escape", "'Project Elysium'", "striker Wayne Rooney").
pub(crate) fn caption_pieces(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let Some(s) = text.get(range.clone()) else {
        return;
    };
    let b = s.as_bytes();
    let mut start = range.start;
    // A caption label opening the sentence ("Shooter: Ada Quill, 48, ...") is a piece of its own.
    if let Some(end) = label_end(s) {
        out.push(range.start..range.start + end);
        start = range.start + end + (s[end..].len() - s[end..].trim_start().len());
    }
    for i in 1..b.len() {
        // Only a word after a space that opens on a capital or a quotation mark can start a
        // sentence; most words are skipped on this test alone.
        if b[i - 1] != b' ' || !(b[i].is_ascii_uppercase() || matches!(b[i], b'\'' | b'"' | 0xC0..))
        {
            continue;
        }
        let before = s[..i].trim_end();
        let w1 = before.rsplit(' ').next().unwrap_or("");
        if !w1.is_empty() && range.start + i > start && caption_join(w1, &s[i..]) {
            let end = range.start + before.len();
            if end > start {
                out.push(start..end);
                start = range.start + i;
                if let Some(label) = label_end(&s[i..]) {
                    out.push(start..start + label);
                    let rest = &s[i + label..];
                    start += label + (rest.len() - rest.trim_start().len());
                }
            }
        }
    }
    if start < range.end {
        out.push(start..range.end);
    }
}

/// The end (just past its colon) of a caption label that opens `text`, if one does.
fn label_end(text: &str) -> Option<usize> {
    if !text.starts_with(char::is_uppercase) || !is_label(text) {
        return None;
    }
    let colon = text.find(':')?;
    (text.len() > colon + 1).then_some(colon + 1)
}

/// Whether a new sentence starts at `rest` (the text from a word on), after the word `w1`,
/// although no full stop comes before it. `w1` must end in a letter or digit (or a closing
/// bracket or quotation mark) and not be a function word or a word that introduces a name.
/// Then any of:
/// * a caption label: up to six words, the first capitalised, the last ending in a colon, and
///   a capital after it ("Short and sweet: Julia ...");
/// * "According to", or a sentence adverb with its comma ("Elsewhere, ...");
/// * "The" and a lower-case word or a number;
/// * after a lower-case word, a sentence opener ("A", "He", "But", ...) and a lower-case word
///   or a number, or an opening quotation mark, a capital and a lower-case word ("'We must").
fn caption_join(w1: &str, rest: &str) -> bool {
    let bare = w1.trim_end_matches([')', '\'', '’', '"', '”']);
    if !bare.chars().next_back().is_some_and(char::is_alphanumeric) {
        return false;
    }
    let (w2, after) = first_word(rest);
    // A new sentence starts with a capital or a quotation mark.
    if !w2
        .chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || matches!(c, '\'' | '‘' | '"' | '“'))
    {
        return false;
    }
    let (w3, _) = first_word(after);
    // The word lists last: they are the dearest test.
    starts_here(rest, w1, bare, w2, w3)
        && !in_list(super::shape::FUNCTION_WORDS, bare)
        && !in_list(BEFORE_NAMES, bare)
}

/// The first word of `text` (up to a space) and the text after it, leading spaces skipped.
fn first_word(text: &str) -> (&str, &str) {
    let t = text.trim_start_matches(' ');
    match t.find(' ') {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    }
}

/// The rules of [`caption_join`] about the words at and after the join.
fn starts_here(rest: &str, w1: &str, bare: &str, w2: &str, w3: &str) -> bool {
    let upper = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let lower = |w: &str| {
        w.chars()
            .next()
            .is_some_and(|c| c.is_lowercase() || c.is_ascii_digit())
    };
    if upper(w2) && is_label(rest) {
        return true;
    }
    let after_lower = lower(w1) || bare.len() < w1.len();
    if w2 == "According" && w3 == "to" {
        return true;
    }
    if let Some(adverb) = w2.strip_suffix(',')
        && matches!(
            adverb,
            "Elsewhere" | "Meanwhile" | "However" | "Earlier" | "Later" | "Yesterday" | "Today"
        )
    {
        return after_lower;
    }
    if !lower(w3) {
        return false;
    }
    if w2 == "The" {
        return true;
    }
    if !after_lower {
        return false;
    }
    if CAPTION_OPENERS.contains(&w2) {
        // "from A to B", "A and B".
        return !(matches!(w2, "A" | "An") && matches!(w3, "and" | "or" | "to" | "of"));
    }
    // An opening quotation mark, a capital, and the quotation goes on past this word.
    let mut chars = w2.chars();
    let (Some(q), Some(c)) = (chars.next(), chars.next()) else {
        return false;
    };
    let rest = &w2[q.len_utf8()..];
    let closed = rest
        .trim_end_matches([',', '.', '!', '?', ';', ':'])
        .ends_with(['\'', '’', '"', '”']);
    matches!(q, '\'' | '‘' | '"' | '“') && c.is_uppercase() && !closed
}

/// A caption label opens `rest`: at most six words, the last ending in a colon, no other
/// punctuation or speech verb among them, and a capitalised word or a number after the colon.
fn is_label(rest: &str) -> bool {
    // Cheap exit: no colon close by.
    let near = rest.len().min(80);
    if !rest.as_bytes()[..near].contains(&b':') {
        return false;
    }
    let mut t = rest;
    for _ in 0..6 {
        let (w, after) = first_word(t);
        if w.is_empty() {
            return false;
        }
        let core = w.trim_end_matches(':');
        if in_list(LABEL_STOPS, core) {
            return false;
        }
        if core.len() < w.len() {
            let (next, _) = first_word(after);
            return !core.is_empty()
                && next
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
        }
        if w.ends_with([',', '.', ';', '!', '?', ')']) {
            return false;
        }
        t = after;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sents(text: &str) -> Vec<&str> {
        split(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[&str])] = &[
            ("One. Two.", &["One.", "Two."]),
            (
                "The U.S. Army moved in. It left.",
                &["The U.S. Army moved in.", "It left."],
            ),
            (
                "He moved to the U.S. The move was hard.",
                &["He moved to the U.S.", "The move was hard."],
            ),
            (
                "She lives in the U.K. and works in Paris.",
                &["She lives in the U.K. and works in Paris."],
            ),
            (
                "Mr. Smith met Mrs. Jones and Ms. Lee. They talked.",
                &["Mr. Smith met Mrs. Jones and Ms. Lee.", "They talked."],
            ),
            (
                "Dr. Patel and Prof. Chen spoke. St. Louis won.",
                &["Dr. Patel and Prof. Chen spoke.", "St. Louis won."],
            ),
            (
                "Martin Luther King Jr. gave a speech. It was long.",
                &["Martin Luther King Jr. gave a speech.", "It was long."],
            ),
            (
                "Gen. Miles, Sen. Ward, Rep. Ito, Gov. Hale and Rev. Moss came. All left.",
                &[
                    "Gen. Miles, Sen. Ward, Rep. Ito, Gov. Hale and Rev. Moss came.",
                    "All left.",
                ],
            ),
            (
                "He works for Acme Inc. The firm grew.",
                &["He works for Acme Inc.", "The firm grew."],
            ),
            (
                "Acme Ltd. Chairman Bo Li resigned. Shares fell.",
                &["Acme Ltd. Chairman Bo Li resigned.", "Shares fell."],
            ),
            (
                "Smith & Co. and Jones Corp. merged. Staff cheered.",
                &["Smith & Co. and Jones Corp. merged.", "Staff cheered."],
            ),
            (
                "It was red vs. blue. Blue won.",
                &["It was red vs. blue.", "Blue won."],
            ),
            (
                "Bring fruit, e.g. apples, i.e. food. Go now.",
                &["Bring fruit, e.g. apples, i.e. food.", "Go now."],
            ),
            (
                "We met at 9 a.m. Tuesday. Then at 5 p.m. It rained.",
                &["We met at 9 a.m. Tuesday.", "Then at 5 p.m.", "It rained."],
            ),
            (
                "It opened on Jan. 5 and closed Dec. 9. Sept. 3 was quiet.",
                &[
                    "It opened on Jan. 5 and closed Dec. 9.",
                    "Sept. 3 was quiet.",
                ],
            ),
            (
                "He lives at No. 10 Downing Street. See Fig. 2 for more.",
                &["He lives at No. 10 Downing Street.", "See Fig. 2 for more."],
            ),
            (
                "They brought pens, paper, etc. The work began.",
                &["They brought pens, paper, etc.", "The work began."],
            ),
            (
                "George W. Bush spoke. J. K. Rowling wrote.",
                &["George W. Bush spoke.", "J. K. Rowling wrote."],
            ),
            (
                "Growth was 3.5 percent. It cost $1.2 billion. Fine.",
                &["Growth was 3.5 percent.", "It cost $1.2 billion.", "Fine."],
            ),
            (
                "He paused... and went on. Then… nothing. Wait… what?",
                &["He paused... and went on.", "Then… nothing.", "Wait… what?"],
            ),
            (
                "It ended... The crowd left.",
                &["It ended...", "The crowd left."],
            ),
            (
                "He said \"stop.\" Then he left.",
                &["He said \"stop.\"", "Then he left."],
            ),
            ("\"Stop!\" she said.", &["\"Stop!\" she said."]),
            ("'We won,' he said.", &["'We won,' he said."]),
            (
                "“Go home.” She did. ‘Fine.’ He agreed.",
                &["“Go home.”", "She did.", "‘Fine.’", "He agreed."],
            ),
            (
                "It was late (past midnight.) Nobody came.",
                &["It was late (past midnight.)", "Nobody came."],
            ),
            (
                "Really? Yes! Certainly.",
                &["Really?", "Yes!", "Certainly."],
            ),
            (
                "The line\nbreaks here but\ncontinues. Next one.",
                &["The line\nbreaks here but\ncontinues.", "Next one."],
            ),
            ("  padded.   Spaces  ", &["padded.", "Spaces"]),
            (
                "it was late. the crowd left. mr. smith stayed.",
                &["it was late.", "the crowd left.", "mr. smith stayed."],
            ),
            (
                "He was born in 1990. In 2000 he moved.",
                &["He was born in 1990.", "In 2000 he moved."],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(&sents(text), want, "splitting {text:?}");
        }
    }

    fn pieces(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for r in split(text) {
            caption_pieces(text, r, &mut out);
        }
        out.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn caption_joins_are_cut() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Shooter: Ada Quill, 48, pictured in 2012, fired at the mill A man who lost $500 \
                 on a lottery ticket shot his neighbour.",
                &[
                    "Shooter:",
                    "Ada Quill, 48, pictured in 2012, fired at the mill",
                    "A man who lost $500 on a lottery ticket shot his neighbour.",
                ],
            ),
            (
                "Bo Lind is hoping to win a second title this season 'We must be careful', \
                 Lind told reporters.",
                &[
                    "Bo Lind is hoping to win a second title this season",
                    "'We must be careful', Lind told reporters.",
                ],
            ),
            (
                "The mill covers the May issue of the magazine Short and sweet: Ada revealed \
                 the plan.",
                &[
                    "The mill covers the May issue of the magazine",
                    "Short and sweet:",
                    "Ada revealed the plan.",
                ],
            ),
            (
                "The dress was sold at auction on Saturday The dress has faded to grey.",
                &[
                    "The dress was sold at auction on Saturday",
                    "The dress has faded to grey.",
                ],
            ),
            (
                "The rescue took four hours (file image) The figures were released on Monday.",
                &[
                    "The rescue took four hours (file image)",
                    "The figures were released on Monday.",
                ],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(&pieces(text), want, "cutting {text:?}");
        }
    }

    #[test]
    fn names_titles_and_speech_are_not_cut() {
        for text in [
            "He starred in The Great Escape with his brother.",
            "Manager Bo Lind said 'We were unlucky' after the match.",
            "An app dubbed 'Project Elysium' claims to do just that.",
            "She told The Times that she would stay.",
            "They travelled from A to B on foot.",
            "The striker Wayne Rooney scored twice in the second half.",
            "Lind said: 'It was a long night.'",
            "He wrote in a statement: The club is sorry.",
            "the mill burned down overnight the owners said nothing.",
            "He has never played In The Night Garden with his son.",
        ] {
            assert_eq!(pieces(text), vec![text], "{text:?} was cut");
        }
    }

    #[test]
    fn caption_pieces_are_ordered_spans() {
        let text = "Tragic: Ada Quill died in 1995 K2 is hard. The rest A man came 'He left' \
                    and 'We stay here' she said. Last: One Two Three Four: Five six.";
        let mut last = 0;
        for r in split(text) {
            let mut out = Vec::new();
            caption_pieces(text, r.clone(), &mut out);
            assert_eq!(out.first().map(|p| p.start), Some(r.start));
            assert_eq!(out.last().map(|p| p.end), Some(r.end));
            for p in out {
                assert!(p.start >= last && p.start < p.end, "{p:?}");
                assert!(text.is_char_boundary(p.start) && text.is_char_boundary(p.end));
                last = p.end;
            }
        }
    }

    #[test]
    fn empty_and_blank() {
        assert!(split("").is_empty());
        assert!(split("  \n\t ").is_empty());
        assert_eq!(sents("no final mark"), vec!["no final mark"]);
    }

    #[test]
    fn multibyte_boundaries() {
        let text = "Ça va. Über… Ärger! «Non.» Ende";
        for r in split(text) {
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        }
    }
}
