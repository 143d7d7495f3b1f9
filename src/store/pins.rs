//! Pinned commentary: reader messages a moderator marked as the notable take on an article.

use chrono::{DateTime, Utc};

use super::communities::{visible, within};
use super::{ArticleId, Pool, Result, Scope, Store};

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

/// Which pins a listing reads.
#[derive(Clone, Copy)]
enum Among<'a> {
    /// Those of the channels of the scope that meet a condition on `p`.
    Channels(&'a str),
    /// Those of article `$2`'s discussions in the scope's channels.
    Article,
}

/// Pins made in the channels of `scope` (bound as `$1`), `among` those asked for, in `order`
/// (on `p`), at most `limit` of them.
///
/// The pins are chosen first, from `pins` and `channels` (and `discussions` for an article)
/// alone, along `pins_of_channel` or `pins_of_discussion`; only those chosen are joined to
/// their messages and articles. On PostgreSQL each channel's own newest pins are taken first
/// (a lateral join, which SQLite lacks and does not need): otherwise it reads every pin of the
/// community before sorting. The limit is written into the text so that a kept generic plan
/// knows how few rows the joins get. A pin's message is never a deleted one: deleting a
/// message removes its pin.
fn pin_select(pool: &Pool, scope: Scope, among: Among<'_>, order: &str, limit: u32) -> String {
    const PIN: &str = "p.id, p.message_id, p.discussion_id, p.note, p.pinned_by, p.pinned_at";
    let within = within(scope, 1);
    // An article's pins only while the scope may read the article: `/pins <id>` then answers
    // as for an article that is not there, without asking first.
    let readable = match among {
        Among::Article => format!("AND {}", visible(scope, 1)),
        Among::Channels(_) => String::new(),
    };
    let chosen = match (among, pool) {
        (Among::Article, _) => format!(
            "SELECT {PIN} FROM discussions d
             JOIN pins p ON p.discussion_id = d.id
             JOIN channels c ON c.id = d.channel_id
             WHERE d.article_id = $2 AND {within}
             ORDER BY {order} LIMIT {limit}"
        ),
        (Among::Channels(condition), Pool::Postgres(_)) => format!(
            "SELECT p.* FROM channels c CROSS JOIN LATERAL (
                 SELECT {PIN} FROM pins p WHERE p.channel_id = c.id AND {condition}
                 ORDER BY {order} LIMIT {limit}) p
             WHERE {within}
             ORDER BY {order} LIMIT {limit}"
        ),
        (Among::Channels(condition), Pool::Sqlite(_)) => format!(
            "SELECT {PIN} FROM channels c JOIN pins p ON p.channel_id = c.id
             WHERE {within} AND {condition}
             ORDER BY {order} LIMIT {limit}"
        ),
    };
    format!(
        "WITH chosen AS ({chosen})
         SELECT p.message_id, d.article_id, a.title AS article_title,
                m.author_name, m.body, p.note, p.pinned_by, p.pinned_at
         FROM chosen p
         JOIN messages m ON m.id = p.message_id
         JOIN discussions d ON d.id = p.discussion_id
         JOIN articles a ON a.id = d.article_id
         WHERE m.deleted_at IS NULL {readable}
         ORDER BY {order}"
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
            "INSERT INTO pins (message_id, pinned_by, note, pinned_at, pinned_in,
                               discussion_id, channel_id)
             SELECT $1, $2, $3, $4, $5, d.id, d.channel_id
             FROM messages m JOIN discussions d ON d.id = m.discussion_id WHERE m.id = $1
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

    /// Pins made in `scope`'s channels, newest first: of one article (none when `scope` may not
    /// read it), or of all.
    pub async fn pins(
        &self,
        scope: Scope,
        article: Option<ArticleId>,
        limit: u32,
    ) -> Result<Vec<Pin>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(pin_select(
                &self.pool,
                scope,
                // By text, as for the scope: one plan for each.
                if article.is_some() {
                    Among::Article
                } else {
                    Among::Channels("$2 IS NULL")
                },
                "p.pinned_at DESC, p.id DESC",
                limit,
            )))
        .bind(scope.bind())
        .bind(article.map(|a| a.0))
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
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(pin_select(
                &self.pool,
                scope,
                Among::Channels("p.pinned_at > $2 AND p.pinned_at <= $3"),
                "p.pinned_at, p.id",
                limit,
            )))
        .bind(scope.bind())
        .bind(since)
        .bind(until)
        .fetch_all(pool)
        .await)?,
        )
    }
}
