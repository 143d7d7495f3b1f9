//! Hostile input for the parts that take text or bytes from outside (issue #8): the HTML
//! extractor, feed parsing, reading files, and search (the store's FTS5 query and the bot's
//! `search` command). Arbitrary and adversarial input must never panic, must come back in bounded
//! time, and must fail, where it fails, with an error that says something.
//!
//! The plain-text article parser and the command parser have property tests of their own
//! (`src/article/tests.rs`, `src/bot/command.rs`); this file does not repeat them.
//!
//! Cases per property (small enough that the file runs in seconds in a debug build):
//! - HTML: any string 256, tag soup 128, control characters 128, hostile page URLs 128,
//!   script and style content 64;
//! - feeds: any bytes 256, bytes after a feed's opening 256, generated RSS 128, Atom 128,
//!   JSON Feed 128;
//! - files: any bytes 128, text with one invalid sequence 128;
//! - search: FTS5 syntax and noise against the store 256, a title word inside noise 128, both
//!   through the bot's `search` command 64 each;
//! - plain tests for the huge and deeply nested cases (10,000 nested elements, nesting just
//!   under the limit, misnested formatting elements, 100,000-character lines, 2 MiB pages,
//!   10,000 feed entries, an entity bomb, a FIFO and `/dev/zero`), each call under [`BOUND`], the paragraph of quotations checked for linear growth;
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use readingroom::article::html::{HtmlError, MAX_NESTING, MIN_TEXT_CHARS, parse_html};
use readingroom::article::{Article, MAX_INPUT_BYTES};
use readingroom::bot::{Body, Platform};
use readingroom::sources::feed::{ParsedFeed, parse_feed};
use readingroom::sources::{SourceError, read_file};
use readingroom::store::{ArticleId, Scope};

/// How long any single call may take, however hostile its input, in a debug build on a busy
/// 2-core machine. A guard against blowups (the quadratic ones found here took minutes at
/// these sizes), not a benchmark: generous, so a loaded CI machine does not trip it.
const BOUND: Duration = Duration::from_secs(20);

/// Runs `f`, failing when it takes longer than [`BOUND`].
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let elapsed = started.elapsed();
    assert!(elapsed < BOUND, "{what} took {elapsed:?}");
    out
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Real prose, long enough for the extractor to take it for an article.
const PROSE: [&str; 4] = [
    "The council met on Tuesday and voted to keep the east branch reading room open for another year, after a petition gathered four thousand names.",
    "\"We will keep the lamps on as long as people come,\" said Odile Marsh, who has run the branch since 2009. Nobody in the room disagreed.",
    "Budget talks resume in March. The library board expects a long debate about the opening hours, the heating bill and the new roof.",
    "Readers who spoke at the meeting described the room as the only quiet place left in the neighbourhood. Some came every morning.",
];

fn article_page(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{title}</title></head><body><nav>Home · News</nav>\
         <article><h1>{title}</h1>{body_html}</article><footer>© Example</footer></body></html>"
    )
}

fn prose_paragraphs() -> String {
    PROSE.iter().map(|p| format!("<p>{p}</p>")).collect()
}

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

const PAGE_URL: &str = "https://news.example.org/2026/03/reading-room";

/// The invariants every parsed article keeps, whatever it was made from.
fn check_article(a: &Article) {
    assert!(!a.title.trim().is_empty(), "empty title: {a:?}");
    assert!(!a.paragraphs.is_empty(), "no body: {a:?}");
    for p in &a.paragraphs {
        assert!(!p.text.trim().is_empty(), "blank paragraph: {a:?}");
    }
    for s in &a.summary.sentences {
        assert!(!s.text.is_empty());
        let p = &a
            .paragraphs
            .get(s.paragraph)
            .expect("summary paragraph index")
            .text;
        assert!(
            p.contains(&s.text),
            "summary sentence not in its paragraph: {s:?}"
        );
    }
    for q in &a.quotes {
        assert!(!q.text.is_empty());
        let p = &a
            .paragraphs
            .get(q.paragraph)
            .expect("quote paragraph index")
            .text;
        assert!(p.contains(&q.text), "quote not in its paragraph: {q:?}");
    }
    for author in &a.authors {
        assert!(!author.trim().is_empty(), "blank author: {a:?}");
    }
    if let Some(byline) = &a.byline {
        assert!(!byline.trim().is_empty(), "blank byline: {a:?}");
    }
    if let Some(date) = &a.published {
        assert!(
            chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
            "published is not YYYY-MM-DD: {date:?}"
        );
    }
}

/// Parses a page and checks what comes back: a well-formed article or an error that says
/// something, in bounded time.
fn check_page(html: &str, url: &str) -> bool {
    let result = bounded(&format!("parse_html of {} bytes", html.len()), || {
        parse_html(html, url)
    });
    match result {
        Ok(page) => {
            check_article(&page.article);
            assert!(page.article.source.url.is_some());
            if let Some(canonical) = &page.canonical_url {
                assert!(
                    canonical.starts_with("https://") || canonical.starts_with("http://"),
                    "canonical address is not http(s): {canonical:?}"
                );
            }
            true
        }
        Err(error) => {
            assert!(
                !error.to_string().trim().is_empty(),
                "silent error {error:?}"
            );
            false
        }
    }
}

/// Pieces of HTML, well-formed and not, for tag soup.
fn html_piece() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "<div>",
        "</div>",
        "<p>",
        "</p>",
        "<article>",
        "</article>",
        "<section class=\"content\">",
        "</section>",
        "<main>",
        "<span class=x>",
        "</span>",
        "<a href=\"/essays/x\">",
        "<a href='javascript:alert(1)'>",
        "<a>",
        "</a>",
        "<b><i>",
        "</b></i>",
        "<table><tr><td>",
        "</td></tr></table>",
        "<ul><li>",
        "</li>",
        "<h1>",
        "</h1>",
        "<h2>",
        "<br>",
        "<hr/>",
        "<img src=x onerror=alert(1)>",
        "<title>",
        "</title>",
        "<head>",
        "<body>",
        "</body>",
        "</html>",
        "<meta property=\"og:url\" content=\"//evil.example/\">",
        "<meta property=\"og:url\" content=\"/relative\">",
        "<link rel=canonical href=\"\">",
        "<link rel=canonical href=\"/a/b\">",
        "<meta name=author content=\"By \">",
        "<meta name=author content=\"By  and  and \">",
        "<meta name=date content=\"2026-13-45\">",
        "<meta name=date content=\"é\">",
        "<meta property=\"article:published_time\" content=\"2026-02-03T08:00:00Z\">",
        "<script>",
        "</script>",
        "<style>",
        "</style>",
        "<noscript>",
        "<template>",
        "<svg><foreignObject>",
        "<math><mi>",
        "<iframe>",
        "<textarea>",
        "<select><option>",
        "<plaintext>",
        "<",
        ">",
        "</",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<!doctype html>",
        "<?xml version=\"1.0\"?>",
        "<div",
        "=\"",
        "'",
        "&",
        "&amp;",
        "&#0;",
        "&#x110000;",
        "&#xD800;",
        "&#99999999999;",
        "&nbsp;",
        "&unknown;",
        "\u{0}",
        "\u{feff}",
        "\u{202e}",
        "\r\n",
        "\n\n",
        "By Jo Roe and Ada Quill",
        "Summary",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        4 => fixed,
        2 => prop::sample::select(PROSE.to_vec()).prop_map(str::to_owned),
        1 => "[a-zA-Z ,.!?'\"<>/=&;#-]{0,40}",
        1 => "\\PC{0,20}",
        1 => "[\\x00-\\x1f\\x7f]{1,4}",
    ]
}

fn tag_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(html_piece(), 0..80).prop_map(|pieces| pieces.concat())
}

/// Page addresses: good ones, and what a hostile redirect or a bug upstream could hand over.
fn page_url() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(PAGE_URL.to_owned()),
        Just(String::new()),
        Just("   ".to_owned()),
        Just("https://".to_owned()),
        Just("http://[::1".to_owned()),
        Just("file:///etc/passwd".to_owned()),
        Just("javascript:alert(1)".to_owned()),
        "https://[a-z.]{1,20}(/[\\PC]{0,20})?",
        "\\PC{0,40}",
        "[\\x00-\\x1f :/]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn html_any_string(html in any::<String>()) {
        check_page(&html, PAGE_URL);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn html_tag_soup(soup in tag_soup()) {
        check_page(&soup, PAGE_URL);
    }

    #[test]
    fn html_control_characters(noise in prop::collection::vec("[\\x00-\\x1f\\x7f<>/&;a-z ]{0,40}", 1..8)) {
        // Control characters inside the title, between paragraphs and inside them.
        let body: String = PROSE
            .iter()
            .zip(noise.iter().cycle())
            .map(|(p, n)| format!("<p>{n}{p}{n}</p>{n}"))
            .collect();
        check_page(&article_page(&format!("Title{}", noise[0]), &body), PAGE_URL);
    }

    #[test]
    fn html_hostile_page_urls(url in page_url(), soup in tag_soup()) {
        let page = article_page("Reading rooms return", &prose_paragraphs());
        check_page(&page, &url);
        check_page(&soup, &url);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Script and style content (which may look like markup) never reaches the body, and does
    /// not keep the prose around it from being found.
    #[test]
    fn html_script_and_style_stay_out(
        script in "[a-z<>;= {}()'\"!-]{0,200}",
        style in "[a-z<>;:# {}.\"-]{0,200}",
        place in 0usize..5,
    ) {
        let hidden = format!(
            "<script>var zqxscript = '<p>fake</p>'; {script}</script>\
             <style>.zqxstyle {{ color: red }} {style}</style>\
             <noscript>zqxnoscript</noscript>"
        );
        let mut body: Vec<String> = PROSE.iter().map(|p| format!("<p>{p}</p>")).collect();
        body.insert(place.min(body.len()), hidden.clone());
        let html = format!(
            "<html><head><title>Reading rooms return</title>{hidden}</head><body><article>{}</article>{hidden}</body></html>",
            body.concat()
        );
        let page = bounded("parse_html with scripts", || parse_html(&html, PAGE_URL))
            .expect("prose around scripts is an article");
        check_article(&page.article);
        for p in &page.article.paragraphs {
            prop_assert!(
                !p.text.contains("zqxscript") && !p.text.contains("zqxstyle"),
                "script or style text in the body: {:?}",
                p.text
            );
        }
    }
}

#[test]
fn html_deeply_nested_elements() {
    let depth = 10_000;
    for (open, close) in [
        ("<div>", "</div>"),
        ("<div><span>", "</span></div>"),
        ("<table><tr><td>", "</td></tr></table>"),
        ("<ul><li>", "</li></ul>"),
        ("<blockquote>", "</blockquote>"),
    ] {
        // Closed, and left unclosed.
        for closing in [close, ""] {
            let html = article_page(
                "Nested",
                &format!(
                    "{}{}{}",
                    open.repeat(depth),
                    prose_paragraphs(),
                    closing.repeat(depth)
                ),
            );
            let error = bounded("nested page", || parse_html(&html, PAGE_URL)).unwrap_err();
            assert_eq!(error, HtmlError::TooDeep { limit: MAX_NESTING }, "{open}");
            assert!(error.to_string().contains("deep"), "{error}");
        }
    }
}

#[test]
fn html_nesting_just_under_the_limit() {
    // As deep as a page may nest, in one block and in many.
    let depth = MAX_NESTING - 10;
    let block = format!(
        "{}{}{}",
        "<div>".repeat(depth),
        prose_paragraphs(),
        "</div>".repeat(depth)
    );
    assert!(check_page(&article_page("Deep", &block), PAGE_URL));
    // The extractor's time grows with size times depth: 64 KiB of such blocks stay well within
    // the bound even in a debug build (a whole 2 MiB page of them takes about 40 s there, a
    // few seconds in a release build).
    let blocks = 64 * 1024 / block.len();
    check_page(&article_page("Deep", &block.repeat(blocks)), PAGE_URL);
    // Unclosed, and with the closing tags left to the end.
    let open = format!("{}{}", "<div>".repeat(depth), PROSE[0]);
    check_page(&article_page("Deep", &open), PAGE_URL);
}

#[test]
fn html_misnested_formatting_elements() {
    // The adoption agency algorithm's worst cases: formatting elements left open and closed out
    // of order, thousands of times.
    for soup in [
        "<a>".repeat(10_000),
        "<b><i><u>".repeat(3_000) + "</b>".repeat(3_000).as_str(),
        "<b><p>".repeat(5_000),
        "<font><table>".repeat(2_000),
        "<nobr>".repeat(10_000),
    ] {
        let html = article_page("Misnested", &format!("{soup}{}", prose_paragraphs()));
        check_page(&html, PAGE_URL);
    }
}

#[test]
fn html_hundred_thousand_character_lines() {
    let words = "reading room ".repeat(100_000 / 13 + 1);
    let one_word = "x".repeat(100_000);
    let sentences = "It rained. ".repeat(100_000 / 11 + 1);
    let soup = "<b>a</b>".repeat(100_000 / 8 + 1);
    for line in [words, one_word, sentences, soup] {
        assert!(line.len() >= 100_000 && !line.contains('\n'));
        let html = article_page(
            "Long lines",
            &format!("<p>{line}</p>{}", prose_paragraphs()),
        );
        assert!(
            check_page(&html, PAGE_URL),
            "a long paragraph is still an article"
        );
        // The whole page on one line, and the title as the long line.
        let flat = article_page("Flat", &format!("<p>{line}</p>")).replace('\n', " ");
        check_page(&flat, PAGE_URL);
        check_page(&article_page(&line, &prose_paragraphs()), PAGE_URL);
    }
}

/// A 100,000-character paragraph of quotations attributed to "she": each pronoun's person is
/// looked for in the words before it, which was quadratic in the paragraph's length (20,000
/// characters took 5.5 s in a debug build) until the look-back was bounded. Checked as growth,
/// not as a time: ten times the text may take about ten times as long, not a hundred.
#[test]
fn html_hundred_thousand_characters_of_quotations() {
    let page = |chars: usize| {
        let quotes = "\"Yes,\" she said. ".repeat(chars / 17 + 1);
        article_page(
            "Long lines",
            &format!("<p>{quotes}</p>{}", prose_paragraphs()),
        )
    };
    let time = |html: &str| {
        let started = Instant::now();
        assert!(parse_html(html, PAGE_URL).is_ok());
        started.elapsed()
    };
    let (small, large) = (page(10_000), page(100_000));
    // The faster of two runs each, so a busy machine's hiccup is not read as growth.
    let small_time = time(&small).min(time(&small));
    let large_time = time(&large).min(time(&large));
    assert!(
        large_time < small_time * 30,
        "10,000 chars: {small_time:?}; 100,000 chars: {large_time:?}"
    );
}

#[test]
fn html_size_limit() {
    // Just over the limit: refused before any parsing.
    let huge = format!("<p>{}</p>", "a".repeat(MAX_INPUT_BYTES));
    let error = bounded("oversized page", || parse_html(&huge, PAGE_URL)).unwrap_err();
    assert!(error.to_string().contains("limited to"), "{error}");
    // Just under it: many paragraphs, parsed in bounded time.
    let paragraph = format!("<p>{}</p>\n", PROSE[0]);
    let count = (MAX_INPUT_BYTES - 1_000) / paragraph.len();
    let big = article_page("Big", &paragraph.repeat(count));
    assert!(big.len() <= MAX_INPUT_BYTES);
    check_page(&big, PAGE_URL);
}

#[test]
fn html_short_and_empty_pages_say_why() {
    for html in [
        "",
        " ",
        "\u{0}",
        "<html>",
        "<script>alert(1)</script>",
        "<p>Too short.</p>",
    ] {
        let error = parse_html(html, PAGE_URL).unwrap_err();
        assert!(
            error.to_string().contains("no article text"),
            "{html:?}: {error}"
        );
    }
    // One character short of the threshold is still not an article.
    let short = article_page(
        "Short",
        &format!("<p>{}</p>", "a".repeat(MIN_TEXT_CHARS - 1)),
    );
    assert!(parse_html(&short, PAGE_URL).is_err());
}

// ---------------------------------------------------------------------------------------------
// Feeds
// ---------------------------------------------------------------------------------------------

const FEED_ERROR_PREFIX: &str = "not an RSS, Atom or JSON feed";

fn check_feed(bytes: &[u8]) -> Option<ParsedFeed> {
    let result = bounded(&format!("parse_feed of {} bytes", bytes.len()), || {
        parse_feed(bytes, "https://feeds.example/feed.xml")
    });
    match result {
        Ok(feed) => {
            for entry in &feed.entries {
                assert_eq!(entry.hash.len(), 64, "{entry:?}");
                assert!(
                    entry
                        .hash
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                    "{entry:?}"
                );
                if let Some(guid) = &entry.guid {
                    assert!(!guid.is_empty());
                }
            }
            Some(feed)
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.starts_with(FEED_ERROR_PREFIX), "{message}");
            assert!(
                message.len() > FEED_ERROR_PREFIX.len() + 2,
                "the error gives no detail: {message:?}"
            );
            None
        }
    }
}

/// Text a hostile feed puts in a field.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 .,]{1,40}",
        2 => "\\PC{0,40}",
        1 => Just(String::new()),
        1 => "[ \t\r\n]{1,5}",
        1 => "[\\x00-\\x1f\\x7f]{1,10}",
        1 => "[<>&\"'\\]\\[;#]{1,10}",
        1 => Just("]]>".to_owned()),
        1 => Just("&amp;&lt;&#0;&#xFFFE;&bogus;".to_owned()),
        1 => (prop::sample::select(vec!['x', 'é', '<', '&', '\u{0}', ' ', '\u{1F600}']), 1usize..100_000)
            .prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

/// How a field is written into XML.
#[derive(Debug, Clone, Copy)]
enum Encoding {
    Escaped,
    Cdata,
    Raw,
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn encode(text: &str, encoding: Encoding) -> String {
    match encoding {
        Encoding::Escaped => xml_escape(text),
        Encoding::Cdata => format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>")),
        Encoding::Raw => text.to_owned(),
    }
}

/// Characters XML 1.0 allows in a document.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// A field: its text (absent when `None`) and how it is written.
fn field() -> impl Strategy<Value = Option<(String, Encoding)>> {
    prop::option::weighted(
        0.8,
        (
            hostile_text(),
            prop_oneof![
                3 => Just(Encoding::Escaped),
                1 => Just(Encoding::Cdata),
                1 => Just(Encoding::Raw),
            ],
        ),
    )
}

#[derive(Debug, Clone)]
struct Item {
    title: Option<(String, Encoding)>,
    link: Option<(String, Encoding)>,
    id: Option<(String, Encoding)>,
    content: Option<(String, Encoding)>,
}

impl Item {
    /// Written escaped (or as CDATA) with characters XML allows: the document is well-formed.
    fn well_formed(&self) -> bool {
        [&self.title, &self.link, &self.id, &self.content]
            .into_iter()
            .flatten()
            .all(|(text, encoding)| {
                !matches!(encoding, Encoding::Raw) && text.chars().all(xml_char)
            })
    }
}

fn item() -> impl Strategy<Value = Item> {
    (field(), field(), field(), field()).prop_map(|(title, link, id, content)| Item {
        title,
        link,
        id,
        content,
    })
}

fn element(name: &str, value: &Option<(String, Encoding)>) -> String {
    value
        .as_ref()
        .map(|(text, encoding)| format!("<{name}>{}</{name}>", encode(text, *encoding)))
        .unwrap_or_default()
}

fn rss(title: &Option<(String, Encoding)>, items: &[Item]) -> String {
    let items: String = items
        .iter()
        .map(|i| {
            format!(
                "<item>{}{}{}{}</item>",
                element("title", &i.title),
                element("link", &i.link),
                element("guid", &i.id),
                element("description", &i.content)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>{}<link>https://example.org/</link>{items}</channel></rss>",
        element("title", title)
    )
}

fn atom(title: &Option<(String, Encoding)>, items: &[Item]) -> String {
    let entries: String = items
        .iter()
        .map(|i| {
            let link = i
                .link
                .as_ref()
                .map(|(href, encoding)| match encoding {
                    Encoding::Raw => format!("<link href=\"{href}\"/>"),
                    _ => format!("<link href=\"{}\"/>", xml_escape(href)),
                })
                .unwrap_or_default();
            let content = i
                .content
                .as_ref()
                .map(|(text, encoding)| {
                    format!(
                        "<content type=\"html\">{}</content>",
                        encode(text, *encoding)
                    )
                })
                .unwrap_or_default();
            format!(
                "<entry>{}{}{link}{content}<updated>2026-03-01T12:00:00Z</updated></entry>",
                element("id", &i.id),
                element("title", &i.title)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">{}<id>urn:feed</id><updated>2026-03-01T12:00:00Z</updated>{entries}</feed>",
        element("title", title)
    )
}

fn json_feed(title: &Option<(String, Encoding)>, items: &[Item]) -> Vec<u8> {
    let text = |f: &Option<(String, Encoding)>| f.as_ref().map(|(t, _)| t.clone());
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|i| {
            let mut item = serde_json::Map::new();
            for (key, value) in [
                ("id", text(&i.id)),
                ("title", text(&i.title)),
                ("url", text(&i.link)),
                ("content_html", text(&i.content)),
            ] {
                if let Some(value) = value {
                    item.insert(key.to_owned(), value.into());
                }
            }
            serde_json::Value::Object(item)
        })
        .collect();
    let mut feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "items": items,
    });
    if let Some(title) = text(title) {
        feed["title"] = title.into();
    }
    serde_json::to_vec(&feed).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn feed_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        check_feed(&bytes);
    }

    /// Garbage after a real opening, so the parsers get past their first look.
    #[test]
    fn feed_bytes_after_an_opening(
        opening in prop::sample::select(vec![
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>",
            "<rss><channel><title>t</title><item>",
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>",
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\"><item>",
            "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{\"id\":",
            "\u{feff}<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel>",
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss><channel>",
        ]),
        rest in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = opening.as_bytes().to_vec();
        bytes.extend(rest);
        check_feed(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn feed_generated_rss(title in field(), items in prop::collection::vec(item(), 0..6)) {
        let doc = rss(&title, &items);
        let parsed = check_feed(doc.as_bytes());
        if items.iter().all(Item::well_formed)
            && title.as_ref().is_none_or(|(t, e)| !matches!(e, Encoding::Raw) && t.chars().all(xml_char))
        {
            let parsed = parsed.expect("a well-formed RSS document parses");
            prop_assert_eq!(parsed.entries.len(), items.len());
        }
    }

    #[test]
    fn feed_generated_atom(title in field(), items in prop::collection::vec(item(), 0..6)) {
        let doc = atom(&title, &items);
        let parsed = check_feed(doc.as_bytes());
        if items.iter().all(Item::well_formed)
            && title.as_ref().is_none_or(|(t, e)| !matches!(e, Encoding::Raw) && t.chars().all(xml_char))
        {
            let parsed = parsed.expect("a well-formed Atom document parses");
            prop_assert_eq!(parsed.entries.len(), items.len());
        }
    }

    #[test]
    fn feed_generated_json(title in field(), items in prop::collection::vec(item(), 0..6)) {
        let doc = json_feed(&title, &items);
        if let Some(parsed) = check_feed(&doc) {
            prop_assert_eq!(parsed.entries.len(), items.len());
        }
    }
}

#[test]
fn feed_deeply_nested() {
    let depth = 10_000;
    let nested =
        |open: &str, close: &str| format!("{}x{}", open.repeat(depth), close.repeat(depth));
    let docs = [
        // Unknown elements in the channel, in an item, in a title.
        format!(
            "<rss version=\"2.0\"><channel><title>t</title>{}</channel></rss>",
            nested("<x>", "</x>")
        ),
        format!(
            "<rss version=\"2.0\"><channel><item><title>t</title>{}</item></channel></rss>",
            nested("<x>", "</x>")
        ),
        format!(
            "<rss version=\"2.0\"><channel><item><title>{}</title></item></channel></rss>",
            nested("<b>", "</b>")
        ),
        format!(
            "<rss version=\"2.0\"><channel><item><description>{}</description></item></channel></rss>",
            nested("<div>", "</div>")
        ),
        // Never closed.
        format!("<rss version=\"2.0\"><channel>{}", "<item>".repeat(depth)),
        "<channel>".repeat(depth),
        format!(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>{}</entry></feed>",
            nested("<content type=\"xhtml\"><div>", "</div></content>")
        ),
        format!(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content type=\"xhtml\">{}</content></entry></feed>",
            nested("<div>", "</div>")
        ),
        // JSON nested far beyond any feed.
        format!(
            "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{{\"id\":\"1\",\"x\":{}}}]}}",
            nested("[", "]").replace('x', "1")
        ),
        format!(
            "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{{\"id\":\"1\",\"x\":{}1{}}}]}}",
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        ),
    ];
    for doc in &docs {
        check_feed(doc.as_bytes());
    }
}

#[test]
fn feed_huge_documents() {
    // 10,000 entries.
    let items: String = (0..10_000)
        .map(|i| {
            format!("<item><title>Entry {i}</title><link>https://example.org/{i}</link></item>")
        })
        .collect();
    let doc = format!("<rss version=\"2.0\"><channel><title>Many</title>{items}</channel></rss>");
    let parsed = check_feed(doc.as_bytes()).expect("a big feed parses");
    assert_eq!(parsed.entries.len(), 10_000);

    // 100,000-character fields, with and without line breaks.
    let long = "word ".repeat(20_000);
    let doc = format!(
        "<rss version=\"2.0\"><channel><title>{long}</title><item><title>{long}</title><link>https://example.org/{}</link><guid>{long}</guid><description>{}</description></item></channel></rss>",
        "a".repeat(100_000),
        xml_escape(&format!("<p>{}</p>", "x".repeat(100_000)))
    );
    let parsed = check_feed(doc.as_bytes()).expect("long fields parse");
    assert_eq!(parsed.entries.len(), 1);
}

#[test]
fn feed_entity_expansion_is_bounded() {
    // The "billion laughs": entities defined in terms of each other.
    let mut dtd = String::from("<!ENTITY e0 \"lol\">");
    for i in 1..10 {
        dtd.push_str(&format!(
            "<!ENTITY e{i} \"{}\">",
            format!("&e{};", i - 1).repeat(10)
        ));
    }
    let doc = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE rss [{dtd}]><rss version=\"2.0\"><channel><title>&e9;</title><item><title>&e9;</title><description>&e9;</description></item></channel></rss>"
    );
    if let Some(feed) = check_feed(doc.as_bytes()) {
        for text in feed
            .title
            .iter()
            .chain(feed.entries.iter().map(|e| &e.title))
        {
            assert!(
                text.len() < 1_000_000,
                "entities expanded to {} bytes",
                text.len()
            );
        }
    }
    // An external entity is not fetched or read.
    let doc = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><rss version=\"2.0\"><channel><item><title>&x;</title></item></channel></rss>";
    if let Some(feed) = check_feed(doc.as_bytes()) {
        for entry in &feed.entries {
            assert!(!entry.title.contains("root:"), "{entry:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

fn check_file(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("article.md");
    std::fs::write(&path, bytes).unwrap();
    let result = bounded("read_file", || runtime().block_on(read_file(&path)));
    match (std::str::from_utf8(bytes), result) {
        (Ok(expected), Ok(text)) => assert_eq!(text, expected),
        (Err(utf8), Err(error)) => {
            match &error {
                SourceError::NotText { offset, .. } => assert_eq!(*offset, utf8.valid_up_to()),
                other => panic!("expected NotText, got {other:?}"),
            }
            let message = error.to_string();
            assert!(
                message.contains("not UTF-8") && message.contains("article.md"),
                "{message}"
            );
        }
        (expected, got) => panic!("expected {expected:?}, got {got:?}"),
    }
}

/// A byte sequence that is never valid UTF-8 where it stands.
fn invalid_utf8() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![
        vec![0x80],
        vec![0xbf],
        vec![0xc0, 0x80],
        vec![0xc1, 0xbf],
        vec![0xe0, 0x80, 0x80],
        vec![0xed, 0xa0, 0x80],
        vec![0xf4, 0x90, 0x80, 0x80],
        vec![0xf5],
        vec![0xfe],
        vec![0xff],
        vec![0xe2, 0x82],
        vec![0xf0, 0x9f, 0x98],
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn file_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        check_file(&bytes);
    }

    #[test]
    fn file_text_with_one_invalid_sequence(
        before in "\\PC{0,200}",
        bad in invalid_utf8(),
        after in "[\\s\\S]{0,200}",
    ) {
        let mut bytes = before.clone().into_bytes();
        bytes.extend(&bad);
        bytes.extend(after.as_bytes());
        check_file(&bytes);
        let error = runtime().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("bad.txt");
            std::fs::write(&path, &bytes).unwrap();
            read_file(&path).await.unwrap_err()
        });
        let at_the_bad_byte =
            matches!(error, SourceError::NotText { offset, .. } if offset == before.len());
        prop_assert!(at_the_bad_byte, "{:?}", error);
    }
}

#[test]
fn file_errors_say_what_is_wrong() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("missing.md");
    let error = rt.block_on(read_file(&missing)).unwrap_err();
    assert!(matches!(error, SourceError::Read { .. }), "{error:?}");
    assert!(error.to_string().contains("missing.md"), "{error}");

    let error = rt.block_on(read_file(dir.path())).unwrap_err();
    assert!(matches!(error, SourceError::Read { .. }), "{error:?}");
    assert!(!error.to_string().is_empty());

    // Oversized files are refused by their size, before being read (this one is sparse).
    let big = dir.path().join("big.md");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_INPUT_BYTES as u64 + 1)
        .unwrap();
    let error = bounded("oversized file", || rt.block_on(read_file(&big))).unwrap_err();
    assert!(matches!(error, SourceError::TooLarge { .. }), "{error:?}");
    assert!(error.to_string().contains("limited to"), "{error}");

    // At the limit exactly, a file is read.
    let edge = dir.path().join("edge.md");
    std::fs::write(&edge, "a".repeat(MAX_INPUT_BYTES)).unwrap();
    assert_eq!(
        rt.block_on(read_file(&edge)).unwrap().len(),
        MAX_INPUT_BYTES
    );

    // A file name that is not UTF-8 is shown, not a reason to fail.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"odd-\xff.md"));
        std::fs::write(&odd, b"Title\n\nBody text.").unwrap();
        assert_eq!(rt.block_on(read_file(&odd)).unwrap(), "Title\n\nBody text.");
        std::fs::write(&odd, b"\xff").unwrap();
        let error = rt.block_on(read_file(&odd)).unwrap_err();
        assert!(error.to_string().contains("odd-"), "{error}");
    }
}

/// A file whose size is not known up front (a FIFO, a character device, a file still growing)
/// is read only up to the limit, not until memory runs out.
#[cfg(unix)]
#[test]
fn file_without_a_known_size_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.md");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut pipe = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let chunk = vec![b'a'; 64 * 1024];
            // Twice the limit; the reader may hang up early, which ends the writes.
            for _ in 0..(2 * MAX_INPUT_BYTES / chunk.len() + 1) {
                if pipe.write_all(&chunk).is_err() {
                    break;
                }
            }
        })
    };
    let error = bounded("read_file of a FIFO", || {
        runtime().block_on(read_file(&fifo))
    })
    .expect_err("more than the limit is refused");
    writer.join().unwrap();
    assert!(
        matches!(error, SourceError::TooLargeWhileReading { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("pipe.md") && message.contains("limited to"),
        "{message}"
    );
}

/// Where the system has one, a character device that never ends is capped the same way.
#[cfg(target_os = "linux")]
#[test]
fn file_endless_device_is_capped() {
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let error = bounded("read_file of /dev/zero", || {
        runtime().block_on(read_file(zero))
    })
    .expect_err("an endless device is refused");
    assert!(
        matches!(error, SourceError::TooLargeWhileReading { .. }),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

/// Pieces of FTS5 query syntax and other noise a user might type.
fn fts_piece() -> impl Strategy<Value = String> {
    let syntax = prop::sample::select(vec![
        "\"",
        "\"\"",
        "'",
        "NEAR(",
        "NEAR",
        "NEAR/2",
        ")",
        "(",
        "*",
        "-",
        "+",
        "^",
        ":",
        ",",
        "AND",
        "OR",
        "NOT",
        "and",
        "or",
        "not",
        "title:",
        "body:",
        "articles_fts:",
        "rank:",
        "{title body}:",
        "{",
        "}",
        "-title:",
        "^title",
        "\\",
        "%",
        "_",
        ";",
        "--",
        "/*",
        "*/",
        "NULL",
        "'; DROP TABLE articles; --",
        "\u{0}",
        "\t",
        "\n",
        "\r",
        "\u{7f}",
        "\u{200b}",
        "\u{202e}",
        "\u{feff}",
        "\u{fffd}",
        "İ",
        "ß",
        "ǅ",
        "ﬁ",
        "é",
        "e\u{301}",
        "٣",
        "½",
        "ʰ",
        "\u{1F600}",
        "\u{10FFFF}",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        6 => syntax,
        2 => "[a-z]{1,8}",
        1 => "\\PC{0,8}",
        1 => "[\\x00-\\x1f\\x7f]{1,4}",
    ]
}

/// Noise made of those pieces, spaced or not: fewer than `max_pieces` pieces of at most four
/// words each, so that a word after `fts_noise(5)` (16 words at most) is still within the 32
/// words a search reads.
fn fts_noise(max_pieces: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        (fts_piece(), prop::sample::select(vec!["", " ", "  "])),
        0..max_pieces,
    )
    .prop_map(|pieces| pieces.into_iter().map(|(p, s)| p + s).collect())
}

/// The fixture articles, each with a word of its title that no other fixture contains.
const FIXTURES: [(&str, &str); 3] = [
    ("reading-room-fixture.md", "Arguments"),
    ("news-report.md", "Riverside"),
    ("repost-blog.md", "Fisheries"),
];

/// A bot over a fresh database with the fixtures ingested, and their ids.
async fn app_with_fixtures() -> (common::TestApp, Vec<ArticleId>) {
    let app = common::spawn_app().await;
    let mut ids = Vec::new();
    for (name, _) in FIXTURES {
        let (ingested, _) = app
            .bot
            .ingest(&common::fixture(name), Some(name))
            .await
            .unwrap();
        ids.push(ingested.id());
    }
    (app, ids)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// A word known to be in one title, in random case, between noise, separated from it by
/// something that is not a letter or digit.
fn word_in_noise() -> impl Strategy<Value = (usize, String)> {
    (
        0..FIXTURES.len(),
        prop::collection::vec(any::<bool>(), 16),
        fts_noise(5),
        prop::sample::select(vec![" ", "\"", "(", "*", "-", "^", ":", "\u{0}", "\t", "'"]),
        prop::sample::select(vec![" ", "\"", ")", "*", "-", "^", ":", "\u{0}", "\n", "'"]),
        fts_noise(5),
    )
        .prop_map(|(which, upper, before, open, close, after)| {
            let word: String = FIXTURES[which]
                .1
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, &u)| {
                    if u {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect();
            (which, format!("{before}{open}{word}{close}{after}"))
        })
}

#[test]
fn search_never_fails_on_user_text() {
    let rt = runtime();
    let (app, _ids) = rt.block_on(app_with_fixtures());
    let store = app.bot.store().clone();
    let strategy = prop_oneof![
        4 => fts_noise(12),
        1 => any::<String>(),
        1 => "[\\x00-\\x1f\\x7f\"*^:()-]{0,40}",
    ];
    runner(256)
        .run(&strategy, |words| {
            let (search, complete) = bounded("search", || {
                rt.block_on(async {
                    (
                        store.search(Scope::Operator, &words, 5).await,
                        store.complete_titles(Scope::Operator, &words, 5).await,
                    )
                })
            });
            let search = search.map_err(|e| format!("search {words:?}: {e}"));
            let complete = complete.map_err(|e| format!("complete_titles {words:?}: {e}"));
            prop_assert!(search.is_ok(), "{:?}", search);
            prop_assert!(complete.is_ok(), "{:?}", complete);
            Ok(())
        })
        .unwrap();
    // Long input: a 100,000-character line, and many words.
    for words in [
        "NEAR(".repeat(20_000),
        "a".repeat(100_000),
        "\"x\" OR ".repeat(15_000),
        "(".repeat(100_000),
    ] {
        bounded("search of a long line", || {
            rt.block_on(async {
                store.search(Scope::Operator, &words, 5).await.unwrap();
                store
                    .complete_titles(Scope::Operator, &words, 5)
                    .await
                    .unwrap();
            })
        });
    }
}

#[test]
fn search_finds_a_title_word_inside_syntax_noise() {
    let rt = runtime();
    let (app, ids) = rt.block_on(app_with_fixtures());
    let store = app.bot.store().clone();
    runner(128)
        .run(&word_in_noise(), |(which, words)| {
            let hits = rt
                .block_on(store.search(Scope::Operator, &words, 5))
                .map_err(|e| TestCaseError::fail(format!("{words:?}: {e}")))?;
            prop_assert!(
                hits.iter().any(|h| h.id == ids[which]),
                "{:?} did not find {}: {:?}",
                words,
                ids[which],
                hits
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn bot_search_replies_to_anything() {
    let rt = runtime();
    let (app, ids) = rt.block_on(app_with_fixtures());
    let ctx = common::context(Platform::Console, "hostile", "mallory", false);
    let strategy = prop_oneof![
        3 => fts_noise(12),
        1 => any::<String>(),
    ];
    runner(64)
        .run(&strategy, |words| {
            let reply = bounded("bot search", || {
                rt.block_on(app.bot.handle_text(&ctx, &format!("search {words}")))
            });
            match &reply.body {
                Body::Error(message) => {
                    prop_assert!(!message.trim().is_empty());
                    prop_assert!(
                        !message.contains("Something went wrong"),
                        "{:?} failed in the store: {}",
                        words,
                        message
                    );
                }
                Body::Card(_) | Body::Text(_) => {}
                Body::File { .. } => prop_assert!(false, "a file for a search: {:?}", reply),
            }
            Ok(())
        })
        .unwrap();
    runner(64)
        .run(&word_in_noise(), |(which, words)| {
            let reply = rt.block_on(app.bot.handle_text(&ctx, &format!("search {words}")));
            let Body::Card(card) = &reply.body else {
                return Err(TestCaseError::fail(format!("{words:?}: {reply:?}")));
            };
            let wanted = format!("#{} ", ids[which].0);
            prop_assert!(
                card.fields.iter().any(|f| f.name.starts_with(&wanted)),
                "{:?} did not find {}: {:?}",
                words,
                ids[which],
                card
            );
            Ok(())
        })
        .unwrap();
}
