//! Following feeds: `/feed` commands, and the poller that fetches each feed once however many
//! channels follow it (conditionally, with backoff on failure), turns new entries into articles
//! and posts them to every following channel, marking a post delivered only after the send
//! succeeded.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as Span, Utc};
use reqwest::header::{
    ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use tokio::sync::watch;

use super::claims::Claims;
use super::digest::{DigestSink, Refused, Sinks};
use super::{Bot, Platform};
use crate::article::html::parse_html;
use crate::bot::reply::Reply;
use crate::sources::feed::{FeedEntry, parse_feed};
use crate::store::Scope;
use crate::store::{ArticleId, Feed, StoreError};

/// Longest wait between polls of a failing feed.
const MAX_BACKOFF: Span = Span::hours(24);
/// An entry whose content is at least this long is the article; shorter is a teaser and the
/// linked page is fetched.
const FULL_CONTENT_CHARS: usize = 1500;

/// When to poll a feed next: its interval when healthy, doubling per failure in a row.
pub fn next_poll(feed: &Feed, failures: i64, now: DateTime<Utc>) -> DateTime<Utc> {
    let interval = Span::seconds(feed.interval_secs.max(60));
    let factor = 1i32 << failures.clamp(0, 16);
    now + (interval * factor).min(MAX_BACKOFF)
}

/// Records a fetched feed: every entry not seen before is added (with the article `article_for`
/// makes of it, which queues it for every following channel; `None` just marks it seen), and
/// the poll is recorded with the response's validators. Returns how many entries were new.
pub(crate) async fn take_in<'a, F, Fut>(
    store: &crate::store::Store,
    feed: &Feed,
    fetched: &crate::sources::web::Fetched,
    parsed: &'a crate::sources::feed::ParsedFeed,
    now: DateTime<Utc>,
    article_for: F,
) -> Result<usize, StoreError>
where
    F: Fn(&'a FeedEntry) -> Fut,
    Fut: std::future::Future<Output = Option<ArticleId>>,
{
    let mut new = 0;
    for entry in &parsed.entries {
        let (guid, link) = (entry.guid.as_deref(), entry.link.as_deref());
        if store
            .find_entry(feed.id, guid, link, &entry.hash)
            .await?
            .is_some()
        {
            continue;
        }
        let article = article_for(entry).await;
        store
            .add_entry(feed.id, guid, link, &entry.hash, article, now)
            .await?;
        new += 1;
    }
    let header = |name| {
        fetched
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let (etag, modified) = (header(ETAG), header(LAST_MODIFIED));
    store
        .feed_polled(
            feed.id,
            parsed.title.as_deref(),
            etag,
            modified,
            next_poll(feed, 0, now),
            now,
        )
        .await?;
    Ok(new)
}

/// What one poll pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Feeds fetched with new content.
    pub fetched: usize,
    /// Feeds that answered 304 Not Modified.
    pub not_modified: usize,
    /// Feeds that failed.
    pub failed: usize,
    /// New entries found.
    pub new_entries: usize,
    /// Posts delivered.
    pub delivered: usize,
    /// Channels unsubscribed because the platform refused their posts for good.
    pub refused: usize,
}

/// Attempts at one post before it is set aside (about four hours of doubling waits).
pub const MAX_DELIVERY_ATTEMPTS: i64 = 8;

/// Polls due feeds and delivers what is owed.
#[derive(Debug, Clone)]
pub struct Poller {
    bot: Bot,
    sinks: Sinks,
    claims: Claims,
}

impl Poller {
    /// A poller with no sinks yet.
    pub fn new(bot: Bot) -> Self {
        Self {
            sinks: Sinks::default(),
            bot,
            claims: Claims::default(),
        }
    }

    /// Claims each poll and post under `claims` (this process's name and lease time).
    pub fn with_claims(mut self, claims: Claims) -> Self {
        self.claims = claims;
        self
    }

    /// The sinks, shared (see [`Scheduler::sinks`](super::digest::Scheduler::sinks)).
    pub fn sinks(&self) -> Sinks {
        self.sinks.clone()
    }

    /// Posts this platform's entries through `sink`.
    pub fn with_sink(mut self, platform: Platform, sink: Arc<dyn DigestSink>) -> Self {
        self.sinks.insert(platform, sink);
        self
    }

    /// One pass at `now`.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<PollReport, StoreError> {
        let mut report = PollReport::default();
        let store = self.bot.store();
        for feed in store.due_feeds(now).await? {
            // One process polls a feed per round: the one that claims it, if it is still due
            // once claimed (another may have polled it since the list was read).
            let claim = format!("feed/{}", feed.id);
            if !self.claims.take(store, &claim, now).await? {
                continue;
            }
            if let Some(feed) = store.feed_by_url(&feed.url).await?
                && feed.next_poll_at <= now
            {
                self.poll(&feed, now, &mut report).await?;
            }
            self.claims.done(store, &claim).await?;
        }
        self.deliver(now, &mut report).await?;
        Ok(report)
    }

    async fn poll(
        &self,
        feed: &Feed,
        now: DateTime<Utc>,
        report: &mut PollReport,
    ) -> Result<(), StoreError> {
        let store = self.bot.store();
        let mut headers = HeaderMap::new();
        for (name, value) in [
            (IF_NONE_MATCH, &feed.etag),
            (IF_MODIFIED_SINCE, &feed.last_modified),
        ] {
            if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                headers.insert(name, value);
            }
        }
        let fetched = match self.bot.fetcher.get(&feed.url, &headers).await {
            Ok(fetched) => fetched,
            Err(error) => return self.failed(feed, &error.to_string(), now, report).await,
        };
        if fetched.status == 304 {
            report.not_modified += 1;
            return store
                .feed_polled(feed.id, None, None, None, next_poll(feed, 0, now), now)
                .await;
        }
        let parsed = match parse_feed(fetched.body.as_bytes(), &fetched.url) {
            Ok(parsed) => parsed,
            Err(error) => return self.failed(feed, &error.to_string(), now, report).await,
        };
        report.fetched += 1;
        report.new_entries += take_in(store, feed, &fetched, &parsed, now, |entry| {
            self.article_for(entry)
        })
        .await?;
        Ok(())
    }

    async fn failed(
        &self,
        feed: &Feed,
        error: &str,
        now: DateTime<Utc>,
        report: &mut PollReport,
    ) -> Result<(), StoreError> {
        report.failed += 1;
        let next = next_poll(feed, feed.failures + 1, now);
        tracing::warn!(feed = %feed.url, failures = feed.failures + 1, %next, "feed poll failed: {error}");
        self.bot.store().feed_failed(feed.id, error, next).await
    }

    /// The entry as a stored article: its own content when it is the whole article, else the
    /// linked page. `None` (seen, not posted) when neither makes an article.
    async fn article_for(&self, entry: &FeedEntry) -> Option<ArticleId> {
        let link = entry.link.as_deref();
        if let (Some(html), Some(link)) = (entry.html.as_deref(), link)
            && html.chars().count() >= FULL_CONTENT_CHARS
            && let Ok(page) = parse_html(
                &format!(
                    "<html><head><title>{}</title></head><body><article>{html}</article></body></html>",
                    entry.title
                ),
                link,
            )
        {
            match self
                .bot
                .store_article(&page.article, Some(link), page.canonical_url.as_deref())
                .await
            {
                Ok((ingested, _)) => return Some(ingested.id()),
                Err(error) => tracing::warn!(%error, link, "storing a feed entry failed"),
            }
        }
        let link = link?;
        match self.bot.ingest_url(link).await {
            Ok((ingested, _)) => Some(ingested.id()),
            Err(error) => {
                tracing::warn!(%error, link, "a feed entry's page is not an article; not posted");
                None
            }
        }
    }

    async fn deliver(&self, now: DateTime<Utc>, report: &mut PollReport) -> Result<(), StoreError> {
        let store = self.bot.store();
        for delivery in store.pending_deliveries(now, 200).await? {
            let Some(sink) = self.sinks.get(delivery.platform.as_str()) else {
                continue;
            };
            let claim = format!("delivery/{}/{}", delivery.entry_id, delivery.channel_id);
            if !self.claims.take(store, &claim, now).await? {
                continue;
            }
            if !store
                .delivery_owed(delivery.entry_id, delivery.channel_id, now)
                .await?
            {
                self.claims.done(store, &claim).await?;
                continue;
            }
            let Some(stored) = store.article(delivery.article_id).await? else {
                continue;
            };
            // The card shows what the receiving community has said of it, nothing else.
            let scope = Scope::Community(delivery.community_id.unwrap_or_default());
            let stats = store.discussion_stats(scope, stored.id).await?;
            let pins = store
                .pins(scope, Some(stored.id), super::cards::PINS_ON_CARD)
                .await?;
            let prefix = if delivery.platform == Platform::Matrix.as_str() {
                "!"
            } else {
                "/"
            };
            let card = super::cards::article(&stored, stats, &pins, prefix);
            let key = format!("feed/{}/{}", delivery.entry_id, delivery.channel_id);
            let reply = Reply::card(card);
            let sent = if delivery.open_thread {
                let title = &stored.article.title;
                sink.post_with_thread(&delivery.external_id, &reply, &key, title)
                    .await
            } else {
                sink.post(&delivery.external_id, &reply, &key)
                    .await
                    .map(|()| None)
            };
            match sent {
                Ok(thread) => {
                    store
                        .delivered(delivery.entry_id, delivery.channel_id, now)
                        .await?;
                    report.delivered += 1;
                    if let Some(community) = delivery.home_id {
                        store.shelve(community, stored.id, None, now).await?;
                    }
                    if let Some(thread) = thread {
                        let (discussion, _) = store
                            .open_discussion(stored.id, delivery.channel_id, now)
                            .await?;
                        if discussion.thread_ref.is_none() {
                            store.set_thread(discussion.id, Some(&thread)).await?;
                        }
                    }
                }
                Err(error) if error.downcast_ref::<Refused>().is_some() => {
                    tracing::warn!(
                        channel = delivery.channel_id,
                        "the platform refuses feed posts here; unsubscribing: {error:#}"
                    );
                    let notice = format!(
                        "This channel no longer follows a feed: the platform refused its posts here ({error}). Check the bot's permissions, then {prefix}feed add it again."
                    );
                    store
                        .feed_refused(delivery.entry_id, delivery.channel_id, &notice, now)
                        .await?;
                    report.refused += 1;
                }
                Err(error) => {
                    let attempts = store
                        .delivery_attempts(delivery.entry_id, delivery.channel_id)
                        .await?
                        + 1;
                    // Each post backs off on its own, so one channel's trouble holds up no other.
                    let retry = (attempts < MAX_DELIVERY_ATTEMPTS).then(|| {
                        let wait = Span::minutes(1 << (attempts - 1).clamp(0, 9));
                        now + wait.min(Span::hours(6))
                    });
                    tracing::warn!(
                        channel = delivery.channel_id,
                        attempts,
                        ?retry,
                        "posting a feed entry failed: {error:#}"
                    );
                    store
                        .delivery_failed(
                            delivery.entry_id,
                            delivery.channel_id,
                            &format!("{error:#}"),
                            now,
                            retry,
                        )
                        .await?;
                }
            }
            self.claims.done(store, &claim).await?;
        }
        Ok(())
    }

    /// Runs a pass every `tick` until `shutdown` turns true.
    pub async fn run(self, tick: Duration, mut shutdown: watch::Receiver<bool>) {
        loop {
            match self.run_once(self.bot.now()).await {
                Ok(report) if report != PollReport::default() => {
                    tracing::info!(?report, "feeds polled")
                }
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "feed pass failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }
}
