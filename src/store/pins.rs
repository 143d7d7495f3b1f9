//! Pinned commentary: reader messages a moderator marked as the notable take on an article.

use chrono::{DateTime, Utc};

use super::communities::within;
use super::{ArticleId, Result, Scope, Store};

/// A pinned message with what is needed to show it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Pin {
    /// The pinned message's row id.
    pub message_id: i64,
    /// The article it comments on.
    #[sqlx(try_from = "i64")]
    pub article_id: ArticleId,
    /// That article's title.
    pub article_title: String,
    /// Who wrote the message.
    pub author_name: String,
    /// What they wrote.
    pub body: String,
    /// The moderator's note, if any.
    pub note: Option<String>,
    /// Who pinned it.
    pub pinned_by: String,
    /// When.
    pub pinned_at: DateTime<Utc>,
}

/// What pinning did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinOutcome {
    /// The message is now pinned.
    Pinned,
    /// It was pinned already; the note was replaced.
    Updated,
    /// The message was deleted by its author and cannot be pinned.
    Deleted,
}

/// Pins made in the channels of `scope`, bound as parameter `$1`.
fn pin_select(scope: Scope) -> String {
    format!(
        "SELECT p.message_id, d.article_id, a.title AS article_title,
            m.author_name, m.body, p.note, p.pinned_by, p.pinned_at
        FROM pins p
        JOIN messages m ON m.id = p.message_id
        JOIN discussions d ON d.id = m.discussion_id
        JOIN channels c ON c.id = d.channel_id
        JOIN articles a ON a.id = d.article_id
        WHERE m.deleted_at IS NULL AND {}",
        within(scope, 1)
    )
}

impl Store {
    /// Pins a recorded message (by row id), or replaces the note of an existing pin.
    pub async fn pin(
        &self,
        message_id: i64,
        pinned_by: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<PinOutcome> {
        self.pin_from(message_id, pinned_by, None, note, now).await
    }

    /// [`Store::pin`] by a moderator of community `pinned_in` (its own row), so that a pin
    /// across a link goes when the link is undone.
    pub async fn pin_from(
        &self,
        message_id: i64,
        pinned_by: &str,
        pinned_in: Option<i64>,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<PinOutcome> {
        on!(&self.pool, pool => {
        let mut tx = pool.begin().await?;
        let deleted: Option<bool> =
            sqlx::query_scalar("SELECT deleted_at IS NOT NULL FROM messages WHERE id = $1")
                .bind(message_id)
                .fetch_optional(&mut *tx)
                .await?;
        if deleted != Some(false) {
            return Ok(PinOutcome::Deleted);
        }
        let existed: bool =
            sqlx::query_scalar("SELECT count(*) > 0 FROM pins WHERE message_id = $1")
                .bind(message_id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO pins (message_id, pinned_by, note, pinned_at, pinned_in)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (message_id) DO UPDATE SET note = excluded.note,
                 pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at,
                 pinned_in = excluded.pinned_in",
        )
        .bind(message_id)
        .bind(pinned_by)
        .bind(note)
        .bind(now)
        .bind(pinned_in)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(if existed {
            PinOutcome::Updated
        } else {
            PinOutcome::Pinned
        })
        })
    }

    /// Removes a pin; `false` when the message was not pinned.
    pub async fn unpin(&self, message_id: i64) -> Result<bool> {
        let result = on!(&self.pool, pool => sqlx::query("DELETE FROM pins WHERE message_id = $1")
            .bind(message_id)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(result > 0)
    }

    /// Pins made in `scope`'s channels, newest first: of one article, or of all.
    pub async fn pins(
        &self,
        scope: Scope,
        article: Option<ArticleId>,
        limit: u32,
    ) -> Result<Vec<Pin>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{} AND {} ORDER BY p.pinned_at DESC, p.id DESC LIMIT $3",
            pin_select(scope),
            // By text, as for the scope: one plan for each.
            if article.is_some() { "d.article_id = $2" } else { "$2 IS NULL" }
        )))
        .bind(scope.bind())
        .bind(article.map(|a| a.0))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?,
        )
    }
}

impl Store {
    /// Pins made in `scope`'s channels in `(since, until]`, oldest first.
    pub async fn pins_between(
        &self,
        scope: Scope,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Pin>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{} AND p.pinned_at > $2 AND p.pinned_at <= $3 ORDER BY p.pinned_at, p.id LIMIT $4",
            pin_select(scope)
        )))
        .bind(scope.bind())
        .bind(since)
        .bind(until)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?,
        )
    }
}
