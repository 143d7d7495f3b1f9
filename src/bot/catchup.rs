//! Catching up on what was said while the bot was away (a restart, a deploy, a gateway session
//! that could not be resumed, a Matrix sync that came back `limited`).
//!
//! A platform reads its history its own way; what it finds goes through the same core path as
//! live events ([`Bot::message_posted`], [`Bot::message_changed`]), so deduplication by platform
//! id, the race rule and the community checks hold, and a live event arriving during a catch-up
//! is harmless. A [`CatchUp`] is one community's run: it counts what it recorded, updated and
//! marked deleted, and [`CatchUp::finish`] keeps the result for `/stats` and logs it for the
//! operator.

use std::time::Instant;

use chrono::{DateTime, Utc};

use super::{Bot, Change, Changed, Platform, Posted};
use crate::store::{CatchUpRecord, RecordedMessage, Scope, StoreError, TrackedThread};

/// One community's catch-up in progress.
#[derive(Debug)]
pub struct CatchUp {
    bot: Bot,
    platform: Platform,
    community: String,
    community_id: i64,
    /// Messages sent from this time on may have come live: not where reading resumes.
    resume_before: DateTime<Utc>,
    started: Instant,
    record: CatchUpRecord,
}

/// A tracked thread as the store has it: the discussion it carries and its last recorded
/// message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRecord {
    /// The discussion's row id.
    pub discussion_id: i64,
    /// The last message recorded in it that was sent before the session began (less a margin
    /// for clocks), if any: where reading resumes. A message that came live since is not it,
    /// or what was said while the bot was away, before it, would be skipped.
    pub last: Option<RecordedMessage>,
}

/// How far the platform's clock (which dates messages) and the bot's may disagree.
const CLOCK_MARGIN: chrono::Duration = chrono::Duration::seconds(60);

impl Bot {
    /// Starts a catch-up of `community` (a Discord guild, a Matrix room) for the platform
    /// session (connection, sync) that began at `session_start`: live events may have been
    /// recorded since, and reading resumes before them.
    pub async fn catch_up(
        &self,
        platform: Platform,
        community: &str,
        session_start: DateTime<Utc>,
    ) -> Result<CatchUp, StoreError> {
        let now = self.now();
        let stored = self
            .store()
            .community(platform.as_str(), community, None, now)
            .await?;
        Ok(CatchUp {
            bot: self.clone(),
            platform,
            community: community.to_owned(),
            // Its own: the threads it reads are its own channels', wherever they are read.
            community_id: stored.own_id(),
            resume_before: session_start - CLOCK_MARGIN,
            started: Instant::now(),
            record: CatchUpRecord {
                ran_at: now,
                duration: std::time::Duration::ZERO,
                threads: 0,
                pages: 0,
                recorded: 0,
                updated: 0,
                deleted: 0,
                cut_short: false,
            },
        })
    }
}

impl CatchUp {
    /// The threads carrying a discussion in this community.
    pub async fn tracked_threads(&self) -> Result<Vec<TrackedThread>, StoreError> {
        self.bot
            .store()
            .tracked_threads(self.platform.as_str(), self.community_id)
            .await
    }

    /// The discussion `thread` carries in this community and its last recorded message;
    /// `None` when it carries none here.
    pub async fn thread(&self, thread: &str) -> Result<Option<ThreadRecord>, StoreError> {
        let store = self.bot.store();
        let Some(discussion) = store
            .discussion_by_thread(self.platform.as_str(), thread, Some(&self.community))
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(ThreadRecord {
            discussion_id: discussion.id,
            last: store
                .last_recorded(discussion.id, self.resume_before)
                .await?,
        }))
    }

    /// The messages recorded in a thread that were sent at or after `since`, oldest first,
    /// deleted ones included: what the platform's history is compared with.
    pub async fn recorded_since(
        &self,
        thread: &ThreadRecord,
        since: DateTime<Utc>,
    ) -> Result<Vec<RecordedMessage>, StoreError> {
        self.bot
            .store()
            .recorded_since(thread.discussion_id, since)
            .await
    }

    /// A message found in a thread's history; returns whether this catch-up recorded it (it
    /// was missing). One already recorded, by a live event or an earlier catch-up, is left as
    /// it is.
    pub async fn posted(&mut self, posted: Posted) -> Result<bool, StoreError> {
        let known = self
            .bot
            .store()
            .message_by_platform_id(Scope::Operator, self.platform.as_str(), &posted.id)
            .await?
            .is_some();
        if known {
            return Ok(false);
        }
        let recorded = self.bot.message_posted(posted).await?.is_some();
        self.record.recorded += u64::from(recorded);
        Ok(recorded)
    }

    /// A message found with text edited at `at`; applied (and counted) only when newer than
    /// the stored edit. `thread` is where it is, where the platform says.
    pub async fn edited(
        &mut self,
        thread: Option<&str>,
        id: &str,
        sender: Option<&str>,
        body: String,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.change(thread, id, sender, Change::Edit(body), at)
            .await
            .inspect(|&applied| self.record.updated += u64::from(applied))
    }

    /// A recorded message the platform no longer has: its text is forgotten, as a live
    /// deletion does. Returns whether it was marked now (not already).
    pub async fn deleted(&mut self, thread: Option<&str>, id: &str) -> Result<bool, StoreError> {
        self.change(thread, id, None, Change::Delete, self.bot.now())
            .await
            .inspect(|&applied| self.record.deleted += u64::from(applied))
    }

    async fn change(
        &self,
        thread: Option<&str>,
        id: &str,
        sender: Option<&str>,
        change: Change,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.bot
            .message_changed(Changed {
                platform: self.platform,
                community: &self.community,
                thread,
                id,
                sender,
                change,
                at,
            })
            .await
    }

    /// Counts what the platform recorded, updated and deleted through its own live path (Matrix
    /// hands the events it pages back to its ordinary event handling).
    pub fn tally(&mut self, recorded: u64, updated: u64, deleted: u64) {
        self.record.recorded += recorded;
        self.record.updated += updated;
        self.record.deleted += deleted;
    }

    /// One page of history was fetched.
    pub fn page_read(&mut self) {
        self.record.pages += 1;
    }

    /// One thread (or room) was read.
    pub fn thread_read(&mut self) {
        self.record.threads += 1;
    }

    /// The page budget ran out before everything was read.
    pub fn cut_short(&mut self) {
        self.record.cut_short = true;
    }

    /// The counts so far.
    pub fn record(&self) -> &CatchUpRecord {
        &self.record
    }

    /// Ends the catch-up: its result becomes the community's last catch-up (for `/stats`) and
    /// goes to the operator's log.
    pub async fn finish(mut self) -> Result<CatchUpRecord, StoreError> {
        self.record.duration = self.started.elapsed();
        let record = self.record;
        self.bot
            .store()
            .save_catch_up(self.community_id, &record)
            .await?;
        let (platform, community) = (self.platform.as_str(), &self.community);
        let secs = record.duration.as_secs_f64();
        let (threads, pages) = (record.threads, record.pages);
        let (recorded, updated, deleted) = (record.recorded, record.updated, record.deleted);
        if record.cut_short {
            tracing::warn!(platform, %community, threads, pages, recorded, updated, deleted, secs,
                "catch-up cut short by its page budget (READINGROOM_CATCHUP_PAGES)");
        } else {
            tracing::info!(platform, %community, threads, pages, recorded, updated, deleted, secs,
                "catch-up done");
        }
        Ok(record)
    }
}

/// The `/stats` line of a community's last catch-up.
pub(crate) fn describe(record: &CatchUpRecord) -> String {
    let mut line = format!(
        "Last catch-up {} (took {:.2} s, {} threads, {} pages): {} recorded, {} updated, {} marked deleted",
        record.ran_at.format("%Y-%m-%d %H:%M UTC"),
        record.duration.as_secs_f64(),
        record.threads,
        record.pages,
        record.recorded,
        record.updated,
        record.deleted,
    );
    line.push_str(if record.cut_short {
        "; cut short by its page budget (READINGROOM_CATCHUP_PAGES), the rest was not read."
    } else {
        "."
    });
    line
}
