//! Bookkeeping for platform adapters: durable state such as sync tokens, and the set of events
//! already handled, which makes redelivery harmless.

use chrono::{DateTime, Utc};

use super::{Result, Store};

impl Store {
    /// A saved value, if any.
    pub async fn state(&self, platform: &str, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM platform_state WHERE platform = ? AND key = ?")
                .bind(platform)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Saves a value.
    pub async fn set_state(&self, platform: &str, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO platform_state (platform, key, value) VALUES (?, ?, ?)
             ON CONFLICT (platform, key) DO UPDATE SET value = excluded.value",
        )
        .bind(platform)
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether this event was handled already.
    pub async fn was_handled(&self, platform: &str, event_id: &str) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) > 0 FROM handled_events WHERE platform = ? AND event_id = ?",
        )
        .bind(platform)
        .bind(event_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Forgets handled event ids older than `before`: an event that old is not delivered again.
    pub async fn prune_handled(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM handled_events WHERE handled_at < ?")
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Notes that this event was handled.
    pub async fn mark_handled(
        &self,
        platform: &str,
        event_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO handled_events (platform, event_id, handled_at) VALUES (?, ?, ?)
             ON CONFLICT DO NOTHING",
        )
        .bind(platform)
        .bind(event_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
