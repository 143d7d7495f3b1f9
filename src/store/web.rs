//! What the web reader reads and the switch that publishes a community: its unlisted address
//! (a random token), the pages of its shelf and library, and its archive of posted digests.
//! Every read takes the community's [`Scope`], so nothing of another community can appear.

use chrono::{DateTime, NaiveDate, Utc};

use super::communities::{visible, within};
use super::{Community, Result, Scope, Store, StoredArticle};

/// A posted digest in a community's archive.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PostedDigest {
    /// The channel it was posted in (row id).
    pub channel_id: i64,
    /// That channel, `platform:name`.
    pub channel: String,
    /// The local day it was for, `YYYY-MM-DD`.
    pub day: String,
    /// When it was posted.
    pub posted_at: DateTime<Utc>,
}

impl Store {
    /// Publishes a community under `token` (replacing any earlier token, whose address then
    /// answers 404).
    pub async fn publish(
        &self,
        community_id: i64,
        token: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(
            "INSERT INTO web_publications (community_id, token, published_by, published_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (community_id) DO UPDATE SET token = excluded.token,
                 published_by = excluded.published_by, published_at = excluded.published_at",
        )
        .bind(community_id)
        .bind(token)
        .bind(by)
        .bind(now)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Takes a community's pages down; `false` when it was not published.
    pub async fn unpublish(&self, community_id: i64) -> Result<bool> {
        let deleted = on!(&self.pool, pool => sqlx::query(
            "DELETE FROM web_publications WHERE community_id = $1",
        )
        .bind(community_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(deleted > 0)
    }

    /// The token a community is published under, if it is.
    pub async fn publication(&self, community_id: i64) -> Result<Option<String>> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
                "SELECT token FROM web_publications WHERE community_id = $1",
            )
            .bind(community_id)
            .fetch_optional(pool)
            .await)?)
    }

    /// The community published under `token`, unless the bot has left it.
    pub async fn published(&self, token: &str) -> Result<Option<Community>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT co.id, co.platform, co.external_id, co.name FROM web_publications w
             JOIN communities co ON co.id = w.community_id
             WHERE w.token = $1 AND co.left_at IS NULL",
        )
        .bind(token)
        .fetch_optional(pool)
        .await)?)
    }

    /// One page of what `scope` may read, newest first: `limit` articles after skipping
    /// `offset`.
    pub async fn shelf_page(
        &self,
        scope: Scope,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<StoredArticle>> {
        let sql = format!(
            "SELECT a.id, a.doc, a.origin, a.created_at FROM articles a WHERE {}
             ORDER BY a.id DESC LIMIT $2 OFFSET $3",
            visible(scope, 1)
        );
        let rows: Vec<super::articles::ArticleRow> = on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.bind())
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(pool)
            .await)?;
        rows.into_iter()
            .map(super::articles::stored_article)
            .collect()
    }

    /// Keeps what a posted digest said, for the archive.
    pub async fn keep_digest(&self, channel_id: i64, day: NaiveDate, content: &str) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(
            "UPDATE digest_runs SET content = $1 WHERE channel_id = $2 AND local_date = $3",
        )
        .bind(content)
        .bind(channel_id)
        .bind(day.to_string())
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// The digests posted in `scope`'s channels that were kept, newest first.
    pub async fn posted_digests(&self, scope: Scope, limit: u32) -> Result<Vec<PostedDigest>> {
        let sql = format!(
            "SELECT r.channel_id, c.platform || ':' || coalesce(c.name, c.external_id) AS channel,
                    r.local_date AS day, r.posted_at
             FROM digest_runs r JOIN channels c ON c.id = r.channel_id
             WHERE r.status = 'posted' AND r.content IS NOT NULL AND {}
             ORDER BY r.local_date DESC, r.channel_id LIMIT $2",
            within(scope, 1)
        );
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(scope.bind())
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?,
        )
    }

    /// A kept digest of one of `scope`'s channels for a local day.
    pub async fn posted_digest(
        &self,
        scope: Scope,
        channel_id: i64,
        day: NaiveDate,
    ) -> Result<Option<(PostedDigest, String)>> {
        let sql = format!(
            "SELECT r.channel_id, c.platform || ':' || coalesce(c.name, c.external_id),
                    r.local_date, r.posted_at, r.content
             FROM digest_runs r JOIN channels c ON c.id = r.channel_id
             WHERE r.channel_id = $2 AND r.local_date = $3 AND r.status = 'posted'
               AND r.content IS NOT NULL AND {}",
            within(scope, 1)
        );
        let row: Option<(i64, String, String, DateTime<Utc>, String)> = on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.bind())
            .bind(channel_id)
            .bind(day.to_string())
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(|(channel_id, channel, day, posted_at, content)| {
            (
                PostedDigest {
                    channel_id,
                    channel,
                    day,
                    posted_at,
                },
                content,
            )
        }))
    }
}
