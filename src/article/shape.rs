//! Line shapes: what a line is by its look alone (separator, list item, Markdown heading, image
//! caption, standalone heading, boilerplate), before any joining.
//!
//! These are the judgement calls of the parser, kept apart so that each has its own tests.

use super::meta::strip_prefix_ci;

/// A line made only of dashes, em dashes, asterisks, underscores, `=` or `~` (and spaces).
pub(crate) fn is_separator(line: &str) -> bool {
    let mut any = false;
    for c in line.chars() {
        match c {
            '-' | '—' | '–' | '*' | '_' | '=' | '~' | '•' | '·' => any = true,
            c if c.is_whitespace() => {}
            _ => return false,
        }
    }
    any
}

/// A setext underline (`===` or `---`) that turns the line above into a heading.
pub(crate) fn is_setext_underline(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 2 && (t.bytes().all(|b| b == b'=') || t.bytes().all(|b| b == b'-'))
}

/// The text of a Markdown ATX heading (`# Title`, `## Part ##`), if `line` is one.
pub(crate) fn atx_heading(line: &str) -> Option<&str> {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    if hashes == 0 || hashes > 6 {
        return None;
    }
    let rest = &line[hashes..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').trim_end();
    Some(text)
}

/// The item text of a list line (`- x`, `* x`, `+ x`, `• x`, `1. x`, `2) x`), if `line` is one.
pub(crate) fn list_item(line: &str) -> Option<&str> {
    for bullet in ["- ", "* ", "+ ", "• ", "· ", "– "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            let rest = rest.trim_start();
            return (!rest.is_empty()).then_some(rest);
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=2).contains(&digits) {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            let rest = rest.trim_start();
            // "2. the ..." is more likely a wrapped sentence than a list.
            if rest.chars().next().is_some_and(|c| !c.is_lowercase()) {
                return Some(rest);
            }
        }
    }
    None
}

/// Words that give a photo credit away.
#[rustfmt::skip]
const CREDIT_WORDS: &[&str] = &[
    "photo", "photos", "photograph", "image", "images", "credit", "getty", "reuters", "ap", "afp",
    "flickr", "shutterstock", "wikimedia", "commons", "epa", "alamy", "pa", "courtesy",
    "illustration", "istock", "unsplash", "pool", "file", "handout", "supplied", "bloomberg",
    "xinhua",
];

/// A standalone line that reads as an image caption: a "Photo:"-style label, or a trailing
/// credit in parentheses or after a dash.
pub(crate) fn is_caption(line: &str) -> bool {
    #[rustfmt::skip]
    const LABELS: &[&str] = &[
        "photo:", "image:", "caption:", "pictured:", "picture:", "photograph:", "illustration:",
        "photo credit:", "image credit:",
    ];
    if line.len() > 400 {
        return false;
    }
    if LABELS.iter().any(|l| strip_prefix_ci(line, l).is_some()) {
        return true;
    }
    let t = line.trim_end();
    if let Some(body) = t.strip_suffix(')')
        && let Some(open) = body.rfind('(')
    {
        let credit = &body[open + 1..];
        if has_credit(credit) || (credit.contains('/') && line.split_whitespace().count() <= 30) {
            return true;
        }
    }
    for sep in [" - ", " — ", " – ", " | ", " / "] {
        if let Some(pos) = t.rfind(sep) {
            let tail = &t[pos + sep.len()..];
            if tail.split_whitespace().count() <= 8 && has_credit(tail) {
                return true;
            }
        }
    }
    false
}

fn has_credit(text: &str) -> bool {
    if text.contains("CC BY") || text.contains("CC-BY") {
        return true;
    }
    text.split(|c: char| !c.is_alphanumeric()).any(|w| {
        if w.len() <= 3 {
            // Short credits are agency acronyms: match them only in capitals.
            matches!(w, "AP" | "AFP" | "EPA" | "PA")
        } else {
            CREDIT_WORDS.iter().any(|c| c.eq_ignore_ascii_case(w))
        }
    })
}

/// Lines that are site furniture, not article text.
pub(crate) fn is_boilerplate(line: &str) -> bool {
    #[rustfmt::skip]
    const SHORT: &[&str] = &[
        "read it all", "read more", "read the full", "read the rest", "read the whole",
        "read the original", "read the entire", "read the complete", "continue reading",
        "keep reading", "click here", "share this", "share on ", "share:", "subscribe to",
        "subscribe for", "subscribe now", "sign up for", "sign up to", "follow us on", "related:",
        "related articles", "related stories", "advertisement", "scroll down for video",
        "to continue reading", "already a subscriber", "become a member", "support our journalism",
        "all rights reserved", "copyright ©", "©", "tags:", "filed under",
    ];
    #[rustfmt::skip]
    const COOKIES: &[&str] = &[
        "we use cookies", "this site uses cookies", "this website uses cookies",
        "by continuing to use", "accept cookies", "accept all cookies", "you have reached your",
        "you've reached your", "subscribe to continue",
    ];
    let t = line.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '©');
    if t.len() <= 160 && SHORT.iter().any(|p| strip_prefix_ci(t, p).is_some()) {
        return true;
    }
    t.len() <= 400 && COOKIES.iter().any(|p| strip_prefix_ci(t, p).is_some())
}

/// Whether `text` ends a sentence: `.`, `!`, `?`, `…` (maybe followed by closing quotes or
/// brackets), or a colon that announces what follows.
pub(crate) fn ends_sentence(text: &str) -> bool {
    let t = text
        .trim_end()
        .trim_end_matches(['"', '\'', '”', '’', ')', ']', '»', '*', '_']);
    t.ends_with(['.', '!', '?', '…', ':'])
}

/// Short words after which a sentence cannot stop: a block ending in one is cut mid-sentence.
pub(crate) const FUNCTION_WORDS: &[&str] = &[
    "the", "a", "an", "of", "and", "to", "in", "on", "at", "by", "for", "from", "with", "as", "or",
    "but", "nor", "that", "which", "who", "whom", "whose", "is", "are", "was", "were", "be",
    "been", "has", "have", "had", "will", "would", "can", "could", "should", "may", "might",
    "must", "into", "than", "his", "her", "their", "its", "our", "my", "your", "this", "these",
    "those", "if", "when", "while", "because", "about", "such", "not", "so", "very", "also",
    "both", "either", "neither", "between", "against", "through", "over", "under", "after",
    "before", "without", "within", "upon", "onto", "whether", "where", "how", "what",
];

/// Whether the last word of `text` is a function word (or `text` ends with a comma).
pub(crate) fn ends_mid_sentence(text: &str) -> bool {
    let t = text.trim_end();
    if t.ends_with([',', ';']) {
        return true;
    }
    let last = t.rsplit(char::is_whitespace).next().unwrap_or("");
    FUNCTION_WORDS.iter().any(|w| w.eq_ignore_ascii_case(last))
}

/// A short standalone line that can head a section: a few words, capitalised, no sentence
/// punctuation at its end.
pub(crate) fn is_heading_shape(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() || t.len() > 80 || t.split_whitespace().count() > 10 {
        return false;
    }
    if is_summary_heading(t) {
        return true;
    }
    let first = t.chars().next();
    if !first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()) {
        return false;
    }
    if ends_sentence(t) || ends_mid_sentence(t) || t.ends_with(['—', '–', '-']) {
        return false;
    }
    // Handles, addresses and stray markup are not headings.
    !t.contains(['@', '<', '>', '{', '}', '|']) && !t.contains("://")
}

/// Headings under which the author summarises the article.
pub(crate) fn is_summary_heading(text: &str) -> bool {
    #[rustfmt::skip]
    const NAMES: &[&str] = &[
        "summary", "abstract", "tl;dr", "tldr", "tl dr", "key points", "in brief", "key takeaways",
        "takeaways", "at a glance", "executive summary",
    ];
    let t = text.trim().trim_end_matches([':', '.']).trim();
    NAMES.iter().any(|n| n.eq_ignore_ascii_case(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        for s in ["—", "---", "* * *", "___", "===", " – ", "~~~"] {
            assert!(is_separator(s), "{s:?}");
        }
        for s in ["", "- a", "—x"] {
            assert!(!is_separator(s), "{s:?}");
        }
    }

    #[test]
    fn lists_and_headings() {
        assert_eq!(list_item("- one"), Some("one"));
        assert_eq!(list_item("12) Twelve"), Some("Twelve"));
        assert_eq!(list_item("2. the end"), None);
        assert_eq!(list_item("-5 degrees"), None);
        assert_eq!(atx_heading("## Part two ##"), Some("Part two"));
        assert_eq!(atx_heading("#hashtag"), None);
    }

    #[test]
    fn captions() {
        let yes = [
            "Ada Quill. (Jo Bloggs/Flickr/CC BY 2.0)",
            "Protesters gather outside the court (Photo: Jo Bloggs)",
            "The harbour at dawn. (Getty Images)",
            "Firefighters at the scene - AP Photo",
            "Photo: The old mill in 1950",
            "Pictured: the new bridge",
            "The bridge in 1920 (courtesy of the town archive)",
        ];
        for s in yes {
            assert!(is_caption(s), "{s:?}");
        }
        let no = [
            "Conclusion",
            "The vote (held on Monday) went badly.",
            "He said the AP was wrong about it all along, and many agreed with him.",
            "Results - what we found",
        ];
        for s in no {
            assert!(!is_caption(s), "{s:?}");
        }
    }

    #[test]
    fn heading_shapes() {
        assert!(is_heading_shape("Summary"));
        assert!(is_heading_shape("What comes next"));
        assert!(is_heading_shape("Key points:"));
        assert!(!is_heading_shape("against him online and off."));
        assert!(!is_heading_shape("Nothing here is final."));
        assert!(!is_heading_shape("He said:"));
        assert!(!is_heading_shape("lowercase start"));
        assert!(!is_heading_shape("The end of the"));
    }

    #[test]
    fn boilerplate() {
        for s in [
            "Read it all here.",
            "Read more: the full story",
            "Continue reading",
            "Click here to subscribe",
            "Share this:",
            "We use cookies to improve your experience.",
            "Sign up for our newsletter",
        ] {
            assert!(is_boilerplate(s), "{s:?}");
        }
        assert!(!is_boilerplate("Reading the report, one sees a pattern."));
    }

    #[test]
    fn sentence_ends() {
        assert!(ends_sentence("done."));
        assert!(ends_sentence("he said “go.”"));
        assert!(ends_sentence("as follows:"));
        assert!(!ends_sentence("in their campaigns"));
        assert!(ends_mid_sentence("but more importantly,"));
        assert!(ends_mid_sentence("persisted in the"));
        assert!(!ends_mid_sentence("MEK has been quiet"));
    }
}
