//! The store: every SQL statement of the bot lives under this module.
//!
//! SQLite in WAL mode with embedded migrations (`migrations/`). Each write is its own
//! transaction (or an explicit one where several rows must change together; reader messages
//! recorded at the same time share one, see `recorder`), so a caller that got `Ok` back knows
//! the row is committed: platforms acknowledge a recorded message only then.

mod articles;
mod catchup;
mod communities;
mod digests;
mod discussions;
mod feeds;
mod pins;
mod platform;
mod recorder;
mod web;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use articles::{
    ArticleId, BadArticleId, Ingested, SearchHit, StoredArticle, StoredQuote, content_hash,
};
pub use catchup::{CatchUpRecord, RecordedMessage, TrackedThread};
pub use communities::{Community, Scope};
pub use digests::{Activity, DigestSchedule, RunStatus};
pub use discussions::{Channel, Discussion, DiscussionStats, FORGOTTEN, NewMessage, StoredMessage};
pub use feeds::{Delivery, Feed};
pub use pins::{Pin, PinOutcome};
pub use platform::{Failures, WaitingEvent};
pub use web::PostedDigest;

/// Errors from the store. Callers turn them into a user-facing "something went wrong".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or a statement failed.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored JSON document no longer matches the current types.
    #[error("stored article #{id} is unreadable: {source}")]
    Corrupt {
        /// The article's id.
        id: i64,
        /// Why it could not be read.
        source: serde_json::Error,
    },
    /// Serialising an article failed.
    #[error("could not serialise the article: {0}")]
    Serialise(#[from] serde_json::Error),
    /// The store is shutting down and takes no more messages.
    #[error("the store is shutting down")]
    Closed,
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Row counts, for `/stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
#[allow(missing_docs)] // each field is the count its name says
pub struct Totals {
    pub articles: i64,
    pub quotes: i64,
    pub discussions: i64,
    pub messages: i64,
    pub deleted_messages: i64,
    pub pins: i64,
    pub digests_posted: i64,
    pub feeds: i64,
}

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    recorder: recorder::Recorder,
}

impl Store {
    /// Opens (creating and migrating as needed) the database at `location`: a file path, or a
    /// `sqlite:` URL such as `sqlite://data/rr.db` or `sqlite::memory:`.
    pub async fn open(location: &str) -> Result<Self> {
        let options = if location.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(location)?
        } else {
            SqliteConnectOptions::new().filename(Path::new(location))
        };
        let in_memory = location.contains(":memory:");
        let options = options
            .create_if_missing(true)
            .journal_mode(if in_memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            // NORMAL in WAL mode keeps every committed transaction across a process crash (only
            // an OS crash can lose the last ones), at a fraction of FULL's fsync cost.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // Each in-memory connection would be a database of its own: keep exactly one.
        let pool = SqlitePoolOptions::new()
            .max_connections(if in_memory { 1 } else { 4 })
            .min_connections(if in_memory { 1 } else { 0 })
            .idle_timeout(if in_memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if in_memory {
                None
            } else {
                Some(Duration::from_secs(3600))
            })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let recorder = recorder::Recorder::spawn(pool.clone());
        Ok(Self { pool, recorder })
    }

    /// How much `scope` holds, for `/stats`: a community's shelf and library, its channels'
    /// discussions, messages, pins, digests and feeds; the operator's, everything.
    pub async fn totals(&self, scope: Scope) -> Result<Totals> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH c AS (SELECT id, community_id FROM channels c WHERE {within}),
                  d AS (SELECT id FROM discussions WHERE channel_id IN (SELECT id FROM c)),
                  m AS (SELECT id, deleted_at FROM messages WHERE discussion_id IN (SELECT id FROM d))
             SELECT (SELECT count(*) FROM articles a WHERE {visible}) AS articles,
                    (SELECT count(*) FROM quotes q JOIN articles a ON a.id = q.article_id
                     WHERE {visible}) AS quotes,
                    (SELECT count(*) FROM d) AS discussions,
                    (SELECT count(*) FROM m WHERE deleted_at IS NULL) AS messages,
                    (SELECT count(*) FROM m WHERE deleted_at IS NOT NULL) AS deleted_messages,
                    (SELECT count(*) FROM pins WHERE message_id IN (SELECT id FROM m)) AS pins,
                    (SELECT count(*) FROM digest_runs WHERE status = 'posted'
                     AND channel_id IN (SELECT id FROM c)) AS digests_posted,
                    (SELECT count(DISTINCT feed_id) FROM feed_subscriptions
                     WHERE channel_id IN (SELECT id FROM c)) AS feeds",
            within = communities::within(1),
            visible = communities::visible(1),
        )))
        .bind(scope.bind())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Runs SQLite's own consistency check; `Ok(true)` when it reports "ok".
    pub async fn integrity_check(&self) -> Result<bool> {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.len() == 1 && rows[0] == "ok")
    }

    /// Closes every connection, waiting for running statements to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
