//! What one community may take of the bot (feeds followed, pages ingested per hour,
//! discussions open), and what happens when the bot is removed from it: its data is kept for
//! a grace period, then purged.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::{Bot, Failure, Platform, user_error};
use crate::store::StoreError;

/// Days a handled event id is remembered.
pub const HANDLED_EVENTS_DAYS: i64 = 30;

/// Per-community limits; each refusal names the variable that raises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommunityLimits {
    /// Feeds a community's channels may follow (`READINGROOM_MAX_FEEDS`).
    pub feeds: u32,
    /// Pages its members, moderators too, may ingest per hour (`READINGROOM_INGESTS_PER_HOUR`).
    pub ingests_per_hour: u32,
    /// Discussions its channels may hold (`READINGROOM_MAX_DISCUSSIONS`).
    pub discussions: u32,
    /// How long a community's data outlives the bot's removal (`READINGROOM_PURGE_AFTER_DAYS`;
    /// zero purges at once).
    pub purge_after: Duration,
}

impl Default for CommunityLimits {
    fn default() -> Self {
        Self {
            feeds: 50,
            ingests_per_hour: 60,
            discussions: 1000,
            purge_after: Duration::days(30),
        }
    }
}

/// When each community last ingested, for the hourly limit.
#[derive(Debug, Default)]
pub(crate) struct IngestLog(Mutex<HashMap<i64, VecDeque<DateTime<Utc>>>>);

impl Bot {
    /// Refuses a new feed when the community follows its limit already.
    pub(crate) async fn may_follow_feed(&self, community_id: i64) -> Result<(), Failure> {
        let limit = self.limits.feeds;
        if self.store().feeds_followed(community_id).await? >= i64::from(limit) {
            return Err(user_error(format!(
                "This community follows {limit} feeds already, the most it may. Remove one first, or ask the operator to raise READINGROOM_MAX_FEEDS."
            )));
        }
        Ok(())
    }

    /// Refuses a new discussion when the community holds its limit already.
    pub(crate) async fn may_open_discussion(&self, community_id: i64) -> Result<(), Failure> {
        let limit = self.limits.discussions;
        if self.store().discussions_open(community_id).await? >= i64::from(limit) {
            return Err(user_error(format!(
                "This community has {limit} discussions, the most it may. Ask the operator to raise READINGROOM_MAX_DISCUSSIONS."
            )));
        }
        Ok(())
    }

    /// Counts one ingestion, or refuses it when the community has used its hour.
    pub(crate) fn may_ingest(&self, community_id: i64) -> Result<(), Failure> {
        let limit = self.limits.ingests_per_hour;
        let now = self.now();
        let mut log = self
            .ingests
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let recent = log.entry(community_id).or_default();
        while recent
            .front()
            .is_some_and(|t| *t <= now - Duration::hours(1))
        {
            recent.pop_front();
        }
        if recent.len() >= limit as usize {
            let wait = recent
                .front()
                .map_or(0, |t| (*t + Duration::hours(1) - now).num_minutes() + 1);
            return Err(user_error(format!(
                "This community has added {limit} pages in the last hour, the most it may. Try again in {wait} min, or ask the operator to raise READINGROOM_INGESTS_PER_HOUR."
            )));
        }
        recent.push_back(now);
        Ok(())
    }

    /// The bot was removed from a community: its data goes after the grace period (at once
    /// when that is zero), unless the bot is back before.
    pub async fn community_left(
        &self,
        platform: Platform,
        community: &str,
    ) -> Result<(), StoreError> {
        let now = self.now();
        if self
            .store()
            .community_left(platform.as_str(), community, now)
            .await?
        {
            tracing::info!(target: "audit", platform = platform.as_str(), community, purge_after_days = self.limits.purge_after.num_days(), "removed from a community");
        }
        if self.limits.purge_after <= Duration::zero() {
            self.purge(now).await?;
        }
        Ok(())
    }

    /// The bot is in a community (again): a pending purge is called off.
    pub async fn community_joined(
        &self,
        platform: Platform,
        community: &str,
        name: Option<&str>,
    ) -> Result<(), StoreError> {
        let store = self.store();
        store
            .community(platform.as_str(), community, name, self.now())
            .await?;
        store.community_back(platform.as_str(), community).await
    }

    /// The platform says these channels belong to `community`: any of them still under a
    /// stand-in from before communities moves there, shelf and all. Returns how many moved.
    pub async fn adopt_channels(
        &self,
        platform: Platform,
        community: &str,
        channels: &[String],
    ) -> Result<u64, StoreError> {
        let store = self.store();
        let home = store
            .community(platform.as_str(), community, None, self.now())
            .await?;
        let mut moved = 0;
        for channel in channels {
            if store.is_stand_in(platform.as_str(), channel).await? {
                store
                    .channel(platform.as_str(), channel, None, home.own_id(), self.now())
                    .await?;
                moved += 1;
            }
        }
        if moved > 0 {
            tracing::info!(
                platform = platform.as_str(),
                community,
                moved,
                "channels from before communities moved to their community"
            );
        }
        Ok(moved)
    }

    /// Purges the communities left longer ago than the grace period.
    pub async fn purge(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let purged = self
            .store()
            .purge_left(now - self.limits.purge_after)
            .await?;
        if purged > 0 {
            tracing::info!(target: "audit", purged, "communities purged after the bot left them");
        }
        // Handled event ids are kept only as long as a platform might deliver an event again.
        let pruned = self
            .store()
            .prune_handled(now - Duration::days(HANDLED_EVENTS_DAYS))
            .await?;
        if pruned > 0 {
            tracing::debug!(pruned, "old handled event ids forgotten");
        }
        Ok(purged)
    }
}
