//! Catch-up on Discord: when the gateway opens a new session (the bot started, or a resume
//! failed), what was said in tracked threads while the bot was away is read over REST and
//! recorded through the core, as live events would have been.
//!
//! For each guild of the session: the tracked threads (from the store) that Discord lists as
//! active, or as archived within `READINGROOM_CATCHUP_DAYS`, with activity in that window.
//! Each is read oldest first, 100 per page, from the last message recorded before the session
//! began (live messages may be recorded first), and what is missing is recorded with its reply
//! parents. Then, budget permitting, the messages recorded within the window are read again:
//! newer edits (`edited_timestamp`) are applied, and recorded messages Discord no longer
//! returns are marked deleted. Every REST page counts against one budget per start
//! (`READINGROOM_CATCHUP_PAGES`); when it runs out the rest is left and the guild's catch-up
//! says it was cut short. Serenity's HTTP client keeps to Discord's rate limits. It runs in its
//! own task, and live events meanwhile go through the same core path, where a second recording
//! of a message changes nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serenity::all::{ChannelId, GuildChannel, GuildId, Message, MessageId, MessageType};
use serenity::http::{Http, LightMethod, MessagePagination, Request, Route};
use serenity::model::channel::ThreadsData;

use super::DiscordCore;
use super::events::posted;
use crate::bot::{CatchUp, Platform};
use crate::store::{RecordedMessage, TrackedThread};

/// Discord's page size for messages and archived threads.
const PAGE: u8 = 100;

/// Discord's epoch (2015-01-01T00:00:00Z), in milliseconds since the Unix epoch.
const DISCORD_EPOCH_MS: i64 = 1_420_070_400_000;

/// REST pages left for this start.
struct Budget(u32);

impl Budget {
    /// Takes a page; `false` when none is left.
    fn take(&mut self) -> bool {
        let left = self.0 > 0;
        self.0 = self.0.saturating_sub(1);
        left
    }
}

/// Catches up on every guild of a new session, one after another, on one budget.
pub(super) async fn run(
    core: DiscordCore,
    http: Arc<Http>,
    guilds: Vec<GuildId>,
    session_start: DateTime<Utc>,
) {
    let limits = core.config.catch_up;
    if limits.days == 0 {
        return;
    }
    // Two sessions in quick succession: the second waits and then finds little to do.
    let _one_at_a_time = core.catching_up.lock().await;
    let window_start = core.bot.now() - chrono::Duration::days(i64::from(limits.days));
    let mut budget = Budget(limits.pages);
    for guild in guilds {
        let community = guild.get().to_string();
        let outcome = async {
            let mut run = core
                .bot
                .catch_up(Platform::Discord, &community, session_start)
                .await?;
            catch_up_guild(&mut run, &http, guild, window_start, &mut budget).await?;
            run.finish().await?;
            anyhow::Ok(())
        }
        .await;
        if let Err(error) = outcome {
            tracing::error!(%guild, "catching up failed: {error:#}");
        }
    }
}

async fn catch_up_guild(
    run: &mut CatchUp,
    http: &Http,
    guild: GuildId,
    window_start: DateTime<Utc>,
    budget: &mut Budget,
) -> anyhow::Result<()> {
    let tracked = run.tracked_threads().await?;
    if tracked.is_empty() {
        return Ok(());
    }
    let Some(threads) = threads_to_read(run, http, guild, &tracked, window_start, budget).await?
    else {
        run.cut_short();
        return Ok(());
    };
    let community = guild.get().to_string();
    let window = snowflake_at(window_start);
    // First what is missing, in every thread: holes matter more than edits. Then, budget
    // permitting, the window's recorded messages are checked for edits and deletions.
    let mut checks = Vec::new();
    for thread in threads {
        let Some(record) = run.thread(&thread.get().to_string()).await? else {
            continue;
        };
        run.thread_read();
        let last = record
            .last
            .as_ref()
            .and_then(|m| m.platform_id.parse::<u64>().ok());
        let from = last.unwrap_or(thread.get());
        let reading = read(
            run,
            http,
            thread,
            &community,
            from,
            None,
            &BTreeMap::new(),
            budget,
        )
        .await?;
        if reading.out_of_budget {
            run.cut_short();
            return Ok(());
        }
        checks.push((thread, record));
    }
    for (thread, record) in checks {
        let since = *MessageId::new(window.max(1)).created_at() - chrono::Duration::seconds(1);
        let known: BTreeMap<u64, RecordedMessage> = run
            .recorded_since(&record, since)
            .await?
            .into_iter()
            .filter_map(|m| Some((m.platform_id.parse::<u64>().ok()?, m)))
            .filter(|(id, _)| *id > window)
            .collect();
        // Up to the newest recorded: what lies beyond was read just now.
        let Some(&last) = known.keys().next_back() else {
            continue;
        };
        let reading = read(
            run,
            http,
            thread,
            &community,
            window,
            Some(last),
            &known,
            budget,
        )
        .await?;
        // Gone from Discord: deleted while the bot was away. Only what the pages covered
        // counts.
        for (id, stored) in &known {
            if !stored.deleted && !reading.seen.contains(id) && *id <= reading.covered {
                run.deleted(Some(&thread.get().to_string()), &id.to_string())
                    .await?;
            }
        }
        if reading.out_of_budget {
            run.cut_short();
            return Ok(());
        }
    }
    Ok(())
}

/// The tracked threads with activity since `window_start`, oldest first: those Discord lists
/// as active, and those archived since then. `None` when the budget ran out first.
async fn threads_to_read(
    run: &mut CatchUp,
    http: &Http,
    guild: GuildId,
    tracked: &[TrackedThread],
    window_start: DateTime<Utc>,
    budget: &mut Budget,
) -> anyhow::Result<Option<Vec<ChannelId>>> {
    let tracked_ids: HashMap<u64, &TrackedThread> = tracked
        .iter()
        .filter_map(|t| Some((t.thread.parse().ok()?, t)))
        .collect();
    let mut found = BTreeSet::new();
    if !budget.take() {
        return Ok(None);
    }
    let active = http.get_guild_active_threads(guild).await?;
    run.page_read();
    let mut listed = BTreeSet::new();
    for thread in &active.threads {
        listed.insert(thread.id.get());
        if tracked_ids.contains_key(&thread.id.get()) && last_activity(thread) >= window_start {
            found.insert(thread.id.get());
        }
    }
    // Archived threads are listed per channel; only channels with tracked threads not found
    // active are asked.
    let channels: BTreeSet<&str> = tracked_ids
        .iter()
        .filter(|(id, _)| !listed.contains(id))
        .map(|(_, t)| t.channel.as_str())
        .collect();
    for channel in channels {
        let Ok(channel) = channel.parse::<u64>() else {
            continue;
        };
        let mut before: Option<String> = None;
        loop {
            if !budget.take() {
                return Ok(None);
            }
            let page = archived_public_threads(http, ChannelId::new(channel), before).await;
            run.page_read();
            let page = match page {
                Ok(page) => page,
                Err(error) => {
                    // A channel the bot no longer sees (deleted, permissions taken away) has
                    // nothing to catch up on.
                    tracing::warn!(channel, "listing archived threads failed: {error:#}");
                    break;
                }
            };
            let mut oldest = None;
            for thread in &page.threads {
                let archived = archived_at(thread);
                if let Some(at) = archived {
                    oldest = Some(oldest.map_or(at, |o: DateTime<Utc>| o.min(at)));
                }
                if tracked_ids.contains_key(&thread.id.get())
                    && archived.is_some_and(|at| at >= window_start)
                {
                    found.insert(thread.id.get());
                }
            }
            match oldest {
                Some(oldest) if page.has_more && oldest >= window_start => {
                    before = Some(oldest.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
                }
                _ => break,
            }
        }
    }
    Ok(Some(found.into_iter().map(ChannelId::new).collect()))
}

/// `GET /channels/{id}/threads/archived/public`, with `before` as the ISO 8601 timestamp
/// Discord documents (serenity 0.12's helper sends a number there).
async fn archived_public_threads(
    http: &Http,
    channel_id: ChannelId,
    before: Option<String>,
) -> serenity::Result<ThreadsData> {
    let mut params = vec![("limit", PAGE.to_string())];
    if let Some(before) = before {
        params.push(("before", before));
    }
    let request = Request::new(
        Route::ChannelArchivedPublicThreads { channel_id },
        LightMethod::Get,
    )
    .params(Some(params));
    http.fire(request).await
}

/// When a thread was last active: its last message, or its creation.
fn last_activity(thread: &GuildChannel) -> DateTime<Utc> {
    let created = thread
        .thread_metadata
        .and_then(|m| m.create_timestamp)
        .unwrap_or_else(|| thread.id.created_at());
    let last = thread.last_message_id.map(|id| *id.created_at());
    last.map_or(*created, |last| last.max(*created))
}

fn archived_at(thread: &GuildChannel) -> Option<DateTime<Utc>> {
    thread
        .thread_metadata
        .and_then(|m| m.archive_timestamp)
        .map(|at| *at)
}

/// The smallest snowflake of `at`: messages after it were sent at `at` or later.
fn snowflake_at(at: DateTime<Utc>) -> u64 {
    let ms = (at.timestamp_millis() - DISCORD_EPOCH_MS).max(0);
    u64::try_from(ms).unwrap_or(0) << 22
}

/// What reading a stretch of a thread saw.
struct Reading {
    /// The ids Discord returned.
    seen: BTreeSet<u64>,
    /// Every message up to this id was returned (or is gone).
    covered: u64,
    /// The budget ran out before the stretch's end.
    out_of_budget: bool,
}

/// Reads `thread` oldest first from after message `from` up to message `until` (or its end),
/// a page of 100 at a time, handing each message to [`found`] with what is stored of it.
#[allow(clippy::too_many_arguments)]
async fn read(
    run: &mut CatchUp,
    http: &Http,
    thread: ChannelId,
    community: &str,
    from: u64,
    until: Option<u64>,
    known: &BTreeMap<u64, RecordedMessage>,
    budget: &mut Budget,
) -> anyhow::Result<Reading> {
    let mut reading = Reading {
        seen: BTreeSet::new(),
        covered: from,
        out_of_budget: false,
    };
    let mut after = from;
    loop {
        if !budget.take() {
            reading.out_of_budget = true;
            return Ok(reading);
        }
        let page = http
            .get_messages(
                thread,
                Some(MessagePagination::After(MessageId::new(after.max(1)))),
                Some(PAGE),
            )
            .await;
        run.page_read();
        let mut page = match page {
            Ok(page) => page,
            Err(error) => {
                // A thread deleted or closed to the bot meanwhile: nothing more to read there.
                tracing::warn!(%thread, "reading a thread's messages failed: {error:#}");
                return Ok(reading);
            }
        };
        // Discord answers newest first.
        page.sort_by_key(|m| m.id);
        let mut past_until = false;
        for message in &page {
            let id = message.id.get();
            if until.is_some_and(|until| id > until) {
                past_until = true;
                break;
            }
            reading.seen.insert(id);
            after = id;
            found(run, message, known.get(&id), community).await?;
        }
        if past_until || page.len() < usize::from(PAGE) {
            reading.covered = until.unwrap_or(u64::MAX);
            return Ok(reading);
        }
        reading.covered = after;
    }
}

/// A message Discord returned: recorded if missing, updated if edited since.
async fn found(
    run: &mut CatchUp,
    message: &Message,
    stored: Option<&RecordedMessage>,
    community: &str,
) -> anyhow::Result<()> {
    // As live: readers' messages only, not the bot's, nor system messages (the thread's
    // starter, pins, joins).
    if message.author.bot
        || !matches!(
            message.kind,
            MessageType::Regular | MessageType::InlineReply
        )
    {
        return Ok(());
    }
    match stored {
        None => {
            run.posted(posted(message, community.to_owned())).await?;
        }
        Some(stored) => {
            let Some(edited) = message.edited_timestamp.map(|t| *t) else {
                return Ok(());
            };
            if !stored.deleted && stored.edited_at.is_none_or(|at| at < edited) {
                let author = message.author.id.get().to_string();
                run.edited(
                    Some(&message.channel_id.get().to_string()),
                    &message.id.get().to_string(),
                    Some(&author),
                    message.content.clone(),
                    edited,
                )
                .await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_snowflake_of_a_time_orders_with_the_messages_of_that_time() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let id = snowflake_at(at);
        assert_eq!(*MessageId::new(id).created_at(), at);
        assert_eq!(
            *MessageId::new(id - 1).created_at(),
            at - chrono::Duration::milliseconds(1)
        );
        assert_eq!(snowflake_at(DateTime::<Utc>::UNIX_EPOCH), 0);
    }

    #[test]
    fn the_budget_stops_at_zero() {
        let mut budget = Budget(2);
        assert!(budget.take() && budget.take());
        assert!(!budget.take() && !budget.take());
    }
}
