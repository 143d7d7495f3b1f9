//! Articles from web pages: the readable part of the HTML (a readability-style extractor,
//! dom_smoothie), the page's metadata (OpenGraph, JSON-LD, `<meta name=author>`, the canonical
//! link), then the same text pipeline as files. Pure: the caller fetched the bytes.

use dom_smoothie::{Config, Readability, TextMode};

use super::{Article, Options, ParseError, parse_with};

/// Fewest characters of readable text for a page to count as an article.
pub const MIN_TEXT_CHARS: usize = 200;

/// Deepest element nesting a page may have, far above any article (page builders reach about
/// 60). The extractor walks the tree recursively (10,000 nested `<div>`s overflowed the stack
/// and aborted the process) and takes time proportional to the page's size times its depth;
/// the HTML parser, to the square of the depth.
pub const MAX_NESTING: usize = 256;

/// Why a page is not an article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HtmlError {
    /// The extractor found no readable content.
    #[error(
        "the page has no article text (is it a front page, a login wall or a script-only page?)"
    )]
    NoArticle,
    /// The text pipeline refused the text.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Elements nested deeper than [`MAX_NESTING`].
    #[error("the page nests its elements more than {limit} deep, which no article does")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
}

/// An article parsed from a page, with the page's canonical address when it names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The article.
    pub article: Article,
    /// `<link rel=canonical>` or `og:url`, absolute.
    pub canonical_url: Option<String>,
}

fn meta(document: &dom_query::Document, selector: &str, attribute: &str) -> Option<String> {
    let value = document.select(selector).attr(attribute)?.trim().to_owned();
    (!value.is_empty()).then_some(value)
}

/// `2024-03-05T10:00:00Z` → `2024-03-05`.
fn iso_date(text: &str) -> Option<String> {
    let date = text.trim().get(..10)?;
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .map(|d| d.to_string())
}

/// Parses a page fetched from `url`.
///
/// Fails with [`ParseError::TooLarge`] above [`super::MAX_INPUT_BYTES`], with
/// [`HtmlError::TooDeep`] for a page nested deeper than [`MAX_NESTING`] (told before parsing
/// where a linear scan of the tags can, else from the parsed tree), with [`HtmlError::NoArticle`]
/// when no readable text is found, and as the text pipeline does for the text found.
pub fn parse_html(html: &str, url: &str) -> Result<Page, HtmlError> {
    if html.len() > super::MAX_INPUT_BYTES {
        return Err(ParseError::TooLarge {
            size: html.len(),
            limit: super::MAX_INPUT_BYTES,
        }
        .into());
    }
    // Twice the limit before parsing: the scan's estimate may run high on sloppy markup, and
    // it only has to keep the parser's quadratic cost in check; the parsed tree is measured
    // exactly below.
    if nesting::estimated_depth(html, 2 * MAX_NESTING) > 2 * MAX_NESTING {
        return Err(HtmlError::TooDeep { limit: MAX_NESTING });
    }
    let document = dom_query::Document::from(html);
    if tree_depth(&document) > MAX_NESTING {
        return Err(HtmlError::TooDeep { limit: MAX_NESTING });
    }
    let absolute = |href: String| -> Option<String> {
        let base = reqwest_free_join(url, &href)?;
        (base.starts_with("https://") || base.starts_with("http://")).then_some(base)
    };
    let canonical = meta(&document, "link[rel=canonical]", "href")
        .or_else(|| meta(&document, "meta[property='og:url']", "content"))
        .and_then(absolute);
    let og_site = meta(&document, "meta[property='og:site_name']", "content");
    let meta_author = meta(&document, "meta[name=author]", "content");
    let published_meta = meta(
        &document,
        "meta[property='article:published_time']",
        "content",
    )
    .or_else(|| meta(&document, "meta[name=date]", "content"));

    let config = Config {
        text_mode: TextMode::Formatted,
        ..Config::default()
    };
    let mut readability =
        Readability::new(html, Some(url), Some(config)).map_err(|_| HtmlError::NoArticle)?;
    let extracted = readability.parse().map_err(|_| HtmlError::NoArticle)?;
    let text = extracted.text_content.to_string();
    if text.trim().chars().count() < MIN_TEXT_CHARS {
        return Err(HtmlError::NoArticle);
    }
    let title = Some(extracted.title.trim().to_owned()).filter(|t| !t.is_empty());
    let options = Options {
        title: Some(title.clone().unwrap_or_else(|| url.to_owned())),
        ..Options::default()
    };
    let mut article = parse_with(&text, &options)?;
    let byline = extracted
        .byline
        .clone()
        .or(meta_author)
        .map(|b| b.trim().trim_start_matches("By ").trim().to_owned());
    if let Some(byline) = byline.filter(|b| !b.is_empty()) {
        if article.authors.is_empty() {
            article.authors = byline
                .split(" and ")
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect();
        }
        article.byline = Some(byline);
    }
    article.source.name = extracted
        .site_name
        .clone()
        .or(og_site)
        .or(article.source.name);
    article.source.url = Some(canonical.clone().unwrap_or_else(|| url.to_owned()));
    article.published = extracted
        .published_time
        .as_deref()
        .and_then(iso_date)
        .or_else(|| published_meta.as_deref().and_then(iso_date))
        .or(article.published);
    Ok(Page {
        article,
        canonical_url: canonical,
    })
}

/// How deep the parsed tree nests, counting `<html>` as 1. Iterative: the tree may be deep.
fn tree_depth(document: &dom_query::Document) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(document.root(), 0)];
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        let mut child = node.first_child();
        while let Some(c) = child {
            child = c.next_sibling();
            if c.is_element() {
                stack.push((c, depth + 1));
            }
        }
    }
    deepest
}

mod nesting {
    //! An upper estimate of how deeply a page nests its elements, from one pass over its tags,
    //! made before the HTML parser sees the page (the parser's cost grows with the square of
    //! the depth).
    //!
    //! Outside SVG, MathML, `select` and `template` elements the scan follows the parser's tree
    //! construction where it decides depth: void and raw-text elements, comments, end tags that
    //! close an enclosing block, list, table part, form or heading, start tags that end the
    //! paragraph, list item, cell, row or table on top, the table parts the parser adds, and
    //! formatting elements closed early and reopened before the next text (`<div><b></div>x`
    //! nests one deeper every time). Inside those elements, and for good after one that held
    //! HTML the scan cannot follow (a `foreignObject`'s content, an HTML tag breaking out of
    //! SVG), every start tag opens an element and only the innermost element closes, by its own
    //! end tag: the estimate may run high there, never below the parser. A property test holds
    //! it against the parser on tag soup.

    use std::collections::HashMap;

    /// Elements without content.
    fn void(name: &str) -> bool {
        matches!(
            name,
            "area"
                | "base"
                | "basefont"
                | "bgsound"
                | "br"
                | "col"
                | "embed"
                | "frame"
                | "hr"
                | "image"
                | "img"
                | "input"
                | "keygen"
                | "link"
                | "meta"
                | "param"
                | "source"
                | "track"
                | "wbr"
        )
    }

    /// Elements whose content is text up to their end tag.
    fn raw_text(name: &str) -> bool {
        matches!(
            name,
            "iframe" | "noembed" | "noframes" | "script" | "style" | "textarea" | "title" | "xmp"
        )
    }

    /// Elements the parser reopens after closing them early.
    fn formatting(name: &str) -> bool {
        matches!(
            name,
            "a" | "b"
                | "big"
                | "code"
                | "em"
                | "font"
                | "i"
                | "nobr"
                | "s"
                | "small"
                | "strike"
                | "strong"
                | "tt"
                | "u"
        )
    }

    /// Elements whose end tag may be left out.
    fn implied(name: &str) -> bool {
        matches!(
            name,
            "dd" | "dt" | "li" | "optgroup" | "option" | "p" | "rb" | "rp" | "rt" | "rtc"
        )
    }

    fn heading(name: &str) -> bool {
        matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
    }

    /// Elements whose end tag closes everything opened in them (when no scope boundary is in
    /// between).
    fn block(name: &str) -> bool {
        matches!(
            name,
            "address"
                | "article"
                | "aside"
                | "blockquote"
                | "button"
                | "center"
                | "details"
                | "dialog"
                | "dir"
                | "div"
                | "dl"
                | "fieldset"
                | "figcaption"
                | "figure"
                | "footer"
                | "header"
                | "hgroup"
                | "listing"
                | "main"
                | "menu"
                | "nav"
                | "ol"
                | "pre"
                | "search"
                | "section"
                | "summary"
                | "ul"
                | "applet"
                | "marquee"
                | "object"
        )
    }

    /// Elements a search for an enclosing element to close does not pass (SVG and MathML ones
    /// never meet such a search).
    fn scope_boundary(name: &str) -> bool {
        matches!(
            name,
            "applet"
                | "caption"
                | "html"
                | "table"
                | "td"
                | "th"
                | "marquee"
                | "object"
                | "template"
        )
    }

    /// Start tags that end SVG or MathML content.
    fn breakout(name: &str, tag: &str) -> bool {
        matches!(
            name,
            "b" | "big"
                | "blockquote"
                | "body"
                | "br"
                | "center"
                | "code"
                | "dd"
                | "div"
                | "dl"
                | "dt"
                | "em"
                | "embed"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "head"
                | "hr"
                | "i"
                | "img"
                | "li"
                | "listing"
                | "menu"
                | "meta"
                | "nobr"
                | "ol"
                | "p"
                | "pre"
                | "ruby"
                | "s"
                | "small"
                | "span"
                | "strong"
                | "strike"
                | "sub"
                | "sup"
                | "table"
                | "tt"
                | "u"
                | "ul"
                | "var"
        ) || (name == "font" && {
            let tag = tag.to_ascii_lowercase();
            ["color", "face", "size"].iter().any(|a| tag.contains(a))
        })
    }

    /// SVG and MathML elements in which HTML starts again (either namespace's, to be safe).
    fn integration_point(name: &str) -> bool {
        matches!(
            name,
            "foreignobject"
                | "desc"
                | "title"
                | "mi"
                | "mo"
                | "mn"
                | "ms"
                | "mtext"
                | "annotation-xml"
        )
    }

    struct Open {
        name: String,
        /// Whether its children are SVG or MathML.
        foreign: bool,
        /// Whether it is itself an SVG or MathML element.
        svg: bool,
        /// Closed by the parser, perhaps, but still counted.
        dead: bool,
        /// A `template` started where the scan followed the parser exactly.
        template: bool,
        /// The form the parser's form element pointer points at.
        pointed: bool,
        /// For a formatting element the parser keeps in its list of active formatting
        /// elements: the start tag as written, which a reopened copy repeats.
        listed: Option<String>,
    }

    #[derive(Default)]
    struct Scan {
        stack: Vec<Open>,
        /// Formatting elements closed early, which the parser reopens before the next text:
        /// name and start tag.
        closed_early: Vec<(String, String)>,
        /// `svg` and `math` elements open.
        svg_roots: usize,
        /// `select` elements open.
        selects: usize,
        /// `template` elements open: their content is kept apart, and touches nothing around
        /// them.
        templates: usize,
        /// Whether everything in the outermost open `svg`, `math` or `select` element was SVG,
        /// MathML or options, so that the parser certainly closed exactly what the scan closed.
        clean: bool,
        /// One held more than that: the elements open since may differ from the parser's, so
        /// only the innermost one is closed, by its own end tag.
        unsure_from_now: bool,
        /// The parser's form element pointer is set: a `form` start tag is dropped.
        form_open: bool,
    }

    impl Scan {
        fn depth(&self) -> usize {
            // `html` and `body`, which the parser adds once.
            2 + self.stack.len() + self.closed_early.len()
        }

        /// Back to HTML: the parser closes the SVG or MathML elements, which stay counted,
        /// but hold HTML from now on.
        fn leave_foreign(&mut self) {
            for open in self.stack.iter_mut().rev() {
                if !open.foreign {
                    break;
                }
                open.foreign = false;
                open.dead = true;
            }
            self.clean = false;
        }

        fn unsure(&self) -> bool {
            self.svg_roots > 0 || self.selects > 0 || self.templates > 0 || self.unsure_from_now
        }

        fn foreign(&self) -> bool {
            self.stack.last().is_some_and(|o| o.foreign)
        }

        fn push(&mut self, name: &str, foreign: bool, svg: bool) {
            let root = matches!(name, "svg" | "math");
            let select = name == "select" && !svg;
            if (root || select) && self.svg_roots + self.selects == 0 {
                self.clean = true;
            }
            if root {
                self.svg_roots += 1;
            }
            if select {
                self.selects += 1;
            }
            let template = name == "template" && !svg && !self.unsure();
            if template {
                self.templates += 1;
            }
            self.stack.push(Open {
                name: name.to_owned(),
                foreign,
                svg,
                dead: false,
                template,
                pointed: false,
                listed: None,
            });
        }

        fn pop(&mut self) {
            let Some(open) = self.stack.pop() else {
                return;
            };
            if matches!(open.name.as_str(), "svg" | "math") {
                self.svg_roots -= 1;
            } else if open.name == "select" && !open.svg {
                self.selects -= 1;
            } else {
                if open.template {
                    self.templates -= 1;
                }
                return;
            }
            if self.svg_roots + self.selects == 0 && !self.clean {
                self.unsure_from_now = true;
            }
        }

        /// Closes `stack[at]` and everything above it.
        fn close_from(&mut self, at: usize) {
            while self.stack.len() > at {
                if let Some(open) = self.stack.last_mut()
                    && let Some(tag) = open.listed.take()
                {
                    let name = open.name.clone();
                    self.closed_early.push((name, tag));
                }
                self.pop();
            }
        }

        /// Reopens the formatting elements closed early, as the parser does before text and
        /// most start tags.
        fn reopen(&mut self) {
            if self.unsure() {
                // They stay counted where they are.
                return;
            }
            for (name, tag) in std::mem::take(&mut self.closed_early) {
                self.push_formatting(&name, tag);
            }
        }

        /// Opens a formatting element. The parser lists at most three alike (same name and
        /// attributes) after the last cell, caption, object or template: the earliest of more
        /// is no longer reopened once closed.
        fn push_formatting(&mut self, name: &str, tag: String) {
            let since = self
                .stack
                .iter()
                .rposition(|o| {
                    !o.svg
                        && matches!(
                            o.name.as_str(),
                            "td" | "th" | "caption" | "applet" | "marquee" | "object" | "template"
                        )
                })
                .map_or(0, |m| m + 1);
            let alike: Vec<usize> = (since..self.stack.len())
                .filter(|&i| self.stack[i].listed.as_deref() == Some(tag.as_str()))
                .collect();
            if alike.len() >= 3 {
                self.stack[alike[0]].listed = None;
            }
            self.push(name, false, false);
            if let Some(open) = self.stack.last_mut() {
                open.listed = Some(tag);
            }
        }

        /// The topmost element `target` accepts, searching down past the elements `pass`
        /// accepts only.
        fn find(
            &self,
            target: impl Fn(&str) -> bool,
            pass: impl Fn(&Open) -> bool,
        ) -> Option<usize> {
            for (i, open) in self.stack.iter().enumerate().rev() {
                if target(&open.name) && !open.svg {
                    return Some(i);
                }
                if !pass(open) {
                    return None;
                }
            }
            None
        }

        fn close_found(&mut self, target: impl Fn(&str) -> bool, pass: impl Fn(&Open) -> bool) {
            if let Some(at) = self.find(target, pass) {
                self.close_from(at);
            }
        }

        fn start(&mut self, name: &str, tag: &str, self_closing: bool) {
            let root = matches!(name, "svg" | "math");
            if self.foreign() {
                if !breakout(name, tag) {
                    if !self_closing {
                        let svg_child = !integration_point(name);
                        self.push(name, svg_child, true);
                    }
                    return;
                }
                self.leave_foreign();
            }
            if self.unsure() {
                if self.svg_roots == 0 && self.selects > 0 && matches!(name, "option" | "optgroup")
                {
                    // An option ends the option before it.
                    if self
                        .stack
                        .last()
                        .is_some_and(|o| !o.svg && o.name == "option")
                    {
                        self.pop();
                    }
                    self.push(name, false, false);
                    return;
                }
                // HTML inside SVG, MathML, a select or a template, or after them: every element
                // counts, and start tags close nothing.
                if self.svg_roots + self.selects > 0 {
                    self.clean = false;
                }
                // Table parts may come with the parts the parser adds around them.
                let added: &[&str] = match name {
                    "td" | "th" => &["tbody", "tr"],
                    "tr" | "col" => &["tbody"],
                    _ => &[],
                };
                for part in added {
                    self.push(part, false, false);
                }
                if !(void(name) && breakout(name, tag)) {
                    self.push(name, root, root);
                    if formatting(name)
                        && let Some(open) = self.stack.last_mut()
                    {
                        // Listed all the same (if closed early, it stays counted).
                        open.listed = Some(tag.to_owned());
                    }
                }
                return;
            }
            if matches!(name, "html" | "head" | "body") {
                return;
            }
            if void(name) && !closes_p(name) {
                if matches!(
                    name,
                    "area" | "br" | "embed" | "image" | "img" | "input" | "keygen" | "wbr"
                ) {
                    self.reopen();
                }
                return;
            }
            let html = |o: &Open| !o.svg;
            if name == "form" {
                if self.form_open {
                    // No form in a form.
                    return;
                }
                self.form_open = true;
                self.close_found(
                    |n| n == "p",
                    |o| html(o) && !scope_boundary(&o.name) && o.name != "button",
                );
                self.push(name, false, false);
                if let Some(form) = self.stack.last_mut() {
                    form.pointed = true;
                }
                return;
            }
            if table_part(name) {
                self.table_part(name);
                return;
            }
            if name == "table" {
                self.table_in_table();
            }
            match name {
                "li" => self.close_found(
                    |n| n == "li",
                    |o| {
                        html(o)
                            && (!special(&o.name)
                                || matches!(o.name.as_str(), "address" | "div" | "p"))
                    },
                ),
                "dd" | "dt" => self.close_found(
                    |n| matches!(n, "dd" | "dt"),
                    |o| {
                        html(o)
                            && (!special(&o.name)
                                || matches!(o.name.as_str(), "address" | "div" | "p"))
                    },
                ),
                "button" => {
                    self.close_found(|n| n == "button", |o| html(o) && !scope_boundary(&o.name))
                }
                // An option ends the option before it, a heading the heading before it.
                "option" | "optgroup"
                    if self
                        .stack
                        .last()
                        .is_some_and(|o| html(o) && o.name == "option") =>
                {
                    self.pop();
                }
                _ if heading(name)
                    && self
                        .stack
                        .last()
                        .is_some_and(|o| html(o) && heading(&o.name)) =>
                {
                    self.pop();
                }
                _ => {}
            }
            if closes_p(name) {
                self.close_found(
                    |n| n == "p",
                    |o| html(o) && !scope_boundary(&o.name) && o.name != "button",
                );
            }
            if reopens(name) {
                self.reopen();
            }
            if formatting(name) {
                self.push_formatting(name, tag.to_owned());
            } else if !void(name) {
                self.push(name, root, root);
            }
        }

        /// Where in a table the next part goes: the innermost table, row group, row, cell,
        /// caption or column group.
        fn table_context(&self) -> Option<usize> {
            self.stack.iter().rposition(|o| {
                !o.svg
                    && matches!(
                        o.name.as_str(),
                        "table"
                            | "tbody"
                            | "thead"
                            | "tfoot"
                            | "tr"
                            | "td"
                            | "th"
                            | "caption"
                            | "colgroup"
                    )
            })
        }

        /// A table started right in a table (not in a cell or caption) ends that table.
        fn table_in_table(&mut self) {
            if let Some(at) = self.table_context()
                && matches!(
                    self.stack[at].name.as_str(),
                    "table" | "tbody" | "thead" | "tfoot" | "tr" | "colgroup"
                )
                && let Some(table) = self.stack[..=at]
                    .iter()
                    .rposition(|o| !o.svg && o.name == "table")
            {
                self.close_from(table);
            }
        }

        /// A caption, column group, row group, row or cell: it closes what it ends in its
        /// table, elements set before the table are taken off, and the parts of the table left
        /// out around it are added. Outside a table it is dropped.
        fn table_part(&mut self, name: &str) {
            let cell = |n: &str| matches!(n, "td" | "th");
            let group = |n: &str| matches!(n, "tbody" | "thead" | "tfoot");
            loop {
                let Some(at) = self.table_context() else {
                    // Not in a table.
                    return;
                };
                let context = self.stack[at].name.clone();
                let c = context.as_str();
                let ends_it = match name {
                    "td" | "th" => cell(c) || c == "caption" || c == "colgroup",
                    "tr" => cell(c) || c == "tr" || c == "caption" || c == "colgroup",
                    _ => c != "table",
                };
                if ends_it {
                    self.close_from(at);
                    continue;
                }
                // Elements set before the table (or inside a row group or row) are taken off.
                if self.stack.len() > at + 1 {
                    self.close_from(at + 1);
                }
                if matches!(name, "tr" | "td" | "th") && c == "table" {
                    self.push("tbody", false, false);
                }
                if cell(name) && (c == "table" || group(c)) {
                    self.push("tr", false, false);
                }
                if name != "col" {
                    self.push(name, false, false);
                }
                return;
            }
        }

        fn end(&mut self, name: &str) {
            if name == "br" {
                // Read as `<br>`.
                self.start("br", "<br>", false);
                return;
            }
            if name == "p" && self.foreign() {
                self.leave_foreign();
            }
            if formatting(name)
                && !self.unsure()
                && !self.stack.iter().any(|o| !o.svg && o.name == name)
                && let Some(i) = self.closed_early.iter().rposition(|(n, _)| n == name)
            {
                // Closed early and not reopened yet: now it will not be.
                self.closed_early.remove(i);
                return;
            }
            let Some(top) = self.stack.last() else {
                return;
            };
            if top.name == name
                && name != "form"
                && (self.selects == 0
                    || matches!(name, "select" | "option" | "optgroup")
                    || top.svg)
            {
                self.pop();
                return;
            }
            if self.unsure() {
                if name == "template"
                    && let Some(at) = self.stack.iter().rposition(|o| o.template)
                {
                    // The template ends with everything in it.
                    self.close_from(at);
                    return;
                }
                if self.svg_roots == 0 && self.selects > 0 && name == "select" {
                    self.close_found(
                        |n| n == "select",
                        |o| !o.svg && matches!(o.name.as_str(), "option" | "optgroup"),
                    );
                    return;
                }
                if !(self.clean && top.svg) {
                    // HTML inside SVG, MathML, a select or a template, or after them: only the
                    // innermost element closes.
                    self.clean = false;
                    return;
                }
                // SVG and MathML elements close by name, down to the first HTML element.
                for i in (0..self.stack.len()).rev() {
                    if !self.stack[i].svg || self.stack[i].dead {
                        break;
                    }
                    if self.stack[i].name == name {
                        while self.stack.len() > i {
                            self.pop();
                        }
                        return;
                    }
                }
                // The parser hands the tag to the HTML rules, which may close the SVG or MathML
                // elements.
                self.leave_foreign();
                return;
            }
            let html = |o: &Open| !o.svg;
            if name == "form" {
                // The parser takes the form off its stack, but what was opened in it stays in
                // it: the form counts until it is the innermost element.
                if !std::mem::take(&mut self.form_open) {
                    return;
                }
                let Some(at) = self.stack.iter().rposition(|o| o.pointed) else {
                    return;
                };
                if self.stack[at + 1..]
                    .iter()
                    .any(|o| !html(o) || scope_boundary(&o.name))
                {
                    // Not in scope.
                    return;
                }
                while self
                    .stack
                    .last()
                    .is_some_and(|o| html(o) && implied(&o.name))
                {
                    self.pop();
                }
                if self.stack.len() == at + 1 {
                    self.pop();
                } else {
                    self.stack[at].pointed = false;
                }
                return;
            }
            if block(name) || name == "p" {
                // A paragraph's end does not pass a button either.
                self.close_found(
                    |n| n == name,
                    |o| html(o) && !scope_boundary(&o.name) && (name != "p" || o.name != "button"),
                );
            } else if name == "li" {
                self.close_found(
                    |n| n == "li",
                    |o| {
                        html(o)
                            && !scope_boundary(&o.name)
                            && !matches!(o.name.as_str(), "ul" | "ol")
                    },
                );
            } else if matches!(name, "dd" | "dt") || heading(name) {
                let wanted = |n: &str| if heading(name) { heading(n) } else { n == name };
                self.close_found(wanted, |o| html(o) && !scope_boundary(&o.name));
            } else if matches!(
                name,
                "table" | "tbody" | "thead" | "tfoot" | "tr" | "td" | "th" | "caption"
            ) {
                // A table's parts end with everything in them.
                self.close_found(
                    |n| n == name,
                    |o| !matches!(o.name.as_str(), "table" | "html" | "template") || o.svg,
                );
            }
        }
    }

    /// The standard's "special" elements (HTML ones).
    fn special(name: &str) -> bool {
        block(name)
            || implied(name) && !matches!(name, "optgroup" | "option" | "rb" | "rp" | "rt" | "rtc")
            || heading(name)
            || void(name) && name != "image"
            || raw_text(name)
            || matches!(
                name,
                "body"
                    | "caption"
                    | "colgroup"
                    | "form"
                    | "frameset"
                    | "head"
                    | "html"
                    | "noscript"
                    | "plaintext"
                    | "select"
                    | "table"
                    | "tbody"
                    | "td"
                    | "template"
                    | "tfoot"
                    | "th"
                    | "thead"
                    | "tr"
            )
    }

    /// Start tags before which the parser reopens formatting elements closed early.
    fn reopens(name: &str) -> bool {
        !(closes_p(name)
            || table_part(name)
            || matches!(
                name,
                "base"
                    | "basefont"
                    | "bgsound"
                    | "body"
                    | "frame"
                    | "frameset"
                    | "head"
                    | "html"
                    | "iframe"
                    | "link"
                    | "meta"
                    | "noembed"
                    | "noframes"
                    | "script"
                    | "style"
                    | "table"
                    | "template"
                    | "textarea"
                    | "title"
            ))
            || name == "xmp"
    }

    fn table_part(name: &str) -> bool {
        matches!(
            name,
            "caption" | "col" | "colgroup" | "tbody" | "td" | "tfoot" | "th" | "thead" | "tr"
        )
    }

    /// Start tags that end an open paragraph (`table` too, but only in standards mode).
    fn closes_p(name: &str) -> bool {
        (block(name) && !matches!(name, "button" | "applet" | "marquee" | "object"))
            || heading(name)
            || matches!(
                name,
                "dd" | "dt" | "form" | "hr" | "li" | "p" | "plaintext" | "xmp"
            )
    }

    fn find_from(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
        haystack
            .get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| from + i)
    }

    /// Forward searches, each answer kept while it holds: a search from a later start finds
    /// the same match until the start passes it. Markup read element by element inside
    /// something that may be text would otherwise search to the end again for every tag.
    #[derive(Default)]
    struct Ahead {
        /// The search for a comment's end: from, where the match starts, just past it.
        comment: Option<(usize, usize, usize)>,
        /// The searches for a raw-text element's end tag, by element: from, where it starts.
        raw: HashMap<String, (usize, usize)>,
    }

    impl Ahead {
        /// Where a comment whose text starts at `from` ends (just past `-->`, `--!>`, or the
        /// `>` of `<!-->` and `<!--->`).
        fn comment_end(&mut self, bytes: &[u8], from: usize) -> usize {
            if bytes.get(from) == Some(&b'>') {
                return from + 1;
            }
            if bytes.get(from..from + 2) == Some(b"->") {
                return from + 2;
            }
            if let Some((f, start, end)) = self.comment
                && f <= from
                && from <= start
            {
                return end;
            }
            let mut at = from;
            let (start, end) = loop {
                let Some(i) = find_from(bytes, at, b"--") else {
                    break (bytes.len(), bytes.len());
                };
                if bytes.get(i + 2) == Some(&b'>') {
                    break (i, i + 3);
                }
                if bytes.get(i + 2..i + 4) == Some(b"!>") {
                    break (i, i + 4);
                }
                at = i + 1;
            };
            self.comment = Some((from, start, end));
            end
        }

        /// Where the end tag `</name` of a raw-text element starts, from `from`.
        fn raw_text_close(&mut self, bytes: &[u8], from: usize, name: &str) -> usize {
            if let Some(&(f, close)) = self.raw.get(name)
                && f <= from
                && from <= close
            {
                return close;
            }
            let mut at = from;
            let close = loop {
                let Some(i) = find_from(bytes, at, b"</") else {
                    break bytes.len();
                };
                let after = i + 2 + name.len();
                if bytes
                    .get(i + 2..after)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
                    && bytes
                        .get(after)
                        .is_none_or(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace())
                {
                    break i;
                }
                at = i + 2;
            };
            self.raw.insert(name.to_owned(), (from, close));
            close
        }

        /// Just past the end tag `</name ...>` of a raw-text element, from `from`.
        fn raw_text_end(&mut self, bytes: &[u8], from: usize, name: &str) -> usize {
            let close = self.raw_text_close(bytes, from, name);
            find_from(bytes, close, b">").map_or(bytes.len(), |g| g + 1)
        }
    }

    /// The deepest nesting `html` may reach, by the estimate; the scan stops once it passes
    /// `stop_above`.
    pub(super) fn estimated_depth(html: &str, stop_above: usize) -> usize {
        let bytes = html.as_bytes();
        let mut scan = Scan::default();
        let mut ahead = Ahead::default();
        let mut deepest = 0;
        // Up to here, markup may be text or a comment to the parser: it only opens elements.
        let mut open_only_until = 0;
        let mut i = 0;
        while i < bytes.len() {
            deepest = deepest.max(scan.depth());
            if deepest > stop_above {
                return deepest;
            }
            if bytes[i] != b'<' {
                // Text.
                scan.reopen();
                i = find_from(bytes, i, b"<").unwrap_or(bytes.len());
                continue;
            }
            let next = bytes.get(i + 1).copied();
            if bytes[i + 1..].starts_with(b"!--") {
                let end = ahead.comment_end(bytes, i + 4);
                if i < open_only_until {
                    // Perhaps text, perhaps a comment.
                    open_only_until = open_only_until.max(end);
                    i += 4;
                } else {
                    i = end;
                }
                continue;
            }
            let end_tag = next == Some(b'/');
            let name_start = i + 1 + usize::from(end_tag);
            let letter = bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic);
            if matches!(next, Some(b'!' | b'?')) || (end_tag && !letter) {
                // A doctype, a bogus comment or `</>`.
                i = find_from(bytes, i, b">").map_or(bytes.len(), |e| e + 1);
                continue;
            }
            if !letter {
                // A `<` that starts no tag is text.
                scan.reopen();
                i += 1;
                continue;
            }
            let mut j = name_start;
            while j < bytes.len()
                && bytes[j] != b'>'
                && bytes[j] != b'/'
                && !bytes[j].is_ascii_whitespace()
            {
                j += 1;
            }
            let name = String::from_utf8_lossy(&bytes[name_start..j]).to_ascii_lowercase();
            // The attributes: a value quoted right after `=` may hold `>`.
            let mut quote = None;
            let mut after_equals = false;
            while j < bytes.len() {
                let b = bytes[j];
                match quote {
                    Some(q) if b == q => quote = None,
                    Some(_) => {}
                    None if b == b'>' => break,
                    None if after_equals && (b == b'"' || b == b'\'') => quote = Some(b),
                    None if b == b'=' => after_equals = true,
                    None if b.is_ascii_whitespace() => {}
                    None => after_equals = false,
                }
                j += 1;
            }
            if j >= bytes.len() {
                // A tag cut off by the end of the page is dropped.
                break;
            }
            let self_closing = bytes[j - 1] == b'/';
            let tag = &html[i..j];
            let open_only = i < open_only_until;
            i = j + 1;
            if end_tag {
                if !open_only {
                    scan.end(&name);
                }
                continue;
            }
            if (raw_text(&name) || name == "plaintext") && !scan.foreign() {
                if scan.unsure() || open_only {
                    // Perhaps text, perhaps markup (where SVG or MathML has left the namespace
                    // unclear): read on up to its end tag, opening elements only.
                    let end = if name == "plaintext" {
                        bytes.len()
                    } else {
                        ahead.raw_text_close(bytes, i, &name)
                    };
                    open_only_until = open_only_until.max(end);
                    scan.start(&name, tag, self_closing);
                    continue;
                }
                deepest = deepest.max(scan.depth() + 1);
                if name == "plaintext" {
                    break;
                }
                // Its text is not markup, and the element holds nothing else.
                i = ahead.raw_text_end(bytes, i, &name);
                continue;
            }
            scan.start(&name, tag, self_closing && !open_only);
        }
        deepest.max(scan.depth())
    }
}

/// Resolves `href` against `base` for the two shapes pages use: absolute URLs and
/// root-relative paths.
fn reqwest_free_join(base: &str, href: &str) -> Option<String> {
    if href.starts_with("https://") || href.starts_with("http://") {
        return Some(href.to_owned());
    }
    if let Some(path) = href.strip_prefix('/') {
        let scheme_end = base.find("://")? + 3;
        let host_end = base[scheme_end..]
            .find('/')
            .map_or(base.len(), |i| scheme_end + i);
        return Some(format!("{}/{path}", &base[..host_end]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html><head>
<title>Reading rooms return | The Lantern</title>
<link rel="canonical" href="/essays/reading-rooms">
<meta property="og:site_name" content="The Lantern">
<meta name="author" content="Jonah Ferris">
<meta property="article:published_time" content="2026-02-03T08:00:00Z">
</head><body><nav>Home · Essays · Subscribe</nav>
<article><h1>Reading rooms return</h1>
<p>Across three cities, public libraries that once cut their reading rooms are restoring them. The waiting lists prove that the demand never left, librarians say.</p>
<p>"We watched the same twelve people come back every morning for a month," said Odile Marsh, a librarian in the east branch. Nobody spoke, yet everyone knew each other.</p>
<p>The city council will vote on the budget in March, and the reading rooms are on the agenda for the first time in a decade.</p>
</article><footer>© The Lantern</footer></body></html>"#;

    #[test]
    fn metadata_and_text_come_out() {
        let page = parse_html(
            PAGE,
            "https://lantern.example.org/essays/reading-rooms?utm=x",
        )
        .unwrap();
        let article = page.article;
        assert_eq!(
            page.canonical_url.as_deref(),
            Some("https://lantern.example.org/essays/reading-rooms")
        );
        assert!(
            article.title.starts_with("Reading rooms return"),
            "{}",
            article.title
        );
        assert_eq!(article.byline.as_deref(), Some("Jonah Ferris"));
        assert_eq!(article.published.as_deref(), Some("2026-02-03"));
        assert_eq!(article.source.name.as_deref(), Some("The Lantern"));
        let body: String = article
            .paragraphs
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(body.contains("public libraries"));
        assert!(
            !body.contains("Subscribe") && !body.contains("©"),
            "navigation and footer stay out: {body}"
        );
        assert!(
            article
                .quotes
                .iter()
                .any(|q| q.speaker.as_deref() == Some("Odile Marsh")),
            "{:?}",
            article.quotes
        );
    }

    #[test]
    fn pages_without_article_text_are_refused() {
        let login = "<html><body><form><input name=user><input type=password></form></body></html>";
        assert_eq!(
            parse_html(login, "https://example.org/login"),
            Err(HtmlError::NoArticle)
        );
        assert_eq!(
            parse_html("", "https://example.org/"),
            Err(HtmlError::NoArticle)
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_parsing() {
        // Nested 10,000 deep, the extractor overflowed the stack and aborted the process.
        for unit in [
            "<div>",
            "<div><span>",
            "<div><b></div>x",
            "<table><tr><td>",
            "<ul><li>",
        ] {
            let html = format!("{}{}", unit.repeat(10_000), "<p>text</p>".repeat(50));
            let started = std::time::Instant::now();
            assert_eq!(
                parse_html(&html, "https://example.org/"),
                Err(HtmlError::TooDeep { limit: MAX_NESTING }),
                "{unit}"
            );
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{unit}"
            );
        }
        let error = HtmlError::TooDeep { limit: MAX_NESTING }.to_string();
        assert!(error.contains("256"), "{error}");
    }

    #[test]
    fn nesting_the_scan_lets_through_is_caught_in_the_tree() {
        // Deeper than the limit, but within the scan's (twice as high): refused after parsing.
        let html = format!("{}<p>text</p>", "<div>".repeat(MAX_NESTING + 100));
        assert!(nesting::estimated_depth(&html, usize::MAX) <= 2 * MAX_NESTING);
        assert_eq!(
            parse_html(&html, "https://example.org/"),
            Err(HtmlError::TooDeep { limit: MAX_NESTING })
        );
    }

    #[test]
    fn ordinary_sloppy_pages_are_estimated_near_their_depth() {
        let pages = [
            // Paragraphs, list items, cells and options left open.
            "<p>One<p>Two<p><b>Three</p>".repeat(500),
            format!("<ul>{}</ul>", "<li>item<li><a href=x>link</a>".repeat(500)),
            format!(
                "<table>{}</table>",
                "<tr><td>a<td><font color=red>b<tr>".repeat(500)
            ),
            format!(
                "<select>{}</select>",
                "<option>a<option value=1>b".repeat(500)
            ),
            "<div><p><b>bold, never closed</p></div>\n".repeat(500),
            // Icons, formulas, scripts and comments.
            "<svg viewBox='0 0 8 8'><title>Close</title><path d='M0 0'/><g><use href='#x'></use></g></svg>"
                .repeat(300),
            "<math><mi>x</mi><mo>=</mo><msup><mi>y</mi><mn>2</mn></msup></math>".repeat(300),
            "<script>if (a < b && c > d) { document.write('<div>'); }</script><!-- <div><div> -->"
                .repeat(300),
            "<style>p > a { color: red }</style><noscript><img src=x></noscript><br><hr>"
                .repeat(300),
        ];
        for page in &pages {
            let estimate = nesting::estimated_depth(page, usize::MAX);
            let parsed = tree_depth(&dom_query::Document::from(page.as_str()));
            assert!(
                estimate <= parsed + 8,
                "estimate {estimate} for a tree {parsed} deep: {}",
                &page[..page.len().min(120)]
            );
        }
    }

    #[test]
    fn the_scan_reads_hostile_markup_in_linear_time() {
        // Markup that may be text, with ends that never come: each tag must not search on to
        // the end of the page again.
        for (head, unit) in [
            ("<svg><desc><style>", "<!--"),
            ("<svg><desc><style>", "<script>"),
            ("<svg><foreignObject>", "<textarea><!--"),
            ("", "<!---"),
            ("", "<a href='"),
        ] {
            let html = format!("{head}{}", unit.repeat(200_000));
            let started = std::time::Instant::now();
            nesting::estimated_depth(&html, usize::MAX);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{unit}: {:?}",
                started.elapsed()
            );
        }
    }

    /// Tag soup made of the pieces that decide nesting.
    fn soup() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop::sample::select(vec![
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            "<span>",
            "</span>",
            "<b>",
            "</b>",
            "<i>",
            "</i>",
            "<b class=x>",
            "<a href=1>",
            "<a href=2>",
            "</a>",
            "<font color=red>",
            "</font>",
            "<ul>",
            "</ul>",
            "<ol>",
            "<li>",
            "</li>",
            "<dl>",
            "<dt>",
            "<dd>",
            "</dl>",
            "<table>",
            "</table>",
            "<tr>",
            "</tr>",
            "<td>",
            "</td>",
            "<th>",
            "<tbody>",
            "<caption>",
            "</caption>",
            "<select>",
            "<option>",
            "<optgroup>",
            "</select>",
            "<h1>",
            "<h2>",
            "</h1>",
            "<button>",
            "</button>",
            "<form>",
            "</form>",
            "<svg>",
            "</svg>",
            "<g>",
            "</g>",
            "<path/>",
            "<g/>",
            "<div/>",
            "<foreignObject>",
            "</foreignObject>",
            "<math>",
            "<mi>",
            "</math>",
            "<title>",
            "</title>",
            "<script>",
            "</script>",
            "<style>",
            "<textarea>",
            "</textarea>",
            "<noscript>",
            "<!--",
            "-->",
            "<!-->",
            "<!DOCTYPE html>",
            "</x>",
            "<x>",
            "</section>",
            "<section>",
            "<br>",
            "</br>",
            "<img>",
            "<hr>",
            "<nobr>",
            "<object>",
            "</object>",
            "<template>",
            "</template>",
            "<html>",
            "<body>",
            "</body>",
            "<head>",
            "<plaintext>",
            "<div \"x>",
            "<div a=\">\">",
            "<",
            ">",
            "x",
            " ",
            "\n",
        ]);
        // Repeated, so that anything the estimate misses per repetition adds up.
        (prop::collection::vec(piece, 0..30), 1..40usize).prop_map(|(p, n)| p.concat().repeat(n))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// The pre-scan's estimate never falls far below the depth the parser builds, so deep
        /// nesting cannot slip past it to the parser.
        #[test]
        fn nesting_estimate_is_not_below_the_parsed_depth(html in soup()) {
            let estimate = nesting::estimated_depth(&html, usize::MAX);
            let parsed = tree_depth(&dom_query::Document::from(html.as_str()));
            proptest::prop_assert!(
                estimate + 2 >= parsed,
                "estimate {} for a tree {} deep: {:?}", estimate, parsed, html
            );
        }
    }
}
