//! The pages, as maud templates: everything inserted is escaped by maud, so nothing an article
//! or a reader wrote becomes markup. Links are relative to the community's base (`w/<token>/`),
//! so the pages work behind a proxy under any path.

use std::collections::HashMap;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::marks::{self, Kind, Piece};
use crate::bot::cards;
use crate::bot::export::Node;
use crate::bot::reply::truncate;
use crate::bot::web::{
    ArchivedDigest, article_path, digest_path, paragraph_anchor, summary_anchor,
};
use crate::store::{Community, Pin, PostedDigest, SearchHit, StoredArticle};

/// Most messages on one page of a discussion.
pub const MESSAGES_PER_PAGE: usize = 150;
/// What a page may weigh, in bytes of HTML: pages stay under 100 KB however long the messages
/// (Matrix allows 64 KB each) or the article on the first page.
const PAGE_BUDGET: usize = 90 * 1024;
/// The layout, headers and navigation of a page, and what one message adds beyond its text.
const PAGE_FRAME: usize = 6 * 1024;
const MESSAGE_FRAME: usize = 400;
/// The first page keeps at least this much for the discussion, however long the article.
const FIRST_PAGE_DISCUSSION: usize = 16 * 1024;
/// Characters of a message shown; longer ones are cut on the page (the record and `/export`
/// keep them whole).
const MESSAGE_SHOWN: usize = 6000;
/// Articles on one page of the library.
pub const ARTICLES_PER_PAGE: u32 = 20;
/// Reply levels shown indented; deeper replies stand at this level and name what they answer,
/// so a long chain stays readable on a 320 px screen.
const INDENTED_LEVELS: usize = 6;

/// Where a page stands: the community, and the way back up to its base.
pub struct Place<'a> {
    /// The community shown.
    pub community: &'a Community,
    /// The relative path from the page to the community's base (`"./"`, `"../"`).
    pub root: &'static str,
}

impl Place<'_> {
    fn name(&self) -> &str {
        self.community.name.as_deref().unwrap_or("A reading room")
    }
}

/// What every page's head says first: mobile width, not for search engines, no referrer.
fn head_meta() -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        meta name="robots" content="noindex, nofollow";
        meta name="referrer" content="no-referrer";
    }
}

fn layout(place: &Place<'_>, title: &str, main: Markup) -> Markup {
    let root = place.root;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                (head_meta())
                title { (title) " · " (place.name()) }
                // The stylesheet sits at the server's root, two levels above `w/<token>/`.
                link rel="stylesheet" href={ (root) "../../style.css" };
            }
            body {
                header {
                    a.site href={ (root) } { (place.name()) }
                    a href={ (root) } { "Library" }
                    a href={ (root) "digests" } { "Digests" }
                }
                main { (main) }
                footer { p { "Reading Room: this community's articles and discussions." } }
            }
        }
    }
}

/// "Authors · outlet · posted by poster · date", as the article card has it.
fn byline(stored: &StoredArticle) -> String {
    cards::subtitle(&stored.article).unwrap_or_default()
}

fn one_line(stored: &StoredArticle) -> String {
    let sentence = stored
        .article
        .summary
        .sentences
        .first()
        .map(|s| s.text.as_str())
        .or_else(|| stored.article.paragraphs.first().map(|p| p.text.as_str()))
        .unwrap_or_default();
    truncate(sentence, 240)
}

fn search_form(place: &Place<'_>, query: &str) -> Markup {
    html! {
        form.search role="search" method="get" action={ (place.root) } {
            label for="q" { "Search" }
            input #q type="search" name="q" value=(query) maxlength="200";
            button type="submit" { "Search" }
        }
    }
}

/// The library: a page of the shelf, newest first.
pub fn library(place: &Place<'_>, articles: &[StoredArticle], page: u32, more: bool) -> Markup {
    let main = html! {
        h1 { "Library" }
        (search_form(place, ""))
        @if articles.is_empty() {
            p { "Nothing on this page." }
        }
        ol.shelf {
            @for stored in articles {
                li {
                    a href={ (article_path(stored.id)) } { (stored.article.title) }
                    @let by = byline(stored);
                    @if !by.is_empty() { div.meta { (by) } }
                    div { (one_line(stored)) }
                }
            }
        }
        nav.pages aria-label="Pages" {
            @if page > 1 {
                a rel="prev" href={ "?page=" (page - 1) } { "← Newer" }
            } @else { span {} }
            @if more {
                a rel="next" href={ "?page=" (page + 1) } { "Older →" }
            }
        }
    };
    layout(place, "Library", main)
}

/// Search results.
pub fn search(place: &Place<'_>, query: &str, hits: &[SearchHit]) -> Markup {
    let main = html! {
        h1 { "Search" }
        (search_form(place, query))
        @if hits.is_empty() {
            p { "No article matches “" (query) "”." }
        }
        ol.hits {
            @for hit in hits {
                li {
                    a href={ (article_path(hit.id)) } { (hit.title) }
                    div.meta { (hit.snippet) }
                }
            }
        }
    };
    layout(place, "Search", main)
}

/// A paragraph's pieces as markup.
fn pieces(list: &[Piece<'_>]) -> Markup {
    html! {
        @for piece in list {
            @match piece {
                Piece::Text(text) => (text),
                Piece::Mark { kind: Kind::Summary, anchor, inside } => {
                    mark.summary id=(anchor) title="Summary sentence" { (pieces(inside)) }
                }
                Piece::Mark { kind: Kind::Quote, anchor, inside } => {
                    q.quote id=(anchor) { (pieces(inside)) }
                }
            }
        }
    }
}

/// One message of a discussion in the flat, page-sized order.
struct Line<'a> {
    depth: usize,
    node: &'a Node,
    /// What it answers, when it stands shallower than its place in the tree.
    answers: Option<&'a Node>,
}

fn flatten<'a>(nodes: &'a [Node], depth: usize, parent: Option<&'a Node>, out: &mut Vec<Line<'a>>) {
    for node in nodes {
        out.push(Line {
            depth: depth.min(INDENTED_LEVELS),
            node,
            answers: parent.filter(|_| depth > INDENTED_LEVELS),
        });
        flatten(&node.replies, depth + 1, Some(node), out);
    }
}

fn platform_name(platform: &str) -> &str {
    match platform {
        "discord" => "Discord",
        "matrix" => "Matrix",
        "console" => "Console",
        other => other,
    }
}

fn message(line: &Line<'_>, page_of: &HashMap<i64, usize>) -> Markup {
    let node = line.node;
    if node.removed {
        return html! { article.msg.removed { p { "removed" } } };
    }
    // The channel label is `platform:name`; the platform has its own badge.
    let channel = node
        .channel
        .split_once(':')
        .map_or(node.channel.as_str(), |(_, name)| name);
    let time = chrono::DateTime::parse_from_rfc3339(&node.created_at)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    html! {
        article.msg {
            header {
                span.author { (node.author) } " · "
                span.platform { (platform_name(&node.platform)) } " "
                span.channel { (channel) } " · "
                a href={ "#m" (node.id) } { time datetime=(node.created_at) { (time) } }
                @if node.edited_at.is_some() { " · " span.edited { "edited" } }
                @if node.pinned { " · " span.pinned { "pinned" } }
            }
            @if let Some(parent) = line.answers {
                p.small {
                    "↳ replying to "
                    a href={ "?page=" (page_of.get(&parent.id).copied().unwrap_or(1)) "#m" (parent.id) } {
                        @if parent.removed { "a removed message" } @else { (parent.author) }
                    }
                }
            }
            @match shown_body(&node.body) {
                Some(cut) => {
                    p { (cut) }
                    p.small { "(Cut here: the whole message is in the community's export.)" }
                }
                None => p { (node.body) },
            }
        }
    }
}

/// Closes the open lists down to `depth`; the item holding the last one closed stays open.
fn close(out: &mut String, level: &mut usize, item_open: &mut bool, depth: usize) {
    while *level > depth {
        if *item_open {
            out.push_str("</li>");
        }
        out.push_str("</ol>");
        *level -= 1;
        *item_open = true;
    }
}

/// The lines of one page as nested lists: a page that starts deep in a thread opens the
/// levels above it empty.
fn thread(lines: &[Line<'_>], page_of: &HashMap<i64, usize>) -> Markup {
    let mut out = String::from("<ol class=\"thread\">");
    let (mut level, mut item_open) = (0, false);
    for line in lines {
        while level < line.depth {
            if !item_open {
                out.push_str("<li class=\"continued\">");
            }
            out.push_str("<ol>");
            level += 1;
            item_open = false;
        }
        close(&mut out, &mut level, &mut item_open, line.depth);
        if item_open {
            out.push_str("</li>");
        }
        out.push_str(&format!("<li id=\"m{}\">", line.node.id));
        out.push_str(&message(line, page_of).into_string());
        item_open = true;
    }
    close(&mut out, &mut level, &mut item_open, 0);
    if item_open {
        out.push_str("</li>");
    }
    out.push_str("</ol>");
    PreEscaped(out)
}

/// A message's text cut to [`MESSAGE_SHOWN`] characters, when it is longer.
fn shown_body(body: &str) -> Option<String> {
    (body.len() > MESSAGE_SHOWN)
        .then(|| truncate(body, MESSAGE_SHOWN))
        .filter(|cut| cut.len() < body.len())
}

/// Roughly what a text weighs once escaped into HTML.
fn weight(text: &str) -> usize {
    text.len() + 4 * text.bytes().filter(|b| b"<>&\"'".contains(b)).count()
}

/// What the first page spends on the article, its summary, captions and pinned commentary.
fn article_weight(stored: &StoredArticle, pins: &[Pin]) -> usize {
    let a = &stored.article;
    let text: usize = a.paragraphs.iter().map(|p| weight(&p.text) + 64).sum();
    let summary: usize = a
        .summary
        .sentences
        .iter()
        .map(|s| weight(&s.text) + 128)
        .sum();
    let marks = 96 * a.quotes.len();
    let captions: usize = a.captions.iter().map(|c| weight(c) + 16).sum();
    let pinned: usize = pins
        .iter()
        .map(|p| {
            shown_body(&p.body).map_or_else(|| weight(&p.body), |cut| weight(&cut))
                + p.note.as_deref().map_or(0, weight)
                + MESSAGE_FRAME
        })
        .sum();
    text + summary + marks + captions + pinned
}

/// The page of each line: at most [`MESSAGES_PER_PAGE`] and about [`PAGE_BUDGET`] bytes a
/// page, the first page's budget less what the article takes. Each page holds one line at least.
fn paginate(lines: &[Line<'_>], first_page_article: usize) -> Vec<usize> {
    let first = PAGE_BUDGET
        .saturating_sub(PAGE_FRAME + first_page_article)
        .max(FIRST_PAGE_DISCUSSION);
    let (mut page, mut count, mut spent, mut budget) = (1, 0, 0, first);
    lines
        .iter()
        .map(|line| {
            let node = line.node;
            let cost = MESSAGE_FRAME
                + weight(&node.author)
                + weight(&node.channel)
                + shown_body(&node.body).map_or_else(|| weight(&node.body), |cut| weight(&cut));
            if count > 0 && (count == MESSAGES_PER_PAGE || spent + cost > budget) {
                page += 1;
                (count, spent, budget) = (0, 0, PAGE_BUDGET - PAGE_FRAME);
            }
            count += 1;
            spent += cost;
            page
        })
        .collect()
}

/// What an article page shows.
pub struct ArticleView<'a> {
    /// The article.
    pub stored: &'a StoredArticle,
    /// Its discussion, merged over the community's channels.
    pub thread: &'a [Node],
    /// Messages that still stand.
    pub messages: usize,
    /// Pinned commentary, newest first.
    pub pins: &'a [Pin],
    /// The discussion's page shown, from 1.
    pub page: usize,
}

/// An article page, or `None` when the discussion has no such page.
pub fn article(place: &Place<'_>, view: &ArticleView<'_>) -> Option<Markup> {
    let stored = view.stored;
    let a = &stored.article;
    let mut lines = Vec::new();
    flatten(view.thread, 0, None, &mut lines);
    let numbers = paginate(&lines, article_weight(stored, view.pins));
    let pages = numbers.last().copied().unwrap_or(1);
    if view.page == 0 || view.page > pages {
        return None;
    }
    let page_of: HashMap<i64, usize> = lines
        .iter()
        .zip(&numbers)
        .map(|(line, page)| (line.node.id, *page))
        .collect();
    let start = numbers.partition_point(|p| *p < view.page);
    let end = numbers.partition_point(|p| *p <= view.page);
    let shown = &lines[start..end];
    let paragraphs = marks::paragraphs(a);
    // A section's heading stands before its first paragraph.
    let headings: Vec<Option<&str>> = a
        .paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let before = i
                .checked_sub(1)
                .and_then(|j| a.paragraphs[j].section.as_deref());
            p.section.as_deref().filter(|s| Some(*s) != before)
        })
        .collect();
    let first = view.page == 1;
    let main = html! {
        article.reading {
            header {
                h1 { (a.title) }
                @let by = byline(stored);
                @if !by.is_empty() { p.meta { (by) } }
                p.meta {
                    "Article #" (stored.id.0) " · added "
                    time datetime=(stored.created_at.to_rfc3339()) { (stored.created_at.format("%Y-%m-%d")) }
                    @if let Some(url) = cards::link(stored) {
                        " · " a href=(url) rel="noreferrer noopener" { "the original" }
                    }
                }
            }
            @if first {
                @if !a.summary.sentences.is_empty() {
                    section aria-labelledby="summary" {
                        h2 #summary { "Summary" }
                        ol {
                            @for (i, sentence) in a.summary.sentences.iter().enumerate() {
                                li { a href={ "#" (summary_anchor(i)) } { (sentence.text) } }
                            }
                        }
                    }
                }
                section aria-labelledby="text" {
                    h2 #text { "The article" }
                    @for (i, (marked, heading)) in paragraphs.iter().zip(&headings).enumerate() {
                        @if let Some(heading) = heading { h3 { (heading) } }
                        p id=(paragraph_anchor(i)) { (pieces(marked)) }
                    }
                }
                @if !a.captions.is_empty() {
                    aside.captions aria-labelledby="captions" {
                        h2 #captions { "Captions" }
                        ul { @for caption in &a.captions { li { (caption) } } }
                    }
                }
            }
        }
        section aria-labelledby="discussion" {
            h2 #discussion {
                "Discussion"
                @if pages > 1 { " · page " (view.page) " of " (pages) }
            }
            p.meta {
                (view.messages) @if view.messages == 1 { " message" } @else { " messages" }
                " from this community's channels, oldest first, replies under what they answer."
            }
            @if first && !view.pins.is_empty() {
                section.pinned aria-labelledby="pinned" {
                    h3 #pinned { "Pinned commentary" }
                    @for pin in view.pins {
                        @let at = page_of.get(&pin.message_id).copied().unwrap_or(1);
                        blockquote.pin id={ "pin-" (pin.message_id) } cite={ "?page=" (at) "#m" (pin.message_id) } {
                            p { (shown_body(&pin.body).unwrap_or_else(|| pin.body.clone())) }
                            footer {
                                "— " (pin.author_name) " · "
                                a href={ "?page=" (at) "#m" (pin.message_id) } { "in the thread" }
                                @if let Some(note) = &pin.note {
                                    br;
                                    "Moderator's note: " (note)
                                }
                            }
                        }
                    }
                }
            }
            @if lines.is_empty() {
                p { "No one has discussed this article here yet." }
            } @else {
                (thread(shown, &page_of))
            }
            @if pages > 1 {
                nav.pages aria-label="Discussion pages" {
                    @if view.page > 1 {
                        a rel="prev" href={ "?page=" (view.page - 1) "#discussion" } { "← Earlier messages" }
                    } @else { span {} }
                    @if view.page < pages {
                        a rel="next" href={ "?page=" (view.page + 1) "#discussion" } { "Later messages →" }
                    }
                }
            }
        }
    };
    Some(layout(place, &a.title, main))
}

/// The digest archive.
pub fn digests(place: &Place<'_>, posted: &[PostedDigest]) -> Markup {
    let main = html! {
        h1 { "Digests" }
        @if posted.is_empty() {
            p { "No digest has been posted here yet." }
        }
        ul {
            @for digest in posted {
                @let day = chrono::NaiveDate::parse_from_str(&digest.day, "%Y-%m-%d").ok();
                @if let Some(day) = day {
                    li {
                        a href=(digest_path(digest.channel_id, day)) { (day.format("%A %-d %B %Y")) }
                        " · " span.meta { (digest.channel) }
                    }
                }
            }
        }
    };
    layout(place, "Digests", main)
}

/// One posted digest.
pub fn digest(place: &Place<'_>, posted: &PostedDigest, digest: &ArchivedDigest) -> Markup {
    let main = html! {
        article {
            h1 { (digest.title) }
            @if let Some(subtitle) = &digest.subtitle { p.meta { (subtitle) } }
            p.meta {
                "Posted in " (posted.channel) " on "
                time datetime=(posted.posted_at.to_rfc3339()) { (posted.posted_at.format("%Y-%m-%d %H:%M UTC")) }
            }
            @for (name, value) in &digest.fields {
                section {
                    h2 { (name) }
                    p.pre { (value) }
                }
            }
            @if let Some((text, speaker)) = &digest.quote {
                section {
                    h2 { "Quote of the day" }
                    blockquote {
                        p { "“" (text) "”" }
                        @if let Some(speaker) = speaker { footer { "— " (speaker) } }
                    }
                }
            }
        }
    };
    layout(place, &digest.title, main)
}

/// The one answer for anything not found: unknown tokens, unpublished communities, other
/// communities' articles, pages that do not exist. It says nothing of which it was.
pub fn not_found() -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                (head_meta())
                title { "Not found" }
            }
            body { h1 { "Not found" } p { "There is nothing at this address." } }
        }
    }
}
