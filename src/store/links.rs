//! Linked communities: a Matrix room or another Discord guild joined to a community, by a
//! one-time code issued there, used on the other side and accepted by the first, so both read
//! as one.
//!
//! Joining moves the joined community's channels under the community it joins (each keeps its
//! `home_id`, the community it really comes from), copies its shelf there (marked `via` it,
//! duplicates dropped) and drops its own web publication; [`Store::community`] then answers
//! for it with the community it joined. Leaving undoes exactly that: its channels (with their
//! discussions, messages, pins, digests and feeds) go back, the copies of its shelf leave the
//! other's, and pins across the two (one side's note on the other's message) are dropped. A joined community keeps its own shelf meanwhile, so it leaves with what it
//! had and what it added.

use chrono::{DateTime, Duration, Utc};

use super::{BeginWrite, Community, Lock, Result, Store};

/// What using a link code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinOutcome {
    /// The code was good: the community asks to join this one, whose moderators accept
    /// ([`Store::accept_link`]) or let the request lapse.
    Asked(Community),
    /// No such code (mistyped, or its community has since joined another or gone).
    Unknown,
    /// The code was used already.
    Used,
    /// The code's time ran out.
    Expired,
    /// The code was issued by the community that tried to use it.
    Same,
    /// The community is part of this one already; it leaves first.
    AlreadyJoined(Community),
    /// Other communities are joined to this one: they did not agree to the code's community,
    /// so it is refused rather than taking them along.
    HasMembers(i64),
}

/// What accepting a request to join did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptOutcome {
    /// The community that asked is joined.
    Joined(Community),
    /// It has not asked, or its request lapsed.
    NoRequest,
    /// It may no longer join (it joined another meanwhile, or others joined it).
    Refused(JoinOutcome),
}

/// Community `$1`.
const COMMUNITY: &str = "SELECT id, platform, external_id, name FROM communities WHERE id = $1";
/// The community that community `$1` is joined to, if any.
const JOINED_TO: &str = "SELECT co.id, co.platform, co.external_id, co.name FROM communities me
     JOIN communities co ON co.id = me.joined_to WHERE me.id = $1";
/// How many communities are joined to community `$1`.
const MEMBERS: &str = "SELECT count(*) FROM communities WHERE joined_to = $1";

/// Why a community may not join another: it is part of one already (`current`), it is that
/// one (`same`), or others are joined to it (`members`).
fn refusal(current: Option<Community>, same: bool, members: i64) -> Option<JoinOutcome> {
    match current {
        Some(current) => Some(JoinOutcome::AlreadyJoined(current)),
        None if same => Some(JoinOutcome::Same),
        None if members > 0 => Some(JoinOutcome::HasMembers(members)),
        None => None,
    }
}

/// How long a request to join waits for the other side's moderators.
pub const REQUEST_WAITS: Duration = Duration::minutes(15);

/// Copies the members' own shelves onto the shelves of the communities they are joined to
/// (`$1`, or every one when NULL), for what leaving or a purge took away that another member
/// also has.
const RESTOCK: &str = "INSERT INTO shelves (community_id, article_id, added_by, added_at, via)
     SELECT co.joined_to, s.article_id, s.added_by, s.added_at, s.community_id
     FROM shelves s JOIN communities co ON co.id = s.community_id
     WHERE co.joined_to IS NOT NULL AND ($1 IS NULL OR co.joined_to = $1) AND s.via IS NULL
     ON CONFLICT DO NOTHING";

/// Used codes are kept this long past their expiry (so a late try says "used", not
/// "unknown"), then deleted.
const CODES_KEPT: Duration = Duration::days(1);

impl Store {
    /// Keeps a new link code (only its hash) for community `community_id`, valid until
    /// `expires_at`; codes long expired are deleted.
    pub async fn issue_link_code(
        &self,
        community_id: i64,
        code_hash: &str,
        issued_by: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let stale = self.pool.earlier("expires_at", "$1");
        on!(&self.pool, pool => sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM link_codes WHERE {stale}")))
            .bind(now - CODES_KEPT)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        on!(&self.pool, pool => sqlx::query(
            "INSERT INTO link_codes (code_hash, community_id, issued_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(code_hash)
        .bind(community_id)
        .bind(issued_by)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Community `joining` (its own row) uses the code with this hash: when the code is good
    /// and both sides may, it asks to join the code's community, whose moderators then accept
    /// ([`Store::accept_link`]); the code is used up in the same transaction. A good code is
    /// used up by a refused try too (the same community, one joined already, one others
    /// joined). The outcome says why. Two steps, because a code may have been seen by others
    /// (Matrix has no private replies): the side that gave it sees who asks before anything
    /// of its own is shared.
    pub async fn join_by_code(
        &self,
        code_hash: &str,
        joining: i64,
        now: DateTime<Utc>,
    ) -> Result<JoinOutcome> {
        type Code = (i64, DateTime<Utc>, Option<DateTime<Utc>>);
        type Row = (Option<i64>, Option<DateTime<Utc>>);
        Ok(on!(&self.pool, pool => {
            // The channels' lock: no channel is created under the joining community while its
            // channels move.
            let mut tx = pool.begin_write(Lock::Channels).await?;
            let code: Option<Code> = sqlx::query_as(
                "SELECT community_id, expires_at, used_at FROM link_codes WHERE code_hash = $1",
            )
            .bind(code_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((main, expires_at, used_at)) = code else {
                return Ok(JoinOutcome::Unknown);
            };
            if used_at.is_some() {
                return Ok(JoinOutcome::Used);
            }
            if expires_at <= now {
                return Ok(JoinOutcome::Expired);
            }
            let (main_joined, main_left): Row =
                sqlx::query_as("SELECT joined_to, left_at FROM communities WHERE id = $1")
                    .bind(main)
                    .fetch_one(&mut *tx)
                    .await?;
            if main_joined.is_some() || main_left.is_some() {
                return Ok(JoinOutcome::Unknown);
            }
            // Used from here on, whatever the answer: a code shown in a room (Matrix has no
            // private replies) or typed there in vain must not stay open to whoever else
            // moderates a room or server.
            sqlx::query("UPDATE link_codes SET used_at = $1, used_by = $2 WHERE code_hash = $3")
                .bind(now)
                .bind(joining)
                .bind(code_hash)
                .execute(&mut *tx)
                .await?;
            let current: Option<Community> = sqlx::query_as(JOINED_TO)
                .bind(joining)
                .fetch_optional(&mut *tx)
                .await?;
            let members: i64 = sqlx::query_scalar(MEMBERS)
                .bind(joining)
                .fetch_one(&mut *tx)
                .await?;
            if let Some(refused) = refusal(current, main == joining, members) {
                tx.commit().await?;
                return Ok(refused);
            }
            sqlx::query("UPDATE link_codes SET requested = TRUE WHERE code_hash = $1")
                .bind(code_hash)
                .execute(&mut *tx)
                .await?;
            let main: Community = sqlx::query_as(COMMUNITY)
                .bind(main)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            JoinOutcome::Asked(main)
        }))
    }

    /// The communities whose request to join `main` waits for its moderators, oldest first.
    pub async fn link_requests(&self, main: i64, now: DateTime<Utc>) -> Result<Vec<Community>> {
        let fresh = self.pool.earlier("$2", "l.used_at");
        Ok(
            on!(&self.pool, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT co.id, co.platform, co.external_id, co.name FROM link_codes l
             JOIN communities co ON co.id = l.used_by
             WHERE l.community_id = $1 AND l.accepted_at IS NULL AND l.requested AND {fresh}
             ORDER BY l.used_at, co.id",
        )))
        .bind(main)
        .bind(now - REQUEST_WAITS)
        .fetch_all(pool)
        .await)?,
        )
    }

    /// `main`'s moderators accept the request of community `joining` (its own row): when it
    /// asked within [`REQUEST_WAITS`] and may still join, it joins `main`.
    pub async fn accept_link(
        &self,
        main: i64,
        joining: i64,
        now: DateTime<Utc>,
    ) -> Result<AcceptOutcome> {
        type Row = (Option<i64>, Option<DateTime<Utc>>);
        let fresh = self.pool.earlier("$3", "used_at");
        Ok(on!(&self.pool, pool => {
            // The channels' lock: no channel is created under the joining community while its
            // channels move.
            let mut tx = pool.begin_write(Lock::Channels).await?;
            let asked: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM link_codes WHERE community_id = $1 AND used_by = $2
                 AND accepted_at IS NULL AND requested AND {fresh}",
            )))
            .bind(main)
            .bind(joining)
            .bind(now - REQUEST_WAITS)
            .fetch_one(&mut *tx)
            .await?;
            let (main_joined, main_left): Row =
                sqlx::query_as("SELECT joined_to, left_at FROM communities WHERE id = $1")
                    .bind(main)
                    .fetch_one(&mut *tx)
                    .await?;
            if asked == 0 || main_joined.is_some() || main_left.is_some() {
                return Ok(AcceptOutcome::NoRequest);
            }
            // What may have changed since it asked.
            let current: Option<Community> = sqlx::query_as(JOINED_TO)
                .bind(joining)
                .fetch_optional(&mut *tx)
                .await?;
            let members: i64 = sqlx::query_scalar(MEMBERS)
                .bind(joining)
                .fetch_one(&mut *tx)
                .await?;
            if let Some(refused) = refusal(current, false, members) {
                return Ok(AcceptOutcome::Refused(refused));
            }
            sqlx::query("UPDATE communities SET joined_to = $1, joined_at = $2 WHERE id = $3")
                .bind(main)
                .bind(now)
                .bind(joining)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE channels SET community_id = $1 WHERE community_id = $2")
                .bind(main)
                .bind(joining)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO shelves (community_id, article_id, added_by, added_at, via)
                 SELECT $1, article_id, added_by, added_at, $2 FROM shelves WHERE community_id = $2
                 ON CONFLICT DO NOTHING",
            )
            .bind(main)
            .bind(joining)
            .execute(&mut *tx)
            .await?;
            // Its pages would show what it no longer reads alone; the community it joined
            // decides about the web from now on. Its own codes would bring others in through
            // it, whom the community it joined never agreed to.
            sqlx::query("DELETE FROM web_publications WHERE community_id = $1")
                .bind(joining)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM link_codes WHERE community_id = $1 AND used_at IS NULL")
                .bind(joining)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE link_codes SET accepted_at = $1
                 WHERE community_id = $2 AND used_by = $3 AND accepted_at IS NULL",
            )
            .bind(now)
            .bind(main)
            .bind(joining)
            .execute(&mut *tx)
            .await?;
            let joined: Community = sqlx::query_as(COMMUNITY)
                .bind(joining)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            AcceptOutcome::Joined(joined)
        }))
    }

    /// Community `joined` (its own row) is independent again: its channels, and the copies of
    /// its shelf, leave the community it was joined to. Returns that community, or `None`
    /// when it was not joined to any.
    pub async fn unlink(&self, joined: i64) -> Result<Option<Community>> {
        let main = on!(&self.pool, pool => {
            let mut tx = pool.begin_write(Lock::Channels).await?;
            let main: Option<Option<i64>> =
                sqlx::query_scalar("SELECT joined_to FROM communities WHERE id = $1")
                    .bind(joined)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(main) = main.flatten() else {
                return Ok(None);
            };
            sqlx::query("UPDATE communities SET joined_to = NULL, joined_at = NULL WHERE id = $1")
                .bind(joined)
                .execute(&mut *tx)
                .await?;
            // A note one side's moderator wrote on the other side's message stays with neither.
            sqlx::query(
                "DELETE FROM pins WHERE pinned_in IS NOT NULL AND message_id IN (
                     SELECT m.id FROM messages m
                     JOIN discussions d ON d.id = m.discussion_id
                     JOIN channels c ON c.id = d.channel_id
                     WHERE c.community_id = $2
                       AND ((c.home_id = $1 AND pins.pinned_in <> $1)
                         OR (c.home_id <> $1 AND pins.pinned_in = $1)))",
            )
            .bind(joined)
            .bind(main)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE channels SET community_id = $1 WHERE home_id = $1")
                .bind(joined)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM shelves WHERE community_id = $1 AND via = $2")
                .bind(main)
                .bind(joined)
                .execute(&mut *tx)
                .await?;
            sqlx::query(RESTOCK)
                .bind(Some(main))
                .execute(&mut *tx)
                .await?;
            let main: Community = sqlx::query_as(COMMUNITY)
            .bind(main)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            main
        });
        Ok(Some(main))
    }

    /// Copies members' own shelves onto the shelves of the communities they are joined to
    /// (`main`'s, or all), restoring what a purge took with a departed member's copies.
    pub(super) async fn restock_shelves(&self, main: Option<i64>) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(RESTOCK)
            .bind(main)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The communities joined to `main`, in the order they joined.
    pub async fn linked(&self, main: i64) -> Result<Vec<Community>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT id, platform, external_id, name FROM communities WHERE joined_to = $1
             ORDER BY joined_at, id",
        )
        .bind(main)
        .fetch_all(pool)
        .await)?)
    }
}
