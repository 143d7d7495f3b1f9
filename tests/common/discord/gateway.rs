//! The gateway half of the fake: the websocket serenity connects to, the sessions it
//! identifies (one per shard), and the events pushed to them: each to the sessions of its
//! guild's shard, filtered by their intents and checked against serenity's model as
//! Discord's own would have to be.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State as AxumState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::payloads::{id_of, members};
use super::{FakeDiscord, Inner, InteractionState, Session, State};

/// Gateway intents, as Discord numbers them.
mod intents {
    pub const GUILDS: u64 = 1 << 0;
    pub const GUILD_MEMBERS: u64 = 1 << 1;
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    pub const GUILD_MESSAGE_REACTIONS: u64 = 1 << 10;
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
}

/// HELLO's heartbeat interval in milliseconds: Discord's usual, so serenity never heartbeats
/// in a short test.
const HEARTBEAT_INTERVAL_MS: u64 = 41_250;

pub(super) async fn upgrade(
    AxumState(inner): AxumState<Arc<Inner>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade.on_upgrade(move |socket| connection(socket, inner))
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(WsMessage::Close(Some(frame))).await;
}

/// One websocket connection: HELLO, then serenity's payloads answered and the session's
/// events written out, until either side closes or the fake stops.
async fn connection(mut socket: WebSocket, inner: Arc<Inner>) {
    let (sender, mut outgoing) = mpsc::unbounded_channel::<String>();
    let number = {
        let mut state = inner.lock();
        state.gateway.connections += 1;
        state.gateway.connections
    };
    let mut shutdown = inner.shutdown.subscribe();
    let hello = json!({ "op": 10, "s": null, "t": null, "d": { "heartbeat_interval": HEARTBEAT_INTERVAL_MS } });
    if socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let mut identified = false;
    loop {
        tokio::select! {
            _ = shutdown.changed() => {
                close(&mut socket, 1000, "fake discord stopped").await;
                break;
            }
            Some(text) = outgoing.recv() => {
                if socket.send(WsMessage::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                let payload = match incoming {
                    Some(Ok(WsMessage::Text(text))) => serde_json::from_str::<Value>(text.as_str()).ok(),
                    Some(Ok(WsMessage::Binary(_))) => None,
                    Some(Ok(WsMessage::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => continue,
                };
                let Some(payload) = payload else {
                    close(&mut socket, 4002, "Error while decoding payload.").await;
                    break;
                };
                let refused = {
                    let mut state = inner.lock();
                    state.gateway_op(&payload, number, &sender, &mut identified)
                };
                inner.bump();
                if let Some((code, reason)) = refused {
                    close(&mut socket, code, reason).await;
                    break;
                }
            }
        }
    }
    inner.lock().gateway.sessions.remove(&number);
    inner.bump();
}

/// The shard an IDENTIFY asks for, `(id, total)`: `[0, 1]` when it names none; `None` for one
/// that cannot be (not two numbers, or `id >= total`), which Discord closes with 4010.
fn requested_shard(shard: &Value) -> Option<(u32, u32)> {
    if shard.is_null() {
        return Some((0, 1));
    }
    let [id, total] = shard.as_array()?.as_slice() else {
        return None;
    };
    let id = u32::try_from(id.as_u64()?).ok()?;
    let total = u32::try_from(total.as_u64()?).ok()?;
    (id < total).then_some((id, total))
}

impl State {
    /// Handles one payload from serenity; returns a close code and reason to end the connection.
    fn gateway_op(
        &mut self,
        payload: &Value,
        connection: u64,
        sender: &mpsc::UnboundedSender<String>,
        identified: &mut bool,
    ) -> Option<(u16, &'static str)> {
        let token = payload["d"]["token"].as_str().unwrap_or_default();
        let token_ok =
            token == FakeDiscord::TOKEN || token.strip_prefix("Bot ") == Some(FakeDiscord::TOKEN);
        match payload["op"].as_u64() {
            // HEARTBEAT: its ACK.
            Some(1) => {
                let _ =
                    sender.send(json!({ "op": 11, "s": null, "t": null, "d": null }).to_string());
                None
            }
            // IDENTIFY: a new session of the shard asked for, READY, and the shard's guilds if
            // the intents ask for them.
            Some(2) if *identified => Some((4005, "Already authenticated.")),
            Some(2) if !token_ok => Some((4004, "Authentication failed.")),
            Some(2) => {
                let Some((shard, total)) = requested_shard(&payload["d"]["shard"]) else {
                    return Some((4010, "Invalid shard."));
                };
                *identified = true;
                let session = Session {
                    shard,
                    total,
                    intents: payload["d"]["intents"].as_u64().unwrap_or(0),
                    id: format!("fake-session-{}", self.snowflake()),
                    seq: 0,
                    sender: sender.clone(),
                };
                let ready = self.ready_json(&session.id, shard, total);
                self.gateway.sessions.insert(connection, session);
                self.gateway.identified.push([shard, total]);
                self.send(connection, "READY", ready);
                let guilds: Vec<u64> = self
                    .joined
                    .iter()
                    .copied()
                    .filter(|g| FakeDiscord::shard_of(*g, total) == shard)
                    .collect();
                for id in guilds {
                    let guild = self.guild_json(id);
                    self.send(connection, "GUILD_CREATE", guild);
                }
                None
            }
            // RESUME (of any shard): no connection is ever cut, so there is nothing to resume;
            // INVALID_SESSION (not resumable) sends that shard back to IDENTIFY.
            Some(6) => {
                let _ =
                    sender.send(json!({ "op": 9, "s": null, "t": null, "d": false }).to_string());
                None
            }
            // Presence, voice state, guild members, soundboard: ignored once identified.
            Some(3 | 4 | 8 | 31) if *identified => None,
            Some(3 | 4 | 8 | 31) => Some((4003, "Not authenticated.")),
            _ => Some((4001, "Unknown opcode.")),
        }
    }

    /// The intent a guild event needs; 0 for those every session gets.
    fn intent_of(event: &str) -> u64 {
        match event {
            "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" => intents::GUILDS,
            e if ["GUILD_ROLE_", "CHANNEL_", "THREAD_"]
                .iter()
                .any(|p| e.starts_with(p)) =>
            {
                intents::GUILDS
            }
            e if e.starts_with("GUILD_MEMBER_") => intents::GUILD_MEMBERS,
            e if e.starts_with("MESSAGE_REACTION_") => intents::GUILD_MESSAGE_REACTIONS,
            e if e.starts_with("MESSAGE_") => intents::GUILD_MESSAGES,
            _ => 0,
        }
    }

    /// Without MESSAGE_CONTENT, a guild message that is not the bot's and does not mention it
    /// loses its content, embeds, attachments, components and poll.
    fn strip_content(intents: u64, data: &mut Value) {
        let mentions_bot = data["mentions"].as_array().is_some_and(|m| {
            m.iter()
                .any(|u| id_of(&u["id"]) == FakeDiscord::BOT_USER_ID)
        });
        if intents & intents::MESSAGE_CONTENT != 0
            || data.get("guild_id").is_none_or(Value::is_null)
            || id_of(&data["author"]["id"]) == FakeDiscord::BOT_USER_ID
            || mentions_bot
        {
            return;
        }
        if let Some(map) = data.as_object_mut() {
            if map.contains_key("content") {
                map.insert("content".to_owned(), json!(""));
            }
            for key in ["embeds", "attachments", "components"] {
                if map.contains_key(key) {
                    map.insert(key.to_owned(), json!([]));
                }
            }
            map.remove("poll");
        }
    }

    /// The guild an event belongs to, which decides its shard; `None` outside guilds.
    fn guild_of_event(&self, event: &str, data: &Value) -> Option<u64> {
        let guild = match event {
            "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" => id_of(&data["id"]),
            _ => id_of(&data["guild_id"]),
        };
        if guild != 0 {
            return Some(guild);
        }
        // Discord names the guild of every guild channel's event; the fake's own deletion of a
        // webhook message leaves it out, and its channel says it.
        self.channels
            .get(&id_of(&data["channel_id"]))
            .map(|c| id_of(&c["guild_id"]))
            .filter(|g| *g != 0)
    }

    /// Sends an event to the sessions of its guild's shard (shard 0's without a guild) whose
    /// intents allow it, each with its next sequence number, after checking that serenity
    /// parses it; returns whether some session was sent it.
    pub(super) fn dispatch(&mut self, event: &str, data: Value) -> bool {
        self.remember(event, &data);
        if event == "INTERACTION_CREATE" {
            // Discord delivers no interaction from outside the guild it comes from.
            let (guild, user) = (
                id_of(&data["guild_id"]),
                id_of(&data["member"]["user"]["id"]),
            );
            assert!(
                members(guild).contains(&user),
                "fake discord: user {user} is not a member of guild {guild}"
            );
            self.register_interaction(&data);
        }
        let guild = self.guild_of_event(event, &data);
        let targets: Vec<u64> = self
            .gateway
            .sessions
            .iter()
            .filter(|(_, s)| match guild {
                Some(guild) => FakeDiscord::shard_of(guild, s.total) == s.shard,
                None => s.shard == 0,
            })
            .map(|(connection, _)| *connection)
            .collect();
        if targets.is_empty() {
            // Nobody to send it to, but a test still learns that serenity would drop it.
            Self::check_parses(event, &json!({ "op": 0, "s": 1, "t": event, "d": data }));
        }
        let mut sent = false;
        for connection in targets {
            sent |= self.send(connection, event, data.clone());
        }
        sent
    }

    /// Sends an event (op 0, the session's next sequence number) on one session if its
    /// intents allow it; returns whether it was sent.
    fn send(&mut self, connection: u64, event: &str, mut data: Value) -> bool {
        let Some(session) = self.gateway.sessions.get_mut(&connection) else {
            return false;
        };
        let intent = Self::intent_of(event);
        if intent != 0 && session.intents & intent == 0 {
            return false;
        }
        if event == "MESSAGE_CREATE" || event == "MESSAGE_UPDATE" {
            Self::strip_content(session.intents, &mut data);
        }
        session.seq += 1;
        let frame = json!({ "op": 0, "s": session.seq, "t": event, "d": data });
        Self::check_parses(event, &frame);
        let _ = session.sender.send(frame.to_string());
        true
    }

    fn check_parses(event: &str, frame: &Value) {
        if let Err(error) =
            serde_json::from_value::<serenity::model::event::GatewayEvent>(frame.clone())
        {
            panic!(
                "fake discord: serenity 0.12.5 cannot parse this {event}: {error}\n{:#}",
                frame["d"]
            );
        }
    }

    /// Keeps the fake's messages in step with the message events a test dispatches, as REST
    /// would answer them (without `guild_id` and `member`).
    fn remember(&mut self, event: &str, data: &Value) {
        let id = id_of(&data["id"]);
        match event {
            "MESSAGE_CREATE" | "MESSAGE_UPDATE" if id != 0 && data["author"].is_object() => {
                let message = self.messages.entry(id).or_insert_with(|| json!({}));
                if let (Some(message), Some(data)) = (message.as_object_mut(), data.as_object()) {
                    message.extend(data.clone());
                    message.remove("guild_id");
                    message.remove("member");
                }
                if let Some(mentions) = message["mentions"].as_array_mut() {
                    for user in mentions.iter_mut().filter_map(Value::as_object_mut) {
                        user.remove("member");
                    }
                }
            }
            "MESSAGE_DELETE" => {
                self.messages.remove(&id);
            }
            _ => {}
        }
    }

    /// Opens an interaction's 3 seconds to be answered, and its webhook.
    pub(super) fn register_interaction(&mut self, data: &Value) {
        let Some(token) = data["token"].as_str() else {
            return;
        };
        let user = match &data["member"]["user"] {
            user if user.is_object() => user.clone(),
            _ => data["user"].clone(),
        };
        self.interactions.insert(
            token.to_owned(),
            InteractionState {
                id: id_of(&data["id"]),
                kind: data["type"].as_u64().unwrap_or(0),
                command_kind: data["data"]["type"].as_u64().unwrap_or(0),
                name: data["data"]["name"].as_str().unwrap_or_default().to_owned(),
                channel_id: id_of(&data["channel_id"]),
                user,
                message_id: data.get("message").map(|m| id_of(&m["id"])),
                dispatched: Instant::now(),
                acknowledged: false,
                original: None,
            },
        );
    }
}
