//! Gateway message events, translated for the core: a message in a thread, an edit, a
//! deletion. What gets recorded is the core's decision (see `crate::bot::events`).

use serenity::all::{ChannelId, Message, MessageId, MessageUpdateEvent};

use super::DiscordCore;
use crate::bot::{Change, Platform, Posted};

impl DiscordCore {
    /// A message posted anywhere the bot can see; the core records it when its channel is a
    /// tracked thread.
    pub async fn posted(&self, message: &Message) -> anyhow::Result<()> {
        if message.author.bot {
            return Ok(());
        }
        let posted = Posted {
            platform: Platform::Discord,
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
        };
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
        self.bot
            .message_changed(
                Platform::Discord,
                Some(&thread),
                &event.id.get().to_string(),
                Change::Edit(content.clone()),
                at,
            )
            .await?;
        Ok(())
    }

    /// A deletion.
    pub async fn deleted(&self, channel: ChannelId, id: MessageId) -> anyhow::Result<()> {
        let thread = channel.get().to_string();
        self.bot
            .message_changed(
                Platform::Discord,
                Some(&thread),
                &id.get().to_string(),
                Change::Delete,
                self.bot.now(),
            )
            .await?;
        Ok(())
    }
}
