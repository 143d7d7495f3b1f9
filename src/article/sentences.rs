//! Sentence splitting for English prose.
//!
//! A single forward pass over the text that only stops at `.`, `!`, `?` and `…`. At each
//! candidate it looks at the word before the mark and the word after the following space, so the
//! cost is linear in the text and nothing is allocated except the returned ranges.
//!
//! The rules err towards keeping text together: a missed boundary makes a summary sentence a bit
//! long, a false one cuts a name or a quotation in half, which a reader notices at once.

use std::ops::Range;

/// Titles and other abbreviations that never end a sentence, whatever follows them.
const ALWAYS_JOIN: &[&str] = &[
    "mr", "mrs", "ms", "messrs", "mme", "dr", "prof", "gen", "sen", "rep", "gov", "rev", "sgt",
    "capt", "lt", "col", "maj", "adm", "cmdr", "hon", "pres", "supt", "insp", "det", "mt", "ft",
    "fig", "figs", "vs", "v", "cf", "approx", "e.g", "i.e", "eg", "ie", "viz", "al", "esp",
];

/// Abbreviations that never end a sentence when a number follows ("No. 10", "Jan. 5").
const JOIN_BEFORE_NUMBER: &[&str] = &[
    "no", "nos", "vol", "pp", "p", "art", "sec", "ch", "para", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "op", "ed",
];

/// Abbreviations that may end a sentence; they do only when a sentence opener follows.
const MAYBE_END: &[&str] = &[
    "inc", "ltd", "co", "corp", "jr", "sr", "etc", "st", "bros", "plc", "llc", "ave", "blvd", "rd",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "est",
    "dept", "univ", "assn",
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
    if next_digit && in_list(JOIN_BEFORE_NUMBER, token) {
        return false;
    }
    if next_lower && !lower_mode {
        return false;
    }
    let opener = in_list(OPENERS, next);
    if in_list(MAYBE_END, token) || is_dotted_acronym(token) || is_initial(token, lower_mode) {
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
