//! The platform-neutral bot core: takes a command from someone in a channel and answers with a
//! [`Reply`]; takes discussion events (messages, edits, deletions) and records them.
//!
//! It knows nothing of serenity or matrix-sdk: platform adapters translate their events into
//! [`Context`] + [`Command`] and render the [`Reply`] natively.

mod cards;
pub mod command;
pub mod digest;
pub mod export;
pub mod feeds;
pub mod limits;
pub mod reply;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::metrics::Outcome;

use chrono::{DateTime, Utc};

pub use command::{COMMANDS, Command, CommandError, CommandSpec, MessageRef, Target};
pub use reply::{Action, Body, Card, Effect, Field, Quoted, Reply};

use crate::article::{self, Length};
use crate::clock::Clock;
use crate::store::{
    ArticleId, Ingested, NewMessage, PinOutcome, Store, StoreError, StoredArticle, StoredMessage,
};

/// Longest discussion message stored, in characters; longer ones are cut (and marked), since a
/// record must not be lost for being long.
pub const MAX_MESSAGE_CHARS: usize = 16_000;

/// Where a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// The local console chat.
    Console,
    /// Discord.
    Discord,
    /// Matrix.
    Matrix,
}

impl Platform {
    /// The name stored with channels and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Discord => "discord",
            Platform::Matrix => "matrix",
        }
    }
}

/// Someone who talks to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The platform's id for them.
    pub id: String,
    /// Their display name.
    pub name: String,
    /// Whether the platform says they moderate this channel.
    pub moderator: bool,
}

/// Who asks, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The platform.
    pub platform: Platform,
    /// The platform's id of the channel (the console's is `console`).
    pub channel: String,
    /// The channel's name, if known.
    pub channel_name: Option<String>,
    /// The caller.
    pub user: User,
    /// The command prefix users type on this platform (`/`, `!`).
    pub prefix: String,
}

/// Why an article could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The text is not an article.
    #[error(transparent)]
    Parse(#[from] article::ParseError),
    /// The page could not be fetched.
    #[error(transparent)]
    Fetch(#[from] crate::sources::web::FetchError),
    /// The file could not be read.
    #[error(transparent)]
    Source(#[from] crate::sources::SourceError),
    /// The page is not an article.
    #[error(transparent)]
    Html(#[from] article::html::HtmlError),
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The extractor stopped without an answer (a bug of ours, logged).
    #[error("reading the page failed on our side: {0}")]
    Extraction(String),
}

/// A failed request: the user's fault (shown to them) or ours (logged, apologised for).
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    User(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Handled = Result<Reply, Failure>;

fn user_error(message: impl Into<String>) -> Failure {
    Failure::User(message.into())
}

/// The bot core. Cheap to clone; every platform task holds one.
#[derive(Clone, Debug)]
pub struct Bot {
    store: Store,
    clock: Arc<dyn Clock>,
    fetcher: crate::sources::web::Fetcher,
    started: Instant,
    limiter: Arc<limits::RateLimiter>,
    metrics: Arc<crate::metrics::Metrics>,
}

impl Bot {
    /// A bot over this store, telling time by `clock`.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self::with_fetcher(store, clock, crate::sources::web::FetchOptions::default())
    }

    /// A bot that fetches web pages within these limits.
    pub fn with_fetcher(
        store: Store,
        clock: Arc<dyn Clock>,
        options: crate::sources::web::FetchOptions,
    ) -> Self {
        // Building the HTTP client fails only without a TLS backend, and one is compiled in.
        let fetcher = crate::sources::web::Fetcher::new(options)
            .unwrap_or_else(|error| panic!("cannot build the HTTP client: {error}"));
        Self {
            store,
            clock,
            fetcher,
            started: Instant::now(),
            limiter: Arc::new(limits::RateLimiter::default()),
            metrics: Arc::default(),
        }
    }

    /// The bot's counters, for the `/metrics` endpoint.
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.metrics
    }

    /// The same bot with per-user rate limits of `burst` commands, then one every `refill`
    /// (a `burst` of 0 turns them off). Moderators are never limited.
    pub fn with_rate_limit(mut self, burst: u32, refill: std::time::Duration) -> Self {
        self.limiter = Arc::new(limits::RateLimiter::new(burst, refill));
        self
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The current time by the bot's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// How long the bot has been running.
    pub fn uptime(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// Parses and runs a command line typed without its prefix.
    pub async fn handle_text(&self, ctx: &Context, line: &str) -> Reply {
        match Command::parse(line) {
            Ok(command) => self.handle(ctx, command).await,
            Err(error) => self.throttle(ctx, "invalid").unwrap_or_else(|| {
                self.metrics
                    .command("invalid", Outcome::Refused, Duration::ZERO);
                Reply::error(error.message(&ctx.prefix))
            }),
        }
    }

    /// The cooldown reply when `ctx`'s user has run out of commands; quiet after the first.
    fn throttle(&self, ctx: &Context, command: &str) -> Option<Reply> {
        if ctx.user.moderator {
            return None;
        }
        let key = format!("{}:{}", ctx.platform.as_str(), ctx.user.id);
        match self.limiter.check(&key, self.now()) {
            limits::Verdict::Allowed => None,
            limits::Verdict::Refused { wait, first } => {
                tracing::debug!(user = %ctx.user.id, first, "rate limited");
                self.metrics
                    .command(command, Outcome::Limited, Duration::ZERO);
                let seconds = wait.as_secs_f64().ceil().max(1.0);
                let reply = Reply::error(format!(
                    "Slow down: you are sending commands faster than the bot takes them. Try again in {seconds:.0} s."
                ));
                Some(if first { reply } else { reply.quiet() })
            }
        }
    }

    /// Runs a command. Never fails: problems become error replies, and our own failures are
    /// logged with a reference the user can quote.
    pub async fn handle(&self, ctx: &Context, command: Command) -> Reply {
        let name = command.name();
        let request_id = format!("{:08x}", fastrand::u32(..));
        let span = tracing::info_span!("command", %request_id, command = name, platform = ctx.platform.as_str(), channel = %ctx.channel, user = %ctx.user.id);
        let _enter = span.enter();
        if let Some(reply) = self.throttle(ctx, name) {
            return reply;
        }
        let started = Instant::now();
        let result = self.dispatch(ctx, command).await;
        let took = started.elapsed();
        let micros = took.as_micros();
        match result {
            Ok(reply) => {
                tracing::debug!(micros, "answered");
                self.metrics.command(name, Outcome::Ok, took);
                reply
            }
            Err(Failure::User(message)) => {
                tracing::debug!(micros, %message, "refused");
                self.metrics.command(name, Outcome::Refused, took);
                Reply::error(message)
            }
            Err(Failure::Store(error)) => {
                tracing::error!(micros, %error, "command failed");
                self.metrics.command(name, Outcome::Error, took);
                Reply::error(format!(
                    "Something went wrong on our side; the operators can find it under reference {request_id}."
                ))
            }
        }
    }

    async fn dispatch(&self, ctx: &Context, command: Command) -> Handled {
        if let Some(spec) = command::spec(command.name())
            && spec.moderator
            && !ctx.user.moderator
        {
            return Err(user_error(format!(
                "Only moderators can use {}{}.",
                ctx.prefix, spec.name
            )));
        }
        match command {
            Command::Article(target) => self.article(ctx, target).await,
            Command::Summary { article, sentences } => self.summary(article, sentences).await,
            Command::Quote(target) => self.quote(target).await,
            Command::Search(words) => self.search(ctx, &words).await,
            Command::Discuss(article) => self.discuss(ctx, article).await,
            Command::Pins(article) => self.pins(ctx, article).await,
            Command::Pin { message, note } => self.pin(ctx, message, note).await,
            Command::Unpin(message) => self.unpin(ctx, message).await,
            Command::Digest(action) => self.digest(ctx, action).await,
            Command::Export(article) => self.export(article).await,
            Command::Ingest(url) => self.ingest_command(ctx, &url).await,
            Command::Feed(action) => self.feed(ctx, action).await,
            Command::Stats => self.stats().await,
            Command::Help(topic) => help(ctx, topic.as_deref()),
        }
    }

    async fn find(&self, id: ArticleId) -> Result<StoredArticle, Failure> {
        self.store
            .article(id)
            .await?
            .ok_or_else(|| user_error(format!("There is no article {id}.")))
    }

    async fn resolve(
        &self,
        ctx: &Context,
        target: Option<Target>,
    ) -> Result<StoredArticle, Failure> {
        match target {
            None => self.store.latest_article().await?.ok_or_else(|| {
                user_error("There are no articles yet. An operator can add some with `readingroom ingest FILE`.")
            }),
            Some(Target::Id(id)) => self.find(id).await,
            Some(Target::Words(words)) => {
                let hit = self.store.search(&words, 1).await?.into_iter().next();
                match hit {
                    Some(hit) => self.find(hit.id).await,
                    None => Err(user_error(format!(
                        "No article matches “{}”. Try {}search with other words.",
                        reply::truncate(&words, 60),
                        ctx.prefix
                    ))),
                }
            }
        }
    }

    /// The caller's channel, known from now on.
    async fn channel(&self, ctx: &Context) -> Result<crate::store::Channel, Failure> {
        Ok(self
            .store
            .channel(
                ctx.platform.as_str(),
                &ctx.channel,
                ctx.channel_name.as_deref(),
                self.now(),
            )
            .await?)
    }

    /// The article card with the article's discussion size and pins.
    async fn article_card(&self, ctx: &Context, stored: &StoredArticle) -> Result<Card, Failure> {
        let stats = self.store.discussion_stats(stored.id).await?;
        let pins = self
            .store
            .pins(Some(stored.id), cards::PINS_ON_CARD)
            .await?;
        Ok(cards::article(stored, stats, &pins, &ctx.prefix))
    }

    async fn article(&self, ctx: &Context, target: Option<Target>) -> Handled {
        let stored = self.resolve(ctx, target).await?;
        Ok(Reply::card(self.article_card(ctx, &stored).await?))
    }

    async fn summary(&self, id: ArticleId, sentences: Option<usize>) -> Handled {
        let stored = self.find(id).await?;
        let article = &stored.article;
        let (label, chosen) = match (article.summary.kind, sentences) {
            (article::SummaryKind::Provided, None) => {
                ("The author's summary", article.summary.sentences.clone())
            }
            (_, n) => (
                "Summary",
                article::summarize(
                    article,
                    Length::Sentences(n.unwrap_or(article::DEFAULT_SUMMARY_SENTENCES)),
                ),
            ),
        };
        Ok(Reply::card(cards::summary(&stored, label, &chosen)))
    }

    async fn quote(&self, target: Option<Target>) -> Handled {
        let article = match &target {
            None => None,
            Some(Target::Id(id)) => Some(self.find(*id).await?.id),
            Some(Target::Words(words)) => {
                match self.store.search(words, 1).await?.into_iter().next() {
                    Some(hit) => Some(hit.id),
                    None => {
                        return Err(user_error(format!(
                            "No article matches “{}”.",
                            reply::truncate(words, 60)
                        )));
                    }
                }
            }
        };
        match self.store.pick_quote(article, fastrand::u64(..)).await? {
            Some(quote) => Ok(Reply::card(cards::quote(&quote))),
            None => Err(user_error(match article {
                Some(id) => format!("Article {id} has no quotations."),
                None => "No quotations yet: none of the stored articles quotes anyone.".to_owned(),
            })),
        }
    }

    async fn search(&self, ctx: &Context, words: &str) -> Handled {
        let hits = self.store.search(words, 5).await?;
        if hits.is_empty() {
            return Err(user_error(format!(
                "No article matches “{}”.",
                reply::truncate(words, 60)
            )));
        }
        Ok(Reply::card(cards::search(words, &hits, &ctx.prefix)))
    }

    async fn discuss(&self, ctx: &Context, id: ArticleId) -> Handled {
        let stored = self.find(id).await?;
        let now = self.now();
        let channel = self.channel(ctx).await?;
        let (discussion, created) = self
            .store
            .open_discussion(stored.id, channel.id, now)
            .await?;
        if created {
            tracing::info!(target: "audit", article = stored.id.0, discussion = discussion.id, by = %ctx.user.id, "discussion opened");
        }
        let card = self.article_card(ctx, &stored).await?;
        Ok(Reply::card(card).with_effect(Effect::Discussion {
            discussion_id: discussion.id,
            article_id: stored.id,
            thread_ref: discussion.thread_ref,
        }))
    }

    async fn pins(&self, ctx: &Context, article: Option<ArticleId>) -> Handled {
        let title = match article {
            Some(id) => Some(self.find(id).await?.article.title),
            None => None,
        };
        let pins = self.store.pins(article, 10).await?;
        if pins.is_empty() {
            return Ok(Reply::text(match article {
                Some(id) => format!("No pinned commentary on {id} yet."),
                None => format!(
                    "No pinned commentary yet. Moderators pin a reader's message with {}pin.",
                    ctx.prefix
                ),
            }));
        }
        Ok(Reply::card(cards::pins(title.as_deref(), &pins)))
    }

    async fn digest(&self, ctx: &Context, action: command::DigestAction) -> Handled {
        use command::DigestAction;
        if !matches!(action, DigestAction::Preview) && !ctx.user.moderator {
            return Err(user_error(format!(
                "Only moderators can change or post the digest; anyone can use {}digest preview.",
                ctx.prefix
            )));
        }
        let now = self.now();
        let channel = self.channel(ctx).await?;
        match action {
            DigestAction::At { time, zone } => {
                let remembered = self.store.channel_timezone(channel.id).await?;
                let zone = match zone {
                    Some(zone) => zone,
                    None => remembered
                        .as_deref()
                        .and_then(digest::parse_zone)
                        .unwrap_or(chrono_tz::UTC),
                };
                let at = time.format("%H:%M").to_string();
                self.store
                    .set_digest(channel.id, Some((&at, zone.name())), now)
                    .await?;
                tracing::info!(target: "audit", channel = channel.id, by = %ctx.user.id, %at, zone = zone.name(), "digest scheduled");
                Ok(Reply::text(format!(
                    "The daily digest will be posted here at {at} ({}). Days with nothing new are skipped.",
                    zone.name()
                )))
            }
            DigestAction::Off => {
                self.store.set_digest(channel.id, None, now).await?;
                tracing::info!(target: "audit", channel = channel.id, by = %ctx.user.id, "digest turned off");
                Ok(Reply::text("The daily digest is off for this channel."))
            }
            DigestAction::Now | DigestAction::Preview => {
                let schedule = self.store.digest_schedule(channel.id).await?;
                let zone = schedule
                    .as_ref()
                    .and_then(|s| digest::parse_zone(&s.timezone))
                    .unwrap_or(chrono_tz::UTC);
                let since = match self.store.last_digest(channel.id).await? {
                    Some(last) => last,
                    None => now - chrono::Duration::days(1),
                };
                let day = now.with_timezone(&zone).date_naive();
                let card =
                    digest::compose(&self.store, channel.id, day, since, now, &ctx.prefix).await?;
                let preview = matches!(action, DigestAction::Preview);
                match card {
                    Some(card) if preview => Ok(Reply::card(card).ephemeral()),
                    Some(card) => {
                        tracing::info!(target: "audit", channel = channel.id, by = %ctx.user.id, "digest posted on demand");
                        Ok(Reply::card(card))
                    }
                    None => Ok(Reply::text(
                        "Nothing new since the last digest: no articles, discussions or pins.",
                    )
                    .ephemeral()),
                }
            }
        }
    }

    async fn ingest_command(&self, ctx: &Context, url: &str) -> Handled {
        let (ingested, _) = match self.ingest_url(url).await {
            Ok(done) => done,
            Err(IngestError::Store(error)) => return Err(error.into()),
            Err(error) => return Err(user_error(format!("Nothing was added: {error}."))),
        };
        tracing::info!(target: "audit", article = ingested.id().0, by = %ctx.user.id, url, "ingest command");
        let stored = self.find(ingested.id()).await?;
        let mut card = self.article_card(ctx, &stored).await?;
        if let Ingested::Existing(id) = ingested {
            card.footer = Some(format!("Already had this one as {id}"));
        }
        Ok(Reply::card(card))
    }

    async fn feed(&self, ctx: &Context, action: command::FeedAction) -> Handled {
        use command::FeedAction;
        if matches!(action, FeedAction::Add { .. } | FeedAction::Remove(_)) && !ctx.user.moderator {
            return Err(user_error(format!(
                "Only moderators can add or remove feeds; anyone can use {0}feed list and {0}feed preview.",
                ctx.prefix
            )));
        }
        let now = self.now();
        let channel = self.channel(ctx).await?;
        let fetch_feed = |url: String| async move {
            let fetched = self
                .fetcher
                .get(&url, &Default::default())
                .await
                .map_err(|e| user_error(format!("Could not read the feed: {e}.")))?;
            let parsed = crate::sources::feed::parse_feed(fetched.body.as_bytes())
                .map_err(|e| user_error(format!("{url} is {e}.")))?;
            Ok::<_, Failure>((fetched, parsed))
        };
        match action {
            FeedAction::Add { url, thread, every } => {
                let existing = self.store.feed_by_url(&url).await?;
                let fetched = match existing {
                    Some(_) => None,
                    None => Some(fetch_feed(url.clone()).await?),
                };
                let title = fetched
                    .as_ref()
                    .and_then(|(_, parsed)| parsed.title.as_deref());
                let mut feed = match existing {
                    Some(feed) => feed,
                    None => self.store.add_feed(&url, title, now, now).await?,
                };
                // The interval first: the next poll is planned from it.
                if let Some(minutes) = every {
                    feed.interval_secs = i64::from(minutes) * 60;
                    self.store
                        .set_feed_interval(feed.id, feed.interval_secs)
                        .await?;
                }
                if let Some((fetched, parsed)) = &fetched {
                    // What the feed holds today is old news: seen, never posted.
                    feeds::take_in(&self.store, &feed, fetched, parsed, now, |_| async { None })
                        .await?;
                }
                let added = self
                    .store
                    .subscribe(feed.id, channel.id, thread, now)
                    .await?;
                tracing::info!(target: "audit", feed = %url, channel = channel.id, by = %ctx.user.id, thread, "feed added");
                let name = feed.title.clone().unwrap_or_else(|| url.clone());
                Ok(Reply::text(if added {
                    format!(
                        "Following {name} here. What it holds now counts as read; new entries will be posted here{}.",
                        if thread {
                            ", each with its discussion thread"
                        } else {
                            ""
                        }
                    )
                } else {
                    format!("This channel already follows {name}.")
                }))
            }
            FeedAction::Remove(url) => {
                if !self.store.unsubscribe(&url, channel.id).await? {
                    return Err(user_error(format!("This channel does not follow {url}.")));
                }
                tracing::info!(target: "audit", feed = %url, channel = channel.id, by = %ctx.user.id, "feed removed");
                Ok(Reply::text(format!("Stopped following {url} here.")))
            }
            FeedAction::List => {
                let feeds = self.store.channel_feeds(channel.id).await?;
                if feeds.is_empty() {
                    return Ok(Reply::text(format!(
                        "This channel follows no feeds. {}feed add <url> follows one.",
                        ctx.prefix
                    )));
                }
                Ok(Reply::card(Card {
                    title: "Feeds followed here".into(),
                    fields: feeds
                        .iter()
                        .map(|feed| Field {
                            name: feed.title.clone().unwrap_or_else(|| feed.url.clone()),
                            value: match (&feed.last_error, feed.failures) {
                                (Some(error), n) if n > 0 => format!(
                                    "{}\nFailing ({n} time{} in a row): {error}. Next try {}.",
                                    feed.url,
                                    if n == 1 { "" } else { "s" },
                                    feed.next_poll_at.format("%Y-%m-%d %H:%M UTC")
                                ),
                                _ => format!(
                                    "{}\nOK{}. Next check {}.",
                                    feed.url,
                                    feed.last_ok_at
                                        .map(|t| format!(
                                            ", last read {}",
                                            t.format("%Y-%m-%d %H:%M UTC")
                                        ))
                                        .unwrap_or_default(),
                                    feed.next_poll_at.format("%Y-%m-%d %H:%M UTC")
                                ),
                            },
                        })
                        .collect(),
                    ..Card::default()
                }))
            }
            FeedAction::Preview(url) => {
                let (_, parsed) = fetch_feed(url.clone()).await?;
                let Some(entry) = parsed.entries.first() else {
                    return Err(user_error(format!("{url} has no entries yet.")));
                };
                let link = entry
                    .link
                    .clone()
                    .ok_or_else(|| user_error("The feed's latest entry has no link."))?;
                let page = self
                    .fetch_page(&link)
                    .await
                    .map_err(|e| user_error(format!("The latest entry's page: {e}.")))?;
                let stored = StoredArticle {
                    id: ArticleId(0),
                    article: page.article,
                    origin: Some(link),
                    created_at: now,
                };
                let mut card = cards::article(&stored, Default::default(), &[], &ctx.prefix);
                card.actions.clear();
                card.fields.retain(|f| f.name != "Discussion");
                card.footer = Some(format!(
                    "Preview of a post from {}",
                    parsed.title.unwrap_or(url)
                ));
                Ok(Reply::card(card).ephemeral())
            }
        }
    }

    async fn stats(&self) -> Handled {
        let totals = self.store.totals().await?;
        let uptime = self.uptime().as_secs();
        Ok(Reply::text(format!(
            "Reading Room holds {} articles ({} quotations), {} discussions with {} messages ({} deleted), {} pinned comments, {} digests posted and {} feeds. Up {}d {:02}h {:02}m.",
            totals.articles,
            totals.quotes,
            totals.discussions,
            totals.messages,
            totals.deleted_messages,
            totals.pins,
            totals.digests_posted,
            totals.feeds,
            uptime / 86_400,
            uptime % 86_400 / 3600,
            uptime % 3600 / 60
        ))
        .ephemeral())
    }

    async fn export(&self, article: ArticleId) -> Handled {
        let stored = self.find(article).await?;
        let export = export::build(&self.store, &stored).await?;
        Ok(Reply {
            quiet: false,
            body: Body::File {
                name: format!("discussion-{}.md", article.0),
                content: export::markdown(&export),
                caption: format!(
                    "The discussion of {article} {}: {} message{}.",
                    reply::truncate(&stored.article.title, 80),
                    export.messages,
                    if export.messages == 1 { "" } else { "s" }
                ),
            },
            ephemeral: true,
            effect: None,
        })
    }

    async fn message(&self, ctx: &Context, message: &MessageRef) -> Result<StoredMessage, Failure> {
        let found = match message {
            MessageRef::Recorded(id) => self.store.message(*id).await?,
            MessageRef::Platform(id) => {
                self.store
                    .message_by_platform_id(ctx.platform.as_str(), id)
                    .await?
            }
        };
        let shown = match message {
            MessageRef::Recorded(id) => format!("Message #{id}"),
            MessageRef::Platform(_) => "That message".to_owned(),
        };
        let found = found.ok_or_else(|| {
            user_error(format!(
                "{shown} is not part of a recorded discussion. Only messages in an article's discussion can be pinned."
            ))
        })?;
        if found.deleted_at.is_some() {
            return Err(user_error(format!("{shown} was deleted by its author.")));
        }
        Ok(found)
    }

    async fn pin(&self, ctx: &Context, message: MessageRef, note: Option<String>) -> Handled {
        let found = self.message(ctx, &message).await?;
        let outcome = self
            .store
            .pin(found.id, &ctx.user.name, note.as_deref(), self.now())
            .await?;
        tracing::info!(target: "audit", message = found.id, article = found.article_id.0, by = %ctx.user.id, ?outcome, "pin");
        let stored = self.find(found.article_id).await?;
        let title = reply::truncate(&stored.article.title, 80);
        Ok(Reply::text(match outcome {
            PinOutcome::Pinned => format!(
                "Pinned message #{} by {} as commentary on {}: {title}",
                found.id, found.author_name, stored.id
            ),
            PinOutcome::Updated => format!(
                "Message #{} was pinned already; its note is updated.",
                found.id
            ),
            PinOutcome::Deleted => {
                return Err(user_error("That message was deleted by its author."));
            }
        }))
    }

    async fn unpin(&self, ctx: &Context, message: MessageRef) -> Handled {
        let found = self.message(ctx, &message).await?;
        if !self.store.unpin(found.id).await? {
            return Err(user_error(format!("Message #{} is not pinned.", found.id)));
        }
        tracing::info!(target: "audit", message = found.id, article = found.article_id.0, by = %ctx.user.id, "unpin");
        Ok(Reply::text(format!("Unpinned message #{}.", found.id)))
    }

    /// Parses a text and stores it as an article, unless the same content is stored already.
    pub async fn ingest(
        &self,
        text: &str,
        origin: Option<&str>,
    ) -> Result<(Ingested, String), IngestError> {
        let article = article::parse(text)?;
        self.store_article(&article, origin, None).await
    }

    /// Fetches a web page and stores its article, unless the page (by canonical URL) or the same
    /// content is stored already. Nothing is stored when the page is not an article.
    pub async fn ingest_url(&self, url: &str) -> Result<(Ingested, String), IngestError> {
        let page = self.fetch_page(url).await?;
        self.store_article(&page.article, Some(url), page.canonical_url.as_deref())
            .await
    }

    /// The entry links of the feed at `url`, or `None` when it is not a feed.
    pub async fn feed_links(&self, url: &str) -> Option<Vec<String>> {
        let fetched = self.fetcher.get(url, &Default::default()).await.ok()?;
        let content_type = fetched
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if content_type.contains("html") {
            return None;
        }
        let feed = crate::sources::feed::parse_feed(fetched.body.as_bytes()).ok()?;
        Some(feed.entries.into_iter().filter_map(|e| e.link).collect())
    }

    /// Fetches and parses a page without storing it (for `parse URL`).
    pub async fn fetch_page(&self, url: &str) -> Result<article::html::Page, IngestError> {
        let fetched = self.fetcher.page(url).await?;
        // Up to 2 MiB of markup: seconds of CPU at worst, which must not stall the runtime's
        // workers (and with them every platform's event loop).
        let page = tokio::task::spawn_blocking(move || {
            article::html::parse_html(&fetched.body, &fetched.url)
        })
        .await
        .map_err(|error| IngestError::Extraction(error.to_string()))??;
        Ok(page)
    }

    pub(crate) async fn store_article(
        &self,
        article: &article::Article,
        origin: Option<&str>,
        canonical: Option<&str>,
    ) -> Result<(Ingested, String), IngestError> {
        let ingested = self
            .store
            .insert_article(article, origin, canonical, self.now())
            .await?;
        match ingested {
            Ingested::New(id) => {
                tracing::info!(target: "audit", article = id.0, origin, title = %article.title, "article ingested");
            }
            Ingested::Existing(id) => {
                tracing::debug!(article = id.0, origin, "article already stored")
            }
        }
        Ok((ingested, article.title.clone()))
    }

    /// Records a reader message in a discussion; `Ok` means it is committed. Text beyond
    /// [`MAX_MESSAGE_CHARS`] is cut.
    pub async fn record_message(
        &self,
        discussion_id: i64,
        mut message: NewMessage,
    ) -> Result<i64, StoreError> {
        if message.body.chars().count() > MAX_MESSAGE_CHARS {
            message.body = reply::truncate(&message.body, MAX_MESSAGE_CHARS);
        }
        let recorded = self.store.record_message(discussion_id, &message).await;
        match &recorded {
            Ok(_) => self.metrics.message_recorded(),
            Err(_) => self.metrics.error(),
        }
        recorded
    }
}

fn help(ctx: &Context, topic: Option<&str>) -> Handled {
    if let Some(topic) = topic {
        let spec = command::spec(topic).ok_or_else(|| {
            user_error(format!(
                "There is no command {}{}. {}help lists them all.",
                ctx.prefix,
                reply::truncate(topic, 40),
                ctx.prefix
            ))
        })?;
        return Ok(Reply::card(cards::command_help(spec, &ctx.prefix)));
    }
    Ok(Reply::card(cards::help(&ctx.prefix, ctx.user.moderator)))
}
