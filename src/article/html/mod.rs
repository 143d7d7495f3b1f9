//! Articles from web pages: the readable part of the HTML (a readability-style extractor,
//! dom_smoothie), the page's metadata (OpenGraph, JSON-LD, `<meta name=author>`, the canonical
//! link), then the same text pipeline as files. Pure: the caller fetched the bytes.
//!
//! The page is parsed once, by `nesting`, which refuses a page nested deeper than
//! [`MAX_NESTING`] before building all of its tree; metadata is read from that tree, and the
//! extractor then takes it over.

use dom_smoothie::{Config, Readability, TextMode};

use super::{Article, Options, ParseError, parse_with};

mod nesting;

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

/// Whether two addresses are on the same site: the same registrable domain (`news.example.co.uk`
/// and `www.example.co.uk`), by the public suffix list; an address without a domain (an IP, a
/// file) only matches the same host.
pub fn same_site(a: &str, b: &str) -> bool {
    let host = |u: &str| {
        url::Url::parse(u).ok().and_then(|u| {
            u.host_str()
                .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        })
    };
    let (Some(a), Some(b)) = (host(a), host(b)) else {
        return false;
    };
    if a == b {
        return true;
    }
    match (psl::domain_str(&a), psl::domain_str(&b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Whether a file holds a web page (a saved HTML page) rather than plain text or Markdown: by
/// its name, or else by how its text starts.
pub fn is_html(name: &str, text: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if [".html", ".htm", ".xhtml"]
        .iter()
        .any(|ext| name.ends_with(ext))
    {
        return true;
    }
    let start: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || (start.starts_with("<?xml") && start.contains("<html"))
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
/// [`HtmlError::TooDeep`] for a page nested deeper than [`MAX_NESTING`], with [`HtmlError::NoArticle`]
/// when no readable text is found, and as the text pipeline does for the text found.
pub fn parse_html(html: &str, url: &str) -> Result<Page, HtmlError> {
    if html.len() > super::MAX_INPUT_BYTES {
        return Err(ParseError::TooLarge {
            size: html.len(),
            limit: super::MAX_INPUT_BYTES,
        }
        .into());
    }
    let document =
        nesting::parse(html, MAX_NESTING).ok_or(HtmlError::TooDeep { limit: MAX_NESTING })?;
    let absolute = |href: String| absolute_url(url, &href);
    // A page may name its own address, not another site's: a canonical link to a different
    // site would let any page take the place of a real article there.
    let canonical = meta(&document, "link[rel=canonical]", "href")
        .or_else(|| meta(&document, "meta[property='og:url']", "content"))
        .and_then(absolute)
        .filter(|canonical| same_site(canonical, url));
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
    let mut readability = Readability::with_document(document, Some(url), Some(config))
        .map_err(|_| HtmlError::NoArticle)?;
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

/// `href` resolved against the page's address `base`, when it comes to an http(s) address.
/// An absolute `href` stands on its own, so a page address that does not parse loses only
/// the relative links.
fn absolute_url(base: &str, href: &str) -> Option<String> {
    let base = url::Url::parse(base).ok();
    let resolved = url::Url::options()
        .base_url(base.as_ref())
        .parse(href)
        .ok()?;
    matches!(resolved.scheme(), "http" | "https").then(|| resolved.into())
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
    fn nesting_is_refused_one_past_the_limit() {
        // `<html>` and `<body>` are the first two levels, the `<p>` the last.
        let nested = |divs: usize| format!("{}<p>text</p>", "<div>".repeat(divs));
        assert_eq!(
            parse_html(&nested(MAX_NESTING - 2), "https://example.org/"),
            Err(HtmlError::TooDeep { limit: MAX_NESTING })
        );
        assert_eq!(
            parse_html(&nested(MAX_NESTING - 3), "https://example.org/"),
            Err(HtmlError::NoArticle)
        );
    }

    #[test]
    fn links_resolve_against_the_page_address() {
        let base = "https://lantern.example.org/essays/reading-rooms?utm=x#top";
        for (href, want) in [
            ("https://other.example/a", Some("https://other.example/a")),
            ("http://other.example", Some("http://other.example/")),
            (
                "//cdn.example.net/img/a.png",
                Some("https://cdn.example.net/img/a.png"),
            ),
            ("/about", Some("https://lantern.example.org/about")),
            ("../a", Some("https://lantern.example.org/a")),
            ("a", Some("https://lantern.example.org/essays/a")),
            (
                "./a/b?c=1",
                Some("https://lantern.example.org/essays/a/b?c=1"),
            ),
            (
                "?page=2",
                Some("https://lantern.example.org/essays/reading-rooms?page=2"),
            ),
            (
                "#notes",
                Some("https://lantern.example.org/essays/reading-rooms?utm=x#notes"),
            ),
            ("mailto:desk@lantern.example.org", None),
            ("javascript:alert(1)", None),
            ("ftp://lantern.example.org/a", None),
            ("https://[::1", None),
        ] {
            assert_eq!(absolute_url(base, href).as_deref(), want, "{href}");
        }
        // Relative links need an address to resolve against; absolute ones do not.
        assert_eq!(absolute_url("", "/about"), None);
        assert_eq!(
            absolute_url("not an address", "https://other.example/a").as_deref(),
            Some("https://other.example/a")
        );
        assert_eq!(
            absolute_url("http://lantern.example.org", "//cdn.example.net/").as_deref(),
            Some("http://cdn.example.net/")
        );
    }

    #[test]
    fn a_canonical_address_counts_only_on_the_same_site() {
        assert!(same_site(
            "https://news.example.co.uk/a",
            "http://www.example.co.uk/b"
        ));
        assert!(!same_site(
            "https://evil.co.uk/a",
            "https://example.co.uk/a"
        ));
        assert!(!same_site(
            "https://victim.example/story",
            "https://attacker.example/p"
        ));
        assert!(same_site(
            "http://127.0.0.1:8080/a",
            "http://127.0.0.1:9090/b"
        ));
        assert!(!same_site("file:///tmp/a.html", "https://example.org/"));
        let page = |canonical: &str| {
            format!(
                "<html><head><title>A page</title><link rel=canonical href=\"{canonical}\"></head><body><article><p>{}</p></article></body></html>",
                "Sentences about the reading room and its lamps go on for a while here. "
                    .repeat(12)
            )
        };
        let own = parse_html(
            &page("https://www.blog.example/post"),
            "https://blog.example/p?x=1",
        )
        .unwrap();
        assert_eq!(
            own.canonical_url.as_deref(),
            Some("https://www.blog.example/post")
        );
        let other = parse_html(
            &page("https://victim.example/story"),
            "https://blog.example/p",
        )
        .unwrap();
        assert_eq!(
            other.canonical_url, None,
            "another site's address is not trusted"
        );
    }
}
