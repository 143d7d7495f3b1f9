//! Communities (a Discord guild, a Matrix room, the console) and their shelves: the unit of
//! everything a reader sees. Every read a chat user can cause takes a [`Scope`].

use chrono::{DateTime, Utc};

use super::{ArticleId, Pool, Result, Store};

/// Whose view a read serves: one community's (by row id), or the operator's, who sees all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// What one community may see: its shelf, the library, its own channels.
    Community(i64),
    /// Everything (the operator at the command line).
    Operator,
}

impl Scope {
    /// The value bound to a query's scope parameter: `NULL` lets everything through.
    pub(super) fn bind(self) -> Option<i64> {
        match self {
            Scope::Community(id) => Some(id),
            Scope::Operator => None,
        }
    }
}

/// The condition that article `a` is visible in `scope`, bound as parameter `$N`. The text
/// differs by scope (the operator's is a condition on the parameter alone, true for its NULL)
/// so that PostgreSQL can keep one plan per statement text: a condition `$N IS NULL OR …`
/// would leave a cached plan unable to drop the branch that does not apply.
pub(super) fn visible(scope: Scope, param: u8) -> String {
    match scope {
        Scope::Community(_) => format!(
            "(a.library OR EXISTS (SELECT 1 FROM shelves s \
             WHERE s.community_id = ${param} AND s.article_id = a.id))"
        ),
        Scope::Operator => format!("(${param} IS NULL)"),
    }
}

/// The condition that channel `c` belongs to `scope`, bound as parameter `$N` (see
/// [`visible`] for why the text depends on the scope).
pub(super) fn within(scope: Scope, param: u8) -> String {
    match scope {
        Scope::Community(_) => format!("(c.community_id = ${param})"),
        Scope::Operator => format!("(${param} IS NULL)"),
    }
}

/// A community as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Community {
    /// Row id.
    pub id: i64,
    /// `discord`, `matrix` or `console`.
    pub platform: String,
    /// The platform's id for it (guild id, room id, `console`).
    pub external_id: String,
    /// Its name, if known.
    pub name: Option<String>,
    /// When this is the community another was resolved to (see [`Store::community`]): the row
    /// id of the one asked for, which is joined to this one. `None` when it is the one asked
    /// for.
    #[sqlx(default)]
    pub joined_from: Option<i64>,
}

impl Community {
    /// The row id of the community asked for: its own channels and shelf are kept under it
    /// (and move back with it when it leaves), whichever community it reads in.
    pub fn own_id(&self) -> i64 {
        self.joined_from.unwrap_or(self.id)
    }
}

/// The community with a platform id, and the one it is joined to, if any.
const RESOLVE: &str = "SELECT co.id, co.name, m.id, m.platform, m.external_id, m.name
     FROM communities co LEFT JOIN communities m ON m.id = co.joined_to
     WHERE co.platform = $1 AND co.external_id = $2";
type Resolved = (
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The community a [`RESOLVE`] row stands for: the one it is joined to, if any.
fn resolved(
    platform: &str,
    external_id: &str,
    (id, own_name, main, main_platform, main_external, main_name): Resolved,
) -> Community {
    match (main, main_platform, main_external) {
        (Some(main), Some(main_platform), Some(main_external)) => Community {
            id: main,
            platform: main_platform,
            external_id: main_external,
            name: main_name,
            joined_from: Some(id),
        },
        _ => Community {
            id,
            platform: platform.to_owned(),
            external_id: external_id.to_owned(),
            name: own_name,
            joined_from: None,
        },
    }
}

impl Store {
    /// Where a command was given, in one statement, when nothing about it has to be written:
    /// the community (resolved as [`Store::community`] resolves it) and the channel, kept under
    /// that community with the name `channel_name` (when given). `None` otherwise: then
    /// [`Store::community`] and [`Store::channel`] create or update what they must. Every
    /// command asks this first, and on PostgreSQL each statement is a round trip.
    pub async fn known_place(
        &self,
        platform: &str,
        community: &str,
        channel: &str,
        channel_name: Option<&str>,
    ) -> Result<Option<(Community, super::Channel)>> {
        type Row = (
            i64,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
            Option<i64>,
            Option<String>,
        );
        let row: Option<Row> = on!(&self.pool, pool => sqlx::query_as(
            "SELECT co.id, co.name, m.id, m.platform, m.external_id, m.name,
                    c.id, c.community_id, c.name
             FROM communities co LEFT JOIN communities m ON m.id = co.joined_to
             JOIN channels c ON c.platform = $1 AND c.external_id = $3
                 AND coalesce(c.home_id, c.community_id) = co.id
             WHERE co.platform = $1 AND co.external_id = $2",
        )
        .bind(platform)
        .bind(community)
        .bind(channel)
        .fetch_optional(pool)
        .await)?;
        let Some((id, own_name, main, main_platform, main_external, main_name, c, read_in, name)) =
            row
        else {
            return Ok(None);
        };
        if read_in.is_none() || channel_name.is_some_and(|n| Some(n) != name.as_deref()) {
            return Ok(None);
        }
        let community = resolved(
            platform,
            community,
            (id, own_name, main, main_platform, main_external, main_name),
        );
        Ok(Some((
            community,
            super::Channel {
                id: c,
                platform: platform.to_owned(),
                external_id: channel.to_owned(),
                community_id: read_in,
            },
        )))
    }

    /// The community with this platform id, created on first sight; when it is joined to
    /// another (`link join`), that other one, with [`Community::joined_from`] naming the one
    /// asked for. Every path (commands, platform events, catch-ups) resolves its community
    /// here, so a joined room reads, writes and is answered as the community it is part of.
    /// A pending purge stays pending: events still in flight from a community the bot left do
    /// not bring it back; only [`Store::community_back`] does.
    pub async fn community(
        &self,
        platform: &str,
        external_id: &str,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Community> {
        // Every command asks: a read answers all but the first, without a write.
        let known: Option<Resolved> = on!(&self.pool, pool => sqlx::query_as(RESOLVE)
            .bind(platform)
            .bind(external_id)
            .fetch_optional(pool)
            .await)?;
        if let Some(known) = known
            && (name.is_none() || name == known.1.as_deref())
        {
            return Ok(resolved(platform, external_id, known));
        }
        on!(&self.pool, pool => sqlx::query(
            "INSERT INTO communities (platform, external_id, name, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (platform, external_id) DO UPDATE SET
                 name = coalesce(excluded.name, communities.name)",
        )
        .bind(platform)
        .bind(external_id)
        .bind(name)
        .bind(now)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        let stored: Resolved = on!(&self.pool, pool => sqlx::query_as(RESOLVE)
            .bind(platform)
            .bind(external_id)
            .fetch_one(pool)
            .await)?;
        Ok(resolved(platform, external_id, stored))
    }

    /// A community by the platform's id for it, written `platform:id` or just `id`; resolved
    /// as [`Store::community`] resolves it (the community it is joined to, if it is).
    pub async fn find_community(&self, reference: &str) -> Result<Option<Community>> {
        let (platform, external) = match reference.split_once(':') {
            Some((platform, id)) if matches!(platform, "discord" | "matrix" | "console") => {
                (Some(platform), id)
            }
            _ => (None, reference),
        };
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT coalesce(m.id, co.id) AS id, coalesce(m.platform, co.platform) AS platform,
                    coalesce(m.external_id, co.external_id) AS external_id,
                    CASE WHEN m.id IS NULL THEN co.name ELSE m.name END AS name,
                    CASE WHEN m.id IS NULL THEN NULL ELSE co.id END AS joined_from
             FROM communities co LEFT JOIN communities m ON m.id = co.joined_to
             WHERE co.external_id = $1 AND ($2 IS NULL OR co.platform = $2) ORDER BY co.id LIMIT 1",
        )
        .bind(external)
        .bind(platform)
        .fetch_optional(pool)
        .await)?)
    }

    /// Puts an article on a community's shelf (once; the first time counts), and, while that
    /// community is joined to another, on that one's too, marked as from it so that leaving
    /// takes it back. `community_id` is the community's own row ([`Community::own_id`]).
    ///
    /// An article a linked community reads only through the link (the other side's) is not
    /// made its own by being shown or discussed there: after leaving, neither side keeps
    /// anything of the other.
    pub async fn shelve(
        &self,
        community_id: i64,
        article: ArticleId,
        added_by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put_on_shelf(community_id, article, added_by, now, false)
            .await
    }

    /// [`Store::shelve`] for an article shown to a community that could already read it (in the
    /// library, or on its shelf already). The row then only dates what the community saw last
    /// ([`Store::latest_article`]), and the next showing writes it again if it was lost, so on
    /// PostgreSQL its commit does not wait for the write-ahead log to reach the disk: it
    /// survives the bot's crash but not the server's, as SQLite's `synchronous=NORMAL` commits
    /// survive the process's but not the machine's. That wait was half of `/article`'s p99 on
    /// PostgreSQL.
    pub async fn shelve_shown(
        &self,
        community_id: i64,
        article: ArticleId,
        added_by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put_on_shelf(community_id, article, added_by, now, true)
            .await
    }

    async fn put_on_shelf(
        &self,
        community_id: i64,
        article: ArticleId,
        added_by: Option<&str>,
        now: DateTime<Utc>,
        shown: bool,
    ) -> Result<()> {
        // Its own shelf, unless the article is there only through the link; and the shelf of
        // the community it is joined to, if any. A community others joined finds their
        // articles on its shelf as copies (`via`): the conflict leaves them so. One statement
        // (both rows are decided on what the shelves held before it), as every `/article` runs
        // it. A shown article's statement sets `synchronous_commit` for its own transaction
        // (`set_config(…, true)`), which is that statement alone; the setting is read when it
        // commits. Every row it inserts is joined to `lazy`, so it is set whenever it matters.
        let (with, lazy) = match (&self.pool, shown) {
            (Pool::Postgres(_), true) => (
                "WITH lazy AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))\n",
                ", lazy",
            ),
            _ => ("", ""),
        };
        let sql = format!(
            "{with}INSERT INTO shelves (community_id, article_id, added_by, added_at, via)
             SELECT co.id, $2, $3, $4, NULL FROM communities co{lazy} WHERE co.id = $1
             AND NOT EXISTS (SELECT 1 FROM shelves s
                 WHERE s.community_id = co.joined_to AND s.article_id = $2
                   AND (s.via IS NULL OR s.via <> co.id))
             UNION ALL
             SELECT co.joined_to, $2, $3, $4, co.id FROM communities co{lazy}
             WHERE co.id = $1 AND co.joined_to IS NOT NULL
             ON CONFLICT DO NOTHING"
        );
        on!(&self.pool, pool => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(community_id)
        .bind(article.0)
        .bind(added_by)
        .bind(now)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Puts an article in the operator's library, which every community may read.
    pub async fn add_to_library(&self, article: ArticleId) -> Result<()> {
        on!(&self.pool, pool => sqlx::query("UPDATE articles SET library = TRUE WHERE id = $1")
            .bind(article.0)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Whether `scope` may see the article (on its shelf or in the library).
    pub async fn is_visible(&self, scope: Scope, article: ArticleId) -> Result<bool> {
        Ok(
            on!(&self.pool, pool => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) > 0 FROM articles a WHERE a.id = $2 AND {}",
            visible(scope, 1)
        )))
        .bind(scope.bind())
        .bind(article.0)
        .fetch_one(pool)
        .await)?,
        )
    }
}

impl Store {
    /// How many feeds a community's channels follow.
    pub async fn feeds_followed(&self, community_id: i64) -> Result<i64> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT count(*) FROM feed_subscriptions s JOIN channels c ON c.id = s.channel_id
             WHERE c.community_id = $1",
        )
        .bind(community_id)
        .fetch_one(pool)
        .await)?)
    }

    /// How many discussions a community's channels hold.
    pub async fn discussions_open(&self, community_id: i64) -> Result<i64> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT count(*) FROM discussions d JOIN channels c ON c.id = d.channel_id
             WHERE c.community_id = $1",
        )
        .bind(community_id)
        .fetch_one(pool)
        .await)?)
    }

    /// The bot was removed from a community (kicked, banned, the room left or deleted): its
    /// data is kept until [`Store::purge_left`] runs past the grace period, unless it comes
    /// back first. `false` when the community is unknown or already marked.
    pub async fn community_left(
        &self,
        platform: &str,
        external_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let marked = on!(&self.pool, pool => sqlx::query(
            "UPDATE communities SET left_at = $1 WHERE platform = $2 AND external_id = $3
             AND left_at IS NULL",
        )
        .bind(now)
        .bind(platform)
        .bind(external_id)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(marked > 0)
    }

    /// When the bot was removed from a community, if it was and has not come back; `None` too
    /// for a community never seen. For the operator and tests: the purge is what acts on it.
    pub async fn community_left_at(
        &self,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<DateTime<Utc>>> {
        let left: Option<Option<DateTime<Utc>>> = on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT left_at FROM communities WHERE platform = $1 AND external_id = $2",
        )
        .bind(platform)
        .bind(external_id)
        .fetch_optional(pool)
        .await)?;
        Ok(left.flatten())
    }

    /// Whether a channel is still under the stand-in community of a database from before
    /// communities.
    pub async fn is_stand_in(&self, platform: &str, channel: &str) -> Result<bool> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT count(*) > 0 FROM channels c JOIN communities co ON co.id = c.community_id
             WHERE c.platform = $1 AND c.external_id = $2 AND co.external_id LIKE 'channel:%'",
        )
        .bind(platform)
        .bind(channel)
        .fetch_one(pool)
        .await)?)
    }

    /// The bot is in the community again: a pending purge is called off.
    pub async fn community_back(&self, platform: &str, external_id: &str) -> Result<()> {
        on!(&self.pool, pool => sqlx::query("UPDATE communities SET left_at = NULL WHERE platform = $1 AND external_id = $2")
            .bind(platform)
            .bind(external_id)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes every community the bot left at or before `before`, with its channels,
    /// discussions, messages, pins, digest schedules and runs, subscriptions, deliveries and
    /// shelf (articles themselves stay: they may be on other shelves or in the library).
    /// Returns how many communities were purged.
    ///
    /// Linked communities: one joined to a purged community is made independent first (its
    /// channels go back to it, as on `link leave`), since it did not leave and its channels,
    /// read under the purged one, would otherwise go with it. A purged community that was
    /// joined to another takes its own channels with it wherever they are read (they cascade
    /// on `channels.home_id`) and its copies on that one's shelf (`shelves.via`); what the
    /// community's other members also had is put back from their own shelves.
    pub async fn purge_left(&self, before: DateTime<Utc>) -> Result<u64> {
        let members: Vec<i64> = on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT id FROM communities WHERE joined_to IN
                 (SELECT id FROM communities WHERE left_at IS NOT NULL AND left_at <= $1)
             AND NOT (left_at IS NOT NULL AND left_at <= $1)",
        )
        .bind(before)
        .fetch_all(pool)
        .await)?;
        for member in members {
            self.unlink(member).await?;
        }
        let purged = on!(&self.pool, pool => sqlx::query("DELETE FROM communities WHERE left_at IS NOT NULL AND left_at <= $1")
                .bind(before)
                .execute(pool)
                .await.map(|r| r.rows_affected()))?;
        if purged > 0 {
            self.restock_shelves(None).await?;
        }
        Ok(purged)
    }
}
