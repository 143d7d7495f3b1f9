//! Search snippets for PostgreSQL, made here rather than by `ts_headline`: that parses the
//! whole body again for each hit (0.4 ms an article, the same as `to_tsvector`), which was
//! half the time of a five-hit search. The search's words are the lexemes PostgreSQL made of
//! the query (stemmed, stop words gone); a body word is one of them when the Snowball English
//! stemmer, the algorithm of PostgreSQL's `english_stem`, gives the same stem. So the snippet
//! shows the words the search found.

use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

/// Words in a snippet: as many as SQLite's `snippet(…, 16)` shows.
const WORDS: usize = 16;

/// Words kept before the first match, so it is read in its sentence.
const LEAD: usize = 2;

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// A word of the body (a run of letters and digits): where it starts and ends, in bytes, and
/// which of the search's words it is, if any.
struct Word {
    start: usize,
    end: usize,
    term: Option<usize>,
}

/// A word of a search as PostgreSQL's `to_tsquery('english', …)` made it: stemmed, stop words
/// gone, and whether it is a prefix.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Lexeme {
    stem: String,
    prefix: bool,
}

/// The lexemes of a `tsquery` in its text form (`'garden' & 'bridg':*`). The words a search
/// sends hold letters and digits only, so each lexeme is a quoted run with no quote inside.
pub(super) fn lexemes(tsquery: &str) -> Vec<Lexeme> {
    let parts: Vec<&str> = tsquery.split('\'').collect();
    parts
        .iter()
        .enumerate()
        .skip(1)
        .step_by(2)
        .map(|(i, stem)| Lexeme {
            stem: (*stem).to_owned(),
            prefix: parts
                .get(i + 1)
                .is_some_and(|after| after.starts_with(":*")),
        })
        .collect()
}

/// [`WORDS`] words of `body` around the search's words: the stretch holding the most different
/// ones (then the most matches, then the first), with `…` where the body goes on. The body's
/// start when none is in it (the title matched). Whitespace runs, paragraph breaks among them,
/// become one space.
pub(super) fn snippet(body: &str, lexemes: &[Lexeme]) -> String {
    let matches = |word: &str| -> Option<usize> {
        // The stemmer only ever changes a word's ending, so a word whose first letter starts
        // no lexeme cannot match one: most words are never lower-cased or stemmed.
        let first = word.chars().next()?.to_lowercase().next()?;
        if !lexemes.iter().any(|l| l.stem.starts_with(first)) {
            return None;
        }
        let lower = word.to_lowercase();
        let stem = stemmer().stem(&lower);
        lexemes.iter().position(|l| {
            if l.prefix {
                stem.starts_with(&l.stem)
            } else {
                *stem == l.stem
            }
        })
    };

    let mut words: Vec<Word> = Vec::new();
    let mut rest = body.char_indices().peekable();
    while let Some((start, c)) = rest.next() {
        if !c.is_alphanumeric() {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = rest.peek() {
            if !c.is_alphanumeric() {
                break;
            }
            end = i + c.len_utf8();
            rest.next();
        }
        words.push(Word {
            start,
            end,
            term: matches(&body[start..end]),
        });
    }
    if words.is_empty() {
        return String::new();
    }

    let score = |from: usize| {
        let window = &words[from..(from + WORDS).min(words.len())];
        let mut seen = vec![false; lexemes.len()];
        let mut total = 0;
        for term in window.iter().filter_map(|w| w.term) {
            seen[term] = true;
            total += 1;
        }
        (seen.iter().filter(|s| **s).count(), total)
    };
    let mut best = (0, (0, 0));
    for (i, word) in words.iter().enumerate() {
        if word.term.is_some() {
            let from = i.saturating_sub(LEAD);
            let s = score(from);
            if s > best.1 {
                best = (from, s);
            }
        }
    }
    // A stretch that would run off the end starts earlier, to show as many words.
    let from = best.0.min(words.len().saturating_sub(WORDS));
    let to = (from + WORDS).min(words.len());

    let end = if to == words.len() {
        body.len()
    } else {
        // The word's trailing punctuation, up to the next space.
        body[words[to - 1].end..]
            .find(char::is_whitespace)
            .map_or(body.len(), |n| words[to - 1].end + n)
    };
    let mut text = String::new();
    if from > 0 {
        text.push('…');
    }
    text.push_str(
        &body[words[from].start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    );
    if to < words.len() {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lexemes `to_tsquery('english', …)` makes of `words`, the last a prefix if asked
    /// (no stop word among them), through their text form.
    fn terms(words: &[&str], prefix: bool) -> Vec<Lexeme> {
        let mut text: Vec<String> = words
            .iter()
            .map(|w| format!("'{}'", stemmer().stem(w)))
            .collect();
        if prefix && let Some(last) = text.last_mut() {
            last.push_str(":*");
        }
        lexemes(&text.join(" & "))
    }

    #[test]
    fn lexemes_are_read_from_the_query_text() {
        let lexeme = |stem: &str, prefix| Lexeme {
            stem: stem.to_owned(),
            prefix,
        };
        assert_eq!(
            lexemes("'garden' & 'bridg':*"),
            vec![lexeme("garden", false), lexeme("bridg", true)]
        );
        assert_eq!(
            lexemes("'flower' | 'steel'"),
            vec![lexeme("flower", false), lexeme("steel", false)]
        );
        assert_eq!(lexemes(""), vec![]);
    }

    const BODY: &str = "One two three four five six seven eight nine ten. The gardens were \
        planted in spring, and by summer the old bridge over the river had flowers on both \
        rails. Eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen \
        twenty twenty-one twenty-two.";

    #[test]
    fn shows_the_stretch_with_the_most_search_words() {
        // "garden" finds "gardens" by its stem; "flowers" and "bridge" sit together later.
        assert_eq!(
            snippet(BODY, &terms(&["garden"], false)),
            "…ten. The gardens were planted in spring, and by summer the old bridge over the river…"
        );
        assert_eq!(
            snippet(BODY, &terms(&["flower", "bridge"], false)),
            "…the old bridge over the river had flowers on both rails. Eleven twelve thirteen fourteen fifteen…"
        );
    }

    #[test]
    fn a_prefix_matches_the_start_of_a_word() {
        assert_eq!(
            snippet(BODY, &terms(&["river", "flo"], true)),
            snippet(BODY, &terms(&["river", "flowers"], false))
        );
        assert!(snippet(BODY, &terms(&["flo"], true)).contains("flowers"));
        // Without the prefix, "flo" is a word of its own, found nowhere: the body's start.
        assert!(snippet(BODY, &terms(&["flo"], false)).starts_with("One two"));
    }

    #[test]
    fn the_end_of_the_body_is_not_cut_short() {
        let text = snippet(BODY, &terms(&["nineteen"], false));
        assert!(
            text.starts_with("…both rails. Eleven") && text.ends_with("twenty-two."),
            "{text}"
        );
    }

    #[test]
    fn short_empty_and_unicode_bodies() {
        assert_eq!(
            snippet("Café crème.", &terms(&["crème"], false)),
            "Café crème."
        );
        assert_eq!(snippet("", &terms(&["x"], false)), "");
        assert_eq!(snippet(" … — ", &terms(&["x"], false)), "");
        // No search words at all (a query of stop words only): the body's start.
        assert_eq!(snippet("Just this.", &[]), "Just this.");
        assert_eq!(
            snippet("Ünïcödé wörds\n\nhere", &terms(&["wörds"], false)),
            "Ünïcödé wörds here"
        );
    }
}
