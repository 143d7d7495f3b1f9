//! The store: every SQL statement of the bot lives under this module.
//!
//! SQLite (`sqlite.rs`: WAL mode, one process) or PostgreSQL (`postgres.rs`: any number of
//! processes), chosen by the address given to [`Store::open`], each with its own embedded
//! migrations (`migrations/`, `migrations/postgres/`). Every statement is written once with
//! `$N` placeholders, which both take, and run through the `on!` macro; what differs (full-text
//! search, the write lock, the consistency check) lives in the two backend modules. Each write is its own
//! transaction (or an explicit one where several rows must change together; reader messages
//! recorded at the same time share one, see `recorder`), so a caller that got `Ok` back knows
//! the row is committed: platforms acknowledge a recorded message only then.

/// Runs `$body` once per backend with `$p` bound to that backend's pool (or transaction): the
/// SQL is the same text, but sqlx types every statement by its database, so the body is
/// compiled once for each. The arms must produce the same type.
macro_rules! on {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}

/// Applies an edit (`Some(text)`) or delete (`None`) to message `$id` inside the caller's
/// transaction (`$conn`: its connection, of either backend).
macro_rules! apply_change {
    ($conn:expr, $id:expr, $body:expr, $at:expr) => {
        match $body {
            Some(body) => {
                sqlx::query("UPDATE messages SET body = $1, edited_at = $2 WHERE id = $3")
                    .bind(body)
                    .bind($at)
                    .bind($id)
                    .execute($conn)
                    .await?;
            }
            None => forget_text!($conn, $id, $at),
        }
    };
}

/// Forgets message `$id`'s text and drops any pin on it, inside the caller's transaction.
macro_rules! forget_text {
    ($conn:expr, $id:expr, $at:expr) => {{
        sqlx::query("UPDATE messages SET body = NULL, deleted_at = $1 WHERE id = $2")
            .bind($at)
            .bind($id)
            .execute(&mut *$conn)
            .await?;
        sqlx::query("DELETE FROM pins WHERE message_id = $1")
            .bind($id)
            .execute(&mut *$conn)
            .await?;
    }};
}

mod articles;
mod catchup;
mod claims;
mod communities;
mod digests;
mod discussions;
mod feeds;
mod links;
mod pins;
mod platform;
mod postgres;
mod recorder;
mod snippet;
mod sqlite;
mod web;

use sqlx::{PgPool, SqlitePool};

pub use articles::{
    ArticleId, BadArticleId, Ingested, SearchHit, StoredArticle, StoredQuote, content_hash,
};
pub use catchup::{CatchUpRecord, RecordedMessage, TrackedThread};
pub use communities::{Community, Scope};
pub use digests::{Activity, DigestSchedule, RunStatus};
pub use discussions::{
    Channel, Discussion, DiscussionMark, DiscussionStats, FORGOTTEN, NewMessage, StoredMessage,
};
pub use feeds::{Delivery, Feed};
pub use links::{AcceptOutcome, JoinOutcome, REQUEST_WAITS};
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

/// The connection pool of the backend in use.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    /// SQLite: one process, one file.
    Sqlite(SqlitePool),
    /// PostgreSQL: any number of processes.
    Postgres(PgPool),
}

impl Pool {
    /// SQL for one JSON text holding a list of `[items…]` arrays, one per row, in `order`:
    /// a read of thousands of rows comes back as one value (see `Store::article_messages`).
    pub(crate) fn json_rows(&self, items: &str, order: &str) -> String {
        match self {
            Pool::Sqlite(_) => format!("json_group_array(json_array({items}) ORDER BY {order})"),
            Pool::Postgres(_) => format!(
                "coalesce(json_agg(json_build_array({items}) ORDER BY {order}), '[]')::text"
            ),
        }
    }

    /// SQL that is true when time `left` is before time `right` (columns or parameters).
    /// PostgreSQL compares timestamps; SQLite keeps them as text whose fraction of a second
    /// varies in length, so it compares them as Julian days.
    pub(crate) fn earlier(&self, left: &str, right: &str) -> String {
        match self {
            Pool::Sqlite(_) => format!("julianday({left}) < julianday({right})"),
            Pool::Postgres(_) => format!("{left} < {right}"),
        }
    }
}

/// Which rows a write transaction must have to itself while it decides (see `begin_write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    /// Recording reader messages: batches may run side by side, but not beside a `Change`.
    Record,
    /// An edit or deletion that must see a message being recorded, or be seen by it.
    Change,
    /// Creating or moving a channel.
    Channels,
}

/// `begin_write` for the pool of either backend, so a body in `on!` can open one.
pub(crate) trait BeginWrite {
    /// The backend.
    type Db: sqlx::Database;
    /// A transaction holding `lock` until it ends.
    async fn begin_write(&self, lock: Lock) -> sqlx::Result<sqlx::Transaction<'static, Self::Db>>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self, lock: Lock) -> sqlx::Result<sqlx::Transaction<'static, Self::Db>> {
        sqlite::begin_write(self, lock).await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self, lock: Lock) -> sqlx::Result<sqlx::Transaction<'static, Self::Db>> {
        postgres::begin_write(self, lock).await
    }
}

/// Which database a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A file path or a `sqlite:` URL.
    Sqlite,
    /// A `postgres://` or `postgresql://` URL.
    Postgres,
}

impl Backend {
    /// The backend `location` selects: PostgreSQL for `postgres://` and `postgresql://` URLs,
    /// SQLite for anything else (a path or a `sqlite:` URL).
    pub fn of(location: &str) -> Self {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    recorder: recorder::Recorder,
}

impl Store {
    /// Opens (creating and migrating as needed) the database at `location`: a file path, a
    /// `sqlite:` URL such as `sqlite://data/rr.db` or `sqlite::memory:`, or a `postgres://` URL
    /// (the database must exist; its tables are created).
    pub async fn open(location: &str) -> Result<Self> {
        let pool = match Backend::of(location) {
            Backend::Sqlite => Pool::Sqlite(sqlite::open(location).await?),
            Backend::Postgres => Pool::Postgres(postgres::open(location).await?),
        };
        let recorder = recorder::Recorder::spawn(pool.clone());
        Ok(Self { pool, recorder })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// How much `scope` holds, for `/stats`: a community's shelf and library, its channels'
    /// discussions, messages, pins, digests and feeds; the operator's, everything.
    pub async fn totals(&self, scope: Scope) -> Result<Totals> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
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
            within = communities::within(scope, 1),
            visible = communities::visible(scope, 1),
        )))
        .bind(scope.bind())
        .fetch_one(pool)
        .await)?,
        )
    }

    /// Runs the database's own consistency check; `Ok(true)` when it finds nothing wrong.
    pub async fn integrity_check(&self) -> Result<bool> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlite::integrity_check(pool).await,
            Pool::Postgres(pool) => postgres::integrity_check(pool).await,
        }
    }

    /// Closes every connection, waiting for running statements to finish.
    pub async fn close(&self) {
        on!(&self.pool, pool => pool.close().await);
    }
}
