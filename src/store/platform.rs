//! Bookkeeping for platform adapters: durable state such as sync tokens, and the set of events
//! already handled, which makes redelivery harmless.

use chrono::{DateTime, Utc};

use super::{Result, Store};

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

    /// Forgets handled event ids older than `before`: an event that old is not delivered again.
    pub async fn prune_handled(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(
            on!(&self.pool, pool => sqlx::query("DELETE FROM handled_events WHERE handled_at < $1")
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
}
