//! Articles from web pages: the readable part of the HTML (a readability-style extractor,
//! dom_smoothie), the page's metadata (OpenGraph, JSON-LD, `<meta name=author>`, the canonical
//! link), then the same text pipeline as files. Pure: the caller fetched the bytes.

use dom_smoothie::{Config, Readability, TextMode};

use super::{Article, Options, ParseError, parse_with};

/// Fewest characters of readable text for a page to count as an article.
pub const MIN_TEXT_CHARS: usize = 200;

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
pub fn parse_html(html: &str, url: &str) -> Result<Page, HtmlError> {
    if html.len() > super::MAX_INPUT_BYTES {
        return Err(ParseError::TooLarge {
            size: html.len(),
            limit: super::MAX_INPUT_BYTES,
        }
        .into());
    }
    let document = dom_query::Document::from(html);
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
}
