//! One path for every interaction, whether it came through the gateway or the HTTP
//! interactions endpoint: who is asking (moderator by permission or role), running the
//! command or button, deferring when the core is slow, and opening or linking the
//! discussion thread. Only the first answer differs between the two ways in, and [`Respond`]
//! hides that.

use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use serenity::all::{
    ChannelId, CommandInteraction, ComponentInteraction, CreateAllowedMentions,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    EditInteractionResponse, GuildId, Interaction, InteractionId, Member, MessageId,
};
use serenity::builder::Builder as _;
use serenity::cache::Cache;
use serenity::http::Http;

use super::send::{notice, response_message, with_retry};
use super::{DiscordCore, commands, render};
use crate::bot::{Body, Context, Effect, Platform, Reply, User};
use crate::store::ArticleId;

/// How long the core may take before the reply is deferred (Discord allows three seconds).
pub const DEFER_AFTER: Duration = Duration::from_millis(2000);

/// How the first answer to an interaction goes back to Discord.
#[async_trait]
pub trait Respond: Send + Sync {
    /// Sends the first (and only) interaction response.
    async fn respond(&self, response: CreateInteractionResponse) -> anyhow::Result<()>;
    /// Whether the first response can carry files (an HTTP response body cannot).
    fn uploads(&self) -> bool;
}

/// The gateway's way: Discord's interaction callback endpoint.
pub struct Callback<'a> {
    /// The client.
    pub http: &'a Http,
    /// The interaction's id.
    pub id: InteractionId,
    /// The interaction's token.
    pub token: &'a str,
}

#[async_trait]
impl Respond for Callback<'_> {
    async fn respond(&self, response: CreateInteractionResponse) -> anyhow::Result<()> {
        with_retry("answering an interaction", || {
            response.clone().execute(self.http, (self.id, self.token))
        })
        .await
        .context("answering an interaction")
    }

    fn uploads(&self) -> bool {
        true
    }
}

/// Where serenity finds the cache (gateway) or only the client (HTTP endpoint).
#[derive(Clone, Copy)]
pub struct Client<'a> {
    /// The REST client.
    pub http: &'a Http,
    /// The gateway's cache, when there is one.
    pub cache: Option<&'a std::sync::Arc<Cache>>,
}

/// Handles one interaction, answering it through `respond`.
pub async fn handle(
    core: &DiscordCore,
    client: Client<'_>,
    interaction: Interaction,
    respond: &dyn Respond,
) -> anyhow::Result<()> {
    match interaction {
        Interaction::Ping(_) => respond.respond(CreateInteractionResponse::Pong).await,
        Interaction::Command(command) => {
            client.http.set_application_id(command.application_id);
            slash(core, client, command, respond).await
        }
        Interaction::Component(component) => {
            client.http.set_application_id(component.application_id);
            button(core, client, component, respond).await
        }
        Interaction::Autocomplete(autocomplete) => {
            let typed = autocomplete
                .data
                .autocomplete()
                .map(|o| o.value.to_owned())
                .unwrap_or_default();
            let user = autocomplete.user.id.get().to_string();
            if !core.bot.may_autocomplete(Platform::Discord, &user) {
                let none = serenity::all::CreateAutocompleteResponse::new();
                return respond
                    .respond(CreateInteractionResponse::Autocomplete(none))
                    .await;
            }
            let community =
                super::events::community(autocomplete.guild_id, autocomplete.channel_id);
            let choices = commands::choices(&core.bot, &community, &typed).await;
            respond
                .respond(CreateInteractionResponse::Autocomplete(choices))
                .await
        }
        _ => Ok(()),
    }
}

/// Who asks, where, and whether they moderate.
async fn context(
    core: &DiscordCore,
    client: Client<'_>,
    channel: ChannelId,
    guild: Option<GuildId>,
    member: Option<&Member>,
    user: &serenity::all::User,
) -> Context {
    Context {
        platform: Platform::Discord,
        community: super::events::community(guild, channel),
        channel: channel.get().to_string(),
        channel_name: None,
        user: User {
            id: user.id.get().to_string(),
            name: member
                .and_then(|m| m.nick.clone())
                .or_else(|| user.global_name.clone())
                .unwrap_or_else(|| user.name.clone()),
            moderator: moderates(core, client, guild, member).await,
        },
        prefix: "/".to_owned(),
    }
}

/// Manage Messages (or Administrator) in the channel, or the `DISCORD_MODERATOR_ROLE` role by
/// id or name. Names come from the gateway's cache, else from Discord's REST API.
async fn moderates(
    core: &DiscordCore,
    client: Client<'_>,
    guild: Option<GuildId>,
    member: Option<&Member>,
) -> bool {
    let Some(member) = member else { return false };
    if member
        .permissions
        .is_some_and(|p| p.manage_messages() || p.administrator())
    {
        return true;
    }
    let Some(wanted) = core.config.moderator_role.as_deref() else {
        return false;
    };
    if member.roles.iter().any(|r| r.get().to_string() == wanted) {
        return true;
    }
    let (Some(guild), false) = (guild, member.roles.is_empty()) else {
        return false;
    };
    let cached: Option<Vec<(u64, String)>> = client.cache.and_then(|cache| {
        cache.guild(guild).map(|g| {
            g.roles
                .values()
                .map(|r| (r.id.get(), r.name.clone()))
                .collect()
        })
    });
    let names = match cached {
        Some(names) => names,
        None => match client.http.get_guild_roles(guild).await {
            Ok(roles) => roles.into_iter().map(|r| (r.id.get(), r.name)).collect(),
            Err(error) => {
                tracing::warn!(%error, %guild, "cannot read the guild's roles; treating as non-moderator");
                return false;
            }
        },
    };
    names.iter().any(|(id, name)| {
        name.eq_ignore_ascii_case(wanted) && member.roles.iter().any(|r| r.get() == *id)
    })
}

/// Runs `reply` and gives Discord its first answer: the reply itself, or, when the core takes
/// longer than [`DEFER_AFTER`] (or the reply carries a file the first answer cannot), a
/// deferral completed by editing the original response.
async fn answer(
    http: &Http,
    token: &str,
    respond: &dyn Respond,
    private: bool,
    reply: impl std::future::Future<Output = Reply>,
) -> anyhow::Result<Reply> {
    tokio::pin!(reply);
    let deferred = tokio::select! {
        reply = &mut reply => {
            let has_file = matches!(reply.body, Body::File { .. });
            if !has_file || respond.uploads() {
                let message = response_message(&reply);
                respond.respond(CreateInteractionResponse::Message(message)).await?;
                return Ok(reply);
            }
            let message = CreateInteractionResponseMessage::new().ephemeral(reply.ephemeral);
            respond.respond(CreateInteractionResponse::Defer(message)).await?;
            reply
        }
        _ = tokio::time::sleep(DEFER_AFTER) => {
            let message = CreateInteractionResponseMessage::new().ephemeral(private);
            respond.respond(CreateInteractionResponse::Defer(message)).await?;
            let reply = reply.await;
            if reply.ephemeral && !private {
                // A public "thinking…" cannot become private: it goes, and the answer comes as
                // a follow-up only the caller sees.
                with_retry("removing a public deferral", || {
                    http.delete_original_interaction_response(token)
                })
                .await
                .context("removing a public deferral")?;
                let rendered = render::render(&reply);
                let mut followup = CreateInteractionResponseFollowup::new()
                    .ephemeral(true)
                    .embeds(rendered.embeds)
                    .components(rendered.components)
                    .add_files(rendered.files)
                    .allowed_mentions(CreateAllowedMentions::new());
                if let Some(content) = rendered.content {
                    followup = followup.content(content);
                }
                with_retry("answering privately", || followup.clone().execute(http, (None, token)))
                    .await
                    .context("answering privately")?;
                return Ok(reply);
            }
            reply
        }
    };
    let rendered = render::render(&deferred);
    let mut edit = EditInteractionResponse::new()
        .embeds(rendered.embeds)
        .components(rendered.components)
        .allowed_mentions(CreateAllowedMentions::new());
    for file in rendered.files {
        edit = edit.new_attachment(file);
    }
    if let Some(content) = rendered.content {
        edit = edit.content(content);
    }
    with_retry("completing a deferred reply", || {
        edit.clone().execute(http, token)
    })
    .await
    .context("completing a deferred reply")?;
    Ok(deferred)
}

async fn slash(
    core: &DiscordCore,
    client: Client<'_>,
    interaction: CommandInteraction,
    respond: &dyn Respond,
) -> anyhow::Result<()> {
    let ctx = context(
        core,
        client,
        interaction.channel_id,
        interaction.guild_id,
        interaction.member.as_deref(),
        &interaction.user,
    )
    .await;
    let command = commands::command_for(&interaction.data);
    let private = command.as_ref().is_ok_and(|c| c.spec().private);
    let run = async {
        match command {
            Ok(command) => core.bot.handle(&ctx, command).await,
            Err(message) => Reply::error(message),
        }
    };
    let reply = answer(client.http, &interaction.token, respond, private, run).await?;
    let Some(Effect::Discussion {
        discussion_id,
        article_id,
        thread_ref,
    }) = reply.effect
    else {
        return Ok(());
    };
    let text = match thread_ref {
        Some(existing) => continues_in(article_id, &existing),
        None => {
            // The card just sent becomes the thread's starter message.
            let card = original_message(client.http, &interaction.token).await?;
            let thread = core
                .open_thread(
                    client.http,
                    interaction.channel_id,
                    card,
                    discussion_id,
                    article_id,
                )
                .await?;
            format!("Discussion opened: <#{thread}>")
        }
    };
    let note = CreateInteractionResponseFollowup::new()
        .content(text)
        .allowed_mentions(CreateAllowedMentions::new());
    with_retry("linking the thread", || {
        note.clone()
            .execute(client.http, (None, interaction.token.as_str()))
    })
    .await?;
    Ok(())
}

/// The message that answered an interaction. Over the HTTP endpoint Discord creates it only
/// once it has read our HTTP response, so it may take a moment to exist.
async fn original_message(http: &Http, token: &str) -> anyhow::Result<MessageId> {
    let mut wait = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match http.get_original_interaction_response(token).await {
            Ok(message) => return Ok(message.id),
            Err(error) if attempt < 8 => {
                tracing::debug!(%error, attempt, "the reply is not there yet");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(1));
                attempt += 1;
            }
            Err(error) => return Err(error).context("reading the reply"),
        }
    }
}

fn continues_in(article: ArticleId, thread: &str) -> String {
    format!(
        "The discussion of {article} continues in <#{}>.",
        thread.parse::<u64>().unwrap_or_default()
    )
}

async fn button(
    core: &DiscordCore,
    client: Client<'_>,
    interaction: ComponentInteraction,
    respond: &dyn Respond,
) -> anyhow::Result<()> {
    let Some(line) = render::parse_action(&interaction.data.custom_id) else {
        let stale = Reply::error("This button no longer does anything.");
        let message = response_message(&stale);
        return respond
            .respond(CreateInteractionResponse::Message(message))
            .await;
    };
    let ctx = context(
        core,
        client,
        interaction.channel_id,
        interaction.guild_id,
        interaction.member.as_ref(),
        &interaction.user,
    )
    .await;
    let reply = core.bot.handle_text(&ctx, &line).await;
    let message = match &reply.effect {
        Some(Effect::Discussion {
            discussion_id,
            article_id,
            thread_ref: None,
        }) => {
            // The card the button sits on becomes the thread's starter message.
            let thread = core
                .open_thread(
                    client.http,
                    interaction.channel_id,
                    interaction.message.id,
                    *discussion_id,
                    *article_id,
                )
                .await?;
            notice(format!("Discussion opened: <#{thread}>"), false)
        }
        Some(Effect::Discussion {
            article_id,
            thread_ref: Some(existing),
            ..
        }) => notice(continues_in(*article_id, existing), true),
        None => {
            let token = interaction.token.clone();
            answer(
                client.http,
                &token,
                respond,
                false,
                std::future::ready(reply),
            )
            .await?;
            return Ok(());
        }
    };
    respond
        .respond(CreateInteractionResponse::Message(message))
        .await
}
