//! What only SQLite does: opening the file (WAL, one writer), its write lock, FTS5.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::articles::{SEARCH_CANDIDATES, SearchHit, Snippets, Terms};
use super::communities::visible;
use super::{Lock, Result, Scope};

/// Opens (creating and migrating as needed) the database at a file path or `sqlite:` URL.
pub(super) async fn open(location: &str) -> Result<SqlitePool> {
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
        // A connection to a file cannot be cut as a network one can: no ping (a round trip
        // to the connection's thread) before every statement.
        .test_before_acquire(false)
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
    Ok(pool)
}

/// A transaction that holds SQLite's write lock from its first statement (`BEGIN IMMEDIATE`):
/// there is one writer, so every kind of [`Lock`] is the same lock.
pub(super) async fn begin_write(
    pool: &SqlitePool,
    _lock: Lock,
) -> sqlx::Result<Transaction<'static, Sqlite>> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// SQLite's own consistency check; `true` when it reports "ok".
pub(super) async fn integrity_check(pool: &SqlitePool) -> Result<bool> {
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(pool)
        .await?;
    Ok(rows.len() == 1 && rows[0] == "ok")
}

/// The FTS5 query for `terms`: each word a quoted string, so `"`, `NEAR(`, `*`, `-` and `OR`
/// are just text.
fn fts_query(terms: &Terms) -> String {
    let quoted: Vec<String> = terms.words.iter().map(|w| format!("\"{w}\"")).collect();
    let mut query = quoted.join(if terms.any { " OR " } else { " " });
    if terms.prefix {
        query.push('*');
    }
    query
}

/// Ranks the matches (bm25, title weighted over body) among the newest
/// [`SEARCH_CANDIDATES`] and, when asked, makes snippets for the returned rows only.
pub(super) async fn search(
    pool: &SqlitePool,
    scope: Scope,
    terms: &Terms,
    limit: u32,
    snippets: Snippets,
) -> Result<Vec<SearchHit>> {
    let snippet = match snippets {
        Snippets::Made => {
            "(SELECT snippet(articles_fts, 1, '', '', '…', 16) FROM articles_fts
              WHERE articles_fts MATCH $1 AND rowid = top.id)"
        }
        Snippets::Left => "''",
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH recent AS MATERIALIZED (
             SELECT f.rowid AS id, bm25(articles_fts, 10.0, 1.0) AS score
             FROM articles_fts f JOIN articles a ON a.id = f.rowid
             WHERE articles_fts MATCH $1 AND {visible}
             ORDER BY f.rowid DESC LIMIT $3
         ),
         top AS MATERIALIZED (SELECT id, score FROM recent ORDER BY score LIMIT $2)
         SELECT a.id, a.title, {snippet} AS snippet
         FROM top JOIN articles a ON a.id = top.id
         ORDER BY top.score, a.id DESC",
        visible = visible(scope, 4)
    )))
    .bind(fts_query(terms))
    .bind(i64::from(limit))
    .bind(i64::from(SEARCH_CANDIDATES))
    .bind(scope.bind())
    .fetch_all(pool)
    .await?)
}
