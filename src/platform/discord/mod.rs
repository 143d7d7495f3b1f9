//! The Discord adapter (serenity): slash commands built from the core's command list, with
//! autocomplete over titles; embeds with buttons; a thread per article discussion whose every
//! message is recorded; "Pin as commentary" as a message context menu for moderators; and,
//! optionally, an HTTP interactions endpoint verified with Discord's Ed25519 signatures.
//!
//! Every message goes out with empty `allowed_mentions` (set once on the HTTP client), and all
//! user and article text is escaped before it reaches Discord.

pub mod endpoint;
mod render;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use backon::{ExponentialBuilder, Retryable};
use secrecy::ExposeSecret;
use serenity::all::{
    AutoArchiveDuration, ChannelId, CommandDataOptionValue, CommandInteraction, CommandOptionType,
    CommandType, ComponentInteraction, Context as SerenityContext, CreateAllowedMentions,
    CreateAutocompleteResponse, CreateCommand, CreateCommandOption, CreateInteractionResponse,
    CreateInteractionResponseMessage, CreateThread, EditInteractionResponse, EventHandler,
    GatewayIntents, GuildId, HttpBuilder, Interaction, Member, Message, MessageId,
    MessageUpdateEvent, Permissions, Ready,
};
use serenity::async_trait;
use serenity::http::Http;
use tokio::sync::watch;

use crate::bot::command::{ArgKind, COMMANDS};
use crate::bot::digest::DigestSink;
use crate::bot::{Bot, Command, Context, Effect, MessageRef, Platform, Reply, User};
use crate::config::DiscordConfig;
use crate::store::NewMessage;
use serenity::all::{CreateMessage, Nonce};
use sha2::{Digest, Sha256};

pub use render::{escape, limits, render as render_reply};

const PLATFORM: &str = "discord";
/// The message context-menu commands for moderators.
pub const PIN_MENU: &str = "Pin as commentary";
/// Removes a pin.
pub const UNPIN_MENU: &str = "Unpin commentary";
/// How long the core may take before the reply is deferred (Discord allows three seconds).
const DEFER_AFTER: Duration = Duration::from_millis(2000);

/// The slash and context-menu commands to register, built from [`COMMANDS`].
pub fn application_commands() -> Vec<CreateCommand> {
    let mut commands: Vec<CreateCommand> = COMMANDS
        .iter()
        // Pinning names a message: on Discord that is the message's own context menu.
        // Other moderator commands stay visible so members with `DISCORD_MODERATOR_ROLE` (not
        // only Manage Messages) can use them; the core refuses everyone else.
        .filter(|spec| !matches!(spec.name, "pin" | "unpin"))
        .map(|spec| {
            let mut command = CreateCommand::new(spec.name).description(spec.description);
            for arg in spec.args {
                let option = match arg.kind {
                    ArgKind::Article | ArgKind::ArticleOrWords => CreateCommandOption::new(
                        CommandOptionType::String,
                        arg.name,
                        arg.description,
                    )
                    .set_autocomplete(true),
                    ArgKind::Count => CreateCommandOption::new(
                        CommandOptionType::Integer,
                        arg.name,
                        arg.description,
                    )
                    .min_int_value(1)
                    .max_int_value(crate::bot::command::MAX_SUMMARY_SENTENCES as u64),
                    ArgKind::Text | ArgKind::Message => CreateCommandOption::new(
                        CommandOptionType::String,
                        arg.name,
                        arg.description,
                    ),
                };
                command = command.add_option(option.required(arg.required));
            }
            command
        })
        .collect();
    for name in [PIN_MENU, UNPIN_MENU] {
        commands.push(
            CreateCommand::new(name)
                .kind(CommandType::Message)
                .default_member_permissions(Permissions::MANAGE_MESSAGES),
        );
    }
    commands
}

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

/// The shared part of both ways of receiving interactions.
#[derive(Debug, Clone)]
pub struct DiscordCore {
    bot: Bot,
    config: Arc<DiscordConfig>,
}

/// Retries a Discord call on 5xx answers and transport errors, with exponential backoff.
/// (429s are serenity's rate limiter's to handle.)
async fn with_retry<T, F, Fut>(what: &str, call: F) -> serenity::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = serenity::Result<T>>,
{
    call.retry(
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(200))
            .with_max_delay(Duration::from_secs(5))
            .with_max_times(4),
    )
    .when(transient)
    .notify(|error, wait| tracing::warn!(%error, ?wait, "{what} failed; retrying"))
    .await
}

fn transient(error: &serenity::Error) -> bool {
    use serenity::http::HttpError;
    match error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            response.status_code.is_server_error()
        }
        serenity::Error::Http(HttpError::Request(_)) => true,
        _ => false,
    }
}

impl DiscordCore {
    /// The core for a configuration.
    pub fn new(bot: Bot, config: DiscordConfig) -> Self {
        Self {
            bot,
            config: Arc::new(config),
        }
    }

    /// Whether a member moderates: Manage Messages (or Administrator) in the channel, or the
    /// `DISCORD_MODERATOR_ROLE` role by id or name.
    fn is_moderator(&self, member: Option<&Member>, role_names: &[(u64, String)]) -> bool {
        let Some(member) = member else { return false };
        let permitted = member
            .permissions
            .is_some_and(|p| p.manage_messages() || p.administrator());
        let by_role = self.config.moderator_role.as_deref().is_some_and(|wanted| {
            member.roles.iter().any(|role| {
                role.get().to_string() == wanted
                    || role_names
                        .iter()
                        .any(|(id, name)| *id == role.get() && name.eq_ignore_ascii_case(wanted))
            })
        });
        permitted || by_role
    }

    fn context(
        &self,
        channel: ChannelId,
        member: Option<&Member>,
        user: &serenity::all::User,
        roles: &[(u64, String)],
    ) -> Context {
        Context {
            platform: Platform::Discord,
            channel: channel.get().to_string(),
            channel_name: None,
            user: User {
                id: user.id.get().to_string(),
                name: member
                    .and_then(|m| m.nick.clone())
                    .or_else(|| user.global_name.clone())
                    .unwrap_or_else(|| user.name.clone()),
                moderator: self.is_moderator(member, roles),
            },
            prefix: "/".to_owned(),
        }
    }

    /// The command line for a slash or context-menu command: `summary 3 2`.
    /// Errors are the message for the user.
    fn command_for(&self, command: &CommandInteraction) -> Result<Command, String> {
        match command.data.name.as_str() {
            PIN_MENU | UNPIN_MENU => {
                let Some(target) = command.data.target_id else {
                    return Err("Use this on a message.".to_owned());
                };
                let message = MessageRef::Platform(target.get().to_string());
                Ok(if command.data.name == PIN_MENU {
                    Command::Pin {
                        message,
                        note: None,
                    }
                } else {
                    Command::Unpin(message)
                })
            }
            name => {
                let mut line = name.to_owned();
                if let Some(spec) = crate::bot::command::spec(name) {
                    for arg in spec.args {
                        let value = command
                            .data
                            .options
                            .iter()
                            .find(|o| o.name == arg.name)
                            .and_then(|o| match &o.value {
                                CommandDataOptionValue::String(s) => Some(s.clone()),
                                CommandDataOptionValue::Integer(i) => Some(i.to_string()),
                                CommandDataOptionValue::Number(n) => Some(n.to_string()),
                                _ => None,
                            });
                        if let Some(value) = value {
                            line.push(' ');
                            line.push_str(value.trim());
                        }
                    }
                }
                Command::parse(&line).map_err(|e| e.message("/"))
            }
        }
    }

    /// Autocomplete choices for an article option: "#id title", cut to Discord's limit.
    async fn choices(&self, typed: &str) -> CreateAutocompleteResponse {
        let hits = match self.bot.store().complete_titles(typed, 25).await {
            Ok(hits) => hits,
            Err(error) => {
                tracing::error!(%error, "autocomplete failed");
                Vec::new()
            }
        };
        hits.into_iter()
            .fold(CreateAutocompleteResponse::new(), |response, hit| {
                let name = crate::bot::reply::truncate(
                    &format!("#{} {}", hit.id.0, hit.title),
                    limits::CHOICE_NAME,
                );
                response.add_string_choice(name, hit.id.0.to_string())
            })
    }

    /// Opens (or finds) the thread for a discussion on `message` in `channel`. Returns the
    /// thread's id.
    async fn open_thread(
        &self,
        http: &Http,
        channel: ChannelId,
        message: MessageId,
        discussion_id: i64,
        title: &str,
    ) -> anyhow::Result<ChannelId> {
        let name = crate::bot::reply::truncate(title, limits::THREAD_NAME);
        let store = self.bot.store();
        // A thread started from a message takes that message's id. Tracking it before asking
        // Discord means a reader who posts the moment the thread appears (the gateway may
        // deliver that message before the REST response arrives) is recorded, not dropped.
        store
            .set_thread(discussion_id, Some(&message.get().to_string()))
            .await?;
        let created = with_retry("opening a thread", || {
            channel.create_thread_from_message(
                http,
                message,
                CreateThread::new(name.clone()).auto_archive_duration(AutoArchiveDuration::OneWeek),
            )
        })
        .await;
        let thread = match created {
            Ok(thread) => thread,
            Err(error) => {
                store.set_thread(discussion_id, None).await?;
                return Err(error).context("opening the discussion thread");
            }
        };
        if thread.id.get() != message.get() {
            store
                .set_thread(discussion_id, Some(&thread.id.get().to_string()))
                .await?;
        }
        tracing::info!(discussion = discussion_id, thread = %thread.id, "discussion thread opened");
        Ok(thread.id)
    }

    /// Records a message if it was posted in a tracked thread.
    pub async fn record(&self, message: &Message) -> anyhow::Result<()> {
        if message.author.bot {
            return Ok(());
        }
        let thread = message.channel_id.get().to_string();
        let Some(discussion) = self
            .bot
            .store()
            .discussion_by_thread(PLATFORM, &thread)
            .await?
        else {
            return Ok(());
        };
        let recorded = NewMessage {
            platform: PLATFORM.to_owned(),
            platform_id: message.id.get().to_string(),
            author_id: message.author.id.get().to_string(),
            author_name: message
                .member
                .as_ref()
                .and_then(|m| m.nick.clone())
                .or_else(|| message.author.global_name.clone())
                .unwrap_or_else(|| message.author.name.clone()),
            body: message.content.clone(),
            reply_to: message
                .message_reference
                .as_ref()
                .and_then(|r| r.message_id)
                .map(|id| id.get().to_string()),
            created_at: *message.timestamp,
        };
        let id = self.bot.record_message(discussion.id, recorded).await?;
        tracing::debug!(
            message = id,
            discussion = discussion.id,
            "thread message recorded"
        );
        Ok(())
    }

    async fn edited(&self, event: &MessageUpdateEvent) -> anyhow::Result<()> {
        if let Some(content) = &event.content {
            let at = event
                .edited_timestamp
                .map_or_else(|| self.bot.now(), |t| *t);
            let id = event.id.get().to_string();
            let store = self.bot.store();
            if !store.edit_message(PLATFORM, &id, content, at).await?
                && self.tracked(event.channel_id).await?
            {
                // serenity runs handlers concurrently: the creation may still be on its way.
                store.defer_change(PLATFORM, &id, Some(content), at).await?;
            }
        }
        Ok(())
    }

    async fn deleted(&self, channel: ChannelId, id: MessageId) -> anyhow::Result<()> {
        let store = self.bot.store();
        let now = self.bot.now();
        let id = id.get().to_string();
        if store.delete_message(PLATFORM, &id, now).await? {
            tracing::info!(message = %id, "deleted message removed from the store");
        } else if self.tracked(channel).await? {
            store.defer_change(PLATFORM, &id, None, now).await?;
        }
        Ok(())
    }

    async fn tracked(&self, channel: ChannelId) -> anyhow::Result<bool> {
        Ok(self
            .bot
            .store()
            .discussion_by_thread(PLATFORM, &channel.get().to_string())
            .await?
            .is_some())
    }
}

/// Posts digests into Discord channels.
#[derive(Debug, Clone)]
pub struct DiscordDigests {
    http: Arc<Http>,
}

impl DiscordDigests {
    /// Posts through this client.
    pub fn new(http: Arc<Http>) -> Self {
        Self { http }
    }
}

impl DiscordDigests {
    async fn post_keyed(
        &self,
        channel: ChannelId,
        reply: &Reply,
        key: &str,
    ) -> anyhow::Result<Message> {
        let rendered = render::render(reply);
        // Discord drops a second message with the same nonce, so a retry after a lost answer
        // does not post twice.
        let nonce: String = Sha256::digest(key.as_bytes())
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut message = CreateMessage::new()
            .embeds(rendered.embeds)
            .components(rendered.components)
            .nonce(Nonce::String(nonce))
            .enforce_nonce(true)
            .allowed_mentions(CreateAllowedMentions::new());
        if let Some(content) = rendered.content {
            message = message.content(content);
        }
        Ok(with_retry("posting to a channel", || {
            channel.send_message(&self.http, message.clone())
        })
        .await?)
    }
}

#[async_trait]
impl DigestSink for DiscordDigests {
    async fn post(&self, channel: &str, digest: &Reply, key: &str) -> anyhow::Result<()> {
        let channel = ChannelId::new(channel.parse().context("not a Discord channel id")?);
        self.post_keyed(channel, digest, key).await.map(drop)
    }

    async fn post_with_thread(
        &self,
        channel: &str,
        card: &Reply,
        key: &str,
        title: &str,
    ) -> anyhow::Result<Option<String>> {
        let channel = ChannelId::new(channel.parse().context("not a Discord channel id")?);
        let message = self.post_keyed(channel, card, key).await?;
        let name = crate::bot::reply::truncate(title, limits::THREAD_NAME);
        let thread = with_retry("opening a thread", || {
            channel.create_thread_from_message(
                &self.http,
                message.id,
                CreateThread::new(name.clone()).auto_archive_duration(AutoArchiveDuration::OneWeek),
            )
        })
        .await
        .context("opening the discussion thread")?;
        Ok(Some(thread.id.get().to_string()))
    }
}

/// Runs `handle` and answers a command interaction with its reply, deferring first when the
/// core takes longer than [`DEFER_AFTER`]; returns the reply.
async fn answer_command(
    http: &Http,
    interaction: &CommandInteraction,
    handle: impl std::future::Future<Output = Reply>,
) -> anyhow::Result<Reply> {
    tokio::pin!(handle);
    let reply = tokio::select! {
        reply = &mut handle => {
            let message = response_message(&reply);
            with_retry("answering a command", || {
                interaction.create_response(http, CreateInteractionResponse::Message(message.clone()))
            })
            .await
            .context("answering a command")?;
            reply
        }
        _ = tokio::time::sleep(DEFER_AFTER) => {
            with_retry("deferring a command", || interaction.defer(http)).await.context("deferring")?;
            let reply = handle.await;
            let rendered = render::render(&reply);
            let mut edit = EditInteractionResponse::new().embeds(rendered.embeds).components(rendered.components);
            for file in rendered.files {
                edit = edit.new_attachment(file);
            }
            if let Some(content) = rendered.content {
                edit = edit.content(content);
            }
            with_retry("editing a deferred reply", || interaction.edit_response(http, edit.clone()))
                .await
                .context("editing a deferred reply")?;
            reply
        }
    };
    Ok(reply)
}

/// A message the adapter itself writes (channel links and numbers only, no user text), so it
/// is sent as markup rather than escaped.
fn notice(content: String, ephemeral: bool) -> CreateInteractionResponseMessage {
    CreateInteractionResponseMessage::new()
        .content(content)
        .ephemeral(ephemeral)
        .allowed_mentions(CreateAllowedMentions::new())
}

/// The interaction response message for a reply (ephemeral where the reply says so).
fn response_message(reply: &Reply) -> CreateInteractionResponseMessage {
    let rendered = render::render(reply);
    let mut message = CreateInteractionResponseMessage::new()
        .embeds(rendered.embeds)
        .components(rendered.components)
        .ephemeral(reply.ephemeral)
        .add_files(rendered.files)
        .allowed_mentions(CreateAllowedMentions::new());
    if let Some(content) = rendered.content {
        message = message.content(content);
    }
    message
}

/// The gateway event handler.
struct Handler {
    core: DiscordCore,
}

impl Handler {
    fn role_names(&self, ctx: &SerenityContext, guild: Option<GuildId>) -> Vec<(u64, String)> {
        guild
            .and_then(|g| {
                ctx.cache.guild(g).map(|g| {
                    g.roles
                        .values()
                        .map(|r| (r.id.get(), r.name.clone()))
                        .collect()
                })
            })
            .unwrap_or_default()
    }

    async fn command(
        &self,
        ctx: &SerenityContext,
        interaction: CommandInteraction,
    ) -> anyhow::Result<()> {
        let roles = self.role_names(ctx, interaction.guild_id);
        let context = self.core.context(
            interaction.channel_id,
            interaction.member.as_deref(),
            &interaction.user,
            &roles,
        );
        let bot = self.core.bot.clone();
        let handle = async {
            match self.core.command_for(&interaction) {
                Ok(command) => bot.handle(&context, command).await,
                Err(message) => Reply::error(message),
            }
        };
        let reply = answer_command(&ctx.http, &interaction, handle).await?;
        if let Some(Effect::Discussion {
            discussion_id,
            article_id,
            thread_ref,
        }) = &reply.effect
        {
            match thread_ref {
                None => {
                    let message =
                        with_retry("reading the reply", || interaction.get_response(&ctx.http))
                            .await?;
                    let title = self.title(*article_id).await;
                    let thread = self
                        .core
                        .open_thread(
                            &ctx.http,
                            interaction.channel_id,
                            message.id,
                            *discussion_id,
                            &title,
                        )
                        .await?;
                    let note = CreateInteractionResponseFollowup::new()
                        .content(format!("Discussion opened: <#{thread}>"))
                        .allowed_mentions(CreateAllowedMentions::new());
                    with_retry("linking the thread", || {
                        interaction.create_followup(&ctx.http, note.clone())
                    })
                    .await?;
                }
                Some(existing) => {
                    let note = CreateInteractionResponseFollowup::new()
                        .content(format!(
                            "The discussion of {article_id} continues in <#{}>.",
                            existing.parse::<u64>().unwrap_or_default()
                        ))
                        .allowed_mentions(CreateAllowedMentions::new());
                    with_retry("linking the thread", || {
                        interaction.create_followup(&ctx.http, note.clone())
                    })
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn title(&self, article: crate::store::ArticleId) -> String {
        match self.core.bot.store().article(article).await {
            Ok(Some(stored)) => stored.article.title,
            _ => format!("Article {article}"),
        }
    }

    async fn component(
        &self,
        ctx: &SerenityContext,
        interaction: ComponentInteraction,
    ) -> anyhow::Result<()> {
        let Some(line) = render::parse_action(&interaction.data.custom_id) else {
            return Ok(());
        };
        let roles = self.role_names(ctx, interaction.guild_id);
        let context = self.core.context(
            interaction.channel_id,
            interaction.member.as_ref(),
            &interaction.user,
            &roles,
        );
        let reply = self.core.bot.handle_text(&context, &line).await;
        match &reply.effect {
            Some(Effect::Discussion {
                discussion_id,
                article_id,
                thread_ref: None,
            }) => {
                // The card the button sits on becomes the thread's starter message.
                let title = self.title(*article_id).await;
                let thread = self
                    .core
                    .open_thread(
                        &ctx.http,
                        interaction.channel_id,
                        interaction.message.id,
                        *discussion_id,
                        &title,
                    )
                    .await?;
                let message = notice(format!("Discussion opened: <#{thread}>"), false);
                with_retry("answering a button", || {
                    interaction.create_response(
                        &ctx.http,
                        CreateInteractionResponse::Message(message.clone()),
                    )
                })
                .await?;
            }
            Some(Effect::Discussion {
                article_id,
                thread_ref: Some(existing),
                ..
            }) => {
                let text = format!(
                    "The discussion of {article_id} continues in <#{}>.",
                    existing.parse::<u64>().unwrap_or_default()
                );
                let message = notice(text, true);
                with_retry("answering a button", || {
                    interaction.create_response(
                        &ctx.http,
                        CreateInteractionResponse::Message(message.clone()),
                    )
                })
                .await?;
            }
            None => {
                let message = response_message(&reply);
                with_retry("answering a button", || {
                    interaction.create_response(
                        &ctx.http,
                        CreateInteractionResponse::Message(message.clone()),
                    )
                })
                .await?;
            }
        }
        Ok(())
    }
}

use serenity::all::CreateInteractionResponseFollowup;

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: SerenityContext, ready: Ready) {
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "Discord connected");
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

    async fn interaction_create(&self, ctx: SerenityContext, interaction: Interaction) {
        let outcome = match interaction {
            Interaction::Command(command) => self.command(&ctx, command).await,
            Interaction::Autocomplete(autocomplete) => {
                let typed = autocomplete
                    .data
                    .autocomplete()
                    .map(|o| o.value.to_owned())
                    .unwrap_or_default();
                let choices = self.core.choices(&typed).await;
                autocomplete
                    .create_response(&ctx.http, CreateInteractionResponse::Autocomplete(choices))
                    .await
                    .context("answering autocomplete")
            }
            Interaction::Component(component) => self.component(&ctx, component).await,
            _ => Ok(()),
        };
        if let Err(error) = outcome {
            tracing::error!("{error:#}");
        }
    }

    async fn message(&self, _ctx: SerenityContext, message: Message) {
        if let Err(error) = self.core.record(&message).await {
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
        _guild: Option<GuildId>,
    ) {
        if let Err(error) = self.core.deleted(channel, message).await {
            tracing::error!(%message, "recording a deletion failed: {error:#}");
        }
    }

    async fn message_delete_bulk(
        &self,
        _ctx: SerenityContext,
        channel: ChannelId,
        messages: Vec<MessageId>,
        _guild: Option<GuildId>,
    ) {
        for message in messages {
            if let Err(error) = self.core.deleted(channel, message).await {
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
    let outcome = client.start().await.context("the Discord gateway");
    stopper.abort();
    if let Some(endpoint) = endpoint {
        endpoint.abort();
    }
    outcome
}
