//! Structure: from raw text to title, metadata, sections, captions, links and body paragraphs.
//!
//! Two passes. The first cuts the input into units (a heading, a list item, a separator, or a
//! run of text lines between blank lines) without interpreting them. The second walks the units
//! in order, decides what each one is, and rejoins text that hard wrapping split across blank
//! lines, lifting out captions that landed between the two halves of a sentence.

use super::inline::{self, Extras};
use super::{Article, Link, Paragraph, meta, shape};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Heading,
    Item,
    Separator,
}

#[derive(Debug)]
struct Unit {
    kind: Kind,
    /// The unit's lines joined by single spaces, Markdown still in place.
    raw: String,
    lines: usize,
    /// The only unit of its blank-line-delimited block, and a single line.
    standalone: bool,
}

/// Cuts `input` into units. With `take_title`, the first non-blank line is returned as the
/// title instead of becoming a unit.
fn units(input: &str, take_title: bool) -> (Option<&str>, Vec<Unit>) {
    let mut out: Vec<Unit> = Vec::new();
    let mut title: Option<&str> = None;
    let mut open = false;
    let mut block_start = 0;
    let mut after_title = false;
    let end_block = |out: &mut Vec<Unit>, block_start: usize| {
        if out.len() == block_start + 1
            && let Some(u) = out.last_mut()
        {
            u.standalone = u.lines == 1;
        }
    };
    for raw in input.split('\n') {
        let mut line = raw.trim();
        while let Some(rest) = line.strip_prefix('>') {
            line = rest.trim_start();
        }
        if line.is_empty() {
            open = false;
            after_title = false;
            end_block(&mut out, block_start);
            block_start = out.len();
            continue;
        }
        if take_title && title.is_none() {
            title = Some(shape::atx_heading(line).unwrap_or(line));
            after_title = true;
            continue;
        }
        if after_title && (shape::is_setext_underline(line) || shape::is_separator(line)) {
            // The underline of a setext title.
            after_title = false;
            continue;
        }
        after_title = false;
        if let Some(text) = shape::atx_heading(line) {
            open = false;
            out.push(Unit {
                kind: Kind::Heading,
                raw: text.to_string(),
                lines: 1,
                standalone: false,
            });
            continue;
        }
        if shape::is_setext_underline(line)
            && open
            && out.len() == block_start + 1
            && out
                .last()
                .is_some_and(|u| u.kind == Kind::Text && u.lines == 1)
        {
            if let Some(u) = out.last_mut() {
                u.kind = Kind::Heading;
            }
            open = false;
            continue;
        }
        if shape::is_separator(line) {
            open = false;
            out.push(Unit {
                kind: Kind::Separator,
                raw: String::new(),
                lines: 1,
                standalone: false,
            });
            continue;
        }
        if let Some(item) = shape::list_item(line) {
            open = true;
            out.push(Unit {
                kind: Kind::Item,
                raw: item.to_string(),
                lines: 1,
                standalone: false,
            });
            continue;
        }
        match out.last_mut() {
            Some(u) if open => {
                u.raw.push(' ');
                u.raw.push_str(line);
                u.lines += 1;
            }
            _ => {
                open = true;
                out.push(Unit {
                    kind: Kind::Text,
                    raw: line.to_string(),
                    lines: 1,
                    standalone: false,
                });
            }
        }
    }
    end_block(&mut out, block_start);
    (title, out)
}

/// A body paragraph still open to a continuation.
struct Pending {
    text: String,
    section: Option<String>,
}

struct Builder {
    out: Article,
    section: Option<String>,
    pending: Option<Pending>,
    body_started: bool,
    /// A short line taken for a heading by its shape alone, with the section before it, until
    /// body text follows it. A "heading" with nothing after it was text after all.
    unconfirmed_heading: Option<(String, Option<String>)>,
}

impl Builder {
    fn flush(&mut self) {
        if let Some(p) = self.pending.take() {
            self.push_paragraph(p.text, p.section);
        }
    }

    fn push_paragraph(&mut self, text: String, section: Option<String>) {
        let text = strip_dangling_dash(&text);
        if !text.is_empty() {
            self.unconfirmed_heading = None;
            self.out.paragraphs.push(Paragraph {
                section,
                text: text.to_string(),
            });
        }
    }

    fn clean(&mut self, raw: &str) -> String {
        let mut extras = Extras::default();
        let text = inline::clean(raw, &mut extras);
        self.out.links.append(&mut extras.links);
        self.out.captions.append(&mut extras.images);
        text
    }

    /// Metadata lines; true when `text` was one.
    fn metadata(&mut self, text: &str, first_link: Option<&Link>) -> bool {
        if !self.body_started {
            if let Some(name) = meta::posted_by(text) {
                self.out.byline.get_or_insert(name);
                if let Some(date) = date_in_parts(text) {
                    self.out.published.get_or_insert(date);
                }
                return true;
            }
            if text.len() <= 160
                && let Some(names) = meta::byline(text)
            {
                if self.out.byline.is_none() {
                    self.out.byline = Some(names.join(" and "));
                }
                if self.out.authors.is_empty() {
                    self.out.authors = names;
                }
                if let Some(date) = date_in_parts(text) {
                    self.out.published.get_or_insert(date);
                }
                return true;
            }
            if self.out.published.is_none()
                && let Some(date) = meta::date_line(text)
            {
                self.out.published = Some(date);
                return true;
            }
        }
        if let Some(r) = meta::repost(text, first_link.map(|l| l.text.as_str())) {
            if self.out.authors.is_empty() {
                self.out.authors = r.authors;
            }
            if self.out.source.name.is_none() {
                self.out.source.name = r.outlet;
            }
            if self.out.source.url.is_none() {
                self.out.source.url = first_link
                    .map(|l| l.url.as_str())
                    .filter(|u| is_absolute_url(u))
                    .map(str::to_string);
            }
            return true;
        }
        false
    }

    fn unit(&mut self, unit: &Unit) {
        match unit.kind {
            Kind::Separator => self.flush(),
            Kind::Heading => {
                let text = self.clean(&unit.raw);
                self.flush();
                if !text.is_empty() && text != self.out.title {
                    self.section = Some(heading_name(&text));
                }
            }
            Kind::Item => {
                let text = self.clean(&unit.raw);
                self.flush();
                if !text.is_empty() && !shape::is_boilerplate(&text) {
                    self.body_started = true;
                    let section = self.section.clone();
                    self.push_paragraph(text, section);
                }
            }
            Kind::Text => self.text_unit(unit),
        }
    }

    fn text_unit(&mut self, unit: &Unit) {
        let links_before = self.out.links.len();
        let text = self.clean(&unit.raw);
        if text.is_empty() {
            // An image on its own: its alt text is already a caption.
            return;
        }
        if unit.standalone && text == self.out.title {
            // Scraped pages repeat the headline under the title.
            return;
        }
        let first_link = self.out.links.get(links_before).cloned();
        if self.metadata(&text, first_link.as_ref()) {
            self.flush();
            return;
        }
        if unit.standalone && shape::is_caption(&text) {
            // Lifted out without closing the paragraph it may interrupt.
            self.out.captions.push(text);
            return;
        }
        if shape::is_boilerplate(&text) {
            self.flush();
            return;
        }
        let continues = self
            .pending
            .as_ref()
            .is_some_and(|p| !shape::ends_sentence(&p.text) && shape::ends_mid_sentence(&p.text));
        if unit.standalone && !continues && shape::is_heading_shape(&text) {
            self.flush();
            let before = self.section.replace(heading_name(&text));
            self.unconfirmed_heading = Some((text, before));
            return;
        }
        if let Some(rest) = tldr(&text) {
            self.flush();
            self.body_started = true;
            self.push_paragraph(rest.to_string(), Some("TL;DR".to_string()));
            return;
        }
        let text = strip_furniture(text);
        if text.is_empty() {
            return;
        }
        self.body_started = true;
        match self.pending.as_mut() {
            Some(p) if should_join(&p.text, &text) => {
                p.text.push(' ');
                p.text.push_str(&text);
            }
            _ => {
                self.flush();
                self.pending = Some(Pending {
                    text,
                    section: self.section.clone(),
                });
            }
        }
    }
}

/// Parses the structure of `input`: everything of the article but its summary and quotations.
/// The caller has checked size and blankness.
pub(crate) fn parse(input: &str, title: Option<&str>) -> Article {
    let (title_line, units) = units(input, title.is_none());
    let mut b = Builder {
        out: Article::default(),
        section: None,
        pending: None,
        body_started: false,
        unconfirmed_heading: None,
    };
    b.out.title = match title {
        Some(t) => t.trim().to_string(),
        None => {
            let t = title_line.unwrap_or("");
            b.clean(t)
        }
    };
    for unit in &units {
        b.unit(unit);
    }
    b.flush();
    if let Some((text, section)) = b.unconfirmed_heading.take() {
        b.push_paragraph(text, section);
    }
    b.out
}

/// Whether a block that ends `prev` continues in the block `next` (a hard wrap across a blank
/// line): `prev` stops mid-sentence and `next` starts in lower case, or `prev` ends in a comma
/// or a function word.
fn should_join(prev: &str, next: &str) -> bool {
    if shape::ends_sentence(prev) {
        return false;
    }
    if next.chars().next().is_some_and(char::is_lowercase) {
        return true;
    }
    shape::ends_mid_sentence(prev)
}

/// A heading's name as a section label.
fn heading_name(text: &str) -> String {
    text.trim().trim_end_matches(':').trim_end().to_string()
}

/// "TL;DR: the point" on one line: the point.
fn tldr(text: &str) -> Option<&str> {
    ["tl;dr:", "tldr:", "tl;dr -", "tl;dr —"]
        .iter()
        .find_map(|p| meta::strip_prefix_ci(text, p))
        .map(str::trim)
        .filter(|r| !r.is_empty())
}

/// A dash left hanging at a paragraph's end (a closing "—") is not text.
fn strip_dangling_dash(text: &str) -> &str {
    let mut t = text.trim();
    while let Some(rest) = t
        .strip_suffix('—')
        .or_else(|| t.strip_suffix('–'))
        .or_else(|| t.strip_suffix(" -"))
    {
        t = rest.trim_end();
    }
    t
}

/// Removes site furniture that scrapers leave inside running text.
fn strip_furniture(text: String) -> String {
    const PHRASES: &[&str] = &["Scroll down for video", "Scroll down for videos"];
    if !text.contains("croll down") {
        return text;
    }
    let mut t = text;
    for p in PHRASES.iter().rev() {
        while let Some(i) = meta::find_ci(&t, p) {
            let end = i + p.len();
            // Only the whole phrase, not the start of a longer word.
            if t[end..].chars().next().is_some_and(char::is_alphanumeric) {
                break;
            }
            t.replace_range(i..end, "");
        }
    }
    inline::collapse_space(&t)
}

/// A date in any `|`- or `·`-separated part of a metadata line.
fn date_in_parts(text: &str) -> Option<String> {
    text.split(['|', '·', '•', '—', '–']).find_map(|part| {
        let part = part.trim();
        meta::date_line(part).or_else(|| {
            // "Posted by X on March 3, 2024"
            let (_, after) = part.rsplit_once(" on ")?;
            meta::parse_date(after)
        })
    })
}

fn is_absolute_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") && url.len() > 7)
        || (lower.starts_with("https://") && url.len() > 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(p: &Article) -> Vec<&str> {
        p.paragraphs.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn joins_hard_wraps_across_blank_lines_and_captions() {
        let input = "Title\n\nThe river rose in\n\n\n\nA boat. (Jo Bo/Flickr/CC BY 2.0)\n\n\
                     the night and the town\nwoke up. Next came\n\nmore.\n\nA new one.";
        let p = parse(input, None);
        assert_eq!(p.title, "Title");
        assert_eq!(
            texts(&p),
            vec![
                "The river rose in the night and the town woke up. Next came more.",
                "A new one."
            ]
        );
        assert_eq!(
            p.captions,
            vec!["A boat. (Jo Bo/Flickr/CC BY 2.0)".to_string()]
        );
    }

    #[test]
    fn joins_after_comma_or_function_word_even_before_capitals() {
        let p = parse(
            "T\n\nWe went to the\n\nBlue Lagoon at noon.\n\nThen,\n\nWe left.",
            None,
        );
        assert_eq!(
            texts(&p),
            vec!["We went to the Blue Lagoon at noon.", "Then, We left."]
        );
        let p = parse(
            "T\n\nThis block has no final punctuation but is long enough to be text\n\nBut a new one.",
            None,
        );
        assert_eq!(texts(&p).len(), 2);
    }

    #[test]
    fn headings_sections_and_lists() {
        let input = "# The Title\n\nIntro text here.\n\n## Part One\n\nBody one.\n\n\
                     Second Part\n===\n\n- first item\n- Second item\n\nKey Points\n\nLast words.";
        let p = parse(input, None);
        assert_eq!(p.title, "The Title");
        let got: Vec<(Option<&str>, &str)> = p
            .paragraphs
            .iter()
            .map(|p| (p.section.as_deref(), p.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (None, "Intro text here."),
                (Some("Part One"), "Body one."),
                (Some("Second Part"), "first item"),
                (Some("Second Part"), "Second item"),
                (Some("Key Points"), "Last words."),
            ]
        );
    }

    #[test]
    fn metadata_lines() {
        let input = "Headline\n\nBy Jane Doe and John Roe | Jan 5, 2025\n\nBody starts here.\n\n\
                     Originally published at [The Daily Item](https://item.example/x).";
        let p = parse(input, None);
        assert_eq!(
            p.authors,
            vec!["Jane Doe".to_string(), "John Roe".to_string()]
        );
        assert_eq!(p.byline.as_deref(), Some("Jane Doe and John Roe"));
        assert_eq!(p.published.as_deref(), Some("2025-01-05"));
        assert_eq!(p.source.name.as_deref(), Some("The Daily Item"));
        assert_eq!(p.source.url.as_deref(), Some("https://item.example/x"));
        assert_eq!(texts(&p), vec!["Body starts here."]);
    }

    #[test]
    fn a_repeated_title_is_dropped() {
        let p = parse(
            "Storm Hits Town\n\nStorm Hits Town\n\nThe storm came.",
            None,
        );
        assert_eq!(texts(&p), vec!["The storm came."]);
    }

    #[test]
    fn given_title_means_body_only() {
        let p = parse("First line is body.\n\nSecond.", Some(" Given "));
        assert_eq!(p.title, "Given");
        assert_eq!(texts(&p), vec!["First line is body.", "Second."]);
    }

    #[test]
    fn boilerplate_and_dashes_go() {
        let input = "T\n\nText ends here —\n\nRead the full story [here](https://a.example).\n\n—\n\n\
                     We use cookies to make this site work.";
        let p = parse(input, None);
        assert_eq!(texts(&p), vec!["Text ends here"]);
        assert_eq!(p.links.len(), 1);
    }

    #[test]
    fn a_heading_needs_text_after_it() {
        let p = parse("Storm hits the town", Some("Title"));
        assert_eq!(texts(&p), vec!["Storm hits the town"]);
        assert_eq!(p.paragraphs[0].section, None);
        let p = parse("T\n\nFirst part.\n\nLast Words", None);
        assert_eq!(texts(&p), vec!["First part.", "Last Words"]);
    }

    #[test]
    fn furniture_inside_text() {
        assert_eq!(
            strip_furniture("She left. Scroll down for video He came.".into()),
            "She left. He came."
        );
    }
}
