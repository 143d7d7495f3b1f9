//! A Discord-shaped server for the Discord adapter's tests: the REST routes the bot uses and a
//! real websocket gateway on 127.0.0.1, so that the real, unmodified serenity client runs
//! against it (`HttpBuilder::proxy(fake.base_url())` with serenity's rate limiter off, which
//! otherwise ignores the proxy).
//!
//! Payloads follow Discord's published API documentation, and every event a test pushes with
//! [`FakeDiscord::dispatch`] is first parsed with serenity's own model: the call panics where
//! serenity would drop the event, so a test never waits for an event that was silently lost.
//! Every REST request is recorded with what was answered.
//!
//! What it does as Discord does:
//! - Two guilds, A ([`FakeDiscord::GUILD_ID`]) and B ([`FakeDiscord::GUILD_B_ID`]), each with
//!   its own channels, roles and moderator; the owner and the reader are members of both. Every
//!   payload takes its guild from its channel.
//! - The gateway says HELLO, answers IDENTIFY with READY and a GUILD_CREATE per guild, acknowledges
//!   heartbeats, and refuses a second IDENTIFY, a wrong token or a RESUME (there is never a
//!   session to resume).
//! - Sharding: an IDENTIFY names its shard `[id, total]` (none is `[0, 1]`; `id >= total` is
//!   closed with 4010 Invalid shard). A session's READY echoes it and lists, like the
//!   GUILD_CREATEs after it, only the guilds with `(guild_id >> 22) % total == id`; an event
//!   goes to the sessions of its guild's shard, one without a guild (a DM) to shard 0's.
//!   `GET /gateway/bot` recommends [`FakeDiscord::recommend_shards`] shards (1 unless set), and
//!   [`FakeDiscord::add_guild`] makes a guild (with a text channel) on a chosen shard.
//! - Events are delivered only for the intents the IDENTIFY asked for, and without
//!   `MESSAGE_CONTENT` guild messages arrive emptied, unless they are the bot's own or mention it.
//! - Messages the bot creates or edits (in channels, and through interactions unless ephemeral)
//!   come back to it as MESSAGE_CREATE / MESSAGE_UPDATE.
//! - An interaction must be answered within 3 seconds of its dispatch, and only once, with a
//!   response type its kind allows; follow-ups and the original response (read, or edited to
//!   complete a deferred one) go through the interaction's webhook.
//! - Starting a thread from a message answers a thread channel with the message's id and
//!   dispatches THREAD_CREATE.
//! - History (`history.rs`): `GET /channels/{id}/messages` pages with `after`, `before` or
//!   `around` and `limit` (1-100, default 50; 400 otherwise), newest first; a guild's active
//!   threads; a channel's archived public threads, most recently archived first, before an
//!   ISO 8601 `before`. A message built with [`FakeDiscord::message`], changed with
//!   [`FakeDiscord::message_update`] or removed with [`FakeDiscord::message_delete`] and never
//!   dispatched happened while the bot was away: REST shows it, the gateway never sent it.
//! - Requests without the bot token get 401; unknown routes get 404 with a Discord-style error
//!   body; invalid bodies get 400 with code 50035 and the path of the offending field.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

mod gateway;
mod history;
mod payloads;
mod rest;
mod validate;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::any;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use payloads::{id_of, mentioned_users, now_iso, options_array, user_json};

/// Discord's epoch (2015-01-01T00:00:00Z) in milliseconds since the Unix epoch.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// One REST request the fake received, and what it answered.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The path without the `/api/v10` prefix, e.g. `/channels/123/messages`.
    pub path: String,
    /// The query string, e.g. `limit=100&after=123`, or empty.
    pub query: String,
    /// The JSON body (`payload_json` of a multipart body), or `Value::Null`.
    pub body: Value,
    /// Files of a multipart body.
    pub files: Vec<RecordedFile>,
    /// The status answered.
    pub status: u16,
    /// The JSON answered, or `Value::Null` for an empty answer.
    pub response: Value,
}

impl Recorded {
    /// Whether this is `method` on exactly `path`.
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.path == path
    }

    /// Whether the fake answered with a 2xx status.
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A file uploaded in a multipart body.
#[derive(Clone, Debug)]
pub struct RecordedFile {
    /// The file name given.
    pub filename: String,
    /// The content type given.
    pub content_type: Option<String>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// The fake Discord: dropped, it stops serving.
pub struct FakeDiscord {
    inner: Arc<Inner>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        let _ = self.inner.shutdown.send(true);
        self.server.abort();
    }
}

struct Inner {
    state: Mutex<State>,
    /// Bumped after every change a test may wait for.
    changed: watch::Sender<u64>,
    shutdown: watch::Sender<bool>,
}

struct State {
    port: u16,
    last_id: u64,
    requests: Vec<Recorded>,
    failures: Vec<Failure>,
    /// Requests answered late: method (`*` for any), path prefix, delay.
    delays: Vec<(String, String, Duration)>,
    /// Every guild there is: A, B and those a test added.
    guilds: Vec<u64>,
    /// The guilds the bot is in, which READY lists.
    joined: Vec<u64>,
    channels: BTreeMap<u64, Value>,
    messages: BTreeMap<u64, Value>,
    global_commands: Vec<Value>,
    guild_commands: Vec<Value>,
    /// By token, as the interaction's webhook finds them.
    interactions: HashMap<String, InteractionState>,
    gateway: Gateway,
}

struct Gateway {
    /// Connections opened so far, which number them.
    connections: u64,
    /// The identified sessions, by their connection's number. One per shard when the bot runs
    /// as it should; two sessions of one shard both get its events, as on Discord.
    sessions: BTreeMap<u64, Session>,
    /// The shard `[id, total]` of every IDENTIFY accepted, in order.
    identified: Vec<[u32; 2]>,
    /// The shard count `GET /gateway/bot` recommends.
    recommended_shards: u32,
}

/// An identified gateway session: READY and its guilds were sent when it was made.
struct Session {
    shard: u32,
    total: u32,
    intents: u64,
    id: String,
    seq: u64,
    sender: mpsc::UnboundedSender<String>,
}

struct Failure {
    method: String,
    path_prefix: String,
    status: u16,
    remaining: usize,
}

struct InteractionState {
    id: u64,
    kind: u64,
    command_kind: u64,
    name: String,
    channel_id: u64,
    user: Value,
    message_id: Option<u64>,
    dispatched: Instant,
    acknowledged: bool,
    original: Option<u64>,
}

impl FakeDiscord {
    /// The bot token serenity must send (`Authorization: Bot fake-bot-token`).
    pub const TOKEN: &'static str = "fake-bot-token";
    /// The application's id; as for every recent Discord application, the bot user has the same.
    pub const APPLICATION_ID: u64 = 1_100_000_000_000_000_001;
    const BOT_USER_ID: u64 = Self::APPLICATION_ID;
    const BOT_NAME: &'static str = "Reading Room";
    /// Guild A.
    pub const GUILD_ID: u64 = 1_100_000_000_000_000_100;
    /// Guild B, another server the bot is in.
    pub const GUILD_B_ID: u64 = 1_100_000_000_000_000_110;
    const GUILDS: [u64; 2] = [Self::GUILD_ID, Self::GUILD_B_ID];
    /// A text channel of guild A, `#reading-room`.
    pub const CHANNEL_ID: u64 = 1_100_000_000_000_000_200;
    /// Another text channel of guild A, `#general`, its system channel.
    const OTHER_CHANNEL_ID: u64 = 1_100_000_000_000_000_201;
    /// Guild B's text channel, `#book-club`, also its system channel.
    pub const CHANNEL_B_ID: u64 = 1_100_000_000_000_000_210;
    /// Guild A's "Moderators" role (`@everyone`'s id is the guild's).
    pub const MODERATOR_ROLE_ID: u64 = 1_100_000_000_000_000_300;
    const BOT_ROLE_ID: u64 = 1_100_000_000_000_000_301;
    /// Guild B's "Moderators" role and the bot's role there.
    const MODERATOR_ROLE_B_ID: u64 = 1_100_000_000_000_000_310;
    const BOT_ROLE_B_ID: u64 = 1_100_000_000_000_000_311;
    /// The owner of both guilds, who has every permission without a role.
    pub const OWNER_ID: u64 = 1_100_000_000_000_000_400;
    /// A member of guild A with its "Moderators" role; not a member of guild B.
    pub const MODERATOR_ID: u64 = 1_100_000_000_000_000_401;
    /// A member of both guilds with no role but `@everyone`.
    pub const READER_ID: u64 = 1_100_000_000_000_000_402;
    /// A member of guild B with its "Moderators" role; not a member of guild A.
    pub const MODERATOR_B_ID: u64 = 1_100_000_000_000_000_403;
    /// Discord's own limit: a later callback gets 404 Unknown interaction.
    const INTERACTION_DEADLINE: Duration = Duration::from_secs(3);

    /// Binds 127.0.0.1 on a free port and serves REST (under `/api/v10`) and the gateway (`/ws`).
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Inner {
            state: Mutex::new(State::new(addr.port())),
            changed: watch::channel(0).0,
            shutdown: watch::channel(false).0,
        });
        let app = Router::new()
            .route("/ws", any(gateway::upgrade))
            .fallback(rest::serve)
            .layer(DefaultBodyLimit::disable())
            .with_state(inner.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("fake discord serves");
        });
        FakeDiscord {
            inner,
            addr,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`, for `HttpBuilder::proxy`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// Waits until serenity has IDENTIFYed and was sent READY (and the GUILD_CREATEs, with
    /// the `GUILDS` intent). Panics after `timeout`.
    pub async fn wait_ready(&self, timeout: Duration) {
        self.wait_for(timeout, "READY", |state| {
            (!state.gateway.sessions.is_empty()).then_some(())
        })
        .await;
    }

    /// Waits until a session of each of `shards` (of `total`) is identified and was sent its
    /// READY and GUILD_CREATEs. Panics after `timeout`, saying which shards are connected.
    pub async fn wait_shards_ready(&self, shards: &[u32], total: u32, timeout: Duration) {
        let mut changes = self.inner.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let connected = self.connected_shards();
            if shards
                .iter()
                .all(|shard| connected.contains(&[*shard, total]))
            {
                return;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                panic!(
                    "fake discord: timed out after {timeout:?} waiting for shards {shards:?} of {total}; connected: {connected:?}, identified: {:?}",
                    self.identified_shards()
                );
            }
        }
    }

    /// The shard `[id, total]` of every IDENTIFY the gateway accepted, in order (a
    /// reconnection identifies again).
    pub fn identified_shards(&self) -> Vec<[u32; 2]> {
        self.state().gateway.identified.clone()
    }

    /// The shards `[id, total]` of the sessions connected now, in order.
    pub fn connected_shards(&self) -> Vec<[u32; 2]> {
        self.state().connected_shards()
    }

    /// The shard count `GET /gateway/bot` recommends from now on (1 until set).
    pub fn recommend_shards(&self, shards: u32) {
        self.state().gateway.recommended_shards = shards;
    }

    /// The shard of `total` whose session gets a guild's events: `(guild_id >> 22) % total`.
    pub fn shard_of(guild: u64, total: u32) -> u32 {
        u32::try_from((guild >> 22) % u64::from(total)).unwrap()
    }

    /// A new guild the bot is in, whose id puts it on `shard` of `total`, with one text
    /// channel, `#reading-room`; the owner and the reader are its members (it has no
    /// moderator). Returns the guild and the channel. Added before the bot connects, it is in
    /// READY; added later, it takes a GUILD_CREATE ([`FakeDiscord::guild_create`]).
    pub fn add_guild(&self, shard: u32, total: u32) -> (u64, u64) {
        self.state().add_guild(shard, total)
    }

    /// The first recorded request (past or future) matching `pred`; panics after `timeout` with
    /// the list of requests received.
    pub async fn wait_for_request(
        &self,
        pred: impl Fn(&Recorded) -> bool,
        timeout: Duration,
    ) -> Recorded {
        self.wait_for(timeout, "a matching request", |state| {
            state.requests.iter().find(|r| pred(r)).cloned()
        })
        .await
    }

    async fn wait_for<T>(
        &self,
        timeout: Duration,
        what: &str,
        found: impl Fn(&State) -> Option<T>,
    ) -> T {
        let mut changes = self.inner.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(found) = found(&self.state()) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                panic!(
                    "fake discord: timed out after {timeout:?} waiting for {what}; requests so far:\n{}",
                    self.summary()
                );
            }
        }
    }

    /// Pushes an event (op 0, next sequence number) to the session of its guild's shard (by
    /// its `guild_id`, or `id` for GUILD_CREATE/UPDATE/DELETE; shard 0 without a guild) after
    /// checking that serenity parses it; panics with serenity's error otherwise. Returns false
    /// if no session was sent it: none of that shard is connected, or its intents exclude the
    /// event (as Discord does).
    pub async fn dispatch(&self, event: &str, data: Value) -> bool {
        let sent = self.state().dispatch(event, data);
        self.inner.bump();
        sent
    }

    /// Takes note of an interaction delivered to the bot's HTTP endpoint rather than the
    /// gateway, and of the bot's HTTP answer to it, as Discord does with the answer of an
    /// endpoint: the answer is checked like a callback (panicking with Discord's error), and the
    /// interaction's webhook then serves the original response.
    pub fn answered_over_http(&self, interaction: &Value, answer: &Value) {
        let mut state = self.state();
        state.register_interaction(interaction);
        let token = interaction["token"].as_str().unwrap();
        if let Err(refused) =
            state.interaction_callback(id_of(&interaction["id"]), token, answer, &[])
        {
            panic!(
                "fake discord refuses this answer: {:?}\n{answer:#}",
                refused.body
            );
        }
        drop(state);
        self.inner.bump();
    }

    /// A fresh snowflake, larger than any given before (and than the fixed ids).
    pub fn snowflake(&self) -> u64 {
        self.state().snowflake()
    }

    /// Requests matching `pred`, oldest first.
    pub fn requests_matching(&self, pred: impl Fn(&Recorded) -> bool) -> Vec<Recorded> {
        self.state()
            .requests
            .iter()
            .filter(|r| pred(r))
            .cloned()
            .collect()
    }

    /// Requests whose route the fake does not know (answered 404), e.g. to assert there are none.
    pub fn unknown_requests(&self) -> Vec<Recorded> {
        self.requests_matching(|r| {
            r.status == 404 && r.response.get("code").and_then(Value::as_u64) == Some(0)
        })
    }

    /// One line per request: method, path, status.
    pub fn summary(&self) -> String {
        self.state()
            .requests
            .iter()
            .map(|r| format!("  {} {} -> {}", r.method, r.path, r.status))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The next `times` requests with this method (`"*"` for any) whose path (without
    /// `/api/v10`) starts with `path_prefix` are answered with `status` and a Discord-style
    /// error body instead. Normal service resumes afterwards.
    pub fn fail_next(&self, method: &str, path_prefix: &str, status: u16, times: usize) {
        self.state().failures.push(Failure {
            method: method.to_ascii_uppercase(),
            path_prefix: path_prefix.to_owned(),
            status,
            remaining: times,
        });
    }

    /// Every later request with this method (`"*"` for any) whose path starts with
    /// `path_prefix` is answered only after `delay`, as a busy Discord answers late.
    pub fn delay(&self, method: &str, path_prefix: &str, delay: Duration) {
        self.state()
            .delays
            .push((method.to_ascii_uppercase(), path_prefix.to_owned(), delay));
    }

    /// Waits until no gateway session is connected (the bot stopped). Panics after `timeout`.
    pub async fn wait_disconnected(&self, timeout: Duration) {
        self.wait_for(timeout, "the gateway session to close", |state| {
            state.gateway.sessions.is_empty().then_some(())
        })
        .await;
    }

    /// Messages of a channel, oldest first.
    pub fn channel_messages(&self, channel_id: u64) -> Vec<Value> {
        self.state()
            .messages
            .values()
            .filter(|m| id_of(&m["channel_id"]) == channel_id)
            .cloned()
            .collect()
    }

    // ----- payloads for tests to dispatch -----

    /// MESSAGE_CREATE data of a guild member's message (or the bot's), replying to `reply_to` if
    /// given. The message is stored, so that replies, buttons, context menus and REST can find it.
    pub fn message(
        &self,
        id: u64,
        channel_id: u64,
        author_id: u64,
        content: &str,
        reply_to: Option<u64>,
    ) -> Value {
        let mut state = self.state();
        let mut message = State::base_message(id, channel_id, user_json(author_id));
        message["content"] = json!(content);
        message["mentions"] = json!(mentioned_users(content));
        if let Some(parent) = reply_to {
            message["type"] = json!(19);
            message["message_reference"] = json!({
                "type": 0,
                "message_id": parent.to_string(),
                "channel_id": channel_id.to_string(),
                "guild_id": state.guild_of(channel_id).to_string(),
            });
            message["referenced_message"] =
                state.messages.get(&parent).cloned().unwrap_or(Value::Null);
        }
        state.messages.insert(id, message.clone());
        state.gateway_message(message)
    }

    /// MESSAGE_UPDATE data: the full message with new content and `edited_timestamp` (as Discord
    /// now sends it). The stored message, if any, is updated.
    pub fn message_update(&self, id: u64, channel_id: u64, author_id: u64, content: &str) -> Value {
        let mut state = self.state();
        let mut message = state
            .messages
            .get(&id)
            .cloned()
            .unwrap_or_else(|| State::base_message(id, channel_id, user_json(author_id)));
        message["content"] = json!(content);
        message["mentions"] = json!(mentioned_users(content));
        message["edited_timestamp"] = json!(now_iso());
        state.messages.insert(id, message.clone());
        state.gateway_message(message)
    }

    /// MESSAGE_DELETE data. The stored message, if any, is forgotten.
    pub fn message_delete(&self, id: u64, channel_id: u64) -> Value {
        let mut state = self.state();
        state.messages.remove(&id);
        json!({
            "id": id.to_string(),
            "channel_id": channel_id.to_string(),
            "guild_id": state.guild_of(channel_id).to_string(),
        })
    }

    /// GUILD_CREATE data of a guild: the bot (re)joins it, as on an invitation.
    pub fn guild_create(&self, guild: u64) -> Value {
        let mut state = self.state();
        if !state.joined.contains(&guild) {
            state.joined.push(guild);
        }
        state.guild_json(guild)
    }

    /// GUILD_DELETE data of the bot's removal from a guild (kicked, banned, or the guild
    /// deleted): Discord leaves `unavailable` out, which is what tells it from an outage. The
    /// guild is then left out of READY, as Discord does on the next connection.
    pub fn guild_removed(&self, guild: u64) -> Value {
        self.state().joined.retain(|g| *g != guild);
        json!({ "id": guild.to_string() })
    }

    /// INTERACTION_CREATE data of a slash command (type 2, data.type 1) used in
    /// [`FakeDiscord::CHANNEL_ID`] by a member. `options` is either Discord's array of option
    /// objects, or an object `{"name": value}` whose values' types are guessed (string 3,
    /// integer 4, boolean 5, number 10). The command's id is the registered one, if any.
    pub fn slash_command(&self, id: u64, name: &str, options: Value, user_id: u64) -> Value {
        let state = self.state();
        let data = json!({
            "id": state.command_id(name, 1).to_string(),
            "name": name,
            "type": 1,
            "options": options_array(options),
            "guild_id": Self::GUILD_ID.to_string(),
        });
        state.interaction(id, 2, data, Self::CHANNEL_ID, user_id, None)
    }

    /// INTERACTION_CREATE data of an autocomplete request (type 4) for `focused_option` of a
    /// slash command, the user having typed `value` so far.
    pub fn autocomplete(
        &self,
        id: u64,
        name: &str,
        focused_option: &str,
        value: &str,
        user_id: u64,
    ) -> Value {
        let state = self.state();
        let data = json!({
            "id": state.command_id(name, 1).to_string(),
            "name": name,
            "type": 1,
            "options": [{ "name": focused_option, "type": 3, "value": value, "focused": true }],
            "guild_id": Self::GUILD_ID.to_string(),
        });
        state.interaction(id, 4, data, Self::CHANNEL_ID, user_id, None)
    }

    /// INTERACTION_CREATE data of a button press (type 3, component_type 2) on a message the
    /// fake knows (one the bot sent, or one built here); a minimal bot message otherwise.
    pub fn button(&self, id: u64, custom_id: &str, message_id: u64, user_id: u64) -> Value {
        let mut state = self.state();
        let message = state
            .messages
            .entry(message_id)
            .or_insert_with(|| {
                State::base_message(message_id, Self::CHANNEL_ID, user_json(Self::BOT_USER_ID))
            })
            .clone();
        let channel_id = id_of(&message["channel_id"]);
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        state.interaction(id, 3, data, channel_id, user_id, Some(message))
    }

    /// INTERACTION_CREATE data of a message context-menu command (type 2, data.type 3) on
    /// `target_message` (a message object, e.g. from [`FakeDiscord::message`]): `data.target_id`
    /// and `data.resolved.messages` carry it.
    pub fn message_context_menu(
        &self,
        id: u64,
        name: &str,
        target_message: Value,
        user_id: u64,
    ) -> Value {
        let state = self.state();
        let target_id = id_of(&target_message["id"]);
        let channel_id = id_of(&target_message["channel_id"]);
        let mut resolved = target_message;
        if let Some(map) = resolved.as_object_mut() {
            map.remove("member");
            map.remove("guild_id");
        }
        let data = json!({
            "id": state.command_id(name, 3).to_string(),
            "name": name,
            "type": 3,
            "target_id": target_id.to_string(),
            "resolved": { "messages": { target_id.to_string(): resolved } },
            "guild_id": Self::GUILD_ID.to_string(),
        });
        state.interaction(id, 2, data, channel_id, user_id, None)
    }

    /// Moves an interaction payload built here to another channel (a thread, say, or a
    /// channel of the other guild, with the member's roles and permissions there).
    pub fn in_channel(&self, mut interaction: Value, channel_id: u64) -> Value {
        self.state().place(&mut interaction, channel_id);
        interaction
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }
}

impl State {
    fn delay_for(&self, method: &str, path: &str) -> Option<Duration> {
        self.delays
            .iter()
            .find(|(m, prefix, _)| (m == "*" || m == method) && path.starts_with(prefix.as_str()))
            .map(|(_, _, delay)| *delay)
    }

    fn new(port: u16) -> State {
        let channels = [
            (
                FakeDiscord::CHANNEL_ID,
                FakeDiscord::GUILD_ID,
                "reading-room",
                1,
            ),
            (
                FakeDiscord::OTHER_CHANNEL_ID,
                FakeDiscord::GUILD_ID,
                "general",
                0,
            ),
            (
                FakeDiscord::CHANNEL_B_ID,
                FakeDiscord::GUILD_B_ID,
                "book-club",
                0,
            ),
        ]
        .into_iter()
        .map(|(id, guild, name, position)| {
            (id, payloads::text_channel_json(id, guild, name, position))
        })
        .collect();
        State {
            port,
            last_id: 0,
            requests: Vec::new(),
            failures: Vec::new(),
            delays: Vec::new(),
            guilds: FakeDiscord::GUILDS.to_vec(),
            joined: FakeDiscord::GUILDS.to_vec(),
            channels,
            messages: BTreeMap::new(),
            global_commands: Vec::new(),
            guild_commands: Vec::new(),
            interactions: HashMap::new(),
            gateway: Gateway {
                connections: 0,
                sessions: BTreeMap::new(),
                identified: Vec::new(),
                recommended_shards: 1,
            },
        }
    }

    fn snowflake(&mut self) -> u64 {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let from_clock = ms.saturating_sub(DISCORD_EPOCH_MS) << 22;
        self.last_id = from_clock.max(self.last_id + 1);
        self.last_id
    }

    /// Where serenity is to connect, as `GET /gateway` and READY say.
    fn gateway_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    fn connected_shards(&self) -> Vec<[u32; 2]> {
        let mut shards: Vec<[u32; 2]> = self
            .gateway
            .sessions
            .values()
            .map(|s| [s.shard, s.total])
            .collect();
        shards.sort_unstable();
        shards
    }

    fn add_guild(&mut self, shard: u32, total: u32) -> (u64, u64) {
        assert!(shard < total, "shard {shard} of {total} does not exist");
        // A snowflake's shard is that of its millisecond: the first id from now on whose
        // millisecond lands on `shard`, at most `total - 1` ms ahead.
        let next = self.snowflake();
        let total = u64::from(total);
        let millisecond = next >> 22;
        let ahead = (u64::from(shard) + total - millisecond % total) % total;
        let guild = match ahead {
            0 => next,
            _ => (millisecond + ahead) << 22,
        };
        let channel = guild + 1;
        // The channel and the guild's two roles (see `payloads::guild_roles`) take the ids
        // after the guild's, so no later snowflake is given one of them again.
        self.last_id = guild + 3;
        self.channels.insert(
            channel,
            payloads::text_channel_json(channel, guild, "reading-room", 0),
        );
        self.guilds.push(guild);
        self.joined.push(guild);
        (guild, channel)
    }
}
