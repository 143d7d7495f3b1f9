//! Leases: how several processes on one database share out work. A lease is a name (a digest
//! due, a feed to poll, a post owed, the Matrix connection) held by one process until it
//! expires; its holder renews it by claiming it again, and anyone may take it once it lapsed,
//! so a crashed holder's work is taken over within the lease time.
//!
//! A claim is one statement, the same on both backends: an insert that, on conflict, takes the
//! row only when it is the caller's or has expired. PostgreSQL makes a second concurrent claim
//! of the same name wait for the first to commit and then re-check the condition against the
//! committed row, so exactly one claimant gets it (what `FOR UPDATE SKIP LOCKED` gives a queue,
//! without a row per item to lock in advance); SQLite has one writer.

use chrono::{DateTime, Utc};

use super::{Result, Store};

impl Store {
    /// Takes (or, for its holder, renews) lease `name` until `until`; `false` when another
    /// holder has it and it has not expired at `now`.
    pub async fn claim(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let taken: Option<String> = on!(&self.pool, pool => sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                 expires_at = excluded.expires_at
             WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(until)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        Ok(taken.is_some())
    }

    /// Gives lease `name` up, if `holder` has it.
    pub async fn release(&self, name: &str, holder: &str) -> Result<()> {
        on!(&self.pool, pool => sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Who holds lease `name` at `now`, if anyone.
    pub async fn lease_holder(&self, name: &str, now: DateTime<Utc>) -> Result<Option<String>> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT holder FROM leases WHERE name = $1 AND expires_at > $2",
        )
        .bind(name)
        .bind(now)
        .fetch_optional(pool)
        .await)?)
    }

    /// Every unexpired lease whose name starts with `prefix`, with its holder, by name.
    pub async fn leases(&self, prefix: &str, now: DateTime<Utc>) -> Result<Vec<(String, String)>> {
        Ok(on!(&self.pool, pool => sqlx::query_as(
            "SELECT name, holder FROM leases WHERE substr(name, 1, length($1)) = $1
             AND expires_at > $2 ORDER BY name",
        )
        .bind(prefix)
        .bind(now)
        .fetch_all(pool)
        .await)?)
    }

    /// Whether the post of `entry_id` to `channel_id` is still owed at `now` (not delivered,
    /// not set aside, not waiting for a retry): checked again once a delivery is claimed,
    /// since another process may have sent it after this one listed it.
    pub async fn delivery_owed(
        &self,
        entry_id: i64,
        channel_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(on!(&self.pool, pool => sqlx::query_scalar(
            "SELECT count(*) > 0 FROM deliveries WHERE entry_id = $1 AND channel_id = $2
             AND delivered_at IS NULL AND failed_at IS NULL
             AND (next_attempt_at IS NULL OR next_attempt_at <= $3)",
        )
        .bind(entry_id)
        .bind(channel_id)
        .bind(now)
        .fetch_one(pool)
        .await)?)
    }
}
