//! Catch-up bookkeeping: what a platform needs to read what was said while the bot was away
//! (a thread's last recorded message, its messages recorded since a time, the tracked threads of
//! a community), and the last catch-up of each community, for `/stats` and the operator.

use chrono::{DateTime, Utc};

use super::{Result, Scope, Store};

/// A finished catch-up of one community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUpRecord {
    /// When it started.
    pub ran_at: DateTime<Utc>,
    /// How long it took.
    pub duration: std::time::Duration,
    /// Threads (Discord) or rooms (Matrix) read.
    pub threads: u64,
    /// Platform pages fetched.
    pub pages: u64,
    /// Messages recorded that were missing.
    pub recorded: u64,
    /// Messages whose text a newer edit replaced.
    pub updated: u64,
    /// Messages marked deleted.
    pub deleted: u64,
    /// Whether the page budget ran out before everything was read.
    pub cut_short: bool,
}

/// A recorded message as catch-up compares it with the platform's.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordedMessage {
    /// The platform's id.
    pub platform_id: String,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// When it was last edited, as the platform said.
    pub edited_at: Option<DateTime<Utc>>,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// A thread that carries a discussion, and the channel it was opened in.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrackedThread {
    /// The platform's id of the thread.
    pub thread: String,
    /// The platform's id of its channel.
    pub channel: String,
    /// When the discussion was opened.
    pub opened_at: DateTime<Utc>,
}

type RecordRow = (DateTime<Utc>, i64, i64, i64, i64, i64, i64, bool);

impl Store {
    /// Keeps `record` as community `community_id`'s last catch-up.
    pub async fn save_catch_up(&self, community_id: i64, record: &CatchUpRecord) -> Result<()> {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        on!(&self.pool, pool => sqlx::query(
            "INSERT INTO catch_ups (community_id, ran_at, duration_ms, threads, pages, recorded,
                                    updated, deleted, cut_short)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (community_id) DO UPDATE SET
                 ran_at = excluded.ran_at, duration_ms = excluded.duration_ms,
                 threads = excluded.threads, pages = excluded.pages,
                 recorded = excluded.recorded, updated = excluded.updated,
                 deleted = excluded.deleted, cut_short = excluded.cut_short",
        )
        .bind(community_id)
        .bind(record.ran_at)
        .bind(i64::try_from(record.duration.as_millis()).unwrap_or(i64::MAX))
        .bind(count(record.threads))
        .bind(count(record.pages))
        .bind(count(record.recorded))
        .bind(count(record.updated))
        .bind(count(record.deleted))
        .bind(record.cut_short)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// The last catch-up in `scope`: the community's own or one of a community joined to it, or
    /// the latest of all for the operator.
    pub async fn last_catch_up(&self, scope: Scope) -> Result<Option<CatchUpRecord>> {
        let whose = match scope {
            Scope::Community(_) => {
                "community_id = $1 OR community_id IN (SELECT id FROM communities WHERE joined_to = $1)"
            }
            Scope::Operator => "$1 IS NULL",
        };
        let sql = format!(
            "SELECT ran_at, duration_ms, threads, pages, recorded, updated, deleted, cut_short
             FROM catch_ups WHERE {whose} ORDER BY ran_at DESC LIMIT 1"
        );
        let row: Option<RecordRow> = on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(scope.bind())
        .fetch_optional(pool)
        .await)?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(row.map(
            |(ran_at, ms, threads, pages, recorded, updated, deleted, cut_short)| CatchUpRecord {
                ran_at,
                duration: std::time::Duration::from_millis(count(ms)),
                threads: count(threads),
                pages: count(pages),
                recorded: count(recorded),
                updated: count(updated),
                deleted: count(deleted),
                cut_short,
            },
        ))
    }

    /// The threads carrying a discussion in community `community_id`'s own channels of
    /// `platform` (those it comes with, wherever they are read: a joined guild's catch-up
    /// reads its own threads, not those of the community it joined).
    pub async fn tracked_threads(
        &self,
        platform: &str,
        community_id: i64,
    ) -> Result<Vec<TrackedThread>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT d.thread_ref AS thread, c.external_id AS channel, d.created_at AS opened_at
             FROM discussions d JOIN channels c ON c.id = d.channel_id
             WHERE c.platform = $2 AND d.thread_ref IS NOT NULL
               AND coalesce(c.home_id, c.community_id) = $1
             ORDER BY d.id",
        )
        .bind(community_id)
        .bind(platform)
        .fetch_all(pool)
        .await)?)
    }

    /// The last message recorded in a discussion that was sent before `before`, deleted or
    /// not.
    pub async fn last_recorded(
        &self,
        discussion_id: i64,
        before: DateTime<Utc>,
    ) -> Result<Option<RecordedMessage>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT platform_id, created_at, edited_at, deleted_at IS NOT NULL AS deleted
             FROM messages WHERE discussion_id = $1 AND created_at < $2
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(discussion_id)
        .bind(before)
        .fetch_optional(pool)
        .await)?)
    }

    /// The messages of a discussion sent at or after `since`, oldest first, deleted ones
    /// included.
    pub async fn recorded_since(
        &self,
        discussion_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<RecordedMessage>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT platform_id, created_at, edited_at, deleted_at IS NOT NULL AS deleted
             FROM messages WHERE discussion_id = $1 AND created_at >= $2
             ORDER BY created_at, id",
        )
        .bind(discussion_id)
        .bind(since)
        .fetch_all(pool)
        .await)?)
    }
}
