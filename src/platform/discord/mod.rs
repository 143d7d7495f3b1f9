//! The Discord adapter (serenity): slash commands built from the core's command list, with
//! autocomplete over titles; embeds with buttons; a thread per article discussion whose every
//! message is recorded; "Pin as commentary" as a message context menu for moderators; and,
//! optionally, an HTTP interactions endpoint verified with Discord's Ed25519 signatures.
//!
//! By direction: `commands` (registration, options to core commands, autocomplete),
//! `interaction` (the one path every interaction takes, from the gateway or the endpoint),
//! `events` (thread messages, edits, deletions to the core), `send` and `render` (what goes
//! out), `endpoint` (the HTTP way in). Each guild is a community of the core: the handler
//! reports joining one (GUILD_CREATE) and being removed from one (GUILD_DELETE), which starts
//! the grace period before its data is purged.
//!
//! Every message goes out with empty `allowed_mentions` (set once on the HTTP client, and on
//! every send), and all user and article text is escaped before it reaches Discord.

mod catchup;
mod commands;
pub mod endpoint;
mod events;
mod interaction;
mod render;
mod send;

use std::sync::Arc;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use serenity::all::{
    ChannelId, Context as SerenityContext, CreateAllowedMentions, EventHandler, GatewayIntents,
    Guild, GuildId, HttpBuilder, Interaction, Message, MessageId, MessageUpdateEvent, Ready,
    UnavailableGuild,
};
use serenity::async_trait;
use serenity::http::Http;
use tokio::sync::watch;

use crate::bot::{Bot, Platform};
use crate::config::DiscordConfig;
use crate::store::ArticleId;

pub use commands::{PIN_MENU, UNPIN_MENU, application_commands};
pub use render::{escape, limits, render as render_reply};
pub use send::DiscordDigests;

/// The HTTP client: every send carries empty `allowed_mentions`; with `api_base`, every call
/// goes to that server (serenity ignores the proxy while its rate limiter is on, so the
/// limiter is off there).
pub fn http_client(config: &DiscordConfig) -> Http {
    let mut builder = HttpBuilder::new(config.token.expose_secret())
        .default_allowed_mentions(CreateAllowedMentions::new());
    if let Some(base) = &config.api_base {
        builder = builder
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    builder.build()
}

/// What both ways of receiving interactions share: the bot and the settings.
#[derive(Debug, Clone)]
pub struct DiscordCore {
    bot: Bot,
    config: Arc<DiscordConfig>,
    /// Held by the catch-up of a new gateway session, so two never run at once.
    catching_up: Arc<tokio::sync::Mutex<()>>,
}

impl DiscordCore {
    /// The core for a configuration.
    pub fn new(bot: Bot, config: DiscordConfig) -> Self {
        Self {
            bot,
            config: Arc::new(config),
            catching_up: Arc::default(),
        }
    }

    /// Opens the thread for a discussion on `message` in `channel` and returns its id.
    async fn open_thread(
        &self,
        http: &Http,
        channel: ChannelId,
        message: MessageId,
        discussion_id: i64,
        article: ArticleId,
    ) -> anyhow::Result<ChannelId> {
        let title = match self.bot.store().article(article).await {
            Ok(Some(stored)) => stored.article.title,
            _ => format!("Article {article}"),
        };
        // A thread started from a message takes that message's id. Tracking it before asking
        // Discord means a reader who posts the moment the thread appears (the gateway may
        // deliver that message before the REST response arrives) is recorded, not dropped.
        let starter = message.get().to_string();
        self.bot
            .thread_opened(discussion_id, Some(&starter))
            .await?;
        let thread = match send::create_thread(http, channel, message, &title).await {
            Ok(thread) => thread,
            Err(error) => {
                self.bot.thread_opened(discussion_id, None).await?;
                return Err(error).context("opening the discussion thread");
            }
        };
        if thread.id.get() != message.get() {
            self.bot
                .thread_opened(discussion_id, Some(&thread.id.get().to_string()))
                .await?;
        }
        Ok(thread.id)
    }
}

/// The gateway event handler.
struct Handler {
    core: DiscordCore,
}

#[async_trait]
impl EventHandler for Handler {
    /// A new gateway session (a start, or a resume that failed; a successful resume is
    /// `resumed` and missed nothing): what was said in tracked threads meanwhile is caught up on
    /// in the background, and on shard 0 the commands are registered.
    async fn ready(&self, ctx: SerenityContext, ready: Ready) {
        let session_start = self.core.bot.now();
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "Discord connected");
        let guilds = ready.guilds.iter().map(|g| g.id).collect();
        tokio::spawn(catchup::run(
            self.core.clone(),
            ctx.http.clone(),
            guilds,
            session_start,
        ));
        // Commands belong to the application, not to a session: one registration per start is
        // enough, from shard 0 (whichever process runs it), not one per shard.
        if ready.shard.is_some_and(|shard| shard.id.0 != 0) {
            return;
        }
        let commands = application_commands();
        let registered = match self.core.config.guild_id {
            Some(guild) => GuildId::new(guild).set_commands(&ctx.http, commands).await,
            None => serenity::all::Command::set_global_commands(&ctx.http, commands).await,
        };
        match registered {
            Ok(commands) => tracing::info!(count = commands.len(), "slash commands registered"),
            Err(error) => tracing::error!(%error, "registering slash commands failed"),
        }
    }

    /// The bot is in a guild: sent for every guild at connection, and on joining one. Either
    /// way a purge pending from an earlier removal is called off.
    async fn guild_create(&self, _ctx: SerenityContext, guild: Guild, _is_new: Option<bool>) {
        let id = guild.id.get().to_string();
        let joined = self
            .core
            .bot
            .community_joined(Platform::Discord, &id, Some(&guild.name))
            .await;
        if let Err(error) = joined {
            tracing::error!(guild = %guild.id, "recording a guild failed: {error:#}");
        }
        // Channels known from before communities move to their guild now, not when they are
        // next used, so a removal from the guild purges them too.
        let channels: Vec<String> = guild.channels.keys().map(|c| c.get().to_string()).collect();
        let adopted = self
            .core
            .bot
            .adopt_channels(Platform::Discord, &id, &channels)
            .await;
        if let Err(error) = adopted {
            tracing::error!(guild = %guild.id, "moving known channels to their guild failed: {error:#}");
        }
    }

    /// A guild is gone. Only a removal (kicked, banned, the guild deleted) starts the purge's
    /// grace period: an outage also sends GUILD_DELETE, marked unavailable, and the guild
    /// comes back with its data.
    async fn guild_delete(
        &self,
        _ctx: SerenityContext,
        incomplete: UnavailableGuild,
        _full: Option<Guild>,
    ) {
        if incomplete.unavailable {
            tracing::warn!(guild = %incomplete.id, "guild unavailable (outage)");
            return;
        }
        let id = incomplete.id.get().to_string();
        if let Err(error) = self.core.bot.community_left(Platform::Discord, &id).await {
            tracing::error!(guild = %incomplete.id, "recording a removal failed: {error:#}");
        }
    }

    async fn interaction_create(&self, ctx: SerenityContext, interaction: Interaction) {
        let (id, token) = match &interaction {
            Interaction::Command(c) | Interaction::Autocomplete(c) => (c.id, c.token.clone()),
            Interaction::Component(c) => (c.id, c.token.clone()),
            _ => return,
        };
        let respond = interaction::Callback {
            http: &ctx.http,
            id,
            token: &token,
        };
        let client = interaction::Client {
            http: &ctx.http,
            cache: Some(&ctx.cache),
        };
        if let Err(error) = interaction::handle(&self.core, client, interaction, &respond).await {
            tracing::error!("{error:#}");
        }
    }

    async fn message(&self, _ctx: SerenityContext, message: Message) {
        if let Err(error) = self.core.posted(&message).await {
            tracing::error!(message = %message.id, "recording a Discord message failed: {error:#}");
        }
    }

    async fn message_update(
        &self,
        _ctx: SerenityContext,
        _old: Option<Message>,
        _new: Option<Message>,
        event: MessageUpdateEvent,
    ) {
        if let Err(error) = self.core.edited(&event).await {
            tracing::error!(message = %event.id, "recording an edit failed: {error:#}");
        }
    }

    async fn message_delete(
        &self,
        _ctx: SerenityContext,
        channel: ChannelId,
        message: MessageId,
        guild: Option<GuildId>,
    ) {
        if let Err(error) = self.core.deleted(guild, channel, message).await {
            tracing::error!(%message, "recording a deletion failed: {error:#}");
        }
    }

    async fn message_delete_bulk(
        &self,
        _ctx: SerenityContext,
        channel: ChannelId,
        messages: Vec<MessageId>,
        guild: Option<GuildId>,
    ) {
        for message in messages {
            if let Err(error) = self.core.deleted(guild, channel, message).await {
                tracing::error!(%message, "recording a deletion failed: {error:#}");
            }
        }
    }
}

/// Runs the Discord side until `shutdown` turns true: the gateway client, and the HTTP
/// interactions endpoint when configured.
pub async fn run(
    bot: Bot,
    config: DiscordConfig,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let core = DiscordCore::new(bot, config);
    let http = http_client(&core.config);
    let intents =
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT;
    let mut client = serenity::all::ClientBuilder::new_with_http(http, intents)
        .event_handler(Handler { core: core.clone() })
        .await
        .context("building the Discord client")?;
    let endpoint = match core.config.interactions.clone() {
        Some(settings) => Some(tokio::spawn(endpoint::serve(
            core.clone(),
            client.http.clone(),
            settings,
            shutdown.clone(),
        ))),
        None => None,
    };
    let shards = client.shard_manager.clone();
    let stopper = tokio::spawn(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
        shards.shutdown_all().await;
    });
    let outcome = match core.config.shards {
        // Every shard of Discord's recommended count, as the settings promise: `start` would run
        // shard 0 of 1, which Discord refuses (4011) once the bot needs sharding.
        None => client.start_autosharded().await,
        Some(shards) => {
            let total = match shards.total {
                Some(total) => total,
                None => {
                    client
                        .http
                        .get_bot_gateway()
                        .await
                        .context("asking Discord for the recommended shard count")?
                        .shards
                }
            };
            if shards.last >= total {
                anyhow::bail!(
                    "DISCORD_SHARDS ends at shard {}, but the bot has {total} shards (numbered from 0)",
                    shards.last
                );
            }
            tracing::info!(first = shards.first, last = shards.last, total, "starting Discord shards");
            // serenity's range is inclusive at both ends (`4..7` starts shards 4 to 7).
            #[allow(clippy::range_plus_one, clippy::reversed_empty_ranges)]
            client
                .start_shard_range(shards.first..shards.last, total)
                .await
        }
    }
    .context("the Discord gateway");
    stopper.abort();
    if let Some(endpoint) = endpoint {
        endpoint.abort();
    }
    outcome
}
