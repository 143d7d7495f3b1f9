//! Pinned commentary: reader messages a moderator marked as the notable take on an article.

use chrono::{DateTime, Utc};

use super::{ArticleId, Result, Store};

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

const PIN_SELECT: &str = "SELECT p.message_id, d.article_id, a.title AS article_title,
        m.author_name, m.body, p.note, p.pinned_by, p.pinned_at
    FROM pins p
    JOIN messages m ON m.id = p.message_id
    JOIN discussions d ON d.id = m.discussion_id
    JOIN articles a ON a.id = d.article_id
    WHERE m.deleted_at IS NULL";

impl Store {
    /// Pins a recorded message (by row id), or replaces the note of an existing pin.
    pub async fn pin(
        &self,
        message_id: i64,
        pinned_by: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<PinOutcome> {
        let mut tx = self.pool.begin().await?;
        let deleted: Option<bool> =
            sqlx::query_scalar("SELECT deleted_at IS NOT NULL FROM messages WHERE id = ?")
                .bind(message_id)
                .fetch_optional(&mut *tx)
                .await?;
        if deleted != Some(false) {
            return Ok(PinOutcome::Deleted);
        }
        let existed: bool =
            sqlx::query_scalar("SELECT count(*) > 0 FROM pins WHERE message_id = ?")
                .bind(message_id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO pins (message_id, pinned_by, note, pinned_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (message_id) DO UPDATE SET note = excluded.note,
                 pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at",
        )
        .bind(message_id)
        .bind(pinned_by)
        .bind(note)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(if existed {
            PinOutcome::Updated
        } else {
            PinOutcome::Pinned
        })
    }

    /// Removes a pin; `false` when the message was not pinned.
    pub async fn unpin(&self, message_id: i64) -> Result<bool> {
        let result = sqlx::query("DELETE FROM pins WHERE message_id = ?")
            .bind(message_id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Pins, newest first: of one article, or of all.
    pub async fn pins(&self, article: Option<ArticleId>, limit: u32) -> Result<Vec<Pin>> {
        let pins =
            match article {
                Some(id) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PIN_SELECT} AND d.article_id = ? ORDER BY p.pinned_at DESC, p.id DESC LIMIT ?"
                )))
                .bind(id.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?,
                None => {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{PIN_SELECT} ORDER BY p.pinned_at DESC, p.id DESC LIMIT ?"
                    )))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                }
            };
        Ok(pins)
    }
}

impl Store {
    /// Pins made in `(since, until]`, oldest first.
    pub async fn pins_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Pin>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PIN_SELECT} AND p.pinned_at > ? AND p.pinned_at <= ? ORDER BY p.pinned_at, p.id LIMIT ?"
        )))
        .bind(since)
        .bind(until)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
