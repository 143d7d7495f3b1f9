//! What only PostgreSQL does: connecting (the database must exist), its write locks
//! (advisory locks standing in for SQLite's single writer), full-text search with `tsvector`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use super::articles::{ArticleId, SEARCH_CANDIDATES, SearchHit, Snippets, Terms};
use super::communities::visible;
use super::{Lock, Result, Scope};

/// Connects to the database at a `postgres://` URL and brings its tables up to date. Several
/// processes may do this at once: sqlx takes an advisory lock around the migrations.
pub(super) async fn open(url: &str) -> Result<PgPool> {
    // Each statement runs with its generic plan from its first run on a connection
    // (`force_generic_plan`), made once. By default PostgreSQL plans a prepared statement's
    // first five runs for their parameters (0.2 to 1 ms each, more than most statements take
    // to run) and only then settles on the generic plan: on every new connection, for every
    // statement, which put the warm-up in the shortest commands' p99 (`/quote` 1.0 ms against
    // 0.35 with this). It also means the plan tests run with is the one that stays. So no
    // statement text leaves its plan to a parameter's value: a scope is written into the text
    // (`visible`, `within`), not tested as `$1 IS NULL OR …`, which made a generic plan miss
    // the indexes (a pin listing went from 1 ms to 90 ms), and so are limits.
    let options =
        PgConnectOptions::from_str(url)?.options([("plan_cache_mode", "force_generic_plan")]);
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .idle_timeout(Some(Duration::from_secs(600)))
        // sqlx pings every connection it hands out, by default: a second round trip for each
        // statement, which doubled the latency of the shortest commands. A connection back
        // from use moments ago is pinged when released anyway (a broken one is closed then);
        // only one that has waited a while, which a restart or a network may have cut, is
        // tested before use.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    Ok(pool)
}

/// How long a connection may sit in the pool before it is tested again before use.
const PING_AFTER_IDLE: Duration = Duration::from_secs(10);

/// The advisory lock key of each [`Lock`] (any numbers; they only have to differ).
fn key(lock: Lock) -> i64 {
    match lock {
        Lock::Record | Lock::Change => 0x5252_0001,
        Lock::Channels => 0x5252_0002,
    }
}

/// A transaction holding the lock `lock` names until it ends. Recording takes the messages'
/// lock shared (recorders in every process run side by side), a change to a message not yet
/// recorded takes it exclusive: so, as with SQLite's one writer, a change racing its message's
/// creation either sees the recorded row or is seen by the recorder.
pub(super) async fn begin_write(
    pool: &PgPool,
    lock: Lock,
) -> sqlx::Result<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    let statement = match lock {
        Lock::Record => "SELECT pg_advisory_xact_lock_shared($1)",
        Lock::Change | Lock::Channels => "SELECT pg_advisory_xact_lock($1)",
    };
    sqlx::query(statement)
        .bind(key(lock))
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// PostgreSQL checks its own pages and write-ahead log; what is left to look at is whether an
/// index was left unusable (a failed concurrent build). `true` when the server answers and
/// none is.
pub(super) async fn integrity_check(pool: &PgPool) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT count(*) = 0 FROM pg_index WHERE NOT indisvalid")
            .fetch_one(pool)
            .await?,
    )
}

/// The `tsquery` text for `terms`: each word single-quoted (words hold letters and digits
/// only, so nothing a user types is query syntax), joined by `&` or `|`, the last a prefix.
fn ts_query(terms: &Terms) -> String {
    let quoted: Vec<String> = terms.words.iter().map(|w| format!("'{w}'")).collect();
    let mut query = quoted.join(if terms.any { " | " } else { " & " });
    if terms.prefix {
        query.push_str(":*");
    }
    query
}

/// Ranks the matches (`ts_rank` with the title weighted ten times the body) among the newest
/// [`SEARCH_CANDIDATES`] and, when asked, makes snippets for the returned rows only (in Rust:
/// [`super::snippet`], from the query's own lexemes, which it returns as text). The newest are
/// found in `search_terms`, the narrow copy of each article's id, visibility and text vector
/// (see its migration): finding them in `articles` read most of its pages for a common word.
/// They carry their vectors (pointers to them, read only when ranked) into their own ranking
/// step: ranking in the same step ranked every match before the newest were chosen, and
/// looking each up again in `articles` cost an index descent each.
///
/// The limits are written into the text: a kept generic plan guesses a `$N` limit at 10, and
/// then walked `search_terms` newest first, testing (so reading from out of line) each
/// article's `tsv` in turn: 130 ms for a word in one article of 50. Knowing it needs 1,000,
/// it takes the matches from the GIN index.
pub(super) async fn search(
    pool: &PgPool,
    scope: Scope,
    terms: &Terms,
    limit: u32,
    snippets: Snippets,
) -> Result<Vec<SearchHit>> {
    let body = match snippets {
        Snippets::Made => "a.body",
        Snippets::Left => "NULL::text",
    };
    let rows: Vec<(i64, String, Option<String>, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH q AS (SELECT to_tsquery('english', $1) AS q),
         recent AS MATERIALIZED (
             SELECT a.id, a.tsv FROM search_terms a, q WHERE a.tsv @@ q.q AND {visible}
             ORDER BY a.id DESC LIMIT {SEARCH_CANDIDATES}
         ),
         top AS MATERIALIZED (
             SELECT recent.id, ts_rank('{{0, 0, 0.1, 1}}', recent.tsv, q.q) AS score
             FROM recent, q
             ORDER BY score DESC LIMIT {limit}
         )
         SELECT a.id, a.title, {body}, q.q::text
         FROM top JOIN articles a ON a.id = top.id, q
         ORDER BY top.score DESC, a.id DESC",
            visible = visible(scope, 2)
        )))
        .bind(ts_query(terms))
        .bind(scope.bind())
        .fetch_all(pool)
        .await?;
    let lexemes = rows
        .first()
        .map(|row| super::snippet::lexemes(&row.3))
        .unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|(id, title, body, _)| SearchHit {
            id: ArticleId(id),
            title,
            snippet: body.map_or_else(String::new, |body| super::snippet::snippet(&body, &lexemes)),
        })
        .collect())
}
