//! Catch-up on Discord: when the gateway opens a new session (the bot started, or a resume
//! failed), what was said in tracked threads while the bot was away is read over REST and
//! recorded through the core, as live events would have been.
//!
//! For each guild of the session: the tracked threads (from the store) that Discord lists as
//! active, or as archived within `READINGROOM_CATCHUP_DAYS`, with activity in that window.
//! Each is read oldest first from the last recorded message (or from the window's start,
//! whichever is earlier, so that recorded messages in the window are checked too), 100 per
//! page: missing messages are recorded with their reply parents, newer edits applied, and
//! recorded messages Discord no longer returns are marked deleted. Every REST page counts
//! against one budget per start (`READINGROOM_CATCHUP_PAGES`); when it runs out the rest is
//! left and the guild's catch-up says it was cut short. Serenity's HTTP client keeps to
//! Discord's rate limits. It runs in its own task, and live events meanwhile go through the
//! same core path, where a second recording of a message changes nothing.

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
pub(super) async fn run(core: DiscordCore, http: Arc<Http>, guilds: Vec<GuildId>) {
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
            let mut run = core.bot.catch_up(Platform::Discord, &community).await?;
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
    for thread in threads {
        if !catch_up_thread(run, http, guild, thread, window_start, budget).await? {
            run.cut_short();
            break;
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

/// Reads one thread; `false` when the budget ran out before its end.
async fn catch_up_thread(
    run: &mut CatchUp,
    http: &Http,
    guild: GuildId,
    thread: ChannelId,
    window_start: DateTime<Utc>,
    budget: &mut Budget,
) -> anyhow::Result<bool> {
    let name = thread.get().to_string();
    let Some(record) = run.thread(&name).await? else {
        return Ok(true);
    };
    // From the last recorded message, or from the window's start when that is earlier, so
    // that recorded messages in the window are checked for edits and deletions too.
    let window = snowflake_at(window_start);
    let mut after = match record
        .last
        .as_ref()
        .and_then(|m| m.platform_id.parse().ok())
    {
        Some(last) => window.min(last),
        None => thread.get(),
    };
    let since = *MessageId::new(after.max(1)).created_at() - chrono::Duration::seconds(1);
    let known: BTreeMap<u64, RecordedMessage> = run
        .recorded_since(&record, since)
        .await?
        .into_iter()
        .filter_map(|m| Some((m.platform_id.parse::<u64>().ok()?, m)))
        .filter(|(id, _)| *id > after)
        .collect();
    let (mut seen, mut complete) = (BTreeSet::new(), false);
    let community = guild.get().to_string();
    run.thread_read();
    while budget.take() {
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
                tracing::warn!(thread = %thread, "reading a thread's messages failed: {error:#}");
                return Ok(true);
            }
        };
        // Discord answers newest first.
        page.sort_by_key(|m| m.id);
        let full = page.len() == usize::from(PAGE);
        for message in &page {
            seen.insert(message.id.get());
            after = after.max(message.id.get());
            found(run, message, known.get(&message.id.get()), &community).await?;
        }
        if !full {
            complete = true;
            break;
        }
    }
    // Gone from Discord: deleted while the bot was away. Only what the pages covered counts.
    for (id, stored) in &known {
        if !stored.deleted && !seen.contains(id) && (complete || *id <= after) {
            run.deleted(Some(&name), &id.to_string()).await?;
        }
    }
    Ok(complete)
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
