//! Bookkeeping for platform adapters: durable state such as sync tokens, the set of events
//! already handled, which makes redelivery harmless, the events given up on, and encrypted
//! events waiting for their key.

use chrono::{DateTime, Utc};

use super::{Result, Store};

/// Events given up on in one community, for `/stats`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Failures {
    /// How many since the time asked about.
    pub count: i64,
    /// The latest one's reason and time.
    pub latest: Option<(String, DateTime<Utc>)>,
}

/// An encrypted event waiting for its room key.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WaitingEvent {
    /// The platform's id for it.
    pub event_id: String,
    /// The room it was sent in.
    pub room: String,
    /// The key session it needs, when the event names one.
    pub session_id: Option<String>,
    /// The event as received (JSON).
    pub raw: String,
    /// When the bot first saw it.
    pub first_seen: DateTime<Utc>,
}

impl Store {
    /// A saved value, if any.
    pub async fn state(&self, platform: &str, key: &str) -> Result<Option<String>> {
        Ok(
            on!(&self.pool, pool => sqlx::query_scalar("SELECT value FROM platform_state WHERE platform = $1 AND key = $2")
                .bind(platform)
                .bind(key)
                .fetch_optional(pool)
                .await)?,
        )
    }

    /// Saves a value.
    pub async fn set_state(&self, platform: &str, key: &str, value: &str) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(
            "INSERT INTO platform_state (platform, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (platform, key) DO UPDATE SET value = excluded.value",
        )
        .bind(platform)
        .bind(key)
        .bind(value)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Whether this event was handled already.
    pub async fn was_handled(&self, platform: &str, event_id: &str) -> Result<bool> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT count(*) > 0 FROM handled_events WHERE platform = $1 AND event_id = $2",
        )
        .bind(platform)
        .bind(event_id)
        .fetch_one(pool)
        .await)?)
    }

    /// Forgets handled event ids older than `before` (an event that old is not delivered again),
    /// and failures as old.
    pub async fn prune_handled(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(
            on!(&self.pool, pool => sqlx::query("DELETE FROM handled_events WHERE handled_at < $1")
                .bind(before)
                .execute(pool)
                .await.map(|r| r.rows_affected()))?
                + on!(&self.pool, pool => sqlx::query("DELETE FROM failed_events WHERE failed_at < $1")
                    .bind(before)
                    .execute(pool)
                    .await.map(|r| r.rows_affected()))?,
        )
    }

    /// Notes that this event was handled.
    pub async fn mark_handled(
        &self,
        platform: &str,
        event_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(
            "INSERT INTO handled_events (platform, event_id, handled_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(platform)
        .bind(event_id)
        .bind(at)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Gives up on an event: records why (for `/stats`) and marks it handled, in one
    /// transaction, so it is neither retried nor lost from view. It stops waiting for a key too.
    pub async fn event_failed(
        &self,
        platform: &str,
        event_id: &str,
        community_id: Option<i64>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on!(&self.pool, pool => async {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO failed_events (platform, event_id, community_id, reason, failed_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (platform, event_id) DO UPDATE SET
                     reason = excluded.reason, failed_at = excluded.failed_at",
            )
            .bind(platform)
            .bind(event_id)
            .bind(community_id)
            .bind(reason)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO handled_events (platform, event_id, handled_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(platform)
            .bind(event_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM waiting_events WHERE platform = $1 AND event_id = $2")
                .bind(platform)
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await)?;
        Ok(())
    }

    /// The events of a community, and of the communities joined to it, given up on since
    /// `since`.
    pub async fn failures(&self, community_id: i64, since: DateTime<Utc>) -> Result<Failures> {
        let count: i64 = on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT count(*) FROM failed_events WHERE failed_at >= $2
               AND community_id IN (SELECT id FROM communities WHERE id = $1 OR joined_to = $1)",
        )
        .bind(community_id)
        .bind(since)
        .fetch_one(pool)
        .await)?;
        let latest = on!(&self.pool, pool => sqlx::query_as(
            "SELECT reason, failed_at FROM failed_events WHERE failed_at >= $2
               AND community_id IN (SELECT id FROM communities WHERE id = $1 OR joined_to = $1)
             ORDER BY failed_at DESC LIMIT 1",
        )
        .bind(community_id)
        .bind(since)
        .fetch_optional(pool)
        .await)?;
        Ok(Failures { count, latest })
    }

    /// Keeps an encrypted event until its key arrives. Seen again (a sync replayed after a
    /// restart), it keeps its first sighting, so the wait is not restarted.
    pub async fn wait_for_key(&self, platform: &str, event: &WaitingEvent) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(
            "INSERT INTO waiting_events (platform, event_id, room, session_id, raw, first_seen)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(platform)
        .bind(&event.event_id)
        .bind(&event.room)
        .bind(&event.session_id)
        .bind(&event.raw)
        .bind(event.first_seen)
        .execute(pool)
        .await.map(drop))?;
        Ok(())
    }

    /// Encrypted events still waiting: those of one key session, or all of them.
    pub async fn waiting(
        &self,
        platform: &str,
        session: Option<&str>,
    ) -> Result<Vec<WaitingEvent>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT event_id, room, session_id, raw, first_seen FROM waiting_events
             WHERE platform = $1 AND ($2 IS NULL OR session_id = $2) ORDER BY first_seen",
        )
        .bind(platform)
        .bind(session)
        .fetch_all(pool)
        .await)?)
    }

    /// An encrypted event no longer waits (it was decrypted and handed on).
    pub async fn stop_waiting(&self, platform: &str, event_id: &str) -> Result<()> {
        on!(&self.pool, pool => sqlx::query(
            "DELETE FROM waiting_events WHERE platform = $1 AND event_id = $2",
        )
        .bind(platform)
        .bind(event_id)
        .execute(pool)
        .await.map(drop))?;
        Ok(())
    }
}
