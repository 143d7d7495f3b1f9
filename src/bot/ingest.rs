//! Taking articles in: parsing text, fetching pages, and storing the result once.

use crate::article;
use crate::store::{Ingested, StoreError};

use super::Bot;

/// Why an article could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The text is not an article.
    #[error(transparent)]
    Parse(#[from] article::ParseError),
    /// The page could not be fetched.
    #[error(transparent)]
    Fetch(#[from] crate::sources::web::FetchError),
    /// The file could not be read.
    #[error(transparent)]
    Source(#[from] crate::sources::SourceError),
    /// The page is not an article.
    #[error(transparent)]
    Html(#[from] article::html::HtmlError),
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The extractor stopped without an answer (a bug of ours, logged).
    #[error("reading the page failed on our side: {0}")]
    Extraction(String),
}

impl Bot {
    /// Parses a text and stores it as an article (unless the same content is stored already)
    /// and puts it in the operator's library, which every community may read.
    pub async fn ingest(
        &self,
        text: &str,
        origin: Option<&str>,
    ) -> Result<(Ingested, String), IngestError> {
        let (ingested, title) = self.ingest_text(text, origin).await?;
        self.store().add_to_library(ingested.id()).await?;
        Ok((ingested, title))
    }

    /// Parses a text (a saved web page goes through the page extractor, with its metadata) and
    /// stores it as an article, on no shelf and not in the library: the caller places it.
    pub async fn ingest_text(
        &self,
        text: &str,
        origin: Option<&str>,
    ) -> Result<(Ingested, String), IngestError> {
        let (article, canonical) = Self::read_text(text, origin).await?;
        self.store_article(&article, origin, canonical.as_deref())
            .await
    }

    /// The article in a file's text: a web page (by name or content) as a page, with its
    /// metadata and canonical address; anything else as text or Markdown.
    pub async fn read_text(
        text: &str,
        name: Option<&str>,
    ) -> Result<(article::Article, Option<String>), IngestError> {
        if !article::html::is_html(name.unwrap_or(""), text) {
            return Ok((article::parse(text)?, None));
        }
        let (text, base) = (
            text.to_owned(),
            format!("file:///{}", name.unwrap_or("page.html")),
        );
        // Seconds of CPU at worst: off the runtime's workers, as for fetched pages.
        let page = tokio::task::spawn_blocking(move || article::html::parse_html(&text, &base))
            .await
            .map_err(|error| IngestError::Extraction(error.to_string()))??;
        Ok((page.article, page.canonical_url))
    }

    /// Fetches a web page and stores its article, unless the page (by canonical URL) or the same
    /// content is stored already. Nothing is stored when the page is not an article.
    pub async fn ingest_url(&self, url: &str) -> Result<(Ingested, String), IngestError> {
        let page = self.fetch_page(url).await?;
        self.store_article(&page.article, Some(url), page.canonical_url.as_deref())
            .await
    }

    /// The entry links of the feed at `url`, or `None` when it is not a feed.
    pub async fn feed_links(&self, url: &str) -> Option<Vec<String>> {
        let fetched = self.fetcher.get(url, &Default::default()).await.ok()?;
        let content_type = fetched
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if content_type.contains("html") {
            return None;
        }
        let feed = crate::sources::feed::parse_feed(fetched.body.as_bytes(), &fetched.url).ok()?;
        Some(feed.entries.into_iter().filter_map(|e| e.link).collect())
    }

    /// Fetches and parses a page without storing it (for `parse URL`).
    pub async fn fetch_page(&self, url: &str) -> Result<article::html::Page, IngestError> {
        let fetched = self.fetcher.page(url).await?;
        // Up to 2 MiB of markup: seconds of CPU at worst, which must not stall the runtime's
        // workers (and with them every platform's event loop).
        let page = tokio::task::spawn_blocking(move || {
            article::html::parse_html(&fetched.body, &fetched.url)
        })
        .await
        .map_err(|error| IngestError::Extraction(error.to_string()))??;
        Ok(page)
    }

    pub(crate) async fn store_article(
        &self,
        article: &article::Article,
        origin: Option<&str>,
        canonical: Option<&str>,
    ) -> Result<(Ingested, String), IngestError> {
        let ingested = self
            .store
            .insert_article(article, origin, canonical, self.now())
            .await?;
        match ingested {
            Ingested::New(id) => {
                tracing::info!(target: "audit", article = id.0, origin, title = %article.title, "article ingested");
            }
            Ingested::Existing(id) => {
                tracing::debug!(article = id.0, origin, "article already stored")
            }
        }
        Ok((ingested, article.title.clone()))
    }
}
