//! Gateway message events, translated for the core: a message in a thread, an edit, a
//! deletion. What gets recorded is the core's decision (see `crate::bot::events`).

use serenity::all::{ChannelId, GuildId, Message, MessageId, MessageUpdateEvent};

use super::DiscordCore;
use crate::bot::{Change, Changed, Platform, Posted};

impl DiscordCore {
    /// A message posted anywhere the bot can see; the core records it when its channel is a
    /// tracked thread.
    pub async fn posted(&self, message: &Message) -> anyhow::Result<()> {
        if message.author.bot {
            return Ok(());
        }
        let posted = posted(message, community(message.guild_id, message.channel_id));
        self.bot.message_posted(posted).await?;
        Ok(())
    }

    /// An edit: only events that carry new text change anything (embeds unfurling send
    /// updates without it).
    pub async fn edited(&self, event: &MessageUpdateEvent) -> anyhow::Result<()> {
        let Some(content) = &event.content else {
            return Ok(());
        };
        let at = event
            .edited_timestamp
            .map_or_else(|| self.bot.now(), |t| *t);
        let thread = event.channel_id.get().to_string();
        let community = community(event.guild_id, event.channel_id);
        let sender = event.author.as_ref().map(|a| a.id.get().to_string());
        self.bot
            .message_changed(Changed {
                platform: Platform::Discord,
                community: &community,
                thread: Some(&thread),
                id: &event.id.get().to_string(),
                sender: sender.as_deref(),
                change: Change::Edit(content.clone()),
                at,
            })
            .await?;
        Ok(())
    }

    /// A deletion (Discord lets only the author or a moderator delete).
    pub async fn deleted(
        &self,
        guild: Option<GuildId>,
        channel: ChannelId,
        id: MessageId,
    ) -> anyhow::Result<()> {
        let thread = channel.get().to_string();
        let community = community(guild, channel);
        self.bot
            .message_changed(Changed {
                platform: Platform::Discord,
                community: &community,
                thread: Some(&thread),
                id: &id.get().to_string(),
                sender: None,
                change: Change::Delete,
                at: self.bot.now(),
            })
            .await?;
        Ok(())
    }
}

/// A message as the core takes it, in `community`. The author's name is their nickname
/// where the message carries their member (the gateway's do, REST's do not), else their
/// display name, else their user name.
pub(super) fn posted(message: &Message, community: String) -> Posted {
    Posted {
        platform: Platform::Discord,
        community,
        thread: message.channel_id.get().to_string(),
        id: message.id.get().to_string(),
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
        at: *message.timestamp,
    }
}

/// The community of a Discord event: its guild, or for a direct message its channel.
pub(super) fn community(guild: Option<GuildId>, channel: ChannelId) -> String {
    match guild {
        Some(guild) => guild.get().to_string(),
        None => format!("dm:{}", channel.get()),
    }
}
