//! Who this process is when it claims shared work, and for how long: several `readingroom run`
//! processes on one PostgreSQL each take a digest due, a feed to poll or a post owed only
//! after claiming it (`Store::claim`), so each item is done once, and a crashed process's
//! claims lapse after the lease and are taken over. With SQLite (one process) the same claims
//! are simply always granted.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::{Store, StoreError};

/// How long a claim lasts unless renewed, by default.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// This process's name as a lease holder, and its lease time; cheap to clone.
#[derive(Debug, Clone)]
pub struct Claims {
    holder: Arc<str>,
    lease: chrono::Duration,
}

impl Default for Claims {
    fn default() -> Self {
        Self::new(DEFAULT_LEASE)
    }
}

impl Claims {
    /// Claims lasting `lease`, held under a name unique to this process (its pid and a random
    /// number, so a restarted process with a recycled pid is someone else).
    pub fn new(lease: Duration) -> Self {
        let holder = format!("{}-{:08x}", std::process::id(), fastrand::u32(..));
        Self::named(&holder, lease)
    }

    /// Claims under a given holder name (tests play several processes in one).
    pub fn named(holder: &str, lease: Duration) -> Self {
        Self {
            holder: holder.into(),
            lease: chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60)),
        }
    }

    /// The holder name.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// The lease time.
    pub fn lease(&self) -> Duration {
        self.lease.to_std().unwrap_or(DEFAULT_LEASE)
    }

    /// Takes or renews `name` at `now`; `false` when another process holds it.
    pub async fn take(
        &self,
        store: &Store,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        store.claim(name, &self.holder, now, now + self.lease).await
    }

    /// Gives `name` up once its work is done.
    pub async fn done(&self, store: &Store, name: &str) -> Result<(), StoreError> {
        store.release(name, &self.holder).await
    }
}
