//! Sending to Discord: retries on transient failures, interaction response messages, and
//! keyed posts into channels (digests and feed entries) that a retry cannot double.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use serenity::all::{
    AutoArchiveDuration, ChannelId, CreateAllowedMentions, CreateInteractionResponseMessage,
    CreateMessage, CreateThread, Message, Nonce,
};
use serenity::http::Http;
use sha2::{Digest, Sha256};

use super::render::{self, limits};
use crate::bot::Reply;
use crate::bot::digest::{DigestSink, Refused};

/// Retries a Discord call on 5xx answers and transport errors, with exponential backoff.
/// (429s are serenity's rate limiter's to handle.)
pub(super) async fn with_retry<T, F, Fut>(what: &str, call: F) -> serenity::Result<T>
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

/// A message the adapter itself writes (channel links and numbers only, no user text), so it
/// is sent as markup rather than escaped.
pub(super) fn notice(content: String, ephemeral: bool) -> CreateInteractionResponseMessage {
    CreateInteractionResponseMessage::new()
        .content(content)
        .ephemeral(ephemeral)
        .allowed_mentions(CreateAllowedMentions::new())
}

/// The interaction response message for a reply (ephemeral where the reply says so).
pub(super) fn response_message(reply: &Reply) -> CreateInteractionResponseMessage {
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

/// Opens a public thread on `message` (auto-archived after a week, Discord's longest).
pub(super) async fn create_thread(
    http: &Http,
    channel: ChannelId,
    message: serenity::all::MessageId,
    title: &str,
) -> serenity::Result<serenity::all::GuildChannel> {
    let name = crate::bot::reply::truncate(title, limits::THREAD_NAME);
    with_retry("opening a thread", || {
        channel.create_thread_from_message(
            http,
            message,
            CreateThread::new(name.clone()).auto_archive_duration(AutoArchiveDuration::OneWeek),
        )
    })
    .await
}

/// Posts digests and feed entries into Discord channels.
#[derive(Debug, Clone)]
pub struct DiscordDigests {
    http: Arc<Http>,
}

impl DiscordDigests {
    /// Posts through this client.
    pub fn new(http: Arc<Http>) -> Self {
        Self { http }
    }

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
        with_retry("posting to a channel", || {
            channel.send_message(&self.http, message.clone())
        })
        .await
        .map_err(refused_for_good)
    }
}

/// A 403 (missing access or permissions) or 404 (unknown channel) will not go away by retrying:
/// it is [`Refused`], so the caller stops.
fn refused_for_good(error: serenity::Error) -> anyhow::Error {
    use serenity::http::HttpError;
    if let serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) = &error
        && matches!(response.status_code.as_u16(), 403 | 404)
    {
        return Refused(format!(
            "Discord answered {} ({})",
            response.status_code.as_u16(),
            response.error.message
        ))
        .into();
    }
    error.into()
}

fn channel_id(channel: &str) -> anyhow::Result<ChannelId> {
    let id: u64 = channel.parse().context("not a Discord channel id")?;
    anyhow::ensure!(id != 0, "not a Discord channel id");
    Ok(ChannelId::new(id))
}

#[async_trait]
impl DigestSink for DiscordDigests {
    async fn post(&self, channel: &str, digest: &Reply, key: &str) -> anyhow::Result<()> {
        self.post_keyed(channel_id(channel)?, digest, key)
            .await
            .map(drop)
    }

    async fn post_with_thread(
        &self,
        channel: &str,
        card: &Reply,
        key: &str,
        title: &str,
    ) -> anyhow::Result<Option<String>> {
        let channel = channel_id(channel)?;
        let message = self.post_keyed(channel, card, key).await?;
        let thread = create_thread(&self.http, channel, message.id, title)
            .await
            .context("opening the discussion thread")?;
        Ok(Some(thread.id.get().to_string()))
    }
}
