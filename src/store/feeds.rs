//! Followed feeds, the channels that follow them, the entries seen, and what is owed to whom.

use chrono::{DateTime, Utc};

use super::{ArticleId, Result, Store};

/// A followed feed and its health.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Feed {
    /// Row id.
    pub id: i64,
    /// Its address.
    pub url: String,
    /// Its title, once read.
    pub title: Option<String>,
    /// The last `ETag`.
    pub etag: Option<String>,
    /// The last `Last-Modified`.
    pub last_modified: Option<String>,
    /// Seconds between polls when healthy.
    pub interval_secs: i64,
    /// When to poll next.
    pub next_poll_at: DateTime<Utc>,
    /// Failures in a row.
    pub failures: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// The last successful poll.
    pub last_ok_at: Option<DateTime<Utc>>,
}

/// A post owed to a channel.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    /// The entry.
    pub entry_id: i64,
    /// The channel's row id.
    pub channel_id: i64,
    /// The channel's platform.
    pub platform: String,
    /// The platform's id for the channel.
    pub external_id: String,
    /// The article to post.
    #[sqlx(try_from = "i64")]
    pub article_id: ArticleId,
    /// Whether the channel wants a discussion thread per post.
    pub open_thread: bool,
    /// The community the channel is read in (joined or not): what the card shows.
    pub community_id: Option<i64>,
    /// The community the channel comes from, whose shelf the article joins once posted (and
    /// through it the shelf of the community it is joined to).
    pub home_id: Option<i64>,
}

const FEED_COLUMNS: &str = "id, url, title, etag, last_modified, interval_secs, next_poll_at, failures, last_error, last_ok_at";

impl Store {
    /// The feed at this address, if followed.
    pub async fn feed_by_url(&self, url: &str) -> Result<Option<Feed>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FEED_COLUMNS} FROM feeds WHERE url = $1"
        )))
        .bind(url)
        .fetch_optional(pool)
        .await)?,
        )
    }

    /// Follows a feed (or returns the followed one).
    pub async fn add_feed(
        &self,
        url: &str,
        title: Option<&str>,
        next_poll: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Feed> {
        on!(&self.pool, pool => sqlx::query(
            "INSERT INTO feeds (url, title, next_poll_at, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (url) DO UPDATE SET title = coalesce(excluded.title, feeds.title)",
        )
        .bind(url)
        .bind(title)
        .bind(next_poll)
        .bind(now)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FEED_COLUMNS} FROM feeds WHERE url = $1"
        )))
        .bind(url)
        .fetch_one(pool)
        .await)?,
        )
    }

    /// Sets how often a feed is polled when healthy.
    pub async fn set_feed_interval(&self, feed_id: i64, seconds: i64) -> Result<()> {
        on!(&self.pool, pool => sqlx::query("UPDATE feeds SET interval_secs = $1 WHERE id = $2")
            .bind(seconds)
            .bind(feed_id)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Subscribes a channel; `false` when it already was.
    pub async fn subscribe(
        &self,
        feed_id: i64,
        channel_id: i64,
        open_thread: bool,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let result = on!(&self.pool, pool => sqlx::query(
            "INSERT INTO feed_subscriptions (feed_id, channel_id, open_thread, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(feed_id)
        .bind(channel_id)
        .bind(open_thread)
        .bind(now)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(result == 1)
    }

    /// Unsubscribes a channel; a feed nobody follows is forgotten. `false` when the channel
    /// did not follow it.
    pub async fn unsubscribe(&self, url: &str, channel_id: i64) -> Result<bool> {
        on!(&self.pool, pool => {
        let mut tx = pool.begin().await?;
        // Posts still owed to the channel go with the subscription.
        sqlx::query(
            "DELETE FROM deliveries WHERE channel_id = $1 AND delivered_at IS NULL
             AND entry_id IN (SELECT e.id FROM feed_entries e JOIN feeds f ON f.id = e.feed_id
                              WHERE f.url = $2)",
        )
        .bind(channel_id)
        .bind(url)
        .execute(&mut *tx)
        .await?;
        let removed = sqlx::query(
            "DELETE FROM feed_subscriptions WHERE channel_id = $1 AND feed_id = (SELECT id FROM feeds WHERE url = $2)",
        )
        .bind(channel_id)
        .bind(url)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        sqlx::query("DELETE FROM feeds WHERE url = $1 AND NOT EXISTS (SELECT 1 FROM feed_subscriptions s WHERE s.feed_id = feeds.id)")
            .bind(url)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(removed)
        })
    }

    /// The feeds a channel follows.
    pub async fn channel_feeds(&self, channel_id: i64) -> Result<Vec<Feed>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FEED_COLUMNS} FROM feeds WHERE id IN (SELECT feed_id FROM feed_subscriptions WHERE channel_id = $1) ORDER BY url"
        )))
        .bind(channel_id)
        .fetch_all(pool)
        .await)?,
        )
    }

    /// Feeds due for a poll.
    pub async fn due_feeds(&self, now: DateTime<Utc>) -> Result<Vec<Feed>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FEED_COLUMNS} FROM feeds WHERE next_poll_at <= $1 ORDER BY next_poll_at"
        )))
        .bind(now)
        .fetch_all(pool)
        .await)?,
        )
    }

    /// Records a successful poll.
    pub async fn feed_polled(
        &self,
        feed_id: i64,
        title: Option<&str>,
        etag: Option<&str>,
        last_modified: Option<&str>,
        next_poll: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(
            "UPDATE feeds SET title = coalesce($1, title), etag = coalesce($2, etag),
                 last_modified = coalesce($3, last_modified), next_poll_at = $4, failures = 0,
                 last_error = NULL, last_ok_at = $5 WHERE id = $6",
        )
        .bind(title)
        .bind(etag)
        .bind(last_modified)
        .bind(next_poll)
        .bind(now)
        .bind(feed_id)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records a failed poll.
    pub async fn feed_failed(
        &self,
        feed_id: i64,
        error: &str,
        next_poll: DateTime<Utc>,
    ) -> Result<()> {
        on!(&self.pool, pool => sqlx::query("UPDATE feeds SET failures = failures + 1, last_error = $1, next_poll_at = $2 WHERE id = $3")
            .bind(error)
            .bind(next_poll)
            .bind(feed_id)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// An entry seen before: by GUID, then link, then content hash.
    pub async fn find_entry(
        &self,
        feed_id: i64,
        guid: Option<&str>,
        link: Option<&str>,
        hash: &str,
    ) -> Result<Option<i64>> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT id FROM feed_entries WHERE feed_id = $1 AND (
                 ($2 IS NOT NULL AND guid = $2)
                 OR ($2 IS NULL AND $3 IS NOT NULL AND link = $3)
                 OR ($2 IS NULL AND $3 IS NULL AND content_hash = $4))
             LIMIT 1",
        )
        .bind(feed_id)
        .bind(guid)
        .bind(link)
        .bind(hash)
        .fetch_optional(pool)
        .await)?)
    }

    /// Notes an entry as seen; with an article, queues it for every channel that follows the
    /// feed.
    pub async fn add_entry(
        &self,
        feed_id: i64,
        guid: Option<&str>,
        link: Option<&str>,
        hash: &str,
        article: Option<ArticleId>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        on!(&self.pool, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO feed_entries (feed_id, guid, link, content_hash, article_id, seen_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(feed_id)
        .bind(guid)
        .bind(link)
        .bind(hash)
        .bind(article.map(|a| a.0))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if article.is_some() {
            sqlx::query(
                "INSERT INTO deliveries (entry_id, channel_id)
                 SELECT $1, channel_id FROM feed_subscriptions WHERE feed_id = $2",
            )
            .bind(id)
            .bind(feed_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
        })
    }

    /// Posts still owed, oldest first.
    pub async fn pending_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT d.entry_id, d.channel_id, c.platform, c.external_id, e.article_id,
                    coalesce(s.open_thread, FALSE) AS open_thread, c.community_id,
                    coalesce(c.home_id, c.community_id) AS home_id
             FROM deliveries d
             JOIN feed_entries e ON e.id = d.entry_id
             JOIN channels c ON c.id = d.channel_id
             LEFT JOIN feed_subscriptions s ON s.feed_id = e.feed_id AND s.channel_id = d.channel_id
             WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND e.article_id IS NOT NULL
               AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= $1)
               AND coalesce(c.home_id, c.community_id)
                   NOT IN (SELECT id FROM communities WHERE left_at IS NOT NULL)
             ORDER BY d.entry_id, d.channel_id LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?)
    }

    /// A post could not be sent: tried again at `retry`, or set aside for good when `retry` is
    /// `None` (too many attempts).
    pub async fn delivery_failed(
        &self,
        entry_id: i64,
        channel_id: i64,
        error: &str,
        now: DateTime<Utc>,
        retry: Option<DateTime<Utc>>,
    ) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2,
                 failed_at = CASE WHEN $3 IS NULL THEN $4 END
             WHERE entry_id = $5 AND channel_id = $6",
        )
        .bind(error)
        .bind(retry)
        .bind(retry)
        .bind(now)
        .bind(entry_id)
        .bind(channel_id)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// How many attempts a post has had.
    pub async fn delivery_attempts(&self, entry_id: i64, channel_id: i64) -> Result<i64> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT attempts FROM deliveries WHERE entry_id = $1 AND channel_id = $2",
        )
        .bind(entry_id)
        .bind(channel_id)
        .fetch_optional(pool)
        .await)?
        .unwrap_or_default())
    }

    /// The platform refused a feed's posts in a channel for good (the channel is gone, or the
    /// bot may not post there): the channel stops following the feed, its owed posts go, and
    /// a notice waits for the moderators' next `/feed list`.
    pub async fn feed_refused(
        &self,
        entry_id: i64,
        channel_id: i64,
        notice: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on!(&self.pool, pool => {
        let mut tx = pool.begin().await?;
        let feed: Option<i64> = sqlx::query_scalar("SELECT feed_id FROM feed_entries WHERE id = $1")
            .bind(entry_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(feed) = feed {
            sqlx::query("DELETE FROM feed_subscriptions WHERE feed_id = $1 AND channel_id = $2")
                .bind(feed)
                .bind(channel_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM deliveries WHERE channel_id = $1 AND delivered_at IS NULL
                 AND entry_id IN (SELECT id FROM feed_entries WHERE feed_id = $2)",
            )
            .bind(channel_id)
            .bind(feed)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("INSERT INTO channel_notices (channel_id, text, created_at) VALUES ($1, $2, $3)")
            .bind(channel_id)
            .bind(notice)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
        })
    }

    /// The notices waiting for a channel's moderators, oldest first; they are shown once.
    pub async fn take_notices(&self, channel_id: i64) -> Result<Vec<String>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_scalar("DELETE FROM channel_notices WHERE channel_id = $1 RETURNING text")
                .bind(channel_id)
                .fetch_all(pool)
                .await)?,
        )
    }

    /// How many posts of a feed were set aside in a channel after too many failures.
    pub async fn failed_posts(&self, feed_id: i64, channel_id: i64) -> Result<i64> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT count(*) FROM deliveries d JOIN feed_entries e ON e.id = d.entry_id
             WHERE e.feed_id = $1 AND d.channel_id = $2 AND d.failed_at IS NOT NULL",
        )
        .bind(feed_id)
        .bind(channel_id)
        .fetch_one(pool)
        .await)?)
    }

    /// Marks a post delivered; called only after the send succeeded (failures go through
    /// [`Store::delivery_failed`]).
    pub async fn delivered(&self, entry_id: i64, channel_id: i64, at: DateTime<Utc>) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1, delivered_at = $1, last_error = NULL
             WHERE entry_id = $2 AND channel_id = $3",
        )
        .bind(at)
        .bind(entry_id)
        .bind(channel_id)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
