//! The daily digest: when a channel's digest is due (in the channel's own time zone, DST
//! included), what goes in it, and the scheduler that posts it exactly once per local day.
//!
//! The scheduler is a tokio task driven by the bot's [`Clock`](crate::clock::Clock); tests call
//! [`Scheduler::run_once`] with the time they want. A run is recorded as posted only after the
//! platform confirmed the send; a failed send is recorded as failed and tried again on the next
//! tick; a day with nothing to say is recorded as empty and posts nothing.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Duration as Span, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use tokio::sync::watch;

use crate::article::{self, Length, SummaryKind};
use crate::bot::claims::Claims;
use crate::bot::reply::{Card, Field, Quoted, Reply, truncate};
use crate::bot::{Bot, Platform};
use crate::store::{DigestSchedule, RunStatus, Scope, Store, StoreError};

/// How far back the first digest of a channel looks.
const FIRST_PERIOD: Span = Span::days(1);
/// Articles listed in one digest.
const MAX_ARTICLES: u32 = 10;
/// Discussions listed.
const MAX_DISCUSSIONS: u32 = 5;
/// Pins listed.
const MAX_PINS: u32 = 5;
/// How recent the quote of the day's article must be.
const QUOTE_WINDOW: Span = Span::days(7);

/// Parses `HH:MM` (24-hour).
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let (h, m) = text.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// Parses an IANA time zone name.
pub fn parse_zone(text: &str) -> Option<Tz> {
    text.parse().ok()
}

/// The instant a local time happens on a local day: a time skipped by a DST jump runs at the
/// next minute that exists; a time that happens twice runs at the first.
pub fn local_instant(zone: Tz, day: NaiveDate, at: NaiveTime) -> Option<DateTime<Utc>> {
    let mut local = day.and_time(at);
    // DST gaps are at most a few hours; bound the walk.
    for _ in 0..=6 * 60 {
        match zone.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => return Some(t.with_timezone(&Utc)),
            chrono::LocalResult::Ambiguous(first, _) => return Some(first.with_timezone(&Utc)),
            chrono::LocalResult::None => local += Span::minutes(1),
        }
    }
    None
}

/// The local day whose digest is due at `now`, if one is: the scheduled time has come today
/// and came after the schedule was set.
pub fn due_day(schedule: &DigestSchedule, now: DateTime<Utc>) -> Option<NaiveDate> {
    let zone = parse_zone(&schedule.timezone)?;
    let at = parse_time(&schedule.digest_at)?;
    let today = now.with_timezone(&zone).date_naive();
    let when = local_instant(zone, today, at)?;
    (now >= when && when >= schedule.digest_set_at).then_some(today)
}

/// A deterministic pick for a channel and day, so a preview shows what will be posted.
fn pick(channel_id: i64, day: NaiveDate) -> u64 {
    let mut value = (channel_id as u64) ^ 0x9e37_79b9_7f4a_7c15;
    for byte in day.to_string().bytes() {
        value = value.rotate_left(5) ^ u64::from(byte);
        value = value.wrapping_mul(0x1000_0000_01b3);
    }
    value
}

/// Composes the digest of `(since, until]` for a channel; `None` when nothing happened. With
/// `web` (the community's published pages, ending in `/`) it carries "read on the web" links.
#[allow(clippy::too_many_arguments)] // the channel, its window, the prefix and the links' base
pub async fn compose(
    store: &Store,
    scope: Scope,
    channel_id: i64,
    day: NaiveDate,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    prefix: &str,
    web: Option<&str>,
) -> Result<Option<Card>, StoreError> {
    let on_the_web = |path: String| {
        web.map(|base| format!("\n{}: {base}{path}", super::web::READ_ON_THE_WEB))
            .unwrap_or_default()
    };
    let articles = store
        .articles_between(scope, since, until, MAX_ARTICLES)
        .await?;
    let discussions = store
        .liveliest(scope, since, until, MAX_DISCUSSIONS)
        .await?;
    let pins = store.pins_between(scope, since, until, MAX_PINS).await?;
    if articles.is_empty() && discussions.is_empty() && pins.is_empty() {
        return Ok(None);
    }
    let mut fields = Vec::new();
    for stored in &articles {
        let a = &stored.article;
        let line = match a.summary.kind {
            SummaryKind::Provided => a.summary.sentences.first().map(|s| s.text.clone()),
            SummaryKind::Extractive => article::summarize(a, Length::Sentences(1))
                .into_iter()
                .next()
                .map(|s| s.text),
        }
        .unwrap_or_default();
        let mut value = truncate(&line, 300);
        if let Some(url) = a
            .source
            .url
            .as_deref()
            .or(stored.origin.as_deref())
            .filter(|u| u.starts_with("http"))
        {
            value.push_str(&format!("\n{url}"));
        }
        value.push_str(&on_the_web(super::web::article_path(stored.id)));
        fields.push(Field {
            name: format!("New: #{} {}", stored.id.0, truncate(&a.title, 200)),
            value,
        });
    }
    for activity in &discussions {
        fields.push(Field {
            name: format!(
                "Discussed: #{} {}",
                activity.article_id.0,
                truncate(&activity.title, 200)
            ),
            value: format!(
                "{} message{} from {} reader{} · {prefix}discuss {}",
                activity.messages,
                if activity.messages == 1 { "" } else { "s" },
                activity.participants,
                if activity.participants == 1 { "" } else { "s" },
                activity.article_id.0
            ) + on_the_web(format!(
                "{}#discussion",
                super::web::article_path(activity.article_id)
            ))
            .as_str(),
        });
    }
    for pin in &pins {
        let mut value = format!("{}: “{}”", pin.author_name, truncate(&pin.body, 300));
        if let Some(note) = &pin.note {
            value.push_str(&format!(" ({note})"));
        }
        value.push_str(&on_the_web(format!(
            "{}#pin-{}",
            super::web::article_path(pin.article_id),
            pin.message_id
        )));
        fields.push(Field {
            name: format!(
                "Pinned on #{} {}",
                pin.article_id.0,
                truncate(&pin.article_title, 200)
            ),
            value,
        });
    }
    let quote = store
        .quote_between(scope, until - QUOTE_WINDOW, until, pick(channel_id, day))
        .await?
        .map(|q| Quoted {
            text: truncate(&q.text, 400),
            speaker: Some(match q.speaker {
                Some(speaker) => format!(
                    "{speaker}, in #{} {}",
                    q.article_id.0,
                    truncate(&q.title, 120)
                ),
                None => format!("#{} {}", q.article_id.0, truncate(&q.title, 120)),
            }),
        });
    Ok(Some(Card {
        title: format!("Reading Room digest for {}", day.format("%A %-d %B %Y")),
        url: None,
        subtitle: Some(format!(
            "{} new article{}, {} lively discussion{}, {} pinned comment{}",
            articles.len(),
            if articles.len() == 1 { "" } else { "s" },
            discussions.len(),
            if discussions.len() == 1 { "" } else { "s" },
            pins.len(),
            if pins.len() == 1 { "" } else { "s" }
        )),
        description: String::new(),
        quote,
        fields,
        footer: Some(format!(
            "Quote of the day below the lists · {prefix}digest preview shows the next one"
        )),
        actions: Vec::new(),
    }))
}

/// Where a platform posts digests.
#[async_trait::async_trait]
pub trait DigestSink: Send + Sync + std::fmt::Debug {
    /// Sends the digest into the channel; `Ok` only once the platform accepted it. `key` is
    /// the same for every attempt at one channel's digest of one day, for platforms that can
    /// drop a duplicate send (Matrix transaction ids, Discord nonces).
    async fn post(&self, channel: &str, digest: &Reply, key: &str) -> anyhow::Result<()>;

    /// Posts an article card and opens a discussion thread on it, returning the thread's
    /// reference (Discord thread channel id, Matrix thread root event id). Platforms without
    /// threads just post and return `None`.
    async fn post_with_thread(
        &self,
        channel: &str,
        card: &Reply,
        key: &str,
        _title: &str,
    ) -> anyhow::Result<Option<String>> {
        self.post(channel, card, key).await?;
        Ok(None)
    }
}

/// What one scheduler pass did for a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// The channel's row id.
    pub channel_id: i64,
    /// The local day.
    pub day: NaiveDate,
    /// The outcome.
    pub status: RunStatus,
}

/// A send the platform refused for good (the channel is gone, or the bot may not post there):
/// sinks return it (inside their `anyhow::Error`) so callers stop retrying.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Each platform's sink, by platform name: where the scheduler and the feed poller post.
///
/// Clones share one set: a sink added or removed through one is seen by all.
#[derive(Debug, Default, Clone)]
pub struct Sinks(Arc<RwLock<HashMap<&'static str, Arc<dyn DigestSink>>>>);

impl Sinks {
    /// Posts this platform's messages through `sink`.
    pub fn insert(&mut self, platform: Platform, sink: Arc<dyn DigestSink>) {
        self.write().insert(platform.as_str(), sink);
    }

    /// Stops posting this platform's messages (its connection is gone).
    pub fn remove(&self, platform: Platform) {
        self.write().remove(platform.as_str());
    }

    /// The sink of the platform named `platform`, if it has one.
    pub fn get(&self, platform: &str) -> Option<Arc<dyn DigestSink>> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(platform)
            .cloned()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<&'static str, Arc<dyn DigestSink>>> {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Posts due digests through the platforms' sinks.
#[derive(Debug, Clone)]
pub struct Scheduler {
    bot: Bot,
    sinks: Sinks,
    claims: Claims,
}

impl Scheduler {
    /// A scheduler with no sinks yet.
    pub fn new(bot: Bot) -> Self {
        let sinks = Sinks::default();
        Self {
            bot,
            sinks,
            claims: Claims::default(),
        }
    }

    /// Claims each digest under `claims` (this process's name and lease time).
    pub fn with_claims(mut self, claims: Claims) -> Self {
        self.claims = claims;
        self
    }

    /// The sinks, shared: a platform added to them later (the Matrix lease taken over) is
    /// posted to from then on.
    pub fn sinks(&self) -> Sinks {
        self.sinks.clone()
    }

    /// Posts this platform's digests through `sink`.
    pub fn with_sink(mut self, platform: Platform, sink: Arc<dyn DigestSink>) -> Self {
        self.sinks.insert(platform, sink);
        self
    }

    /// One pass: every channel whose digest is due at `now` and not yet done today gets it.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Vec<RunReport>, StoreError> {
        let store = self.bot.store();
        // The same tick purges the communities the bot left past the grace period.
        self.bot.purge(now).await?;
        let mut reports = Vec::new();
        for schedule in store.digest_schedules().await? {
            let Some(day) = due_day(&schedule, now) else {
                continue;
            };
            if matches!(
                store.digest_run(schedule.channel_id, day).await?,
                Some(RunStatus::Posted | RunStatus::Empty)
            ) {
                continue;
            }
            let Some(sink) = self.sinks.get(schedule.platform.as_str()) else {
                continue;
            };
            // Several processes may see the same digest due: the one that claims it posts it,
            // after checking again that nobody did since the check above.
            let claim = format!("digest/{}/{day}", schedule.channel_id);
            if !self.claims.take(store, &claim, now).await? {
                continue;
            }
            if matches!(
                store.digest_run(schedule.channel_id, day).await?,
                Some(RunStatus::Posted | RunStatus::Empty)
            ) {
                self.claims.done(store, &claim).await?;
                continue;
            }
            let since = store
                .last_digest(schedule.channel_id)
                .await?
                .unwrap_or(schedule.digest_set_at - FIRST_PERIOD);
            let prefix = if schedule.platform == Platform::Matrix.as_str() {
                "!"
            } else {
                "/"
            };
            let scope = Scope::Community(schedule.community_id.unwrap_or_default());
            let web = match schedule.community_id {
                Some(community) => self.bot.web_base(community).await?,
                None => None,
            };
            let composed = compose(
                store,
                scope,
                schedule.channel_id,
                day,
                since,
                now,
                prefix,
                web.as_deref(),
            )
            .await
            .map(|card| {
                // A scheduled digest is kept, so it links to its own page in the archive.
                let mut card = card?;
                if let Some(base) = &web {
                    let page = super::web::digest_path(schedule.channel_id, day);
                    super::web::add_link(&mut card, format!("{base}{page}"));
                }
                Some(card)
            })?;
            let status = match &composed {
                None => RunStatus::Empty,
                Some(card) => match sink
                    .post(
                        &schedule.external_id,
                        &Reply::card(card.clone()),
                        &format!("digest/{}/{day}", schedule.channel_id),
                    )
                    .await
                {
                    Ok(()) => RunStatus::Posted,
                    Err(error) => {
                        tracing::warn!(channel = schedule.channel_id, %day, "posting the digest failed, will retry: {error:#}");
                        RunStatus::Failed
                    }
                },
            };
            store
                .record_digest_run(schedule.channel_id, day, status, now)
                .await?;
            if let (RunStatus::Posted, Some(card)) = (status, &composed) {
                // The archive's copy; a digest is still posted when it cannot be kept.
                match serde_json::to_string(&super::web::ArchivedDigest::of(card)) {
                    Ok(json) => store.keep_digest(schedule.channel_id, day, &json).await?,
                    Err(error) => tracing::warn!(%error, "could not keep the digest"),
                }
            }
            self.claims.done(store, &claim).await?;
            tracing::info!(target: "audit", channel = schedule.channel_id, %day, ?status, "digest run");
            reports.push(RunReport {
                channel_id: schedule.channel_id,
                day,
                status,
            });
        }
        Ok(reports)
    }

    /// Runs a pass every `tick` until `shutdown` turns true.
    pub async fn run(self, tick: Duration, mut shutdown: watch::Receiver<bool>) {
        loop {
            if let Err(error) = self.run_once(self.bot.now()).await {
                tracing::error!(%error, "digest pass failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap()
    }

    #[test]
    fn times_and_zones_parse_strictly() {
        assert_eq!(parse_time("09:00"), NaiveTime::from_hms_opt(9, 0, 0));
        assert_eq!(parse_time("7:05"), NaiveTime::from_hms_opt(7, 5, 0));
        for bad in ["24:00", "9", "09:0", "09:60", "nine", "", "09:00:00"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert!(parse_zone("Europe/Berlin").is_some());
        assert!(parse_zone("Europe/Berln").is_none());
    }

    #[test]
    fn dst_gaps_run_at_the_next_valid_minute_and_overlaps_once() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2026-03-08: 02:00 jumps to 03:00.
        let day = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let gap = local_instant(ny, day, NaiveTime::from_hms_opt(2, 30, 0).unwrap()).unwrap();
        assert_eq!(gap, utc(2026, 3, 8, 7, 0), "03:00 EDT");
        // 2026-11-01: 01:30 happens twice; the first is EDT.
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let twice = local_instant(ny, day, NaiveTime::from_hms_opt(1, 30, 0).unwrap()).unwrap();
        assert_eq!(twice, utc(2026, 11, 1, 5, 30));
    }
}
