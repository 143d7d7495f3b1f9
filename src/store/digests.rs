//! Digest schedules per channel, the record of digest runs, and the queries a digest is made of.

use chrono::{DateTime, NaiveDate, Utc};

use super::communities::within;
use super::{ArticleId, Result, Scope, Store, StoredArticle, StoredQuote};

/// A channel with a daily digest.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DigestSchedule {
    /// The channel's row id.
    pub channel_id: i64,
    /// Its platform.
    pub platform: String,
    /// The platform's id for it.
    pub external_id: String,
    /// Local time of day, `HH:MM`.
    pub digest_at: String,
    /// IANA time zone name.
    pub timezone: String,
    /// When the schedule was set.
    pub digest_set_at: DateTime<Utc>,
    /// The community the channel belongs to.
    pub community_id: Option<i64>,
}

/// How a digest run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Sent.
    Posted,
    /// Nothing happened in the period; nothing sent.
    Empty,
    /// The send failed; it is retried.
    Failed,
}

impl RunStatus {
    fn as_str(self) -> &'static str {
        match self {
            RunStatus::Posted => "posted",
            RunStatus::Empty => "empty",
            RunStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "posted" => Some(RunStatus::Posted),
            "empty" => Some(RunStatus::Empty),
            "failed" => Some(RunStatus::Failed),
            _ => None,
        }
    }
}

/// A discussion's activity in a period.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Activity {
    /// The article.
    #[sqlx(try_from = "i64")]
    pub article_id: ArticleId,
    /// Its title.
    pub title: String,
    /// Messages in the period that still stand.
    pub messages: i64,
    /// Their distinct authors.
    pub participants: i64,
}

impl Store {
    /// Sets (or with `None` clears) a channel's digest schedule.
    pub async fn set_digest(
        &self,
        channel_id: i64,
        schedule: Option<(&str, &str)>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (at, zone) = schedule.unzip();
        on!(&self.pool, pool => sqlx::query(
            "UPDATE channels SET digest_at = $1, timezone = coalesce($2, timezone), digest_set_at = $3
             WHERE id = $4",
        )
        .bind(at)
        .bind(zone)
        .bind(schedule.map(|_| now))
        .bind(channel_id)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A channel's remembered time zone.
    pub async fn channel_timezone(&self, channel_id: i64) -> Result<Option<String>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_scalar("SELECT timezone FROM channels WHERE id = $1")
                .bind(channel_id)
                .fetch_optional(pool)
                .await)?
                .flatten(),
        )
    }

    /// Every channel with a digest schedule.
    pub async fn digest_schedules(&self) -> Result<Vec<DigestSchedule>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT id AS channel_id, platform, external_id, digest_at, timezone, digest_set_at,
                    community_id
             FROM channels WHERE digest_at IS NOT NULL AND timezone IS NOT NULL
             AND digest_set_at IS NOT NULL
             AND coalesce(home_id, community_id)
                 NOT IN (SELECT id FROM communities WHERE left_at IS NOT NULL)
             ORDER BY id",
        )
        .fetch_all(pool)
        .await)?)
    }

    /// The channel's schedule, if it has one.
    pub async fn digest_schedule(&self, channel_id: i64) -> Result<Option<DigestSchedule>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT id AS channel_id, platform, external_id, digest_at, timezone, digest_set_at,
                    community_id
             FROM channels WHERE id = $1 AND digest_at IS NOT NULL AND timezone IS NOT NULL
             AND digest_set_at IS NOT NULL",
        )
        .bind(channel_id)
        .fetch_optional(pool)
        .await)?)
    }

    /// The outcome of the channel's run for a local day, if any.
    pub async fn digest_run(&self, channel_id: i64, day: NaiveDate) -> Result<Option<RunStatus>> {
        let status: Option<String> = on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT status FROM digest_runs WHERE channel_id = $1 AND local_date = $2",
        )
        .bind(channel_id)
        .bind(day.to_string())
        .fetch_optional(pool)
        .await)?;
        Ok(status.as_deref().and_then(RunStatus::parse))
    }

    /// Records a run's outcome for a local day (counting attempts).
    pub async fn record_digest_run(
        &self,
        channel_id: i64,
        day: NaiveDate,
        status: RunStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let posted_at = (status == RunStatus::Posted).then_some(now);
        on!(&self.pool, pool => sqlx::query(
            "INSERT INTO digest_runs (channel_id, local_date, status, attempts, posted_at, created_at)
             VALUES ($1, $2, $3, 1, $4, $5)
             ON CONFLICT (channel_id, local_date) DO UPDATE SET status = excluded.status,
                 attempts = digest_runs.attempts + 1, posted_at = excluded.posted_at",
        )
        .bind(channel_id)
        .bind(day.to_string())
        .bind(status.as_str())
        .bind(posted_at)
        .bind(now)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// When the channel's last digest was posted.
    pub async fn last_digest(&self, channel_id: i64) -> Result<Option<DateTime<Utc>>> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT max(posted_at) FROM digest_runs WHERE channel_id = $1 AND status = 'posted'",
        )
        .bind(channel_id)
        .fetch_one(pool)
        .await)?)
    }

    /// How many digests were posted, over all channels.
    pub async fn digests_posted(&self) -> Result<i64> {
        Ok(
            on!(&self.pool, pool => sqlx::query_scalar("SELECT count(*) FROM digest_runs WHERE status = 'posted'")
                .fetch_one(pool)
                .await)?,
        )
    }

    /// The articles new to `scope` in `(since, until]`, oldest first: put on its shelf then, or
    /// added to the library then (for the operator: every article stored then).
    pub async fn articles_between(
        &self,
        scope: Scope,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<StoredArticle>> {
        let rows: Vec<super::articles::ArticleRow> = on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{NEW_ARTICLES} SELECT a.id, a.doc, a.origin, a.created_at
             FROM articles a WHERE a.id IN (SELECT id FROM new) ORDER BY a.id LIMIT $4"
        )))
        .bind(scope.bind())
        .bind(since)
        .bind(until)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(super::articles::stored_article)
            .collect()
    }

    /// The discussions in `scope`'s channels with the most messages in `(since, until]`.
    pub async fn liveliest(
        &self,
        scope: Scope,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Activity>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT d.article_id, a.title, count(*) AS messages,
                    count(DISTINCT m.author_id) AS participants
             FROM messages m
             JOIN discussions d ON d.id = m.discussion_id
             JOIN channels c ON c.id = d.channel_id
             JOIN articles a ON a.id = d.article_id
             WHERE m.created_at > $2 AND m.created_at <= $3 AND m.deleted_at IS NULL AND {}
             GROUP BY d.article_id, a.title
             ORDER BY messages DESC, participants DESC, d.article_id
             LIMIT $4",
            within(scope, 1)
        )))
        .bind(scope.bind())
        .bind(since)
        .bind(until)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?,
        )
    }

    /// A quotation from the articles new to `scope` in `(since, until]`, chosen by `pick`.
    pub async fn quote_between(
        &self,
        scope: Scope,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        pick: u64,
    ) -> Result<Option<StoredQuote>> {
        let count: i64 = on!(&self.pool, pool => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "{NEW_ARTICLES} SELECT count(*) FROM quotes q WHERE q.article_id IN (SELECT id FROM new)"
        )))
        .bind(scope.bind())
        .bind(since)
        .bind(until)
        .fetch_one(pool)
        .await)?;
        if count == 0 {
            return Ok(None);
        }
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{NEW_ARTICLES} SELECT q.article_id, a.title, q.text, q.speaker, q.paragraph
             FROM quotes q JOIN articles a ON a.id = q.article_id
             WHERE q.article_id IN (SELECT id FROM new)
             ORDER BY q.speaker IS NULL, q.id LIMIT 1 OFFSET $4"
        )))
        .bind(scope.bind())
        .bind(since)
        .bind(until)
        .bind((pick % count as u64) as i64)
        .fetch_optional(pool)
        .await)?,
        )
    }
}

/// The ids of the articles new to scope `?1` in `(?2, ?3]`: each side found by its own index.
const NEW_ARTICLES: &str = "WITH new (id) AS (
    SELECT id FROM articles WHERE created_at > $2 AND created_at <= $3 AND ($1 IS NULL OR library)
    UNION
    SELECT article_id FROM shelves WHERE community_id = $1 AND added_at > $2 AND added_at <= $3
)";
