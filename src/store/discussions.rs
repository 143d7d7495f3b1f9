//! Channels, per-article discussions in them, and the reader messages of each discussion.

use chrono::{DateTime, Utc};

use super::communities::within;
use super::{ArticleId, BeginWrite, Lock, Result, Scope, Store};

/// A place where the bot talks.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Channel {
    /// Row id.
    pub id: i64,
    /// `discord`, `matrix` or `console`.
    pub platform: String,
    /// The platform's id for it.
    pub external_id: String,
    /// The community it belongs to.
    pub community_id: Option<i64>,
}

/// An article's discussion in one channel.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Discussion {
    /// Row id.
    pub id: i64,
    /// The article discussed.
    #[sqlx(try_from = "i64")]
    pub article_id: ArticleId,
    /// The channel it happens in.
    pub channel_id: i64,
    /// The platform's thread (Discord thread channel id, Matrix thread root event id).
    pub thread_ref: Option<String>,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
}

/// A reader message to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// `discord`, `matrix` or `console`.
    pub platform: String,
    /// The platform's unique id for the message.
    pub platform_id: String,
    /// The platform's id for the author.
    pub author_id: String,
    /// The author's display name at the time.
    pub author_name: String,
    /// The text.
    pub body: String,
    /// The platform id of the message this one replies to.
    pub reply_to: Option<String>,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
}

/// A recorded message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredMessage {
    /// Row id (what the console shows as `#N`).
    pub id: i64,
    /// The discussion it belongs to.
    pub discussion_id: i64,
    /// The article discussed.
    #[sqlx(try_from = "i64")]
    pub article_id: ArticleId,
    /// Platform of origin.
    pub platform: String,
    /// The platform's id.
    pub platform_id: String,
    /// Author id.
    pub author_id: String,
    /// Author display name.
    pub author_name: String,
    /// The text; `None` once deleted.
    pub body: Option<String>,
    /// Platform id of the parent message.
    pub reply_to: Option<String>,
    /// Sent at.
    pub created_at: DateTime<Utc>,
    /// Last edited at.
    pub edited_at: Option<DateTime<Utc>>,
    /// Deleted at.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Where one discussion stands (see [`Store::discussion_marks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscussionMark {
    /// The discussion.
    pub discussion: i64,
    /// Its version: changed by every change to one of its messages.
    pub version: i64,
    /// Its channel's label, `platform:channel`.
    pub channel: String,
    /// How many messages it holds.
    pub messages: i64,
    /// Its highest message id (0 when it has none).
    pub last: i64,
}

/// How much an article has been discussed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiscussionStats {
    /// Messages that still stand.
    pub messages: i64,
    /// Distinct authors of those.
    pub participants: i64,
}

/// The author a forgotten reader's messages show.
pub const FORGOTTEN: &str = "a forgotten reader";

const MESSAGE_COLUMNS: &str = "m.id, m.discussion_id, d.article_id, m.platform, m.platform_id,
    m.author_id, m.author_name, m.body, m.reply_to, m.created_at, m.edited_at, m.deleted_at";

impl Store {
    /// The channel with this platform id in community `community_id` (the community the
    /// platform puts it in: its own row, [`super::Community::own_id`]), created on first
    /// sight. It is read in the community that one is joined to, if it is (the returned
    /// `community_id`). A channel kept from before communities (under a `channel:` stand-in)
    /// moves to its real community, shelf and all, the first time it is seen there.
    pub async fn channel(
        &self,
        platform: &str,
        external_id: &str,
        name: Option<&str>,
        community_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Channel> {
        const KNOWN: &str = "SELECT c.id, c.community_id, co.external_id, c.name,
                    coalesce(c.home_id, c.community_id)
             FROM channels c
             LEFT JOIN communities co ON co.id = coalesce(c.home_id, c.community_id)
             WHERE c.platform = $1 AND c.external_id = $2";
        type Known = (
            i64,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let channel = |id, community_id| Channel {
            id,
            platform: platform.to_owned(),
            external_id: external_id.to_owned(),
            community_id,
        };
        // Every command asks: a read answers all but the first, without the write lock.
        let known: Option<Known> = on!(&self.pool, pool => sqlx::query_as(KNOWN)
            .bind(platform)
            .bind(external_id)
            .fetch_optional(pool)
            .await)?;
        if let Some((id, Some(current), _, known_name, Some(home))) = &known
            && *home == community_id
            && (name.is_none() || name == known_name.as_deref())
        {
            return Ok(channel(*id, Some(*current)));
        }
        let (id, read_in) = on!(&self.pool, pool => {
        let mut tx = pool.begin_write(Lock::Channels).await?;
        // Where its community reads: the one it is joined to, if any (under the same lock as
        // joining and leaving, so it cannot change meanwhile).
        let target: i64 = sqlx::query_scalar(
            "SELECT coalesce(joined_to, id) FROM communities WHERE id = $1",
        )
        .bind(community_id)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or(community_id);
        let known: Option<Known> = sqlx::query_as(KNOWN)
            .bind(platform)
            .bind(external_id)
            .fetch_optional(&mut *tx)
            .await?;
        let (id, read_in) = match known {
            None => {
                let id = sqlx::query_scalar(
                    "INSERT INTO channels (platform, external_id, name, community_id, home_id, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(platform)
                .bind(external_id)
                .bind(name)
                .bind(target)
                .bind(community_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                (id, Some(target))
            }
            Some((id, old, old_external, old_name, old_home)) => {
                let stand_in = old_external
                    .as_deref()
                    .is_none_or(|e| e.starts_with("channel:"));
                // A channel never changes community otherwise (a Discord channel stays in its
                // guild), so a mismatch keeps the stored one.
                let moves = old_home != Some(community_id) && stand_in;
                if moves {
                    sqlx::query(
                        "INSERT INTO shelves (community_id, article_id, added_by, added_at)
                         SELECT $1, article_id, added_by, added_at FROM shelves WHERE community_id = $2
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(community_id)
                    .bind(old_home)
                    .execute(&mut *tx)
                    .await?;
                    if target != community_id {
                        sqlx::query(
                            "INSERT INTO shelves (community_id, article_id, added_by, added_at, via)
                             SELECT $1, article_id, added_by, added_at, $3 FROM shelves
                             WHERE community_id = $2
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(target)
                        .bind(old_home)
                        .bind(community_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    sqlx::query("UPDATE channels SET community_id = $1, home_id = $2 WHERE id = $3")
                        .bind(target)
                        .bind(community_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "DELETE FROM communities WHERE id = $1 AND external_id LIKE 'channel:%'
                         AND NOT EXISTS (SELECT 1 FROM channels
                             WHERE home_id = communities.id OR community_id = communities.id)",
                    )
                    .bind(old_home)
                    .execute(&mut *tx)
                    .await?;
                }
                if name.is_some() && name != old_name.as_deref() {
                    sqlx::query("UPDATE channels SET name = $1 WHERE id = $2")
                        .bind(name)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                (id, if moves { Some(target) } else { old })
            }
        };
        tx.commit().await?;
        (id, read_in)
        });
        Ok(channel(id, read_in))
    }

    /// The article's discussion in this channel, if there is one.
    pub async fn discussion_in(
        &self,
        article: ArticleId,
        channel_id: i64,
    ) -> Result<Option<Discussion>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT id, article_id, channel_id, thread_ref, created_at FROM discussions
             WHERE article_id = $1 AND channel_id = $2",
        )
        .bind(article.0)
        .bind(channel_id)
        .fetch_optional(pool)
        .await)?)
    }

    /// The article's discussion in this channel, opened if there was none. The flag says
    /// whether it was opened now.
    pub async fn open_discussion(
        &self,
        article: ArticleId,
        channel_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(Discussion, bool)> {
        let created = on!(&self.pool, pool => sqlx::query(
            "INSERT INTO discussions (article_id, channel_id, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (article_id, channel_id) DO NOTHING",
        )
        .bind(article.0)
        .bind(channel_id)
        .bind(now)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?
            == 1;
        let discussion = on!(&self.pool, pool => sqlx::query_as(
            "SELECT id, article_id, channel_id, thread_ref, created_at FROM discussions
             WHERE article_id = $1 AND channel_id = $2",
        )
        .bind(article.0)
        .bind(channel_id)
        .fetch_one(pool)
        .await)?;
        Ok((discussion, created))
    }

    /// Remembers the platform thread that carries a discussion (`None` forgets it).
    pub async fn set_thread(&self, discussion_id: i64, thread_ref: Option<&str>) -> Result<()> {
        on!(&self.pool, pool => sqlx::query("UPDATE discussions SET thread_ref = $1 WHERE id = $2")
            .bind(thread_ref)
            .bind(discussion_id)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The discussion carried by a platform thread, if that thread is tracked and, when
    /// `community` (the platform's id for it) is given, belongs to that community (the one
    /// its channel comes from, wherever it is read).
    pub async fn discussion_by_thread(
        &self,
        platform: &str,
        thread_ref: &str,
        community: Option<&str>,
    ) -> Result<Option<Discussion>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT d.id, d.article_id, d.channel_id, d.thread_ref, d.created_at
             FROM discussions d
             JOIN channels c ON c.id = d.channel_id
             LEFT JOIN communities co ON co.id = coalesce(c.home_id, c.community_id)
             WHERE c.platform = $1 AND d.thread_ref = $2
               AND ($3 IS NULL OR co.external_id = $3 OR co.external_id LIKE 'channel:%')",
        )
        .bind(platform)
        .bind(thread_ref)
        .bind(community)
        .fetch_optional(pool)
        .await)?)
    }

    /// Records a message in a discussion and returns its row id once it is committed.
    /// Recording the same platform message again changes nothing and returns the same id, so
    /// redelivered events are harmless. An edit or delete that arrived first (see
    /// [`Store::defer_change`]) is applied.
    ///
    /// Messages recorded concurrently share one transaction (group commit, see
    /// `store::recorder`): each caller still gets its answer only after the commit.
    pub async fn record_message(&self, discussion_id: i64, message: &NewMessage) -> Result<i64> {
        self.recorder.record(discussion_id, message.clone()).await
    }

    /// Applies an edit (`Some(text)`) or delete (`None`) to a message of a tracked discussion,
    /// or, when its creation event is still on its way, remembers the change for
    /// [`Store::record_message`] to apply. The check and the write share one transaction, so a
    /// change racing the creation is never lost. A delete is never overridden by a later edit.
    /// Changes older than a day are dropped. Returns `true` when the change was applied now.
    pub async fn defer_change(
        &self,
        platform: &str,
        platform_id: &str,
        body: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        on!(&self.pool, pool => {
        let mut tx = pool.begin_write(Lock::Change).await?;
        let known: Option<(i64, bool)> = sqlx::query_as(
            "SELECT id, deleted_at IS NOT NULL FROM messages WHERE platform = $1 AND platform_id = $2",
        )
        .bind(platform)
        .bind(platform_id)
        .fetch_optional(&mut *tx)
        .await?;
        let applied = match known {
            Some((_, true)) => true,
            Some((id, false)) => {
                apply_change!(&mut *tx, id, body, at);
                true
            }
            None => {
                sqlx::query(
                    "INSERT INTO pending_changes (platform, platform_id, body, deleted, at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (platform, platform_id) DO UPDATE SET
                         body = CASE WHEN pending_changes.deleted THEN NULL ELSE excluded.body END,
                         deleted = pending_changes.deleted OR excluded.deleted,
                         at = excluded.at",
                )
                .bind(platform)
                .bind(platform_id)
                .bind(body)
                .bind(body.is_none())
                .bind(at)
                .execute(&mut *tx)
                .await?;
                false
            }
        };
        sqlx::query("DELETE FROM pending_changes WHERE at < $1")
            .bind(at - chrono::Duration::days(1))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(applied)
        })
    }

    /// Replaces a message's text after an edit. `false` when the message is unknown or
    /// deleted, or already holds an edit as new or newer: edits can arrive out of order (events
    /// handled concurrently, a catch-up reading what a live event already brought), and the
    /// newest text wins.
    pub async fn edit_message(
        &self,
        platform: &str,
        platform_id: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        // Stored times are compared as times: SQLite keeps them as text of varying precision.
        let sql = format!(
            "UPDATE messages SET body = $1, edited_at = $2
             WHERE platform = $3 AND platform_id = $4 AND deleted_at IS NULL
               AND (edited_at IS NULL OR {})",
            self.pool.earlier("edited_at", "$2")
        );
        let result = on!(&self.pool, pool => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(body)
        .bind(at)
        .bind(platform)
        .bind(platform_id)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(result == 1)
    }

    /// Forgets a deleted message's text (the row stays so replies keep their place in the
    /// tree) and drops any pin on it. `false` when the message is unknown or already deleted.
    pub async fn delete_message(
        &self,
        platform: &str,
        platform_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        on!(&self.pool, pool => {
        let mut tx = pool.begin_write(Lock::Change).await?;
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE platform = $1 AND platform_id = $2 AND deleted_at IS NULL",
        )
        .bind(platform)
        .bind(platform_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            forget_text!(&mut *tx, id, at);
        }
        tx.commit().await?;
        Ok(id.is_some())
        })
    }

    /// A message by row id, if it was posted in one of `scope`'s channels.
    pub async fn message(&self, scope: Scope, id: i64) -> Result<Option<StoredMessage>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m
             JOIN discussions d ON d.id = m.discussion_id
             JOIN channels c ON c.id = d.channel_id
             WHERE m.id = $2 AND {}",
            within(scope, 1)
        )))
        .bind(scope.bind())
        .bind(id)
        .fetch_optional(pool)
        .await)?,
        )
    }

    /// Remembers that platform event `edit_id` edited message `message_id`.
    pub async fn record_edit(&self, platform: &str, edit_id: &str, message_id: i64) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(
            "INSERT INTO message_edits (platform, edit_id, message_id) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(platform)
        .bind(edit_id)
        .bind(message_id)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The message that platform event `edit_id` edited, if it is in `scope`'s channels.
    pub async fn message_by_edit(
        &self,
        scope: Scope,
        platform: &str,
        edit_id: &str,
    ) -> Result<Option<StoredMessage>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM message_edits e
             JOIN messages m ON m.id = e.message_id
             JOIN discussions d ON d.id = m.discussion_id
             JOIN channels c ON c.id = d.channel_id
             WHERE e.platform = $2 AND e.edit_id = $3 AND {}",
            within(scope, 1)
        )))
        .bind(scope.bind())
        .bind(platform)
        .bind(edit_id)
        .fetch_optional(pool)
        .await)?,
        )
    }

    /// A message by its platform id, if it was posted in one of `scope`'s channels.
    pub async fn message_by_platform_id(
        &self,
        scope: Scope,
        platform: &str,
        platform_id: &str,
    ) -> Result<Option<StoredMessage>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m
             JOIN discussions d ON d.id = m.discussion_id
             JOIN channels c ON c.id = d.channel_id
             WHERE m.platform = $2 AND m.platform_id = $3 AND {}",
            within(scope, 1)
        )))
        .bind(scope.bind())
        .bind(platform)
        .bind(platform_id)
        .fetch_optional(pool)
        .await)?,
        )
    }

    /// Every message of a discussion, oldest first, deleted ones included (with no body).
    pub async fn discussion_messages(&self, discussion_id: i64) -> Result<Vec<StoredMessage>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN discussions d ON d.id = m.discussion_id
             WHERE m.discussion_id = $1 ORDER BY m.created_at, m.id"
        )))
        .bind(discussion_id)
        .fetch_all(pool)
        .await)?,
        )
    }

    /// Messages and participants over an article's discussions in `scope`'s channels.
    pub async fn discussion_stats(
        &self,
        scope: Scope,
        article: ArticleId,
    ) -> Result<DiscussionStats> {
        let (messages, participants) = on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) AS messages, count(DISTINCT m.author_id) AS participants
             FROM messages m
             JOIN discussions d ON d.id = m.discussion_id
             JOIN channels c ON c.id = d.channel_id
             WHERE d.article_id = $2 AND m.deleted_at IS NULL AND {}",
            within(scope, 1)
        )))
        .bind(scope.bind())
        .bind(article.0)
        .fetch_one(pool)
        .await)?;
        Ok(DiscussionStats {
            messages,
            participants,
        })
    }
}

impl Store {
    /// What an article's discussions in `scope`'s channels stand at, for knowing whether a reply
    /// tree built from [`Store::article_messages`] is still current: each discussion with its
    /// version (changed by every change to one of its messages), its channel's label, and its
    /// messages' count and highest id (changed by every new message). Read it before the
    /// messages: a tree built after it is then never older than it.
    pub async fn discussion_marks(
        &self,
        scope: Scope,
        article: ArticleId,
    ) -> Result<Vec<DiscussionMark>> {
        let sql = format!(
            "SELECT d.id, d.version, c.platform || ':' || coalesce(c.name, c.external_id),
                    count(m.id), coalesce(max(m.id), 0)
             FROM discussions d JOIN channels c ON c.id = d.channel_id
             LEFT JOIN messages m ON m.discussion_id = d.id
             WHERE d.article_id = $2 AND {}
             GROUP BY d.id, d.version, c.platform, c.name, c.external_id
             ORDER BY d.id",
            within(scope, 1)
        );
        let rows: Vec<(i64, i64, String, i64, i64)> = on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.bind())
            .bind(article.0)
            .fetch_all(pool)
            .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(discussion, version, channel, messages, last)| DiscussionMark {
                    discussion,
                    version,
                    channel,
                    messages,
                    last,
                },
            )
            .collect())
    }

    /// Every message of an article's discussions in `scope`'s channels, oldest first, each
    /// with a label of the channel it was posted in (`platform:channel`).
    pub async fn article_messages(
        &self,
        scope: Scope,
        article: ArticleId,
    ) -> Result<Vec<(StoredMessage, String)>> {
        self.article_messages_since(scope, article, 0, 0).await
    }

    /// [`Store::article_messages`] that are new or changed since a reader read them: with a
    /// row id above `after` (ids are given in order, though on PostgreSQL not always committed
    /// in order), or changed after their discussion's version `changed_after` (see
    /// [`Store::discussion_marks`]).
    pub async fn article_messages_since(
        &self,
        scope: Scope,
        article: ArticleId,
        after: i64,
        changed_after: i64,
    ) -> Result<Vec<(StoredMessage, String)>> {
        // One JSON value instead of a row per message: sqlx hands SQLite's rows over one by
        // one between threads, copying every value, which made a 2,000-message discussion
        // cost 22 ms to read where SQLite itself takes 4.
        let rows = self.pool.json_rows(
            &format!("{MESSAGE_COLUMNS}, c.platform || ':' || coalesce(c.name, c.external_id)"),
            "m.created_at, m.id",
        );
        let sql = format!(
            "SELECT {rows} FROM messages m
             JOIN discussions d ON d.id = m.discussion_id
             JOIN channels c ON c.id = d.channel_id
             WHERE d.article_id = $2 AND (m.id > $3 OR m.changed_in > $4) AND {}",
            within(scope, 1)
        );
        let json: String = on!(&self.pool, pool => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.bind())
            .bind(article.0)
            .bind(after)
            .bind(changed_after)
            .fetch_one(pool)
            .await)?;
        type Row = (
            i64,
            i64,
            i64,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            String,
        );
        let rows: Vec<Row> =
            serde_json::from_str(&json).map_err(|error| sqlx::Error::Decode(Box::new(error)))?;
        let mut messages: Vec<_> = rows
            .into_iter()
            .map(|row| {
                let message = StoredMessage {
                    id: row.0,
                    discussion_id: row.1,
                    article_id: ArticleId(row.2),
                    platform: row.3,
                    platform_id: row.4,
                    author_id: row.5,
                    author_name: row.6,
                    body: row.7,
                    reply_to: row.8,
                    created_at: row.9,
                    edited_at: row.10,
                    deleted_at: row.11,
                };
                (message, row.12)
            })
            .collect();
        // In time order as times: SQLite orders the stored text, whose fraction of a second
        // varies in length.
        messages.sort_by_key(|(m, _)| (m.created_at, m.id));
        Ok(messages)
    }
}

impl Store {
    /// Forgets a reader in `scope`'s channels: every message they wrote loses its text and
    /// their name (the rows keep their place in reply trees), pins on them are dropped.
    /// Returns how many messages were forgotten.
    pub async fn forget_author(
        &self,
        scope: Scope,
        platform: &str,
        author_id: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mine = format!(
            "SELECT m.id FROM messages m
             JOIN discussions d ON d.id = m.discussion_id
             JOIN channels c ON c.id = d.channel_id
             WHERE m.platform = $2 AND m.author_id = $3 AND {}",
            within(scope, 1)
        );
        on!(&self.pool, pool => {
        let mut tx = pool.begin_write(Lock::Change).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM pins WHERE message_id IN ({mine})"
        )))
        .bind(scope.bind())
        .bind(platform)
        .bind(author_id)
        .execute(&mut *tx)
        .await?;
        let forgotten = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE messages SET body = NULL, author_id = '', author_name = $4,
                 deleted_at = coalesce(deleted_at, $5)
             WHERE id IN ({mine})"
        )))
        .bind(scope.bind())
        .bind(platform)
        .bind(author_id)
        .bind(FORGOTTEN)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(forgotten)
        })
    }

    /// A known channel by the platform's id for it, optionally written `platform:id`.
    pub async fn find_channel(&self, reference: &str) -> Result<Option<Channel>> {
        let (platform, external) = match reference.split_once(':') {
            Some((platform, id)) if matches!(platform, "discord" | "matrix" | "console") => {
                (Some(platform), id)
            }
            _ => (None, reference),
        };
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT id, platform, external_id, community_id FROM channels
             WHERE external_id = $1 AND ($2 IS NULL OR platform = $3) ORDER BY id LIMIT 1",
        )
        .bind(external)
        .bind(platform)
        .bind(platform)
        .fetch_optional(pool)
        .await)?)
    }
}
