//! Recognisers for the metadata lines at the head of an article: "Posted by", plain bylines,
//! repost lines that name the original author and outlet, and date lines.
//!
//! Each recogniser takes one cleaned line and either understands all of it or returns `None`, so
//! a body sentence that happens to start with "By" or a month name is never eaten.

use super::lexicon::{MONTHS, WEEKDAYS};

/// What a repost or "originally published" line says about the original.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Repost {
    pub authors: Vec<String>,
    /// The outlet's name, when the line names one.
    pub outlet: Option<String>,
}

/// Name particles that may stand in lower case inside a person's name.
const PARTICLES: &[&str] = &[
    "de", "da", "di", "del", "della", "der", "den", "du", "van", "von", "la", "le", "al", "el",
    "bin", "bint", "ibn", "ben", "dos", "das", "y", "st.", "ter", "op", "zu",
];

/// "Posted by NAME" (optionally followed by " on DATE" or " at TIME"): the name.
pub(crate) fn posted_by(line: &str) -> Option<String> {
    let rest = strip_prefix_ci(line, "posted by ")?;
    let name = cut_at_any(rest, &[" on ", " at ", " | ", " · ", " - ", " — ", ","]).trim();
    let name = name.trim_end_matches(['.', ':']);
    let words = name.split_whitespace().count();
    if (1..=5).contains(&words) && name.len() <= 60 {
        Some(name.to_string())
    } else {
        None
    }
}

/// "By Jane Doe", "By Jane Doe and John Roe", "Author: Jane Doe", "Written by Jane Doe": the names.
pub(crate) fn byline(line: &str) -> Option<Vec<String>> {
    #[rustfmt::skip]
    const PREFIXES: &[&str] = &[
        "by ", "author: ", "authors: ", "written by ", "words by ", "story by ", "reporting by ",
        "by: ",
    ];
    let rest = PREFIXES.iter().find_map(|p| strip_prefix_ci(line, p))?;
    // A date or outlet may follow the names after a separator.
    let names_part = cut_at_any(rest, &[" | ", " · ", " • ", " — ", " – ", " - ", " on "]);
    let names = name_list(names_part)?;
    if names.is_empty() { None } else { Some(names) }
}

/// Splits "A, B and C" into person names; the first part must be a name, later non-names (a
/// job title, an outlet) end the list.
fn name_list(text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for (i, part) in text
        .split(", ")
        .flat_map(|p| p.split(" and "))
        .flat_map(|p| p.split(" & "))
        .enumerate()
    {
        let part = part.trim().trim_end_matches(['.', ',', ';']).trim();
        let part = strip_prefix_ci(part, "and ").unwrap_or(part);
        if part.is_empty() {
            continue;
        }
        if looks_like_person(part) {
            out.push(part.to_string());
        } else if i == 0 {
            return None;
        } else {
            break;
        }
    }
    Some(out)
}

/// One to five words, each capitalised, an initial, or a name particle; not all capitals (an
/// outlet like "CNN").
pub(crate) fn looks_like_person(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || words.len() > 5 || text.len() > 50 {
        return false;
    }
    if words.len() == 1
        && words[0]
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase)
    {
        return false;
    }
    // "MORI", "BBC": outlets and acronyms, not people.
    if words
        .iter()
        .any(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase()))
    {
        return false;
    }
    let first_ok = words[0].chars().next().is_some_and(char::is_uppercase);
    first_ok
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                || PARTICLES.iter().any(|p| p.eq_ignore_ascii_case(w))
        })
        && words.iter().all(|w| {
            w.chars()
                .all(|c| c.is_alphabetic() || matches!(c, '.' | '-' | '\'' | '’'))
        })
}

/// A repost line: "This article by AUTHOR for the OUTLET is worth reading", "Originally
/// published at OUTLET", "Reposted from OUTLET", "Source: OUTLET". `link` is the first link of
/// the line, if any, which names the outlet more reliably than the prose around it.
pub(crate) fn repost(line: &str, link_text: Option<&str>) -> Option<Repost> {
    #[rustfmt::skip]
    const SOURCE_PREFIXES: &[&str] = &[
        "originally published at ", "originally published in ", "originally published on ",
        "originally published by ", "originally appeared in ", "originally appeared at ",
        "originally appeared on ", "this article originally appeared in ",
        "this article originally appeared on ", "this article was originally published in ",
        "this article was originally published at ", "this article was originally published by ",
        "this article was originally published on ", "reposted from ", "cross-posted from ",
        "crossposted from ", "republished from ", "source: ",
    ];
    if line.len() > 300 {
        return None;
    }
    if let Some(rest) = SOURCE_PREFIXES
        .iter()
        .find_map(|p| strip_prefix_ci(line, p))
    {
        let outlet = link_text
            .map(str::to_string)
            .or_else(|| outlet_name(rest))?;
        return Some(Repost {
            authors: Vec::new(),
            outlet: Some(outlet),
        });
    }
    // "This article by AUTHOR for the OUTLET ..."
    let rest = strip_prefix_ci(line, "this ").or_else(|| strip_prefix_ci(line, "the "))?;
    let (kind, rest) = rest.split_once(' ')?;
    #[rustfmt::skip]
    const KINDS: &[&str] = &[
        "article", "piece", "essay", "op-ed", "oped", "column", "post", "report", "story",
        "analysis", "commentary", "interview", "review", "investigation", "feature",
    ];
    if !KINDS.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
        return None;
    }
    let rest = strip_prefix_ci(rest, "by ")?;
    #[rustfmt::skip]
    const OUTLET_MARKERS: &[&str] = &[
        " for the ", " for ", " in the ", " in ", " at the ", " at ", " from the ", " from ",
        " on the ", " on ", " published in ", " published by ", ", published in ",
        ", published by ",
    ];
    let (names_end, marker_len) = OUTLET_MARKERS
        .iter()
        .filter_map(|m| find_ci(rest, m).map(|i| (i, m.len())))
        .min_by_key(|&(i, len)| (i, usize::MAX - len))?;
    let authors = name_list(&rest[..names_end])?;
    if authors.is_empty() {
        return None;
    }
    let outlet = link_text
        .map(str::to_string)
        .or_else(|| outlet_name(&rest[names_end + marker_len..]));
    Some(Repost { authors, outlet })
}

/// The outlet's name at the start of `text`: up to the verb or punctuation that ends it.
fn outlet_name(text: &str) -> Option<String> {
    let text = strip_prefix_ci(text, "the ").unwrap_or(text);
    let name = cut_at_any(
        text,
        &[
            " is ", " was ", " has ", " and is ", ", ", " - ", " — ", " – ", " | ", " (", ". ",
        ],
    );
    let name = name.trim().trim_end_matches(['.', ',', ';', ':']).trim();
    let name = strip_suffix_ci(name, " is worth reading").unwrap_or(name);
    if name.is_empty() || name.len() > 100 {
        None
    } else {
        Some(name.to_string())
    }
}

/// A line that is only a date, maybe with a label ("Published: March 3, 2024") and a time.
/// Returns the date as `YYYY-MM-DD`.
pub(crate) fn date_line(line: &str) -> Option<String> {
    #[rustfmt::skip]
    const LABELS: &[&str] = &[
        "published:", "published on", "published", "first published:", "first published on",
        "first published", "updated:", "updated on", "updated", "last updated:", "last updated on",
        "last updated", "posted on", "posted:", "posted", "date:", "dated", "on",
    ];
    if line.len() > 80 {
        return None;
    }
    let mut rest = line.trim();
    for label in LABELS {
        if let Some(r) = strip_prefix_ci(rest, label) {
            rest = r.trim_start();
            break;
        }
    }
    parse_date(rest)
}

/// Parses a date at the start of `text`; the rest may only be a time of day.
pub(crate) fn parse_date(text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches('.');
    // Weekday prefix: "Monday, March 3, 2024".
    let text = match text.split_once(", ") {
        Some((first, rest)) if weekday(first) => rest,
        _ => text,
    };
    let (ymd, rest) = iso_date(text)
        .or_else(|| month_first(text))
        .or_else(|| day_first(text))?;
    if !only_time(rest) {
        return None;
    }
    let (y, m, d) = ymd;
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in(y, m) {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

type Ymd = (u32, u32, u32);

fn iso_date(text: &str) -> Option<(Ymd, &str)> {
    let b = text.as_bytes();
    if b.len() < 10 || !(b[4] == b'-' || b[4] == b'/') || b[7] != b[4] {
        return None;
    }
    let y = text.get(0..4)?.parse().ok()?;
    let m = text.get(5..7)?.parse().ok()?;
    let d = text.get(8..10)?.parse().ok()?;
    let rest = text.get(10..)?;
    let rest = rest.strip_prefix('T').unwrap_or(rest);
    Some(((y, m, d), rest))
}

/// "March 3, 2024", "Jan. 5, 2025", "Sept 5 2024".
fn month_first(text: &str) -> Option<(Ymd, &str)> {
    let (mword, rest) = text.split_once(' ')?;
    let m = month(mword)?;
    let rest = rest.trim_start();
    let (day, rest) = leading_number(rest)?;
    let rest = strip_ordinal(rest);
    let rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    let (y, rest) = leading_number(rest)?;
    Some(((y, m, day), rest))
}

/// "3 March 2024", "3rd March, 2024".
fn day_first(text: &str) -> Option<(Ymd, &str)> {
    let (day, rest) = leading_number(text)?;
    let rest = strip_ordinal(rest).trim_start();
    let rest = strip_prefix_ci(rest, "of ").unwrap_or(rest);
    let (mword, rest) = rest.split_once(' ')?;
    let m = month(mword.trim_end_matches(','))?;
    let (y, rest) = leading_number(rest.trim_start())?;
    Some(((y, m, day), rest))
}

fn leading_number(text: &str) -> Option<(u32, &str)> {
    let end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    if end == 0 || end > 4 {
        return None;
    }
    Some((text[..end].parse().ok()?, &text[end..]))
}

fn strip_ordinal(text: &str) -> &str {
    for suffix in ["st", "nd", "rd", "th"] {
        if let Some(r) = text.strip_prefix(suffix) {
            return r;
        }
    }
    text
}

/// Whether `rest` is empty or only a time of day ("at 10:30 am", ", 14:05 GMT", "T09:00:00Z").
fn only_time(rest: &str) -> bool {
    let rest = rest.trim().trim_start_matches([',', '|', '-', '·']).trim();
    let rest = strip_prefix_ci(rest, "at ").unwrap_or(rest);
    if rest.is_empty() {
        return true;
    }
    let starts_digit = rest.bytes().next().is_some_and(|b| b.is_ascii_digit());
    starts_digit
        && rest.len() <= 30
        && rest.split_whitespace().count() <= 3
        && rest.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | ' ' | '+' | '-' | '(' | ')')
        })
}

fn month(word: &str) -> Option<u32> {
    let w = word.trim_end_matches(['.', ',']).to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    if w == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| *m == w || (w.len() == 3 && m.starts_with(w.as_str())))
        .map(|i| i as u32 + 1)
}

fn weekday(word: &str) -> bool {
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    w.len() >= 3
        && WEEKDAYS
            .iter()
            .any(|d| *d == w || d.starts_with(w.as_str()) && w.len() == 3)
}

fn days_in(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `text` without `prefix`, compared without regard to ASCII case.
pub(crate) fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn strip_suffix_ci<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..cut])
}

/// Byte offset of `needle` (ASCII) in `hay`, ignoring ASCII case.
pub(crate) fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    if n == 0 || hay.len() < n {
        return None;
    }
    let hb = hay.as_bytes();
    let nb = needle.as_bytes();
    (0..=hb.len() - n).find(|&i| hb[i..i + n].eq_ignore_ascii_case(nb))
}

/// `text` up to the first of `seps` (case-insensitive), or all of it.
fn cut_at_any<'a>(text: &'a str, seps: &[&str]) -> &'a str {
    let end = seps
        .iter()
        .filter_map(|s| find_ci(text, s))
        .min()
        .unwrap_or(text.len());
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posted_by_lines() {
        assert_eq!(posted_by("Posted by Ada Quill"), Some("Ada Quill".into()));
        assert_eq!(
            posted_by("Posted by Ada Quill on March 3, 2024"),
            Some("Ada Quill".into())
        );
        assert_eq!(
            posted_by("Posted by a very long sentence that is not a name at all"),
            None
        );
    }

    #[test]
    fn bylines() {
        assert_eq!(byline("By Jane Doe"), Some(vec!["Jane Doe".to_string()]));
        assert_eq!(
            byline("By Jane Doe and John Roe"),
            Some(vec!["Jane Doe".to_string(), "John Roe".to_string()])
        );
        assert_eq!(
            byline("By Jane Doe, John Roe and Ann de la Cruz"),
            Some(vec![
                "Jane Doe".into(),
                "John Roe".into(),
                "Ann de la Cruz".into()
            ])
        );
        assert_eq!(
            byline("Author: Jane Q. Doe"),
            Some(vec!["Jane Q. Doe".to_string()])
        );
        assert_eq!(
            byline("By Jane Doe, CNN | March 3, 2024"),
            Some(vec!["Jane Doe".to_string()])
        );
        assert_eq!(byline("By the time we arrived, it was over."), None);
        assert_eq!(byline("Bystanders ran."), None);
    }

    #[test]
    fn reposts() {
        let r = repost(
            "This article by Mira Tal for the Institute for Lake Studies is worth reading",
            None,
        );
        assert_eq!(
            r,
            Some(Repost {
                authors: vec!["Mira Tal".into()],
                outlet: Some("Institute for Lake Studies".into()),
            })
        );
        let r = repost(
            "This essay by Mira Tal in the Harbour Review",
            Some("Harbour Review"),
        );
        assert_eq!(r.and_then(|r| r.outlet), Some("Harbour Review".into()));
        let r = repost("Originally published at The Valley Gazette.", None);
        assert_eq!(r.and_then(|r| r.outlet), Some("Valley Gazette".into()));
        assert_eq!(repost("This story is not a repost line", None), None);
    }

    #[test]
    fn dates() {
        assert_eq!(
            date_line("Published: March 3, 2024"),
            Some("2024-03-03".into())
        );
        assert_eq!(date_line("Jan 5, 2025"), Some("2025-01-05".into()));
        assert_eq!(date_line("2024-03-03"), Some("2024-03-03".into()));
        assert_eq!(
            date_line("Sept. 9, 2023 at 10:30 am"),
            Some("2023-09-09".into())
        );
        assert_eq!(
            date_line("Updated 3rd March 2024"),
            Some("2024-03-03".into())
        );
        assert_eq!(
            date_line("Monday, 12 February 2024 14:05 GMT"),
            Some("2024-02-12".into())
        );
        assert_eq!(date_line("February 30, 2024"), None);
        assert_eq!(date_line("March 3, 2024 was a turning point."), None);
        assert_eq!(date_line("May the best team win"), None);
    }
}
