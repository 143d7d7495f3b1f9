//! Articles, their quotations and the full-text index over them.

use std::fmt;
use std::str::FromStr;

use super::communities::visible;
use super::{Pool, Result, Scope, Store, StoreError, postgres, sqlite};
use crate::article::Article;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// How many of the newest matches a search ranks.
pub const SEARCH_CANDIDATES: u32 = 1000;

/// An article's number in the store, shown to users as `#N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct ArticleId(pub i64);

impl From<i64> for ArticleId {
    fn from(id: i64) -> Self {
        ArticleId(id)
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Why a text is not an article id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an article id is a positive number such as 12 or #12")]
pub struct BadArticleId;

impl FromStr for ArticleId {
    type Err = BadArticleId;

    /// Accepts `12` and `#12`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .strip_prefix('#')
            .unwrap_or(s.trim())
            .parse::<i64>()
        {
            Ok(n) if n > 0 => Ok(ArticleId(n)),
            _ => Err(BadArticleId),
        }
    }
}

/// The result of storing an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// A new row.
    New(ArticleId),
    /// The same content was already stored under this id.
    Existing(ArticleId),
}

impl Ingested {
    /// The article's id either way.
    pub fn id(self) -> ArticleId {
        match self {
            Ingested::New(id) | Ingested::Existing(id) => id,
        }
    }
}

/// An article as stored.
#[derive(Debug, Clone)]
pub struct StoredArticle {
    /// Its number.
    pub id: ArticleId,
    /// The parsed article.
    pub article: Article,
    /// Where it came from (file name or URL).
    pub origin: Option<String>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// A search result.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SearchHit {
    /// The article.
    #[sqlx(try_from = "i64")]
    pub id: ArticleId,
    /// Its title.
    pub title: String,
    /// A short excerpt around the matched words.
    pub snippet: String,
}

/// A quotation with the article it comes from.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredQuote {
    /// The article.
    #[sqlx(try_from = "i64")]
    pub article_id: ArticleId,
    /// The article's title.
    pub title: String,
    /// The quoted words.
    pub text: String,
    /// Who said them.
    pub speaker: Option<String>,
    /// The paragraph they stand in.
    pub paragraph: i64,
}

/// SHA-256 over the article's title and body with white space folded, so the same text pasted
/// twice, re-wrapped or from another file is recognised as one article.
pub fn content_hash(article: &Article) -> String {
    let mut hasher = Sha256::new();
    let mut feed = |text: &str| {
        for word in text.split_whitespace() {
            hasher.update(word.as_bytes());
            hasher.update(b" ");
        }
        hasher.update(b"\n");
    };
    feed(&article.title);
    for paragraph in &article.paragraphs {
        feed(&paragraph.text);
    }
    let digest = hasher.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The words of a search, as each backend's full-text query is built from them: lowercased
/// runs of letters and digits (at most 32), so nothing a user types is query syntax.
pub(super) struct Terms {
    /// The words.
    pub(super) words: Vec<String>,
    /// Any word may match (else every word must).
    pub(super) any: bool,
    /// The last word is a prefix.
    pub(super) prefix: bool,
}

impl Terms {
    /// `None` when no word is left.
    fn new(typed: &str, any: bool, prefix: bool) -> Option<Self> {
        let words: Vec<String> = typed
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(32)
            .map(str::to_lowercase)
            .collect();
        (!words.is_empty()).then_some(Terms { words, any, prefix })
    }
}

/// Whether a search makes its hits' snippets, or leaves them empty for a caller that does not
/// show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Snippets {
    /// Each hit gets its snippet.
    Made,
    /// Snippets are left empty.
    Left,
}

/// An article row's columns, in `ARTICLE_COLUMNS` order.
pub(super) type ArticleRow = (i64, String, Option<String>, DateTime<Utc>);

impl Store {
    /// Stores an article unless it is already there: the same canonical URL, then the same
    /// content.
    pub async fn insert_article(
        &self,
        article: &Article,
        origin: Option<&str>,
        canonical_url: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ingested> {
        if let Some(url) = canonical_url {
            let id: Option<i64> = on!(&self.pool, pool => sqlx::query_scalar("SELECT id FROM articles WHERE canonical_url = $1")
                    .bind(url)
                    .fetch_optional(pool)
                    .await)?;
            if let Some(id) = id {
                return Ok(Ingested::Existing(ArticleId(id)));
            }
        }
        let hash = content_hash(article);
        if let Some(id) = self.article_by_hash(&hash).await? {
            return Ok(Ingested::Existing(id));
        }
        let doc = serde_json::to_string(article)?;
        let body = article
            .paragraphs
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        on!(&self.pool, pool => {
        let mut tx = pool.begin().await?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO articles (title, byline, source_name, source_url, published, content_hash,
                                   origin, canonical_url, body, doc, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT DO NOTHING
             RETURNING id",
        )
        .bind(&article.title)
        .bind(&article.byline)
        .bind(&article.source.name)
        .bind(&article.source.url)
        .bind(&article.published)
        .bind(&hash)
        .bind(origin)
        .bind(canonical_url)
        .bind(&body)
        .bind(&doc)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = inserted else {
            // Another writer stored the same content between our check and the insert.
            tx.rollback().await?;
            let id = self.article_by_hash(&hash).await?;
            return Ok(Ingested::Existing(id.unwrap_or(ArticleId(0))));
        };
        for (position, quote) in article.quotes.iter().enumerate() {
            sqlx::query(
                "INSERT INTO quotes (article_id, position, text, speaker, paragraph)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(position as i64)
            .bind(&quote.text)
            .bind(&quote.speaker)
            .bind(quote.paragraph as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Ingested::New(ArticleId(id)))
        })
    }

    async fn article_by_hash(&self, hash: &str) -> Result<Option<ArticleId>> {
        let id: Option<i64> = on!(&self.pool, pool => sqlx::query_scalar("SELECT id FROM articles WHERE content_hash = $1")
            .bind(hash)
            .fetch_optional(pool)
            .await)?;
        Ok(id.map(ArticleId))
    }

    /// The article with this id.
    pub async fn article(&self, id: ArticleId) -> Result<Option<StoredArticle>> {
        let row = on!(&self.pool, pool => sqlx::query_as::<_, ArticleRow>(sqlx::AssertSqlSafe(format!("SELECT {ARTICLE_COLUMNS} FROM articles a WHERE a.id = $1")))
            .bind(id.0)
            .fetch_optional(pool)
            .await)?;
        row.map(stored_article).transpose()
    }

    /// The article with this id, if `scope` may see it.
    pub async fn article_in(&self, scope: Scope, id: ArticleId) -> Result<Option<StoredArticle>> {
        let row = on!(&self.pool, pool => sqlx::query_as::<_, ArticleRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ARTICLE_COLUMNS} FROM articles a WHERE a.id = $2 AND {}",
            visible(scope, 1)
        )))
        .bind(scope.bind())
        .bind(id.0)
        .fetch_optional(pool)
        .await)?;
        row.map(stored_article).transpose()
    }

    /// The article `scope` saw arrive last: the newest on its shelf or in the library.
    pub async fn latest_article(&self, scope: Scope) -> Result<Option<StoredArticle>> {
        // The shelf's newest and the library's newest (`articles_library`; every article for
        // the operator), each found by index, then the later.
        let library = match scope {
            Scope::Community(_) => "library",
            Scope::Operator => "$1 IS NULL",
        };
        let sql = format!(
            "SELECT a.id, a.doc, a.origin, a.created_at FROM articles a JOIN (
                 SELECT id, at FROM (
                     SELECT article_id AS id, added_at AS at FROM shelves
                     WHERE community_id = $1 ORDER BY added_at DESC LIMIT 1) shelf
                 UNION ALL
                 SELECT id, at FROM (
                     SELECT id, created_at AS at FROM articles
                     WHERE {library} ORDER BY id DESC LIMIT 1) library
             ) newest ON newest.id = a.id
             ORDER BY newest.at DESC, a.id DESC LIMIT 1"
        );
        let row = on!(&self.pool, pool => sqlx::query_as::<_, ArticleRow>(sqlx::AssertSqlSafe(sql.clone()))
        .bind(scope.bind())
        .fetch_optional(pool)
        .await)?;
        row.map(stored_article).transpose()
    }

    /// How many articles are stored.
    pub async fn article_count(&self) -> Result<i64> {
        Ok(
            on!(&self.pool, pool => sqlx::query_scalar("SELECT count(*) FROM articles")
            .fetch_one(pool)
            .await)?,
        )
    }

    /// Full-text search over titles (weighted up) and bodies, best first, each hit with a
    /// snippet. Every word must match; when no article has them all, articles with any of them
    /// are returned.
    pub async fn search(&self, scope: Scope, words: &str, limit: u32) -> Result<Vec<SearchHit>> {
        self.search_with(scope, words, limit, Snippets::Made).await
    }

    /// The article [`Store::search`] would list first, found without making its snippet: what
    /// `/article <words>` and `/quote <words>` open.
    pub async fn best_match(&self, scope: Scope, words: &str) -> Result<Option<ArticleId>> {
        let hits = self.search_with(scope, words, 1, Snippets::Left).await?;
        Ok(hits.first().map(|hit| hit.id))
    }

    async fn search_with(
        &self,
        scope: Scope,
        words: &str,
        limit: u32,
        snippets: Snippets,
    ) -> Result<Vec<SearchHit>> {
        for any in [false, true] {
            let Some(terms) = Terms::new(words, any, false) else {
                return Ok(Vec::new());
            };
            let hits = self.fts(scope, &terms, limit, snippets).await?;
            if !hits.is_empty() {
                return Ok(hits);
            }
        }
        Ok(Vec::new())
    }

    /// Titles for autocomplete (snippets left empty): articles whose title or body matches the
    /// words typed so far, the last one as a prefix; the latest articles when nothing is typed.
    pub async fn complete_titles(
        &self,
        scope: Scope,
        typed: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>> {
        match Terms::new(typed, false, true) {
            Some(terms) => self.fts(scope, &terms, limit, Snippets::Left).await,
            None => Ok(
                on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT a.id, a.title, '' AS snippet FROM articles a WHERE {}
                 ORDER BY a.id DESC LIMIT $2",
                visible(scope, 1)
            )))
            .bind(scope.bind())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await)?,
            ),
        }
    }

    /// The best matches of `terms` among the newest [`SEARCH_CANDIDATES`]: each backend has
    /// its own full-text index (FTS5, `tsvector`). Two things keep a common word from costing
    /// a full ranking of the whole library: only the newest matches are ranked (a reading
    /// community wants recent articles first anyway), and the snippet, which re-reads the
    /// article, is made for the returned rows only, and only when it is shown.
    async fn fts(
        &self,
        scope: Scope,
        terms: &Terms,
        limit: u32,
        snippets: Snippets,
    ) -> Result<Vec<SearchHit>> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlite::search(pool, scope, terms, limit, snippets).await,
            Pool::Postgres(pool) => postgres::search(pool, scope, terms, limit, snippets).await,
        }
    }

    /// A quotation chosen by `pick` (any number; the caller supplies the randomness): from one
    /// article when `article` is given, else from every article `scope` may see.
    pub async fn pick_quote(
        &self,
        scope: Scope,
        article: Option<ArticleId>,
        pick: u64,
    ) -> Result<Option<StoredQuote>> {
        // One statement each way: `/quote` is among the commands readers run most.
        let quote = match article {
            Some(id) => {
                let sql = format!(
                    "SELECT article_id, title, text, speaker, paragraph FROM (
                         SELECT q.article_id, a.title, q.text, q.speaker, q.paragraph,
                                row_number() OVER (ORDER BY q.position) - 1 AS n,
                                count(*) OVER () AS total
                         FROM quotes q JOIN articles a ON a.id = q.article_id
                         WHERE q.article_id = $2 AND {}
                     ) picked WHERE n = $3 % total",
                    visible(scope, 1)
                );
                on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(scope.bind())
                    .bind(id.0)
                    .bind((pick >> 1) as i64)
                    .fetch_optional(pool)
                    .await)?
            }
            None => {
                // Seek by id rather than OFFSET so a pick costs the same at any table size;
                // past the last visible quotation, wrap around to the first. The wrap is a
                // statement of its own, asked only then, so a pick is one seek.
                let select = |from: &str| {
                    format!(
                        "SELECT q.article_id, a.title, q.text, q.speaker, q.paragraph
                         FROM quotes q JOIN articles a ON a.id = q.article_id
                         WHERE q.id >= {from} AND {} ORDER BY q.id LIMIT 1",
                        visible(scope, 1)
                    )
                };
                let seek = select("(SELECT coalesce($2 % max(id), 0) + 1 FROM quotes)");
                let found = on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(seek.clone()))
                    .bind(scope.bind())
                    .bind((pick >> 1) as i64)
                    .fetch_optional(pool)
                    .await)?;
                match found {
                    Some(quote) => Some(quote),
                    None => {
                        on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(select("0")))
                            .bind(scope.bind())
                            .fetch_optional(pool)
                            .await)?
                    }
                }
            }
        };
        Ok(quote)
    }
}

/// The columns an [`ArticleRow`] is read from, for an `articles a`.
pub(super) const ARTICLE_COLUMNS: &str = "a.id, a.doc, a.origin, a.created_at";

pub(super) fn stored_article((id, doc, origin, created_at): ArticleRow) -> Result<StoredArticle> {
    let article =
        serde_json::from_str(&doc).map_err(|source| StoreError::Corrupt { id, source })?;
    Ok(StoredArticle {
        id: ArticleId(id),
        article,
        origin,
        created_at,
    })
}
