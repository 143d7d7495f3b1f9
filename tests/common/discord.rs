//! A small fake of Discord for the Discord adapter's tests: the REST routes the bot uses and a
//! real websocket gateway, served on 127.0.0.1 on a free port, so that the real, unmodified
//! serenity client can run against it.
//!
//! Payloads follow Discord's published API documentation. Every REST request is recorded (with
//! what was answered) and every gateway event can be pushed from a test. Each event given to
//! [`FakeDiscord::dispatch`] is first parsed with serenity's own model, and the call panics if
//! serenity would drop it, so a test never waits for an event that was silently lost.
//!
//! Point serenity at it with
//! `HttpBuilder::new(FakeDiscord::TOKEN).proxy(fake.base_url()).ratelimiter_disabled(true)`
//! (the proxy is ignored while serenity's rate limiter is on) and
//! `ClientBuilder::new_with_http(http, intents)`.
//!
//! What it does as Discord does:
//! - `GET /gateway` answers `ws://127.0.0.1:PORT/ws`; serenity connects to it with `?v=10` and
//!   sends IDENTIFY with `compress: true`; the fake answers in plain JSON text frames, which
//!   serenity reads too. HELLO, READY, GUILD_CREATE (with the `GUILDS` intent), heartbeat ACKs,
//!   RESUME (replaying what was missed, then RESUMED) and invalid sessions are handled.
//! - Events are only delivered if the IDENTIFY asked for their intent, and without the
//!   `MESSAGE_CONTENT` intent guild messages arrive with empty content, embeds, attachments and
//!   components, unless they are the bot's own or mention it.
//! - Messages the bot creates, edits or deletes (in channels, and through interactions unless
//!   ephemeral) come back to it as MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE, as Discord
//!   sends them (see [`FakeDiscord::set_echo_bot_messages`]).
//! - An interaction must be answered within 3 seconds of its dispatch (see
//!   [`FakeDiscord::set_interaction_deadline`]) and only once; follow-ups and edits of the
//!   original response go through the interaction's webhook.
//! - Starting a thread (from a message or not) answers a thread channel and dispatches
//!   THREAD_CREATE; a thread started from a message has the message's id.
//! - Requests without the bot token get 401; unknown routes get 404 with a Discord-style error
//!   body; invalid bodies get 400 with code 50035 and the path of the offending field.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, State as AxumState};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

/// Discord's epoch (2015-01-01T00:00:00Z) in milliseconds since the Unix epoch.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Serenity's warnings and errors seen by the subscriber of [`init_tracing`], oldest first.
static SERENITY_WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Installs (once per test binary) a tracing subscriber that prints logs as `RUST_LOG` says
/// (default `serenity=warn`) and keeps serenity's warnings and errors for
/// [`serenity_warnings`]: serenity drops a gateway event it cannot parse with only a warning.
pub fn init_tracing() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        use tracing_subscriber::prelude::*;
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("serenity=warn"));
        let capture = WarningCapture.with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            meta.target().starts_with("serenity") && *meta.level() <= tracing::Level::WARN
        }));
        let _ = tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_test_writer()
                    .with_filter(filter),
            )
            .with(capture)
            .try_init();
    });
}

/// Serenity's warnings and errors so far, in every test of this binary, as the subscriber is
/// global (see [`init_tracing`]); filter out those another test provokes on purpose.
pub fn serenity_warnings() -> Vec<String> {
    SERENITY_WARNINGS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

struct WarningCapture;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for WarningCapture {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Text(String);
        impl tracing::field::Visit for Text {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                use std::fmt::Write;
                let _ = write!(self.0, " {}={:?}", field.name(), value);
            }
        }
        let mut text = Text(format!(
            "{} {}:",
            event.metadata().level(),
            event.metadata().target()
        ));
        event.record(&mut text);
        SERENITY_WARNINGS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text.0);
    }
}

/// Gateway intents, as Discord numbers them.
pub mod intents {
    /// Guilds, channels, threads, roles.
    pub const GUILDS: u64 = 1 << 0;
    /// Member joins, updates and leaves (privileged).
    pub const GUILD_MEMBERS: u64 = 1 << 1;
    /// Messages in guild channels.
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    /// Reactions in guild channels.
    pub const GUILD_MESSAGE_REACTIONS: u64 = 1 << 10;
    /// Messages in DMs.
    pub const DIRECT_MESSAGES: u64 = 1 << 12;
    /// Reactions in DMs.
    pub const DIRECT_MESSAGE_REACTIONS: u64 = 1 << 13;
    /// Content, embeds, attachments and components of messages (privileged).
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
}

/// Permission bits, as Discord numbers them.
pub mod permissions {
    /// Create invites.
    pub const CREATE_INSTANT_INVITE: u64 = 1 << 0;
    /// Add reactions.
    pub const ADD_REACTIONS: u64 = 1 << 6;
    /// See channels.
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    /// Send messages.
    pub const SEND_MESSAGES: u64 = 1 << 11;
    /// Delete and pin others' messages.
    pub const MANAGE_MESSAGES: u64 = 1 << 13;
    /// Links show embeds.
    pub const EMBED_LINKS: u64 = 1 << 14;
    /// Upload files.
    pub const ATTACH_FILES: u64 = 1 << 15;
    /// Read history.
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    /// Use emojis of other guilds.
    pub const USE_EXTERNAL_EMOJIS: u64 = 1 << 18;
    /// Change one's nickname.
    pub const CHANGE_NICKNAME: u64 = 1 << 26;
    /// Use application commands.
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    /// Archive, lock and delete threads.
    pub const MANAGE_THREADS: u64 = 1 << 34;
    /// Start public threads.
    pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    /// Start private threads.
    pub const CREATE_PRIVATE_THREADS: u64 = 1 << 36;
    /// Post in threads.
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
}

/// One REST request the fake received, and what it answered.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The path without the `/api/v10` prefix, e.g. `/channels/123/messages`.
    pub path: String,
    /// Query parameters in order (serenity writes `?&name=value`; empty pairs are dropped).
    pub query: Vec<(String, String)>,
    /// Every request header, names in lower case.
    pub headers: BTreeMap<String, String>,
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

    /// A request header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether the fake answered with a 2xx status.
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A file uploaded in a multipart body.
#[derive(Clone, Debug)]
pub struct RecordedFile {
    /// The form field, e.g. `files[0]`.
    pub field: String,
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
    channels: BTreeMap<u64, Value>,
    messages: BTreeMap<u64, Value>,
    global_commands: Vec<Value>,
    guild_commands: Vec<Value>,
    interactions: HashMap<String, InteractionState>,
    interaction_deadline: Option<Duration>,
    echo_bot_messages: bool,
    heartbeat_interval_ms: u64,
    gateway: Gateway,
}

#[derive(Default)]
struct Gateway {
    intents: u64,
    identify: Option<Value>,
    session_id: Option<String>,
    seq: u64,
    sent: Vec<(u64, String)>,
    live: Option<(u64, mpsc::UnboundedSender<Out>)>,
    next_connection: u64,
    ready: bool,
    received: Vec<Value>,
    identifies: u64,
    resumes: u64,
    /// identifies + resumes when the test last cut the connection.
    disconnected_at: Option<u64>,
}

impl Gateway {
    fn mark_disconnect(&mut self) {
        self.disconnected_at = Some(self.identifies + self.resumes);
    }
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

enum Out {
    Text(String),
    Close(u16, String),
}

/// An answer of the REST side.
struct Reply {
    status: u16,
    body: Option<Value>,
    headers: Vec<(String, String)>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    fn ok(body: Value) -> Reply {
        Reply::json(200, body)
    }

    fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
            headers: Vec::new(),
        }
    }

    fn error(status: u16, code: u64, message: &str) -> Reply {
        Reply::json(status, json!({ "message": message, "code": code }))
    }

    fn not_found() -> Reply {
        Reply::error(404, 0, "404: Not Found")
    }

    /// 400 Invalid Form Body, with the error nested under the dotted `path` as Discord does.
    fn invalid_form(path: &str, code: &str, message: &str) -> Reply {
        let mut errors = json!({ "_errors": [{ "code": code, "message": message }] });
        for segment in path.split('.').rev().filter(|s| !s.is_empty()) {
            errors = json!({ segment: errors });
        }
        Reply::json(
            400,
            json!({ "message": "Invalid Form Body", "code": 50035, "errors": errors }),
        )
    }
}

type Result<T> = std::result::Result<T, Reply>;

impl FakeDiscord {
    /// The bot token serenity must send (`Authorization: Bot fake-bot-token`).
    pub const TOKEN: &'static str = "fake-bot-token";
    /// The application's id; as for every recent Discord application, the bot user has the same.
    pub const APPLICATION_ID: u64 = 1_100_000_000_000_000_001;
    /// The bot user's id.
    pub const BOT_USER_ID: u64 = Self::APPLICATION_ID;
    /// The bot's user name.
    pub const BOT_NAME: &'static str = "Reading Room";
    /// The one guild.
    pub const GUILD_ID: u64 = 1_100_000_000_000_000_100;
    /// A text channel, `#reading-room`.
    pub const CHANNEL_ID: u64 = 1_100_000_000_000_000_200;
    /// Another text channel, `#general`.
    pub const OTHER_CHANNEL_ID: u64 = 1_100_000_000_000_000_201;
    /// The `@everyone` role, whose id is the guild's.
    pub const EVERYONE_ROLE_ID: u64 = Self::GUILD_ID;
    /// The "Moderators" role.
    pub const MODERATOR_ROLE_ID: u64 = 1_100_000_000_000_000_300;
    /// The bot's managed role.
    pub const BOT_ROLE_ID: u64 = 1_100_000_000_000_000_301;
    /// The guild's owner (a member of no other role).
    pub const OWNER_ID: u64 = 1_100_000_000_000_000_400;
    /// A member with the "Moderators" role.
    pub const MODERATOR_ID: u64 = 1_100_000_000_000_000_401;
    /// A member with no role but `@everyone`.
    pub const READER_ID: u64 = 1_100_000_000_000_000_402;
    /// What `@everyone` may do.
    pub const EVERYONE_PERMISSIONS: u64 = permissions::CREATE_INSTANT_INVITE
        | permissions::ADD_REACTIONS
        | permissions::VIEW_CHANNEL
        | permissions::SEND_MESSAGES
        | permissions::EMBED_LINKS
        | permissions::ATTACH_FILES
        | permissions::READ_MESSAGE_HISTORY
        | permissions::USE_EXTERNAL_EMOJIS
        | permissions::CHANGE_NICKNAME
        | permissions::USE_APPLICATION_COMMANDS
        | permissions::CREATE_PUBLIC_THREADS
        | permissions::CREATE_PRIVATE_THREADS
        | permissions::SEND_MESSAGES_IN_THREADS;
    /// What "Moderators" adds.
    pub const MODERATOR_PERMISSIONS: u64 = permissions::MANAGE_MESSAGES;
    /// What the bot's role adds.
    pub const BOT_PERMISSIONS: u64 = permissions::MANAGE_MESSAGES | permissions::MANAGE_THREADS;
    /// `attachment_size_limit` of interactions (10 MiB, as in a guild without boosts).
    pub const ATTACHMENT_SIZE_LIMIT: u64 = 10 * 1024 * 1024;
    /// HELLO's heartbeat interval in milliseconds; serenity only heartbeats after it.
    pub const HEARTBEAT_INTERVAL_MS: u64 = 41_250;

    /// Binds 127.0.0.1 on a free port and serves REST (under `/api/v10`) and the gateway (`/ws`).
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let (changed, _) = watch::channel(0);
        let (shutdown, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            state: Mutex::new(State::new(addr.port())),
            changed,
            shutdown,
        });
        let app = Router::new()
            .route("/ws", any(gateway_upgrade))
            .fallback(rest)
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

    /// The gateway URL that `GET /gateway` answers.
    pub fn gateway_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// Waits until serenity has IDENTIFYed and was sent READY (and GUILD_CREATE, with the
    /// `GUILDS` intent). Panics after `timeout`.
    pub async fn wait_ready(&self, timeout: Duration) {
        self.wait_until(timeout, "READY", |state| state.gateway.ready)
            .await;
    }

    /// Waits until an IDENTIFY or RESUME has been answered since the last
    /// [`FakeDiscord::close_gateway`], [`FakeDiscord::invalidate_session`] or
    /// [`FakeDiscord::request_reconnect`] (or since this call, if there was none). Panics after
    /// `timeout`.
    pub async fn wait_reconnected(&self, timeout: Duration) {
        let before = {
            let state = self.state();
            state
                .gateway
                .disconnected_at
                .unwrap_or(state.gateway.identifies + state.gateway.resumes)
        };
        self.wait_until(timeout, "a new gateway session", move |state| {
            state.gateway.ready && state.gateway.identifies + state.gateway.resumes > before
        })
        .await;
    }

    async fn wait_until(&self, timeout: Duration, what: &str, done: impl Fn(&State) -> bool) {
        let mut changes = self.inner.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if done(&self.state()) {
                return;
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

    /// The IDENTIFY payload (`d`) serenity sent last, token included.
    pub fn identify(&self) -> Option<Value> {
        self.state().gateway.identify.clone()
    }

    /// The intents of the last IDENTIFY.
    pub fn intents(&self) -> u64 {
        self.state().gateway.intents
    }

    /// Every gateway payload serenity sent, oldest first (IDENTIFY, heartbeats, presence ...).
    pub fn gateway_received(&self) -> Vec<Value> {
        self.state().gateway.received.clone()
    }

    /// Counts of IDENTIFYs and RESUMEs received so far.
    pub fn sessions(&self) -> (u64, u64) {
        let state = self.state();
        (state.gateway.identifies, state.gateway.resumes)
    }

    /// Pushes an event (op 0, next sequence number) after checking that serenity parses it;
    /// panics with serenity's error otherwise. Returns false if the event was not sent because
    /// the session's intents exclude it (as Discord does). Sent while serenity is disconnected,
    /// it is replayed on RESUME.
    pub async fn dispatch(&self, event: &str, data: Value) -> bool {
        let sent = self.state().dispatch(event, data, true);
        self.inner.bump();
        sent
    }

    /// [`FakeDiscord::dispatch`] without serenity's check and without intent filtering, for
    /// payloads that are meant to be malformed.
    pub async fn dispatch_unchecked(&self, event: &str, data: Value) {
        self.state().dispatch(event, data, false);
        self.inner.bump();
    }

    /// Closes the gateway connection with a close code: after 4000 (or 1000) serenity resumes
    /// (logging a warning "Unknown unclean close" for 4000), after 4009 (session timed out) it
    /// identifies anew, after 4004 (authentication failed) it gives up.
    pub async fn close_gateway(&self, code: u16) {
        let mut state = self.state();
        if code == 4009 || code == 4004 {
            state.gateway.session_id = None;
        }
        state.gateway.mark_disconnect();
        if let Some((_, sender)) = &state.gateway.live {
            let _ = sender.send(Out::Close(code, "closed by the test".to_owned()));
        }
    }

    /// Sends op 9 INVALID_SESSION: resumable, serenity reconnects and resumes; not, it
    /// reconnects and identifies anew (the session is forgotten). Serenity 0.12.5 takes 5 s to
    /// re-identify (its shard manager waits for the restarting shard to stop, which it cannot
    /// while restarting itself) and warns "Failed to cleanly shutdown shard 0".
    pub async fn invalidate_session(&self, resumable: bool) {
        let mut state = self.state();
        if !resumable {
            state.gateway.session_id = None;
        }
        state.gateway.mark_disconnect();
        if let Some((_, sender)) = &state.gateway.live {
            let payload = json!({ "op": 9, "s": null, "t": null, "d": resumable });
            let _ = sender.send(Out::Text(payload.to_string()));
        }
    }

    /// Sends op 7 RECONNECT: serenity reconnects and resumes.
    pub async fn request_reconnect(&self) {
        let mut state = self.state();
        state.gateway.mark_disconnect();
        if let Some((_, sender)) = &state.gateway.live {
            let payload = json!({ "op": 7, "s": null, "t": null, "d": null });
            let _ = sender.send(Out::Text(payload.to_string()));
        }
    }

    /// The heartbeat interval that HELLO announces on later connections (default
    /// [`FakeDiscord::HEARTBEAT_INTERVAL_MS`], long enough for serenity never to heartbeat in a
    /// short test).
    pub fn set_heartbeat_interval(&self, interval: Duration) {
        self.state().heartbeat_interval_ms = interval.as_millis() as u64;
    }

    /// Whether messages the bot creates, edits or deletes come back over the gateway (default
    /// true, as on Discord).
    pub fn set_echo_bot_messages(&self, echo: bool) {
        self.state().echo_bot_messages = echo;
    }

    /// How long after its dispatch an interaction may be answered (default 3 s, as on Discord;
    /// later callbacks get 404 Unknown interaction). `None` never expires.
    pub fn set_interaction_deadline(&self, deadline: Option<Duration>) {
        self.state().interaction_deadline = deadline;
    }

    /// A fresh snowflake, larger than any given before (and than the fixed ids).
    pub fn snowflake(&self) -> u64 {
        self.state().snowflake()
    }

    // ----- requests -----

    /// Every REST request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
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

    /// The first recorded request (past or future) matching `pred`; panics after `timeout` with
    /// the list of requests received.
    pub async fn wait_for_request(
        &self,
        pred: impl Fn(&Recorded) -> bool,
        timeout: Duration,
    ) -> Recorded {
        self.wait_for_requests(pred, 1, timeout).await.remove(0)
    }

    /// The first `count` recorded requests matching `pred`, waiting up to `timeout` for them.
    pub async fn wait_for_requests(
        &self,
        pred: impl Fn(&Recorded) -> bool,
        count: usize,
        timeout: Duration,
    ) -> Vec<Recorded> {
        let mut changes = self.inner.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let found = self.requests_matching(&pred);
            if found.len() >= count {
                return found.into_iter().take(count).collect();
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                panic!(
                    "fake discord: timed out after {timeout:?} waiting for {count} matching request(s), got {}; requests:\n{}",
                    found.len(),
                    self.summary()
                );
            }
        }
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
    /// `/api/v10`) starts with `path_prefix` are answered with `status` instead: 429 with
    /// Discord's rate-limit body and headers (retry after 0.1 s), other codes with a
    /// Discord-style error body. Normal service resumes afterwards.
    pub fn fail_next(&self, method: &str, path_prefix: &str, status: u16, times: usize) {
        self.state().failures.push(Failure {
            method: method.to_ascii_uppercase(),
            path_prefix: path_prefix.to_owned(),
            status,
            remaining: times,
        });
    }

    // ----- stored objects -----

    /// A message as the fake knows it (sent by the bot or built here), as REST would answer it.
    pub fn stored_message(&self, id: u64) -> Option<Value> {
        self.state().messages.get(&id).cloned()
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

    /// A channel or thread as the fake knows it.
    pub fn channel(&self, id: u64) -> Option<Value> {
        self.state().channels.get(&id).cloned()
    }

    /// The commands registered so far: global, then guild.
    pub fn commands(&self) -> (Vec<Value>, Vec<Value>) {
        let state = self.state();
        (state.global_commands.clone(), state.guild_commands.clone())
    }

    // ----- payload builders -----

    /// A user object: the bot, the owner, the moderator, the reader, or a stranger `user<ID>`.
    pub fn user(&self, id: u64) -> Value {
        user_json(id)
    }

    /// A guild member object (with `user`) of one of the guild's members, or of a stranger with
    /// no role.
    pub fn member(&self, user_id: u64) -> Value {
        member_json(user_id)
    }

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
        let mut message = state.base_message(id, channel_id, user_json(author_id));
        message["content"] = json!(content);
        message["mentions"] = json!(mentioned_users(content));
        if let Some(parent) = reply_to {
            message["type"] = json!(19);
            message["message_reference"] = json!({
                "type": 0,
                "message_id": parent.to_string(),
                "channel_id": channel_id.to_string(),
                "guild_id": Self::GUILD_ID.to_string(),
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
            .unwrap_or_else(|| state.base_message(id, channel_id, user_json(author_id)));
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
        let mut data = json!({ "id": id.to_string(), "channel_id": channel_id.to_string() });
        if !state.is_dm(channel_id) {
            data["guild_id"] = json!(Self::GUILD_ID.to_string());
        }
        data
    }

    /// THREAD_CREATE data: a public thread (type 11) in `parent_channel_id`, started by the
    /// reader. The thread is stored, so that messages and REST calls in it work.
    pub fn thread(&self, id: u64, parent_channel_id: u64, name: &str) -> Value {
        let mut state = self.state();
        let thread = thread_json(id, parent_channel_id, name, 11, Self::READER_ID, 1440);
        state.channels.insert(id, thread.clone());
        let mut data = thread;
        data["newly_created"] = json!(true);
        data
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
        let message = match state.messages.get(&message_id) {
            Some(message) => message.clone(),
            None => {
                let message =
                    state.base_message(message_id, Self::CHANNEL_ID, user_json(Self::BOT_USER_ID));
                state.messages.insert(message_id, message.clone());
                message
            }
        };
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

    /// Moves an interaction payload built here to another channel (a thread, say).
    pub fn in_channel(&self, mut interaction: Value, channel_id: u64) -> Value {
        let state = self.state();
        interaction["channel_id"] = json!(channel_id.to_string());
        interaction["channel"] = state.partial_channel(channel_id);
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

// ----- JSON of the fixed world -----

fn now_iso() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, false)
}

fn joined_at() -> &'static str {
    "2025-09-01T10:00:00.000000+00:00"
}

fn id_of(value: &Value) -> u64 {
    match value {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

fn user_json(id: u64) -> Value {
    let (username, global_name, bot) = match id {
        FakeDiscord::BOT_USER_ID => ("readingroom", Some(FakeDiscord::BOT_NAME), true),
        FakeDiscord::OWNER_ID => ("owner_olga", Some("Olga"), false),
        FakeDiscord::MODERATOR_ID => ("mod_maria", Some("Maria"), false),
        FakeDiscord::READER_ID => ("reader_rob", Some("Rob"), false),
        _ => ("", None, false),
    };
    let username = if username.is_empty() {
        format!("user{id}")
    } else {
        username.to_owned()
    };
    let mut user = json!({
        "id": id.to_string(),
        "username": username,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": null,
        "public_flags": 0,
        "flags": 0,
        "banner": null,
        "accent_color": null,
        "avatar_decoration_data": null,
    });
    if bot {
        user["bot"] = json!(true);
    }
    user
}

fn member_roles(user_id: u64) -> Vec<u64> {
    match user_id {
        FakeDiscord::MODERATOR_ID => vec![FakeDiscord::MODERATOR_ROLE_ID],
        FakeDiscord::BOT_USER_ID => vec![FakeDiscord::BOT_ROLE_ID],
        _ => vec![],
    }
}

/// The guild-wide permissions of a member (the owner has them all).
fn member_permissions(user_id: u64) -> u64 {
    if user_id == FakeDiscord::OWNER_ID {
        return (1u64 << 51) - 1;
    }
    let mut permissions = FakeDiscord::EVERYONE_PERMISSIONS;
    for role in member_roles(user_id) {
        permissions |= match role {
            FakeDiscord::MODERATOR_ROLE_ID => FakeDiscord::MODERATOR_PERMISSIONS,
            FakeDiscord::BOT_ROLE_ID => FakeDiscord::BOT_PERMISSIONS,
            _ => 0,
        };
    }
    permissions
}

/// A member without `user`, as in messages.
fn partial_member_json(user_id: u64) -> Value {
    json!({
        "roles": member_roles(user_id).iter().map(u64::to_string).collect::<Vec<_>>(),
        "nick": null,
        "avatar": null,
        "banner": null,
        "joined_at": joined_at(),
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
        "unusual_dm_activity_until": null,
    })
}

fn member_json(user_id: u64) -> Value {
    let mut member = partial_member_json(user_id);
    member["user"] = user_json(user_id);
    member
}

fn role_json(id: u64, name: &str, permissions: u64, position: u64, bot: bool) -> Value {
    let mut role = json!({
        "id": id.to_string(),
        "name": name,
        "color": 0,
        "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": permissions.to_string(),
        "managed": bot,
        "mentionable": false,
        "flags": 0,
    });
    if bot {
        role["tags"] = json!({ "bot_id": FakeDiscord::BOT_USER_ID.to_string() });
    }
    role
}

fn roles_json() -> Vec<Value> {
    vec![
        role_json(
            FakeDiscord::EVERYONE_ROLE_ID,
            "@everyone",
            FakeDiscord::EVERYONE_PERMISSIONS,
            0,
            false,
        ),
        role_json(
            FakeDiscord::MODERATOR_ROLE_ID,
            "Moderators",
            FakeDiscord::MODERATOR_PERMISSIONS,
            1,
            false,
        ),
        role_json(
            FakeDiscord::BOT_ROLE_ID,
            FakeDiscord::BOT_NAME,
            FakeDiscord::BOT_PERMISSIONS,
            2,
            true,
        ),
    ]
}

fn text_channel_json(id: u64, name: &str, position: u64) -> Value {
    json!({
        "id": id.to_string(),
        "type": 0,
        "guild_id": FakeDiscord::GUILD_ID.to_string(),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": null,
        "nsfw": false,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "parent_id": null,
        "last_pin_timestamp": null,
        "default_auto_archive_duration": 1440,
        "flags": 0,
    })
}

fn thread_json(
    id: u64,
    parent_id: u64,
    name: &str,
    kind: u64,
    owner_id: u64,
    auto_archive: u64,
) -> Value {
    let now = now_iso();
    json!({
        "id": id.to_string(),
        "type": kind,
        "guild_id": FakeDiscord::GUILD_ID.to_string(),
        "parent_id": parent_id.to_string(),
        "owner_id": owner_id.to_string(),
        "name": name,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": false,
            "auto_archive_duration": auto_archive,
            "archive_timestamp": now,
            "locked": false,
            "create_timestamp": now,
        },
    })
}

fn application_json() -> Value {
    json!({
        "id": FakeDiscord::APPLICATION_ID.to_string(),
        "name": FakeDiscord::BOT_NAME,
        "icon": null,
        "description": "",
        "summary": "",
        "type": null,
        "bot_public": true,
        "bot_require_code_grant": false,
        "verify_key": "0".repeat(64),
        "flags": application_flags(),
        "hook": true,
        "is_monetized": false,
        "owner": user_json(FakeDiscord::OWNER_ID),
        "team": null,
        "bot": user_json(FakeDiscord::BOT_USER_ID),
        "redirect_uris": [],
        "interactions_endpoint_url": null,
        "integration_types_config": { "0": {} },
    })
}

/// GATEWAY_PRESENCE_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED:
/// the privileged intents of a bot in fewer than 100 guilds.
fn application_flags() -> u64 {
    (1 << 13) | (1 << 15) | (1 << 19)
}

/// `<@id>` and `<@!id>` mentions of a content.
fn mentioned_users(content: &str) -> Vec<Value> {
    let mut users = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("<@") {
        rest = &rest[start + 2..];
        let digits = rest.trim_start_matches('!');
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        if digits[end..].starts_with('>')
            && let Ok(id) = digits[..end].parse::<u64>()
        {
            users.push(user_json(id));
        }
    }
    users
}

fn options_array(options: Value) -> Value {
    match options {
        Value::Object(map) => Value::Array(
            map.into_iter()
                .map(|(name, value)| {
                    let kind = match &value {
                        Value::Bool(_) => 5,
                        Value::Number(n) if n.is_i64() || n.is_u64() => 4,
                        Value::Number(_) => 10,
                        _ => 3,
                    };
                    json!({ "name": name, "type": kind, "value": value })
                })
                .collect(),
        ),
        Value::Null => json!([]),
        other => other,
    }
}

impl State {
    fn new(port: u16) -> State {
        let mut channels = BTreeMap::new();
        channels.insert(
            FakeDiscord::CHANNEL_ID,
            text_channel_json(FakeDiscord::CHANNEL_ID, "reading-room", 1),
        );
        channels.insert(
            FakeDiscord::OTHER_CHANNEL_ID,
            text_channel_json(FakeDiscord::OTHER_CHANNEL_ID, "general", 0),
        );
        State {
            port,
            last_id: 0,
            requests: Vec::new(),
            failures: Vec::new(),
            channels,
            messages: BTreeMap::new(),
            global_commands: Vec::new(),
            guild_commands: Vec::new(),
            interactions: HashMap::new(),
            interaction_deadline: Some(Duration::from_secs(3)),
            echo_bot_messages: true,
            heartbeat_interval_ms: FakeDiscord::HEARTBEAT_INTERVAL_MS,
            gateway: Gateway::default(),
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

    fn is_dm(&self, channel_id: u64) -> bool {
        self.channels
            .get(&channel_id)
            .is_some_and(|c| c["type"] == json!(1))
    }

    fn guild_json(&self) -> Value {
        let members: Vec<Value> = [
            FakeDiscord::BOT_USER_ID,
            FakeDiscord::OWNER_ID,
            FakeDiscord::MODERATOR_ID,
            FakeDiscord::READER_ID,
        ]
        .into_iter()
        .map(member_json)
        .collect();
        let channels: Vec<Value> = self
            .channels
            .values()
            .filter(|c| c["type"] == json!(0))
            .cloned()
            .collect();
        let threads: Vec<Value> = self
            .channels
            .values()
            .filter(|c| matches!(c["type"].as_u64(), Some(10..=12)))
            .cloned()
            .collect();
        let mut guild = json!({
            "id": FakeDiscord::GUILD_ID.to_string(),
            "name": "Reading Room Test Guild",
            "icon": null,
            "icon_hash": null,
            "splash": null,
            "discovery_splash": null,
            "owner_id": FakeDiscord::OWNER_ID.to_string(),
            "afk_channel_id": null,
            "afk_timeout": 300,
            "widget_enabled": false,
            "widget_channel_id": null,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": roles_json(),
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": null,
            "system_channel_id": FakeDiscord::OTHER_CHANNEL_ID.to_string(),
            "system_channel_flags": 0,
            "rules_channel_id": null,
            "max_presences": null,
            "max_members": 500000,
            "vanity_url_code": null,
            "description": null,
            "banner": null,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": null,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": false,
            "safety_alerts_channel_id": null,
            "incidents_data": null,
        });
        // GUILD_CREATE's extra fields.
        merge(
            &mut guild,
            &json!({
                "joined_at": joined_at(),
                "large": false,
                "unavailable": false,
                "member_count": members.len(),
                "voice_states": [],
                "members": members,
                "channels": channels,
                "threads": threads,
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
            }),
        );
        guild
    }

    fn partial_channel(&self, channel_id: u64) -> Value {
        match self.channels.get(&channel_id) {
            Some(channel) => {
                let mut partial = json!({
                    "id": channel["id"],
                    "type": channel["type"],
                    "name": channel.get("name").cloned().unwrap_or(Value::Null),
                    "guild_id": channel.get("guild_id").cloned().unwrap_or(Value::Null),
                    "permissions": member_permissions(FakeDiscord::BOT_USER_ID).to_string(),
                });
                for key in ["parent_id", "thread_metadata", "flags", "nsfw", "topic"] {
                    if let Some(value) = channel.get(key) {
                        partial[key] = value.clone();
                    }
                }
                partial
            }
            None => json!({
                "id": channel_id.to_string(),
                "type": 0,
                "name": format!("channel-{channel_id}"),
                "guild_id": FakeDiscord::GUILD_ID.to_string(),
                "permissions": member_permissions(FakeDiscord::BOT_USER_ID).to_string(),
            }),
        }
    }

    /// A message as REST answers it (no `guild_id`, no `member`).
    fn base_message(&self, id: u64, channel_id: u64, author: Value) -> Value {
        json!({
            "id": id.to_string(),
            "channel_id": channel_id.to_string(),
            "author": author,
            "content": "",
            "timestamp": now_iso(),
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": false,
            "type": 0,
            "flags": 0,
        })
    }

    /// The message as the gateway sends it: with `guild_id` and `member` in a guild.
    fn gateway_message(&self, mut message: Value) -> Value {
        let channel_id = id_of(&message["channel_id"]);
        if !self.is_dm(channel_id) {
            let author_id = id_of(&message["author"]["id"]);
            message["guild_id"] = json!(FakeDiscord::GUILD_ID.to_string());
            if message.get("webhook_id").is_none_or(Value::is_null) {
                message["member"] = partial_member_json(author_id);
            }
        }
        if let Some(mentions) = message["mentions"].as_array_mut() {
            for user in mentions {
                let user_id = id_of(&user["id"]);
                user["member"] = partial_member_json(user_id);
            }
        }
        message
    }

    fn command_id(&self, name: &str, kind: u64) -> u64 {
        self.guild_commands
            .iter()
            .chain(self.global_commands.iter())
            .find(|c| c["name"] == json!(name) && c["type"].as_u64().unwrap_or(1) == kind)
            .map(|c| id_of(&c["id"]))
            .unwrap_or(1_100_000_000_000_009_000 + kind)
    }

    fn interaction(
        &self,
        id: u64,
        kind: u64,
        data: Value,
        channel_id: u64,
        user_id: u64,
        message: Option<Value>,
    ) -> Value {
        let mut member = member_json(user_id);
        member["permissions"] = json!(member_permissions(user_id).to_string());
        let mut interaction = json!({
            "id": id.to_string(),
            "application_id": FakeDiscord::APPLICATION_ID.to_string(),
            "type": kind,
            "data": data,
            "guild": { "id": FakeDiscord::GUILD_ID.to_string(), "locale": "en-US", "features": [] },
            "guild_id": FakeDiscord::GUILD_ID.to_string(),
            "channel": self.partial_channel(channel_id),
            "channel_id": channel_id.to_string(),
            "member": member,
            "token": format!("fake-interaction-token-{id}"),
            "version": 1,
            "app_permissions": member_permissions(FakeDiscord::BOT_USER_ID).to_string(),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": { "0": FakeDiscord::GUILD_ID.to_string() },
            "context": 0,
            "attachment_size_limit": FakeDiscord::ATTACHMENT_SIZE_LIMIT,
        });
        if let Some(message) = message {
            interaction["message"] = message;
        }
        interaction
    }

    // ----- gateway -----

    fn frame(&mut self, event: &str, data: Value) -> (u64, String) {
        self.gateway.seq += 1;
        let seq = self.gateway.seq;
        let frame = json!({ "op": 0, "s": seq, "t": event, "d": data }).to_string();
        (seq, frame)
    }

    fn send_frame(&mut self, seq: u64, frame: String) {
        if let Some((_, sender)) = &self.gateway.live {
            let _ = sender.send(Out::Text(frame.clone()));
        }
        self.gateway.sent.push((seq, frame));
    }

    fn intent_of(event: &str, data: &Value) -> u64 {
        let in_guild = data.get("guild_id").is_some_and(|g| !g.is_null());
        match event {
            "GUILD_CREATE"
            | "GUILD_UPDATE"
            | "GUILD_DELETE"
            | "GUILD_ROLE_CREATE"
            | "GUILD_ROLE_UPDATE"
            | "GUILD_ROLE_DELETE"
            | "CHANNEL_CREATE"
            | "CHANNEL_UPDATE"
            | "CHANNEL_DELETE"
            | "CHANNEL_PINS_UPDATE"
            | "THREAD_CREATE"
            | "THREAD_UPDATE"
            | "THREAD_DELETE"
            | "THREAD_LIST_SYNC"
            | "THREAD_MEMBER_UPDATE"
            | "THREAD_MEMBERS_UPDATE" => intents::GUILDS,
            "GUILD_MEMBER_ADD" | "GUILD_MEMBER_UPDATE" | "GUILD_MEMBER_REMOVE" => {
                intents::GUILD_MEMBERS
            }
            "MESSAGE_CREATE" | "MESSAGE_UPDATE" | "MESSAGE_DELETE" | "MESSAGE_DELETE_BULK" => {
                if in_guild {
                    intents::GUILD_MESSAGES
                } else {
                    intents::DIRECT_MESSAGES
                }
            }
            "MESSAGE_REACTION_ADD"
            | "MESSAGE_REACTION_REMOVE"
            | "MESSAGE_REACTION_REMOVE_ALL"
            | "MESSAGE_REACTION_REMOVE_EMOJI" => {
                if in_guild {
                    intents::GUILD_MESSAGE_REACTIONS
                } else {
                    intents::DIRECT_MESSAGE_REACTIONS
                }
            }
            _ => 0,
        }
    }

    /// Without MESSAGE_CONTENT, a guild message that is not the bot's and does not mention it
    /// loses its content, embeds, attachments, components and poll.
    fn strip_content(&self, data: &mut Value) {
        if self.gateway.intents & intents::MESSAGE_CONTENT != 0 {
            return;
        }
        if data.get("guild_id").is_none_or(Value::is_null) {
            return;
        }
        if id_of(&data["author"]["id"]) == FakeDiscord::BOT_USER_ID {
            return;
        }
        let mentions_bot = data["mentions"].as_array().is_some_and(|m| {
            m.iter()
                .any(|u| id_of(&u["id"]) == FakeDiscord::BOT_USER_ID)
        });
        if mentions_bot {
            return;
        }
        if let Some(map) = data.as_object_mut() {
            for key in ["content"] {
                if map.contains_key(key) {
                    map.insert(key.to_owned(), json!(""));
                }
            }
            for key in ["embeds", "attachments", "components"] {
                if map.contains_key(key) {
                    map.insert(key.to_owned(), json!([]));
                }
            }
            map.remove("poll");
        }
    }

    fn dispatch(&mut self, event: &str, mut data: Value, check: bool) -> bool {
        self.remember(event, &data);
        if check {
            let intent = Self::intent_of(event, &data);
            if intent != 0 && self.gateway.intents & intent == 0 {
                return false;
            }
            if event == "MESSAGE_CREATE" || event == "MESSAGE_UPDATE" {
                self.strip_content(&mut data);
            }
            let probe = json!({ "op": 0, "s": self.gateway.seq + 1, "t": event, "d": data });
            if let Err(error) =
                serde_json::from_value::<serenity::model::event::GatewayEvent>(probe)
            {
                panic!(
                    "fake discord: serenity 0.12.5 cannot parse this {event}: {error}\n{data:#}"
                );
            }
        }
        if event == "INTERACTION_CREATE" {
            self.register_interaction(&data);
        }
        let (seq, frame) = self.frame(event, data);
        self.send_frame(seq, frame);
        true
    }

    /// Keeps the fake's messages and channels in step with what the test dispatches.
    fn remember(&mut self, event: &str, data: &Value) {
        let id = id_of(&data["id"]);
        match event {
            "MESSAGE_CREATE" | "MESSAGE_UPDATE" if id != 0 && data["author"].is_object() => {
                let mut message = self.messages.get(&id).cloned().unwrap_or(json!({}));
                merge(&mut message, data);
                if let Some(map) = message.as_object_mut() {
                    map.remove("guild_id");
                    map.remove("member");
                }
                if let Some(mentions) = message["mentions"].as_array_mut() {
                    for user in mentions.iter_mut().filter_map(Value::as_object_mut) {
                        user.remove("member");
                    }
                }
                self.messages.insert(id, message);
            }
            "MESSAGE_DELETE" => {
                self.messages.remove(&id);
            }
            "CHANNEL_CREATE" | "CHANNEL_UPDATE" | "THREAD_CREATE" | "THREAD_UPDATE" if id != 0 => {
                let mut channel = data.clone();
                if let Some(map) = channel.as_object_mut() {
                    map.remove("newly_created");
                }
                self.channels.insert(id, channel);
            }
            "CHANNEL_DELETE" | "THREAD_DELETE" => {
                self.channels.remove(&id);
            }
            _ => {}
        }
    }

    fn register_interaction(&mut self, data: &Value) {
        let Some(token) = data["token"].as_str() else {
            return;
        };
        let user = if data["member"]["user"].is_object() {
            data["member"]["user"].clone()
        } else {
            data["user"].clone()
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

    /// Sends a message event for a message the bot made, if echoing is on.
    fn echo(&mut self, event: &str, message: &Value) {
        if !self.echo_bot_messages {
            return;
        }
        let ephemeral = message["flags"].as_u64().unwrap_or(0) & 64 != 0;
        if ephemeral {
            return;
        }
        let data = match event {
            "MESSAGE_DELETE" => {
                let channel_id = id_of(&message["channel_id"]);
                let mut data = json!({ "id": message["id"], "channel_id": message["channel_id"] });
                if !self.is_dm(channel_id) {
                    data["guild_id"] = json!(FakeDiscord::GUILD_ID.to_string());
                }
                data
            }
            _ => self.gateway_message(message.clone()),
        };
        self.dispatch(event, data, true);
    }

    fn ready_json(&self) -> Value {
        json!({
            "v": 10,
            "user": {
                "id": FakeDiscord::BOT_USER_ID.to_string(),
                "username": "readingroom",
                "discriminator": "0",
                "global_name": FakeDiscord::BOT_NAME,
                "avatar": null,
                "bot": true,
                "verified": true,
                "mfa_enabled": false,
                "email": null,
                "flags": 0,
                "public_flags": 0,
            },
            "guilds": [{ "id": FakeDiscord::GUILD_ID.to_string(), "unavailable": true }],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam"],
            "session_type": "normal",
            "session_id": self.gateway.session_id,
            "resume_gateway_url": format!("ws://127.0.0.1:{}/ws", self.port),
            "shard": [0, 1],
            "application": { "id": FakeDiscord::APPLICATION_ID.to_string(), "flags": application_flags() },
            "user_settings": {},
        })
    }

    // ----- REST -----

    fn take_failure(&mut self, method: &str, path: &str) -> Option<u16> {
        let failure = self.failures.iter_mut().find(|f| {
            f.remaining > 0
                && (f.method == "*" || f.method == method)
                && path.starts_with(&f.path_prefix)
        })?;
        failure.remaining -= 1;
        let status = failure.status;
        self.failures.retain(|f| f.remaining > 0);
        Some(status)
    }

    fn route(
        &mut self,
        method: &str,
        path: &str,
        body: &Value,
        files: &[RecordedFile],
        headers: &BTreeMap<String, String>,
    ) -> Reply {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let webhook_like = matches!(segments.first(), Some(&"interactions") | Some(&"webhooks"));
        let authorized = headers.get("authorization").map(String::as_str)
            == Some(&format!("Bot {}", FakeDiscord::TOKEN));
        if !webhook_like && !authorized {
            return Reply::error(401, 0, "401: Unauthorized");
        }
        self.route_segments(method, &segments, body, files)
            .unwrap_or_else(|reply| reply)
    }

    fn route_segments(
        &mut self,
        method: &str,
        segments: &[&str],
        body: &Value,
        files: &[RecordedFile],
    ) -> Result<Reply> {
        match (method, segments) {
            ("GET", ["gateway"]) => Ok(Reply::ok(
                json!({ "url": format!("ws://127.0.0.1:{}/ws", self.port) }),
            )),
            ("GET", ["gateway", "bot"]) => Ok(Reply::ok(json!({
                "url": format!("ws://127.0.0.1:{}/ws", self.port),
                "shards": 1,
                "session_start_limit": {
                    "total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1
                },
            }))),
            ("GET", ["users", "@me"]) => Ok(Reply::ok(self.ready_json()["user"].clone())),
            ("GET", ["users", user]) => Ok(Reply::ok(user_json(parse_id(user)?))),
            ("POST", ["users", "@me", "channels"]) => self.create_dm(body),
            ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => {
                Ok(Reply::ok(application_json()))
            }
            (_, ["applications", app, rest @ ..]) if *app != "@me" => {
                if parse_id(app)? != FakeDiscord::APPLICATION_ID {
                    return Err(Reply::error(403, 50001, "Missing Access"));
                }
                match rest {
                    ["commands", rest @ ..] => self.commands_route(method, None, rest, body),
                    ["guilds", guild, "commands", rest @ ..] => {
                        let guild = self.guild_id(guild);
                        match guild {
                            Ok(guild) => self.commands_route(method, Some(guild), rest, body),
                            Err(reply) => Err(reply),
                        }
                    }
                    _ => Err(Reply::not_found()),
                }
            }
            ("POST", ["interactions", id, token, "callback"]) => {
                self.interaction_callback(parse_id(id)?, token, body, files)
            }
            (_, ["webhooks", app, token, rest @ ..]) => {
                self.webhook_route(method, app, token, rest, body, files)
            }
            (_, ["channels", channel, rest @ ..]) => {
                let channel = parse_id(channel)?;
                self.channel_route(method, channel, rest, body, files)
            }
            (_, ["guilds", guild, rest @ ..]) => {
                let guild = self.guild_id(guild);
                match guild {
                    Ok(_) => self.guild_route(method, rest),
                    Err(reply) => Err(reply),
                }
            }
            _ => Err(Reply::not_found()),
        }
    }

    fn guild_id(&self, raw: &str) -> Result<u64> {
        let id = parse_id(raw)?;
        if id == FakeDiscord::GUILD_ID {
            Ok(id)
        } else {
            Err(Reply::error(404, 10004, "Unknown Guild"))
        }
    }

    fn guild_route(&mut self, method: &str, rest: &[&str]) -> Result<Reply> {
        match (method, rest) {
            ("GET", []) => {
                let mut guild = self.guild_json();
                if let Some(map) = guild.as_object_mut() {
                    for key in [
                        "joined_at",
                        "large",
                        "unavailable",
                        "member_count",
                        "voice_states",
                        "members",
                        "channels",
                        "threads",
                        "presences",
                        "stage_instances",
                        "guild_scheduled_events",
                        "soundboard_sounds",
                    ] {
                        map.remove(key);
                    }
                }
                Ok(Reply::ok(guild))
            }
            ("GET", ["channels"]) => Ok(Reply::ok(self.guild_json()["channels"].clone())),
            ("GET", ["roles"]) => Ok(Reply::ok(json!(roles_json()))),
            ("GET", ["members"]) => Ok(Reply::ok(self.guild_json()["members"].clone())),
            ("GET", ["members", user]) => {
                let user = parse_id(user)?;
                self.guild_json()["members"]
                    .as_array()
                    .and_then(|members| {
                        members
                            .iter()
                            .find(|m| id_of(&m["user"]["id"]) == user)
                            .cloned()
                    })
                    .map(Reply::ok)
                    .ok_or_else(|| Reply::error(404, 10007, "Unknown Member"))
            }
            _ => Err(Reply::not_found()),
        }
    }

    fn create_dm(&mut self, body: &Value) -> Result<Reply> {
        let recipient = id_of(&body["recipient_id"]);
        if recipient == 0 {
            return Err(Reply::invalid_form(
                "recipient_id",
                "BASE_TYPE_REQUIRED",
                "This field is required",
            ));
        }
        let existing = self
            .channels
            .values()
            .find(|c| c["type"] == json!(1) && id_of(&c["recipients"][0]["id"]) == recipient);
        if let Some(channel) = existing {
            return Ok(Reply::ok(channel.clone()));
        }
        let id = self.snowflake();
        let channel = json!({
            "id": id.to_string(),
            "type": 1,
            "last_message_id": null,
            "flags": 0,
            "recipients": [user_json(recipient)],
        });
        self.channels.insert(id, channel.clone());
        Ok(Reply::ok(channel))
    }

    // ----- commands -----

    fn commands_route(
        &mut self,
        method: &str,
        guild: Option<u64>,
        rest: &[&str],
        body: &Value,
    ) -> Result<Reply> {
        match (method, rest) {
            ("GET", []) => Ok(Reply::ok(json!(self.command_list(guild)))),
            ("PUT", []) => {
                let Some(commands) = body.as_array() else {
                    return Err(Reply::invalid_form(
                        "",
                        "BASE_TYPE_ARRAY_TYPE",
                        "Must be an array",
                    ));
                };
                if commands.len() > 100 {
                    return Err(Reply::invalid_form(
                        "",
                        "BASE_TYPE_MAX_LENGTH",
                        "Must be 100 or fewer in length.",
                    ));
                }
                let mut seen = Vec::new();
                for (i, command) in commands.iter().enumerate() {
                    validate_command(command, &format!("{i}"))?;
                    let key = (
                        command["name"].clone(),
                        command["type"].as_u64().unwrap_or(1),
                    );
                    if seen.contains(&key) {
                        return Err(Reply::invalid_form(
                            &format!("{i}.name"),
                            "APPLICATION_COMMANDS_DUPLICATE_NAME",
                            "Application command names must be unique",
                        ));
                    }
                    seen.push(key);
                }
                let old = self.command_list(guild).clone();
                let mut stored = Vec::new();
                for command in commands {
                    let kind = command["type"].as_u64().unwrap_or(1);
                    let id = old
                        .iter()
                        .find(|c| c["name"] == command["name"] && c["type"].as_u64() == Some(kind))
                        .map(|c| id_of(&c["id"]))
                        .unwrap_or_else(|| self.snowflake());
                    let version = self.snowflake();
                    stored.push(command_json(command, id, version, guild));
                }
                *self.command_list_mut(guild) = stored.clone();
                Ok(Reply::ok(json!(stored)))
            }
            ("POST", []) => {
                validate_command(body, "")?;
                let kind = body["type"].as_u64().unwrap_or(1);
                let existing = self
                    .command_list(guild)
                    .iter()
                    .position(|c| c["name"] == body["name"] && c["type"].as_u64() == Some(kind));
                let id = existing
                    .map(|i| id_of(&self.command_list(guild)[i]["id"]))
                    .unwrap_or_else(|| self.snowflake());
                let version = self.snowflake();
                let command = command_json(body, id, version, guild);
                let list = self.command_list_mut(guild);
                match existing {
                    Some(i) => list[i] = command.clone(),
                    None => list.push(command.clone()),
                }
                Ok(Reply::json(
                    if existing.is_some() { 200 } else { 201 },
                    command,
                ))
            }
            (_, [id]) => {
                let id = parse_id(id)?;
                let Some(index) = self
                    .command_list(guild)
                    .iter()
                    .position(|c| id_of(&c["id"]) == id)
                else {
                    return Err(Reply::error(404, 10063, "Unknown application command"));
                };
                match method {
                    "GET" => Ok(Reply::ok(self.command_list(guild)[index].clone())),
                    "DELETE" => {
                        self.command_list_mut(guild).remove(index);
                        Ok(Reply::no_content())
                    }
                    "PATCH" => {
                        let version = self.snowflake();
                        let list = self.command_list_mut(guild);
                        let mut command = list[index].clone();
                        merge(&mut command, body);
                        command["version"] = json!(version.to_string());
                        list[index] = command.clone();
                        Ok(Reply::ok(command))
                    }
                    _ => Err(Reply::error(405, 0, "405: Method Not Allowed")),
                }
            }
            _ => Err(Reply::not_found()),
        }
    }

    fn command_list(&self, guild: Option<u64>) -> &Vec<Value> {
        match guild {
            Some(_) => &self.guild_commands,
            None => &self.global_commands,
        }
    }

    fn command_list_mut(&mut self, guild: Option<u64>) -> &mut Vec<Value> {
        match guild {
            Some(_) => &mut self.guild_commands,
            None => &mut self.global_commands,
        }
    }

    // ----- messages -----

    /// Checks a message body as Discord does and builds the message it creates.
    fn new_message(
        &mut self,
        channel_id: u64,
        author: Value,
        body: &Value,
        files: &[RecordedFile],
    ) -> Result<Value> {
        validate_message_body(body, files, true)?;
        let id = self.snowflake();
        let mut message = self.base_message(id, channel_id, author);
        apply_message_body(&mut message, body, files, id);
        if let Some(reference) = body.get("message_reference").filter(|r| r.is_object()) {
            let parent = id_of(&reference["message_id"]);
            let Some(referenced) = self.messages.get(&parent).cloned() else {
                return Err(Reply::invalid_form(
                    "message_reference",
                    "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                    "Unknown message",
                ));
            };
            message["type"] = json!(19);
            let mut reference = reference.clone();
            reference["channel_id"] = referenced["channel_id"].clone();
            if !self.is_dm(channel_id) {
                reference["guild_id"] = json!(FakeDiscord::GUILD_ID.to_string());
            }
            if reference.get("type").is_none() {
                reference["type"] = json!(0);
            }
            message["message_reference"] = reference;
            message["referenced_message"] = referenced;
        }
        Ok(message)
    }

    fn channel_route(
        &mut self,
        method: &str,
        channel_id: u64,
        rest: &[&str],
        body: &Value,
        files: &[RecordedFile],
    ) -> Result<Reply> {
        let Some(channel) = self.channels.get(&channel_id).cloned() else {
            return Err(Reply::error(404, 10003, "Unknown Channel"));
        };
        match (method, rest) {
            ("GET", []) => Ok(Reply::ok(channel)),
            ("PATCH", []) => {
                let mut channel = channel;
                for key in ["name", "topic", "rate_limit_per_user", "nsfw", "flags"] {
                    if let Some(value) = body.get(key) {
                        channel[key] = value.clone();
                    }
                }
                let is_thread = matches!(channel["type"].as_u64(), Some(10..=12));
                if is_thread {
                    for key in ["archived", "locked", "auto_archive_duration", "invitable"] {
                        if let Some(value) = body.get(key) {
                            channel["thread_metadata"][key] = value.clone();
                            if key == "archived" {
                                channel["thread_metadata"]["archive_timestamp"] = json!(now_iso());
                            }
                        }
                    }
                }
                self.channels.insert(channel_id, channel.clone());
                let event = if is_thread {
                    "THREAD_UPDATE"
                } else {
                    "CHANNEL_UPDATE"
                };
                self.dispatch(event, channel.clone(), true);
                Ok(Reply::ok(channel))
            }
            ("POST", ["messages"]) => {
                let message =
                    self.new_message(channel_id, user_json(FakeDiscord::BOT_USER_ID), body, files)?;
                self.store_sent(channel_id, &message);
                self.echo("MESSAGE_CREATE", &message);
                Ok(Reply::ok(message))
            }
            ("GET", ["messages"]) => {
                let limit = 50;
                let mut messages: Vec<Value> = self
                    .messages
                    .values()
                    .filter(|m| id_of(&m["channel_id"]) == channel_id)
                    .cloned()
                    .collect();
                messages.reverse();
                messages.truncate(limit);
                Ok(Reply::ok(json!(messages)))
            }
            (_, ["messages", message_id, rest @ ..]) => {
                let message_id = parse_id(message_id)?;
                let Some(message) = self
                    .messages
                    .get(&message_id)
                    .filter(|m| id_of(&m["channel_id"]) == channel_id)
                    .cloned()
                else {
                    return Err(Reply::error(404, 10008, "Unknown Message"));
                };
                self.message_route(method, channel_id, message, rest, body, files)
            }
            ("POST", ["threads"]) => {
                let kind = body["type"].as_u64().unwrap_or(12);
                let name = validate_thread_name(body)?;
                let id = self.snowflake();
                let archive = body["auto_archive_duration"].as_u64().unwrap_or(4320);
                let thread = thread_json(
                    id,
                    channel_id,
                    &name,
                    kind,
                    FakeDiscord::BOT_USER_ID,
                    archive,
                );
                Ok(Reply::json(201, self.start_thread(thread)))
            }
            ("POST", ["typing"]) => Ok(Reply::no_content()),
            ("PUT" | "DELETE", ["thread-members", _]) => Ok(Reply::no_content()),
            ("GET", ["pins"]) => Ok(Reply::ok(json!([]))),
            _ => Err(Reply::not_found()),
        }
    }

    fn start_thread(&mut self, thread: Value) -> Value {
        let id = id_of(&thread["id"]);
        let mut thread = thread;
        thread["member"] = json!({
            "id": id.to_string(),
            "user_id": FakeDiscord::BOT_USER_ID.to_string(),
            "join_timestamp": now_iso(),
            "flags": 0,
        });
        self.channels.insert(id, thread.clone());
        let mut event = thread.clone();
        event["newly_created"] = json!(true);
        self.dispatch("THREAD_CREATE", event, true);
        thread
    }

    fn message_route(
        &mut self,
        method: &str,
        channel_id: u64,
        message: Value,
        rest: &[&str],
        body: &Value,
        files: &[RecordedFile],
    ) -> Result<Reply> {
        let message_id = id_of(&message["id"]);
        let own = id_of(&message["author"]["id"]) == FakeDiscord::BOT_USER_ID;
        match (method, rest) {
            ("GET", []) => Ok(Reply::ok(message)),
            ("PATCH", []) => {
                if !own {
                    return Err(Reply::error(
                        403,
                        50005,
                        "Cannot edit a message authored by another user",
                    ));
                }
                validate_message_body(body, files, false)?;
                let mut message = message;
                apply_message_body(&mut message, body, files, message_id);
                message["edited_timestamp"] = json!(now_iso());
                self.messages.insert(message_id, message.clone());
                self.echo("MESSAGE_UPDATE", &message);
                Ok(Reply::ok(message))
            }
            ("DELETE", []) => {
                self.messages.remove(&message_id);
                self.echo("MESSAGE_DELETE", &message);
                Ok(Reply::no_content())
            }
            ("POST", ["threads"]) => {
                if self.channels.contains_key(&message_id) {
                    return Err(Reply::error(
                        400,
                        160004,
                        "A thread has already been created for this message",
                    ));
                }
                let name = validate_thread_name(body)?;
                let archive = body["auto_archive_duration"].as_u64().unwrap_or(4320);
                let thread = thread_json(
                    message_id,
                    channel_id,
                    &name,
                    11,
                    FakeDiscord::BOT_USER_ID,
                    archive,
                );
                let thread = self.start_thread(thread);
                let mut starter = message;
                starter["thread"] = thread.clone();
                starter["flags"] = json!(starter["flags"].as_u64().unwrap_or(0) | 32);
                self.messages.insert(message_id, starter);
                Ok(Reply::json(201, thread))
            }
            ("PUT" | "DELETE", ["reactions", _emoji, "@me"]) => Ok(Reply::no_content()),
            ("DELETE", ["reactions", ..]) => Ok(Reply::no_content()),
            ("GET", ["reactions", _emoji]) => Ok(Reply::ok(json!([]))),
            _ => Err(Reply::not_found()),
        }
    }

    fn store_sent(&mut self, channel_id: u64, message: &Value) {
        let id = id_of(&message["id"]);
        self.messages.insert(id, message.clone());
        if let Some(channel) = self.channels.get_mut(&channel_id) {
            channel["last_message_id"] = json!(id.to_string());
            if let Some(count) = channel.get("message_count").and_then(Value::as_u64) {
                channel["message_count"] = json!(count + 1);
                channel["total_message_sent"] = json!(count + 1);
            }
        }
    }

    // ----- interactions -----

    fn interaction_callback(
        &mut self,
        id: u64,
        token: &str,
        body: &Value,
        files: &[RecordedFile],
    ) -> Result<Reply> {
        let deadline = self.interaction_deadline;
        let Some(interaction) = self.interactions.get(token) else {
            return Err(Reply::error(404, 10062, "Unknown interaction"));
        };
        if interaction.id != id {
            return Err(Reply::error(404, 10062, "Unknown interaction"));
        }
        if deadline.is_some_and(|d| interaction.dispatched.elapsed() > d) {
            return Err(Reply::error(404, 10062, "Unknown interaction"));
        }
        if interaction.acknowledged {
            return Err(Reply::error(
                400,
                40060,
                "Interaction has already been acknowledged.",
            ));
        }
        let kind = body["type"].as_u64().unwrap_or(0);
        let allowed: &[u64] = match interaction.kind {
            2 => &[4, 5, 9],
            3 => &[4, 5, 6, 7, 9],
            4 => &[8],
            5 => &[4, 5, 6, 7],
            _ => &[1],
        };
        if !allowed.contains(&kind) {
            return Err(Reply::invalid_form(
                "type",
                "INTERACTION_RESPONSE_TYPE_INVALID",
                "Interaction response type is invalid for this interaction",
            ));
        }
        let data = body.get("data").cloned().unwrap_or(Value::Null);
        let channel_id = interaction.channel_id;
        let component_message = interaction.message_id;
        match kind {
            4 | 5 => {
                if kind == 4 {
                    validate_message_body(&data, files, true)?;
                }
                let message = self.interaction_message(token, &data, files, kind == 5);
                self.interactions.get_mut(token).unwrap().original = Some(id_of(&message["id"]));
                self.store_sent(channel_id, &message);
                self.echo("MESSAGE_CREATE", &message);
            }
            7 => {
                validate_message_body(&data, files, false)?;
                let message_id = component_message.unwrap_or_default();
                if let Some(mut message) = self.messages.get(&message_id).cloned() {
                    apply_message_body(&mut message, &data, files, message_id);
                    message["edited_timestamp"] = json!(now_iso());
                    self.messages.insert(message_id, message.clone());
                    self.echo("MESSAGE_UPDATE", &message);
                }
                self.interactions.get_mut(token).unwrap().original = Some(message_id);
            }
            6 => {
                self.interactions.get_mut(token).unwrap().original = component_message;
            }
            8 => {
                let choices = data["choices"].as_array().map_or(0, Vec::len);
                if choices > 25 {
                    return Err(Reply::invalid_form(
                        "data.choices",
                        "BASE_TYPE_MAX_LENGTH",
                        "Must be 25 or fewer in length.",
                    ));
                }
            }
            9 => {
                let custom_id = data["custom_id"].as_str().unwrap_or_default();
                let title = data["title"].as_str().unwrap_or_default();
                if custom_id.is_empty()
                    || title.is_empty()
                    || data["components"].as_array().is_none_or(Vec::is_empty)
                {
                    return Err(Reply::invalid_form(
                        "data",
                        "BASE_TYPE_REQUIRED",
                        "A modal needs custom_id, title and components",
                    ));
                }
            }
            _ => {}
        }
        self.interactions.get_mut(token).unwrap().acknowledged = true;
        Ok(Reply::no_content())
    }

    fn interaction_message(
        &mut self,
        token: &str,
        data: &Value,
        files: &[RecordedFile],
        deferred: bool,
    ) -> Value {
        let interaction = &self.interactions[token];
        let (interaction_id, kind, command_kind, name, user, channel_id, component_message) = (
            interaction.id,
            interaction.kind,
            interaction.command_kind,
            interaction.name.clone(),
            interaction.user.clone(),
            interaction.channel_id,
            interaction.message_id,
        );
        let id = self.snowflake();
        let mut message = self.base_message(id, channel_id, user_json(FakeDiscord::BOT_USER_ID));
        message["webhook_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
        message["application_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
        message["type"] = json!(match (kind, command_kind) {
            (2, 1) => 20,
            (2, _) => 23,
            _ => 19,
        });
        let mut metadata = json!({
            "id": interaction_id.to_string(),
            "type": kind,
            "user": user,
            "authorizing_integration_owners": { "0": FakeDiscord::GUILD_ID.to_string() },
        });
        if kind == 3 {
            metadata["interacted_message_id"] =
                json!(component_message.unwrap_or_default().to_string());
        } else {
            metadata["name"] = json!(name);
        }
        message["interaction_metadata"] = metadata;
        message["interaction"] = json!({
            "id": interaction_id.to_string(),
            "type": kind,
            "name": name,
            "user": user,
        });
        if deferred {
            let ephemeral = data["flags"].as_u64().unwrap_or(0) & 64;
            message["flags"] = json!(128 | ephemeral);
        } else {
            apply_message_body(&mut message, data, files, id);
        }
        message
    }

    fn webhook_route(
        &mut self,
        method: &str,
        app: &str,
        token: &str,
        rest: &[&str],
        body: &Value,
        files: &[RecordedFile],
    ) -> Result<Reply> {
        if parse_id(app)? != FakeDiscord::APPLICATION_ID || !self.interactions.contains_key(token) {
            return Err(Reply::error(404, 10015, "Unknown Webhook"));
        }
        let interaction = &self.interactions[token];
        if interaction.dispatched.elapsed() > Duration::from_secs(15 * 60) {
            return Err(Reply::error(401, 50027, "Invalid Webhook Token"));
        }
        let acknowledged = interaction.acknowledged;
        let original = interaction.original;
        let channel_id = interaction.channel_id;
        match (method, rest) {
            ("POST", []) => {
                if !acknowledged {
                    return Err(Reply::error(404, 10015, "Unknown Webhook"));
                }
                validate_message_body(body, files, true)?;
                let mut message = self.interaction_message(token, body, files, false);
                // The first follow-up of a deferred response replaces the loading message.
                if let Some(original_id) = original {
                    let loading = self
                        .messages
                        .get(&original_id)
                        .is_some_and(|m| m["flags"].as_u64().unwrap_or(0) & 128 != 0);
                    if loading {
                        message["id"] = json!(original_id.to_string());
                        let flags = message["flags"].as_u64().unwrap_or(0);
                        message["flags"] = json!(flags & !128);
                        message["edited_timestamp"] = json!(now_iso());
                        self.messages.insert(original_id, message.clone());
                        self.echo("MESSAGE_UPDATE", &message);
                        return Ok(Reply::ok(message));
                    }
                }
                self.store_sent(channel_id, &message);
                self.echo("MESSAGE_CREATE", &message);
                Ok(Reply::ok(message))
            }
            (_, ["messages", which]) => {
                let message_id = if *which == "@original" {
                    original.ok_or_else(|| Reply::error(404, 10008, "Unknown Message"))?
                } else {
                    parse_id(which)?
                };
                let Some(mut message) = self.messages.get(&message_id).cloned() else {
                    return Err(Reply::error(404, 10008, "Unknown Message"));
                };
                match method {
                    "GET" => Ok(Reply::ok(message)),
                    "PATCH" => {
                        validate_message_body(body, files, false)?;
                        apply_message_body(&mut message, body, files, message_id);
                        let flags = message["flags"].as_u64().unwrap_or(0);
                        message["flags"] = json!(flags & !128);
                        message["edited_timestamp"] = json!(now_iso());
                        self.messages.insert(message_id, message.clone());
                        self.echo("MESSAGE_UPDATE", &message);
                        Ok(Reply::ok(message))
                    }
                    "DELETE" => {
                        self.messages.remove(&message_id);
                        self.echo("MESSAGE_DELETE", &message);
                        Ok(Reply::no_content())
                    }
                    _ => Err(Reply::error(405, 0, "405: Method Not Allowed")),
                }
            }
            _ => Err(Reply::not_found()),
        }
    }
}

fn parse_id(raw: &str) -> Result<u64> {
    raw.parse().map_err(|_| {
        Reply::invalid_form(
            "id",
            "NUMBER_TYPE_COERCE",
            &format!("Value \"{raw}\" is not snowflake."),
        )
    })
}

/// Shallow merge of a JSON object into another.
fn merge(target: &mut Value, patch: &Value) {
    if let (Some(target), Some(patch)) = (target.as_object_mut(), patch.as_object()) {
        for (key, value) in patch {
            target.insert(key.clone(), value.clone());
        }
    }
}

fn command_json(body: &Value, id: u64, version: u64, guild: Option<u64>) -> Value {
    let kind = body["type"].as_u64().unwrap_or(1);
    let mut command = json!({
        "id": id.to_string(),
        "type": kind,
        "application_id": FakeDiscord::APPLICATION_ID.to_string(),
        "name": body["name"],
        "name_localizations": body.get("name_localizations").cloned().unwrap_or(Value::Null),
        "description": body.get("description").cloned().unwrap_or(json!("")),
        "description_localizations": body.get("description_localizations").cloned().unwrap_or(Value::Null),
        "default_member_permissions": body.get("default_member_permissions").cloned().unwrap_or(Value::Null),
        "nsfw": body.get("nsfw").cloned().unwrap_or(json!(false)),
        "integration_types": body.get("integration_types").cloned().unwrap_or(json!([0])),
        "contexts": body.get("contexts").cloned().unwrap_or(Value::Null),
        "version": version.to_string(),
    });
    if let Some(options) = body.get("options").filter(|o| o.is_array()) {
        command["options"] = options.clone();
    }
    match guild {
        Some(guild) => command["guild_id"] = json!(guild.to_string()),
        None => {
            command["dm_permission"] = body.get("dm_permission").cloned().unwrap_or(json!(true));
        }
    }
    command
}

fn valid_command_name(name: &str) -> bool {
    let length = name.chars().count();
    (1..=32).contains(&length)
        && name.chars().all(|c| {
            c == '-' || c == '_' || c == '\'' || (c.is_alphanumeric() && !c.is_uppercase())
        })
}

/// Checks a command as Discord does (names, descriptions, option order and counts).
fn validate_command(command: &Value, path: &str) -> Result<()> {
    let at = |field: &str| {
        if path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        }
    };
    let kind = command["type"].as_u64().unwrap_or(1);
    let name = command["name"].as_str().unwrap_or_default();
    let description = command["description"].as_str().unwrap_or_default();
    if kind == 1 {
        if !valid_command_name(name) {
            return Err(Reply::invalid_form(
                &at("name"),
                "APPLICATION_COMMAND_INVALID_NAME",
                "Command name is invalid",
            ));
        }
        let length = description.chars().count();
        if !(1..=100).contains(&length) {
            return Err(Reply::invalid_form(
                &at("description"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
    } else {
        let length = name.chars().count();
        if !(1..=32).contains(&length) {
            return Err(Reply::invalid_form(
                &at("name"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 32 in length.",
            ));
        }
        if !description.is_empty() {
            return Err(Reply::invalid_form(
                &at("description"),
                "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                "Context menu commands cannot have description",
            ));
        }
    }
    if let Some(options) = command["options"].as_array() {
        validate_options(options, &at("options"))?;
    }
    Ok(())
}

fn validate_options(options: &[Value], path: &str) -> Result<()> {
    if options.len() > 25 {
        return Err(Reply::invalid_form(
            path,
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        ));
    }
    let mut optional_seen = false;
    let mut names = Vec::new();
    for (i, option) in options.iter().enumerate() {
        let at = format!("{path}.{i}");
        let name = option["name"].as_str().unwrap_or_default();
        if !valid_command_name(name) {
            return Err(Reply::invalid_form(
                &format!("{at}.name"),
                "APPLICATION_COMMAND_INVALID_NAME",
                "Command name is invalid",
            ));
        }
        if names.contains(&name) {
            return Err(Reply::invalid_form(
                &format!("{at}.name"),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            ));
        }
        names.push(name);
        let length = option["description"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .count();
        if !(1..=100).contains(&length) {
            return Err(Reply::invalid_form(
                &format!("{at}.description"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
        let required = option["required"].as_bool().unwrap_or(false);
        if required && optional_seen {
            return Err(Reply::invalid_form(
                &format!("{at}.required"),
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            ));
        }
        optional_seen |= !required;
        let choices = option["choices"].as_array().map_or(0, Vec::len);
        if choices > 25 {
            return Err(Reply::invalid_form(
                &format!("{at}.choices"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            ));
        }
        if choices > 0 && option["autocomplete"].as_bool() == Some(true) {
            return Err(Reply::invalid_form(
                &format!("{at}.autocomplete"),
                "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
                "Autocomplete cannot be enabled on options that have choices",
            ));
        }
        if let Some(sub) = option["options"].as_array() {
            validate_options(sub, &format!("{at}.options"))?;
        }
    }
    Ok(())
}

fn validate_thread_name(body: &Value) -> Result<String> {
    let name = body["name"].as_str().unwrap_or_default();
    let length = name.chars().count();
    if !(1..=100).contains(&length) {
        return Err(Reply::invalid_form(
            "name",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        ));
    }
    Ok(name.to_owned())
}

/// Checks a message body (create or edit) against Discord's documented limits.
fn validate_message_body(body: &Value, files: &[RecordedFile], create: bool) -> Result<()> {
    let content = body["content"].as_str().unwrap_or_default();
    if content.chars().count() > 2000 {
        return Err(Reply::invalid_form(
            "content",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 2000 or fewer in length.",
        ));
    }
    let embeds = body["embeds"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if embeds.len() > 10 {
        return Err(Reply::invalid_form(
            "embeds",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 10 or fewer in length.",
        ));
    }
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        let text = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
        let limits = [
            ("title", text(&embed["title"]), 256),
            ("description", text(&embed["description"]), 4096),
            ("footer.text", text(&embed["footer"]["text"]), 2048),
            ("author.name", text(&embed["author"]["name"]), 256),
        ];
        for (field, length, max) in limits {
            if length > max {
                return Err(Reply::invalid_form(
                    &format!("embeds.{i}.{field}"),
                    "BASE_TYPE_MAX_LENGTH",
                    &format!("Must be {max} or fewer in length."),
                ));
            }
            total += length;
        }
        let fields = embed["fields"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if fields.len() > 25 {
            return Err(Reply::invalid_form(
                &format!("embeds.{i}.fields"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            ));
        }
        for (j, field) in fields.iter().enumerate() {
            let name = text(&field["name"]);
            let value = text(&field["value"]);
            if name == 0 || name > 256 {
                return Err(Reply::invalid_form(
                    &format!("embeds.{i}.fields.{j}.name"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 256 in length.",
                ));
            }
            if value == 0 || value > 1024 {
                return Err(Reply::invalid_form(
                    &format!("embeds.{i}.fields.{j}.value"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 1024 in length.",
                ));
            }
            total += name + value;
        }
    }
    if total > 6000 {
        return Err(Reply::invalid_form(
            "embeds",
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        ));
    }
    let rows = body["components"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if rows.len() > 5 {
        return Err(Reply::invalid_form(
            "components",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 5 or fewer in length.",
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        let items = row["components"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if row["type"] == json!(1) && (items.is_empty() || items.len() > 5) {
            return Err(Reply::invalid_form(
                &format!("components.{i}.components"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            ));
        }
        for (j, item) in items.iter().enumerate() {
            let at = format!("components.{i}.components.{j}");
            if item["type"] == json!(2) {
                let link = item["style"] == json!(5);
                let custom_id = item["custom_id"].as_str().unwrap_or_default();
                if link != custom_id.is_empty() || custom_id.chars().count() > 100 {
                    return Err(Reply::invalid_form(
                        &format!("{at}.custom_id"),
                        "COMPONENT_CUSTOM_ID_REQUIRED",
                        "A non-link button needs a custom_id of at most 100 characters, a link button none",
                    ));
                }
                if item["label"]
                    .as_str()
                    .is_some_and(|l| l.chars().count() > 80)
                {
                    return Err(Reply::invalid_form(
                        &format!("{at}.label"),
                        "BASE_TYPE_MAX_LENGTH",
                        "Must be 80 or fewer in length.",
                    ));
                }
            }
        }
    }
    let has_something = !content.is_empty()
        || !embeds.is_empty()
        || !rows.is_empty()
        || !files.is_empty()
        || body["sticker_ids"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
        || body["poll"].is_object();
    if create && !has_something {
        return Err(Reply::error(400, 50006, "Cannot send an empty message"));
    }
    Ok(())
}

/// Writes the fields of a create/edit body into a message, as Discord stores them.
fn apply_message_body(message: &mut Value, body: &Value, files: &[RecordedFile], message_id: u64) {
    if let Some(content) = body.get("content").filter(|c| !c.is_null()) {
        message["content"] = content.clone();
        message["mentions"] = json!(mentioned_users(content.as_str().unwrap_or_default()));
    }
    if let Some(embeds) = body.get("embeds").and_then(Value::as_array) {
        message["embeds"] = Value::Array(embeds.iter().map(normalize_embed).collect());
    }
    if let Some(components) = body.get("components").and_then(Value::as_array) {
        message["components"] = Value::Array(components.iter().map(normalize_component).collect());
    }
    if let Some(tts) = body.get("tts").filter(|t| t.is_boolean()) {
        message["tts"] = tts.clone();
    }
    if let Some(flags) = body.get("flags").and_then(Value::as_u64) {
        let kept = message["flags"].as_u64().unwrap_or(0) & !(4 | 64 | 4096);
        message["flags"] = json!(kept | (flags & (4 | 64 | 4096)));
    }
    if let Some(poll) = body.get("poll").filter(|p| p.is_object()) {
        message["poll"] = poll.clone();
    }
    // Attachments: files uploaded now, plus those the body keeps by id.
    let kept: Vec<Value> = match body.get("attachments").and_then(Value::as_array) {
        Some(listed) => message["attachments"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|a| listed.iter().any(|l| id_of(&l["id"]) == id_of(&a["id"])))
            .collect(),
        None => message["attachments"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    };
    let mut attachments = kept;
    for (i, file) in files.iter().enumerate() {
        let id = message_id + 1 + i as u64;
        let url = format!(
            "https://cdn.discordapp.com/attachments/{}/{id}/{}",
            id_of(&message["channel_id"]),
            file.filename
        );
        attachments.push(json!({
            "id": id.to_string(),
            "filename": file.filename,
            "size": file.data.len(),
            "url": url,
            "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
            "content_type": file.content_type,
        }));
    }
    message["attachments"] = json!(attachments);
}

fn normalize_embed(embed: &Value) -> Value {
    let mut embed = embed.clone();
    if embed.get("type").is_none() {
        embed["type"] = json!("rich");
    }
    if let Some(fields) = embed.get_mut("fields").and_then(Value::as_array_mut) {
        for field in fields {
            if field.get("inline").is_none() {
                field["inline"] = json!(false);
            }
        }
    }
    embed
}

fn normalize_component(component: &Value) -> Value {
    let mut component = component.clone();
    if let Some(map) = component.as_object_mut() {
        if map.get("type") == Some(&json!(1)) {
            map.entry("id").or_insert(json!(1));
        }
        if let Some(children) = map.get("components").and_then(Value::as_array) {
            let children: Vec<Value> = children.iter().map(normalize_component).collect();
            map.insert("components".to_owned(), Value::Array(children));
        }
    }
    component
}

// ----- HTTP plumbing -----

fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => (key.to_owned(), value.to_owned()),
            None => (pair.to_owned(), String::new()),
        })
        .collect()
}

/// Splits a multipart/form-data body into `payload_json` and files.
fn parse_multipart(content_type: &str, body: &[u8]) -> (Value, Vec<RecordedFile>) {
    let Some(boundary) = content_type
        .split(';')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("boundary="))
    else {
        return (Value::Null, Vec::new());
    };
    let boundary = boundary.trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut payload = Value::Null;
    let mut files = Vec::new();
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, &delimiter) {
        rest = &rest[start + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let end = find(rest, &delimiter).unwrap_or(rest.len());
        parts.push(&rest[..end]);
        rest = &rest[end..];
    }
    for part in parts {
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let data = part[split + 4..].to_vec();
        let mut name = String::new();
        let mut filename = None;
        let mut file_type = None;
        for line in head.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                for item in line.split(';').map(str::trim) {
                    if let Some(v) = item.strip_prefix("name=") {
                        name = v.trim_matches('"').to_owned();
                    } else if let Some(v) = item.strip_prefix("filename=") {
                        filename = Some(v.trim_matches('"').to_owned());
                    }
                }
            } else if lower.starts_with("content-type:") {
                file_type = Some(line["content-type:".len()..].trim().to_owned());
            }
        }
        if name == "payload_json" {
            payload = serde_json::from_slice(&data).unwrap_or(Value::Null);
        } else if let Some(filename) = filename {
            files.push(RecordedFile {
                field: name,
                filename,
                content_type: file_type,
                data,
            });
        }
    }
    (payload, files)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn failure_reply(status: u16) -> Reply {
    match status {
        429 => {
            let mut reply = Reply::json(
                429,
                json!({ "message": "You are being rate limited.", "retry_after": 0.1, "global": false }),
            );
            let reset = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
                + 0.1;
            reply.headers = vec![
                ("retry-after".to_owned(), "1".to_owned()),
                ("x-ratelimit-limit".to_owned(), "5".to_owned()),
                ("x-ratelimit-remaining".to_owned(), "0".to_owned()),
                ("x-ratelimit-reset".to_owned(), format!("{reset:.3}")),
                ("x-ratelimit-reset-after".to_owned(), "0.100".to_owned()),
                ("x-ratelimit-bucket".to_owned(), "fakebucket".to_owned()),
                ("x-ratelimit-scope".to_owned(), "user".to_owned()),
            ];
            reply
        }
        400 => Reply::error(400, 50035, "Invalid Form Body"),
        401 => Reply::error(401, 0, "401: Unauthorized"),
        403 => Reply::error(403, 50013, "Missing Permissions"),
        404 => Reply::error(404, 0, "404: Not Found"),
        502 => Reply::error(502, 0, "502: Bad Gateway"),
        503 => Reply::error(503, 0, "503: Service Unavailable"),
        _ => Reply::error(status, 0, &format!("{status}: Internal Server Error")),
    }
}

async fn rest(
    AxumState(inner): AxumState<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let full_path = uri.path().to_owned();
    let path = full_path
        .strip_prefix("/api/v10")
        .unwrap_or(&full_path)
        .to_owned();
    let mut recorded_headers = BTreeMap::new();
    for (name, value) in &headers {
        recorded_headers.insert(
            name.as_str().to_owned(),
            String::from_utf8_lossy(value.as_bytes()).to_string(),
        );
    }
    let content_type = recorded_headers
        .get("content-type")
        .cloned()
        .unwrap_or_default();
    let (json_body, files) = if content_type.starts_with("multipart/form-data") {
        parse_multipart(&content_type, &body)
    } else if body.is_empty() {
        (Value::Null, Vec::new())
    } else {
        (
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).to_string())),
            Vec::new(),
        )
    };
    let method = method.as_str().to_owned();
    let reply = {
        let mut state = inner.lock();
        let reply = if !full_path.starts_with("/api/v10/") {
            Reply::not_found()
        } else if let Some(status) = state.take_failure(&method, &path) {
            failure_reply(status)
        } else {
            state.route(&method, &path, &json_body, &files, &recorded_headers)
        };
        state.requests.push(Recorded {
            method,
            path,
            query: parse_query(uri.query()),
            headers: recorded_headers,
            body: json_body,
            files,
            status: reply.status,
            response: reply.body.clone().unwrap_or(Value::Null),
        });
        reply
    };
    inner.bump();
    let mut response = match &reply.body {
        Some(body) => (
            StatusCode::from_u16(reply.status).unwrap(),
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
        None => StatusCode::from_u16(reply.status).unwrap().into_response(),
    };
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}

// ----- gateway plumbing -----

async fn gateway_upgrade(
    AxumState(inner): AxumState<Arc<Inner>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade.on_upgrade(move |socket| gateway_connection(socket, inner))
}

async fn gateway_connection(mut socket: WebSocket, inner: Arc<Inner>) {
    let (sender, mut outgoing) = mpsc::unbounded_channel::<Out>();
    let (connection, interval) = {
        let mut state = inner.lock();
        state.gateway.next_connection += 1;
        (state.gateway.next_connection, state.heartbeat_interval_ms)
    };
    let mut shutdown = inner.shutdown.subscribe();
    let hello = json!({
        "op": 10, "s": null, "t": null,
        "d": { "heartbeat_interval": interval },
    });
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
                let _ = socket.send(WsMessage::Close(Some(CloseFrame { code: 1000, reason: "fake discord stopped".into() }))).await;
                break;
            }
            out = outgoing.recv() => match out {
                Some(Out::Text(text)) => {
                    if socket.send(WsMessage::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(Out::Close(code, reason)) => {
                    let _ = socket.send(WsMessage::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => break,
            },
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(WsMessage::Text(text))) => text.as_str().to_owned(),
                    Some(Ok(WsMessage::Binary(_))) => {
                        let _ = socket.send(WsMessage::Close(Some(CloseFrame { code: 4002, reason: "Error while decoding payload.".into() }))).await;
                        break;
                    }
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else {
                    let _ = socket.send(WsMessage::Close(Some(CloseFrame { code: 4002, reason: "Error while decoding payload.".into() }))).await;
                    break;
                };
                let op = payload["op"].as_u64().unwrap_or(u64::MAX);
                let close = {
                    let mut state = inner.lock();
                    state.gateway.received.push(payload.clone());
                    handle_gateway_op(&mut state, op, &payload, connection, &sender, &mut identified)
                };
                inner.bump();
                if let Some((code, reason)) = close {
                    let _ = socket.send(WsMessage::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
            }
        }
    }
    let mut state = inner.lock();
    if state
        .gateway
        .live
        .as_ref()
        .is_some_and(|(id, _)| *id == connection)
    {
        state.gateway.live = None;
    }
    drop(state);
    inner.bump();
}

/// Handles one payload from serenity; returns a close code and reason to end the connection.
fn handle_gateway_op(
    state: &mut State,
    op: u64,
    payload: &Value,
    connection: u64,
    sender: &mpsc::UnboundedSender<Out>,
    identified: &mut bool,
) -> Option<(u16, &'static str)> {
    let token_ok = |token: &Value| {
        let token = token.as_str().unwrap_or_default();
        token == FakeDiscord::TOKEN || token.strip_prefix("Bot ") == Some(FakeDiscord::TOKEN)
    };
    match op {
        1 => {
            let _ = sender.send(Out::Text(
                json!({ "op": 11, "s": null, "t": null, "d": null }).to_string(),
            ));
            None
        }
        2 => {
            if *identified {
                return Some((4005, "Already authenticated."));
            }
            if !token_ok(&payload["d"]["token"]) {
                return Some((4004, "Authentication failed."));
            }
            *identified = true;
            let session = format!("fake-session-{}", state.snowflake());
            let gateway = &mut state.gateway;
            gateway.identifies += 1;
            gateway.identify = Some(payload["d"].clone());
            gateway.intents = payload["d"]["intents"].as_u64().unwrap_or(0);
            gateway.session_id = Some(session);
            gateway.seq = 0;
            gateway.sent.clear();
            gateway.live = Some((connection, sender.clone()));
            gateway.ready = false;
            let ready = state.ready_json();
            state.dispatch("READY", ready, true);
            if state.gateway.intents & intents::GUILDS != 0 {
                let guild = state.guild_json();
                state.dispatch("GUILD_CREATE", guild, true);
            }
            state.gateway.ready = true;
            None
        }
        6 => {
            if !token_ok(&payload["d"]["token"]) {
                return Some((4004, "Authentication failed."));
            }
            let session = payload["d"]["session_id"].as_str().map(str::to_owned);
            if session.is_none() || session != state.gateway.session_id {
                let _ = sender.send(Out::Text(
                    json!({ "op": 9, "s": null, "t": null, "d": false }).to_string(),
                ));
                return None;
            }
            *identified = true;
            let since = payload["d"]["seq"].as_u64().unwrap_or(0);
            let gateway = &mut state.gateway;
            gateway.resumes += 1;
            gateway.live = Some((connection, sender.clone()));
            for (seq, frame) in &gateway.sent {
                if *seq > since {
                    let _ = sender.send(Out::Text(frame.clone()));
                }
            }
            state.dispatch("RESUMED", json!({}), false);
            state.gateway.ready = true;
            None
        }
        3 | 4 | 8 | 31 => {
            if *identified {
                None
            } else {
                Some((4003, "Not authenticated."))
            }
        }
        _ => Some((4001, "Unknown opcode.")),
    }
}
