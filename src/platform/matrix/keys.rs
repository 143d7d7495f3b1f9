//! Encrypted events that arrive before their room key.
//!
//! Such an event is not handled (a command in it would be lost): it is kept in the store, with
//! the key session it needs, across restarts. When matrix-sdk reports room keys (from another
//! device, a forward, a backup or an import), the events of those sessions are decrypted and
//! queued in their room like any other; one that is still undecryptable after
//! `MATRIX_KEY_WAIT` is given up with its reason logged and shown in `/stats`.

use std::sync::Arc;

use futures_util::StreamExt as _;
use matrix_sdk::Room;
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::ruma::RoomId;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::serde::Raw;

use super::queue::Events;
use super::{MatrixBot, PLATFORM};
use crate::bot::Platform;
use crate::store::WaitingEvent;

/// What moderators read in `/stats` for an event given up on this way.
const NO_KEY: &str = "it stayed encrypted: no key to read it reached the bot in time";

impl MatrixBot {
    /// Keeps an event the bot cannot decrypt yet until its key arrives.
    pub(super) async fn wait_for_key(
        &self,
        room: &Room,
        event: &TimelineEvent,
    ) -> anyhow::Result<()> {
        let Some(event_id) = event.event_id() else {
            return Ok(());
        };
        let session = event.kind.session_id().map(str::to_owned);
        tracing::info!(room = %room.room_id(), event = %event_id, session = session.as_deref().unwrap_or("?"), "an event waits for its room key");
        self.bot
            .store()
            .wait_for_key(
                PLATFORM,
                &WaitingEvent {
                    event_id: event_id.to_string(),
                    room: room.room_id().to_string(),
                    session_id: session,
                    raw: event.raw().json().get().to_owned(),
                    first_seen: self.bot.now(),
                },
            )
            .await?;
        Ok(())
    }

    /// Tries the events waiting for a key of `session` (of any session: `None`) again, and
    /// queues those that decrypt now.
    pub(super) async fn retry_waiting(
        &self,
        events: &Arc<Events>,
        session: Option<&str>,
    ) -> anyhow::Result<()> {
        let store = self.bot.store();
        for waiting in store.waiting(PLATFORM, session).await? {
            if self.settled(&waiting).await? {
                continue;
            }
            let Some(room) = RoomId::parse(&waiting.room)
                .ok()
                .and_then(|id| self.client.get_room(&id))
            else {
                continue;
            };
            let Ok(raw) = Raw::<OriginalSyncRoomEncryptedEvent>::from_json_string(waiting.raw)
            else {
                continue;
            };
            match room.decrypt_event(&raw, None).await {
                Ok(event) if !event.kind.is_utd() => {
                    tracing::info!(room = %room.room_id(), event = waiting.event_id, "decrypted once its room key arrived");
                    events.push(room, event, false, None);
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(room = %room.room_id(), event = waiting.event_id, %error, "decrypting a waiting event failed")
                }
            }
        }
        Ok(())
    }

    /// Whether a waiting event was handled meanwhile (decrypted and queued, or given up); its
    /// row is dropped then.
    async fn settled(&self, waiting: &WaitingEvent) -> anyhow::Result<bool> {
        let store = self.bot.store();
        if !store.was_handled(PLATFORM, &waiting.event_id).await? {
            return Ok(false);
        }
        store.stop_waiting(PLATFORM, &waiting.event_id).await?;
        Ok(true)
    }

    /// Gives up on the events that waited longer than `MATRIX_KEY_WAIT` for their key.
    pub(super) async fn give_up_waiting(&self) -> anyhow::Result<()> {
        let store = self.bot.store();
        let now = self.bot.now();
        let wait =
            chrono::Duration::from_std(self.config.key_wait).unwrap_or(chrono::Duration::MAX);
        for waiting in store.waiting(PLATFORM, None).await? {
            if now - waiting.first_seen < wait {
                continue;
            }
            if self.settled(&waiting).await? {
                continue;
            }
            tracing::warn!(
                room = waiting.room,
                event = waiting.event_id,
                session = waiting.session_id.as_deref().unwrap_or("?"),
                waited_s = (now - waiting.first_seen).num_seconds(),
                "giving up on an encrypted event: its room key never arrived (MATRIX_KEY_WAIT)"
            );
            self.bot
                .event_failed(Platform::Matrix, &waiting.room, &waiting.event_id, NO_KEY)
                .await?;
        }
        Ok(())
    }
}

/// Listens for room keys as matrix-sdk receives them and hands on what they unlock.
pub(super) async fn listen(adapter: MatrixBot, events: Arc<Events>) {
    let Some(stream) = adapter
        .client
        .encryption()
        .room_keys_received_stream()
        .await
    else {
        return;
    };
    let mut stream = std::pin::pin!(stream);
    while let Some(update) = stream.next().await {
        let sessions: Vec<Option<String>> = match update {
            Ok(keys) => keys.into_iter().map(|key| Some(key.session_id)).collect(),
            // Updates were missed: try every waiting event.
            Err(_) => vec![None],
        };
        for session in sessions {
            if let Err(error) = adapter.retry_waiting(&events, session.as_deref()).await {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "trying waiting events again failed"
                );
            }
        }
    }
}
