//! The platform-neutral bot core: takes a command from someone in a channel and answers with a
//! [`Reply`]; takes discussion events (messages, edits, deletions) and records them.
//!
//! It knows nothing of serenity or matrix-sdk: platform adapters translate their events into
//! [`Context`] + [`Command`] and render the [`Reply`] natively.

pub mod cards;
pub mod catchup;
pub mod claims;
pub mod commands;
mod community;
pub mod digest;
pub mod events;
pub mod export;
pub mod feeds;
mod ingest;
pub mod limits;
pub mod reply;
pub mod web;

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::metrics::Outcome;

use chrono::{DateTime, Utc};

pub use catchup::{CatchUp, ThreadRecord};
pub use commands::{COMMANDS, Command, CommandError, CommandSpec, MessageRef, Target};
pub use community::CommunityLimits;
pub use events::{Change, Changed, Posted};
pub use ingest::IngestError;
pub use reply::{Action, Body, Card, Effect, Field, Quoted, Reply};

use crate::clock::Clock;
use crate::store::{
    ArticleId, Community, DiscussionStats, Pin, Scope, Store, StoreError, StoredArticle,
};

/// Autocomplete answers a user may have at once, and how often one comes back.
const AUTOCOMPLETE_BURST: u32 = 30;
const AUTOCOMPLETE_REFILL: Duration = Duration::from_millis(250);

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
    /// The platform's id of the community the channel belongs to: a Discord guild, a Matrix
    /// room, the console's name. Everything the caller reads and writes stays inside it.
    pub community: String,
    /// The platform's id of the channel (the console's is its community's name).
    pub channel: String,
    /// The channel's name, if known.
    pub channel_name: Option<String>,
    /// The caller.
    pub user: User,
    /// The command prefix users type on this platform (`/`, `!`).
    pub prefix: String,
}

/// A failed request: the user's fault (shown to them) or ours (logged, apologised for).
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The request cannot be done as asked; the message says why, for the user.
    #[error("{0}")]
    User(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a command handler returns.
pub type Handled = Result<Reply, Failure>;

pub(crate) fn user_error(message: impl Into<String>) -> Failure {
    Failure::User(message.into())
}

tokio::task_local! {
    /// The caller's community and channel once a command has looked them up: a command asks
    /// for them several times (its scope, the shelf, the card), and on PostgreSQL each ask is
    /// a round trip. Lives for one command only, so nothing another process changes is missed
    /// for longer.
    static RESOLVED: RefCell<Resolved>;
}

/// What [`RESOLVED`] holds, for the context it was looked up for.
#[derive(Debug, Default)]
struct Resolved {
    key: Option<(&'static str, String, String)>,
    community: Option<Community>,
    channel: Option<crate::store::Channel>,
}

impl Resolved {
    fn key(ctx: &Context) -> (&'static str, String, String) {
        (
            ctx.platform.as_str(),
            ctx.community.clone(),
            ctx.channel.clone(),
        )
    }

    /// What is known for `ctx` in this command, if anything.
    fn get<T>(ctx: &Context, pick: impl FnOnce(&Resolved) -> Option<T>) -> Option<T> {
        RESOLVED
            .try_with(|r| {
                let r = r.borrow();
                (r.key.as_ref() == Some(&Self::key(ctx)))
                    .then(|| pick(&r))
                    .flatten()
            })
            .ok()
            .flatten()
    }

    fn keep(ctx: &Context, put: impl FnOnce(&mut Resolved)) {
        let _ = RESOLVED.try_with(|r| {
            let mut r = r.borrow_mut();
            let key = Self::key(ctx);
            if r.key.as_ref() != Some(&key) {
                *r = Resolved {
                    key: Some(key),
                    ..Resolved::default()
                };
            }
            put(&mut r);
        });
    }
}

/// The bot core. Cheap to clone; every platform task holds one.
#[derive(Clone, Debug)]
pub struct Bot {
    store: Store,
    clock: Arc<dyn Clock>,
    fetcher: crate::sources::web::Fetcher,
    started: Instant,
    limiter: Arc<limits::RateLimiter>,
    completions: Arc<limits::RateLimiter>,
    limits: CommunityLimits,
    ingests: Arc<community::IngestLog>,
    metrics: Arc<crate::metrics::Metrics>,
    web: Option<web::WebSite>,
    /// Kept only on PostgreSQL (see [`Bot::scoped`]).
    hints: Option<Arc<ScopeHints>>,
}

/// The scope this process last found for each place a command was given in, as a guess for
/// [`Bot::scoped`]. Only ever a guess: a read in it counts once the lookup confirms it.
#[derive(Debug, Default)]
struct ScopeHints(std::sync::Mutex<std::collections::HashMap<String, Scope>>);

impl ScopeHints {
    /// Past this many places the map starts again, which costs each place one lookup alone.
    const MAX: usize = 100_000;

    fn key(ctx: &Context) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}",
            ctx.platform.as_str(),
            ctx.community,
            ctx.channel
        )
    }

    fn get(&self, ctx: &Context) -> Option<Scope> {
        let hints = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hints.get(&Self::key(ctx)).copied()
    }

    fn put(&self, ctx: &Context, scope: Scope) {
        let mut hints = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if hints.len() >= Self::MAX {
            hints.clear();
        }
        hints.insert(Self::key(ctx), scope);
    }
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
        let store_backend = store.backend();
        Self {
            store,
            clock,
            fetcher,
            started: Instant::now(),
            limiter: Arc::new(limits::RateLimiter::default()),
            // Autocomplete fires per keystroke: a generous bucket of its own, so typing is
            // never slowed, but a script cannot turn it into a search flood.
            completions: Arc::new(limits::RateLimiter::new(
                AUTOCOMPLETE_BURST,
                AUTOCOMPLETE_REFILL,
            )),
            limits: CommunityLimits::default(),
            ingests: Arc::default(),
            metrics: Arc::default(),
            web: None,
            hints: (store_backend == crate::store::Backend::Postgres).then(Arc::default),
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

    /// Whether `user` may have another autocomplete answer now (on its own limit, separate
    /// from commands); a refused one gets no choices.
    pub fn may_autocomplete(&self, platform: Platform, user: &str) -> bool {
        let key = format!("{}:{user}", platform.as_str());
        matches!(
            self.completions.check(&key, self.now()),
            limits::Verdict::Allowed
        )
    }

    /// The same bot with these per-community limits.
    pub fn with_community_limits(mut self, limits: CommunityLimits) -> Self {
        self.limits = limits;
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
        let spec = command.spec();
        if spec.moderator && !ctx.user.moderator {
            return Err(user_error(moderators_only(spec, &ctx.prefix)));
        }
        RESOLVED
            .scope(RefCell::new(Resolved::default()), command.run(self, ctx))
            .await
    }

    /// The HTTP fetcher for pages and feeds.
    pub(crate) fn fetcher(&self) -> &crate::sources::web::Fetcher {
        &self.fetcher
    }

    /// A stored article, or the user's error that there is none.
    pub(crate) async fn find(
        &self,
        ctx: &Context,
        id: ArticleId,
    ) -> Result<StoredArticle, Failure> {
        // An article of another community's shelf gets the same answer as one that does not
        // exist, so ids tell nothing.
        let (_, stored) = self.scoped(ctx, |scope| self.find_in(scope, id)).await?;
        Ok(stored)
    }

    async fn find_in(&self, scope: Scope, id: ArticleId) -> Result<StoredArticle, Failure> {
        self.store
            .article_in(scope, id)
            .await?
            .ok_or_else(|| user_error(format!("There is no article {id}.")))
    }

    /// The article a command names (by id, by words, or the latest), with what its card shows
    /// beside it: its discussion's size and pins in the caller's community. An article named
    /// by id is read beside them, so `/article <id>` on PostgreSQL waits for one round of reads
    /// (and then its shelf row) rather than two.
    pub(crate) async fn resolve_for_card(
        &self,
        ctx: &Context,
        target: Option<Target>,
    ) -> Result<(StoredArticle, DiscussionStats, Vec<Pin>), Failure> {
        let target = &target;
        let (_, found) = self
            .scoped(ctx, |scope| async move {
                let stored = match target {
                    Some(Target::Id(id)) => {
                        let (stored, (stats, pins)) =
                            tokio::try_join!(self.find_in(scope, *id), self.talk(scope, *id))?;
                        return Ok((stored, stats, pins));
                    }
                    None => self.store.latest_article(scope).await?.ok_or_else(|| {
                        user_error(
                            "There are no articles yet. An operator can add some with `readingroom ingest FILE`.",
                        )
                    })?,
                    Some(Target::Words(words)) => match self.store.best_match(scope, words).await? {
                        Some(id) => self.find_in(scope, id).await?,
                        None => {
                            return Err(user_error(format!(
                                "No article matches “{}”. Try {}search with other words.",
                                reply::truncate(words, 60),
                                ctx.prefix
                            )));
                        }
                    },
                };
                let (stats, pins) = self.talk(scope, stored.id).await?;
                Ok((stored, stats, pins))
            })
            .await?;
        Ok(found)
    }

    /// The caller's community, known from now on: the community it is joined to, if it is
    /// (`link join`), with its own row in [`Community::own_id`].
    pub(crate) async fn community(&self, ctx: &Context) -> Result<Community, Failure> {
        if let Some(known) = Resolved::get(ctx, |r| r.community.clone()) {
            return Ok(known);
        }
        let community = self
            .store
            .community(ctx.platform.as_str(), &ctx.community, None, self.now())
            .await?;
        Resolved::keep(ctx, |r| r.community = Some(community.clone()));
        Ok(community)
    }

    /// What the caller may read: their community's. Going through the channel first moves a
    /// channel kept from before communities into the caller's community.
    pub(crate) async fn scope(&self, ctx: &Context) -> Result<Scope, Failure> {
        Ok(channel_scope(&self.channel(ctx).await?))
    }

    /// A read in the caller's scope, and that scope. On PostgreSQL every statement is a round
    /// trip, and every command first looks up where it was given: there the read starts at
    /// once, beside that lookup, in the scope this process last found for the caller's place.
    /// Its answer (or error) counts only when the lookup confirms that scope; otherwise the
    /// read runs again in the scope found, so nothing is ever answered from another
    /// community's view. `read` must only read. On SQLite, where a statement is a call into
    /// the library, the lookup and the read run one after the other, and no guesses are kept.
    pub(crate) async fn scoped<T, F, Fut>(
        &self,
        ctx: &Context,
        read: F,
    ) -> Result<(Scope, T), Failure>
    where
        F: Fn(Scope) -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let looked_up = Resolved::get(ctx, |r| r.channel.as_ref().map(|_| ())).is_some();
        let guess = self
            .hints
            .as_ref()
            .filter(|_| !looked_up)
            .and_then(|hints| hints.get(ctx));
        if let Some(guess) = guess {
            let (scope, early) = tokio::join!(self.scope(ctx), read(guess));
            let scope = scope?;
            if scope == guess {
                return Ok((scope, early?));
            }
            return Ok((scope, read(scope).await?));
        }
        let scope = self.scope(ctx).await?;
        Ok((scope, read(scope).await?))
    }

    /// Remembers `channel`'s scope for the next command from the same place, where hints are
    /// kept.
    fn keep_hint(&self, ctx: &Context, channel: &crate::store::Channel) {
        if let Some(hints) = &self.hints {
            hints.put(ctx, channel_scope(channel));
        }
    }

    /// The caller's channel, known from now on.
    pub(crate) async fn channel(&self, ctx: &Context) -> Result<crate::store::Channel, Failure> {
        if let Some(known) = Resolved::get(ctx, |r| r.channel.clone()) {
            return Ok(known);
        }
        if Resolved::get(ctx, |r| r.community.clone()).is_none()
            && let Some((community, channel)) = self
                .store
                .known_place(
                    ctx.platform.as_str(),
                    &ctx.community,
                    &ctx.channel,
                    ctx.channel_name.as_deref(),
                )
                .await?
        {
            self.keep_hint(ctx, &channel);
            Resolved::keep(ctx, |r| {
                r.community = Some(community);
                r.channel = Some(channel.clone());
            });
            return Ok(channel);
        }
        let community = self.community(ctx).await?;
        let channel = self
            .store
            .channel(
                ctx.platform.as_str(),
                &ctx.channel,
                ctx.channel_name.as_deref(),
                community.own_id(),
                self.now(),
            )
            .await?;
        self.keep_hint(ctx, &channel);
        Resolved::keep(ctx, |r| r.channel = Some(channel.clone()));
        Ok(channel)
    }

    /// Puts an article on the caller's community's shelf.
    pub(crate) async fn shelve(&self, ctx: &Context, article: ArticleId) -> Result<(), Failure> {
        let community = self.community(ctx).await?;
        let by = format!("{}:{}", ctx.platform.as_str(), ctx.user.id);
        Ok(self
            .store
            .shelve(community.own_id(), article, Some(&by), self.now())
            .await?)
    }

    /// Marks an article the caller could read already as shown to their community (see
    /// [`crate::store::Store::shelve_shown`]).
    pub(crate) async fn shelve_shown(
        &self,
        ctx: &Context,
        article: ArticleId,
    ) -> Result<(), Failure> {
        let community = self.community(ctx).await?;
        let by = format!("{}:{}", ctx.platform.as_str(), ctx.user.id);
        Ok(self
            .store
            .shelve_shown(community.own_id(), article, Some(&by), self.now())
            .await?)
    }

    /// The article card with the discussion size and pins of the caller's community.
    pub(crate) async fn article_card(
        &self,
        ctx: &Context,
        stored: &StoredArticle,
    ) -> Result<Card, Failure> {
        let scope = self.scope(ctx).await?;
        let ((stats, pins), url) = tokio::try_join!(
            self.talk(scope, stored.id),
            self.article_url(ctx, stored.id, None),
        )?;
        Ok(web::with_link(
            cards::article(stored, stats, &pins, &ctx.prefix),
            url,
        ))
    }

    /// What an article card shows of an article's discussion in `scope`: its size and pins.
    /// The two reads need nothing of each other, so they run at once: on PostgreSQL each is a
    /// round trip.
    async fn talk(
        &self,
        scope: Scope,
        article: ArticleId,
    ) -> Result<(DiscussionStats, Vec<Pin>), Failure> {
        Ok(tokio::try_join!(
            self.store.discussion_stats(scope, article),
            self.store.pins(scope, Some(article), cards::PINS_ON_CARD),
        )?)
    }
}

/// What a reader in `channel` may read: the community it reads in.
fn channel_scope(channel: &crate::store::Channel) -> Scope {
    Scope::Community(channel.community_id.unwrap_or_default())
}

/// The refusal of a moderator command, naming what the caller may run instead.
fn moderators_only(spec: &CommandSpec, prefix: &str) -> String {
    let open: Vec<String> = commands::spec(spec.root())
        .map(|root| {
            root.subcommands
                .iter()
                .filter(|sub| !sub.moderator)
                .map(|sub| format!("{prefix}{}", sub.path))
                .collect()
        })
        .unwrap_or_default();
    match open.as_slice() {
        [] => format!("Only moderators can use {prefix}{}.", spec.path),
        open => format!(
            "Only moderators can use {prefix}{}; anyone can use {}.",
            spec.path,
            open.join(" and ")
        ),
    }
}
