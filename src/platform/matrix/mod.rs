//! The Matrix adapter (matrix-sdk): `!` commands in rooms, HTML replies, a thread per article
//! discussion, pins by reply, and power-level moderation.
//!
//! Delivery is exactly-once across restarts and crashes: the adapter keeps its own sync token
//! in the store and saves it only after every event before it was handled, marks each handled
//! event id, and sends each reply with a transaction id derived from the command's event id, so
//! the homeserver drops a resend of a reply that went out just before a crash.

mod catchup;
mod failure;
mod keys;
mod queue;
mod render;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, TimeZone, Utc};
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::ruma::api::client::filter::{FilterDefinition, RoomEventFilter, RoomFilter};
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::events::relation::{InReplyTo, Replacement, Reply as RelatesToReply, Thread};
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
    RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::ruma::events::room::redaction::SyncRoomRedactionEvent;
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncStateEvent, AnySyncTimelineEvent, Mentions,
    SyncMessageLikeEvent, SyncStateEvent,
};
use matrix_sdk::ruma::{
    EventId, MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedTransactionId, OwnedUserId, UInt,
    UserId,
};
use matrix_sdk::{Client, Room, SessionMeta, SessionTokens};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::bot::digest::{DigestSink, Refused};
use crate::bot::{
    Bot, Change, Changed, Command, Context, Effect, MessageRef, Platform, Posted, Reply, User,
};
use crate::config::{MatrixAuth, MatrixConfig};

pub use render::{SHORTENED, defuse, escape, render};

const PLATFORM: &str = "matrix";
const SYNC_TOKEN: &str = "sync_token";
/// How many timeline events a sync may return per room: enough to cover the commands sent
/// while the bot was down for a while.
const TIMELINE_LIMIT: u32 = 200;
/// The most a reply's content may take as JSON. Homeservers refuse events over 64 KiB; the
/// envelope (ids, hashes, signatures) takes some of that, and in an encrypted room the content
/// grows by a third (the ciphertext in base64).
const MAX_CONTENT_BYTES: usize = 40_000;
/// How many times a sync's joins and leaves are tried before its events go on without them.
const BOOKKEEPING_ATTEMPTS: u32 = 5;

/// What handling an event did to the record, for catch-up reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    /// Nothing was recorded (a command, an event of no interest, one handled before).
    Nothing,
    /// A reader's message in a discussion thread was recorded.
    Recorded,
    /// A recorded message was edited.
    Updated,
    /// A recorded message was deleted (its text forgotten).
    Deleted,
}

/// The running Matrix side of the bot.
#[derive(Debug, Clone)]
pub struct MatrixBot {
    bot: Bot,
    client: Client,
    config: MatrixConfig,
    me: OwnedUserId,
}

impl MatrixBot {
    /// Logs in (restoring the saved session when there is one) and returns the adapter, ready to
    /// [`run`](Self::run).
    pub async fn connect(bot: Bot, config: MatrixConfig) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.store_dir)
            .with_context(|| format!("creating MATRIX_STORE_DIR {}", config.store_dir.display()))?;
        let passphrase = config
            .store_passphrase
            .as_ref()
            .map(|p| p.expose_secret().to_owned());
        let client = Client::builder()
            .homeserver_url(&config.homeserver)
            .sqlite_store(config.store_dir.join("sdk"), passphrase.as_deref())
            .build()
            .await
            .context("building the Matrix client (MATRIX_HOMESERVER, MATRIX_STORE_DIR)")?;
        let session_file = config.store_dir.join("session.json");
        if session_file.exists() {
            let saved = std::fs::read_to_string(&session_file)
                .with_context(|| format!("reading {}", session_file.display()))?;
            let session: MatrixSession = serde_json::from_str(&saved).with_context(|| {
                format!("{} is not a saved Matrix session", session_file.display())
            })?;
            client
                .restore_session(session)
                .await
                .context("restoring the saved Matrix session")?;
            tracing::info!(user = %client.user_id().map(|u| u.to_string()).unwrap_or_default(), "Matrix session restored");
        } else {
            let session = match &config.auth {
                MatrixAuth::Password(password) => {
                    client
                        .matrix_auth()
                        .login_username(&config.user, password.expose_secret())
                        .initial_device_display_name("Reading Room")
                        .send()
                        .await
                        .context("logging in to Matrix (MATRIX_USER, MATRIX_PASSWORD)")?;
                    client
                        .matrix_auth()
                        .session()
                        .context("no session after login")?
                }
                MatrixAuth::AccessToken(token) => {
                    let session =
                        session_for_token(&config.homeserver, token.expose_secret()).await?;
                    client
                        .restore_session(session.clone())
                        .await
                        .context("using MATRIX_ACCESS_TOKEN")?;
                    session
                }
            };
            save_session(&session_file, &session)?;
            tracing::info!(user = %session.meta.user_id, device = %session.meta.device_id, "logged in to Matrix; session saved");
        }
        let me = client
            .user_id()
            .context("the Matrix client has no user")?
            .to_owned();
        Ok(Self {
            bot,
            client,
            config,
            me,
        })
    }

    /// The bot's Matrix user id.
    pub fn user_id(&self) -> &OwnedUserId {
        &self.me
    }

    /// The matrix-sdk client the adapter uses (to inspect it, or import room keys).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Syncs until `shutdown` turns true, handling every event once, off the sync loop (see
    /// `queue`). When the homeserver is unreachable it backs off (up to a minute) and resumes
    /// where it stopped.
    pub async fn run(&self, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        let events = queue::Events::new(self.clone(), shutdown.clone());
        let keys = tokio::spawn(keys::listen(self.clone(), Arc::clone(&events)));
        let synced = self.sync(&events, shutdown).await;
        keys.abort();
        events.stop().await;
        synced
    }

    async fn sync(
        &self,
        events: &Arc<queue::Events>,
        mut shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let filter = {
            let mut timeline = RoomEventFilter::default();
            timeline.limit = Some(UInt::from(TIMELINE_LIMIT));
            let mut room = RoomFilter::default();
            room.timeline = timeline;
            let mut definition = FilterDefinition::default();
            definition.room = room;
            Filter::FilterDefinition(definition)
        };
        let base = SyncSettings::default()
            .filter(filter)
            .timeout(Duration::from_secs(30));
        let mut token = self.bot.store().state(PLATFORM, SYNC_TOKEN).await?;
        let mut backoff = Duration::from_millis(500);
        let mut bookkeeping_failures = 0;
        let mut keys_tried = false;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            let settings = match &token {
                Some(token) => base.clone().token(token.clone()),
                None => base.clone().timeout(Duration::ZERO),
            };
            let response = tokio::select! {
                response = self.client.sync_once(settings) => response,
                _ = shutdown.changed() => continue,
            };
            match response {
                Ok(response) => {
                    backoff = Duration::from_millis(500);
                    if let Err(error) = self.bookkeeping(&response.rooms).await {
                        bookkeeping_failures += 1;
                        if bookkeeping_failures < BOOKKEEPING_ATTEMPTS {
                            // Nothing of this batch was handed out yet: ask for it again.
                            tracing::error!(
                                error = format!("{error:#}"),
                                "noting joins and leaves failed; syncing again"
                            );
                            tokio::time::sleep(backoff * bookkeeping_failures).await;
                            continue;
                        }
                        tracing::error!(
                            error = format!("{error:#}"),
                            "noting joins and leaves kept failing; going on without"
                        );
                    }
                    bookkeeping_failures = 0;
                    // The first sync ever only learns the rooms: what happened before the bot
                    // existed is history, not commands for it.
                    let history = token.is_none();
                    let batch = events.open(response.next_batch.clone());
                    self.dispatch(events, response.rooms, history, batch);
                    events.close(batch).await;
                    token = Some(response.next_batch);
                    if !keys_tried {
                        // Keys for events that waited when the bot stopped may have come since;
                        // after the first sync, which brings the keys sent meanwhile.
                        keys_tried = true;
                        if let Err(error) = self.retry_waiting(events, None).await {
                            tracing::warn!(
                                error = format!("{error:#}"),
                                "trying waiting events failed"
                            );
                        }
                    }
                    if let Err(error) = self.give_up_waiting().await {
                        tracing::warn!(
                            error = format!("{error:#}"),
                            "checking events waiting for keys failed"
                        );
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, retry_in = ?backoff, "Matrix sync failed");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    /// Invites, leaves and the bot's own joins of a sync, before its events are handed out.
    async fn bookkeeping(&self, rooms: &matrix_sdk::sync::RoomUpdates) -> anyhow::Result<()> {
        for room_id in rooms.invited.keys() {
            if let Some(room) = self.client.get_room(room_id) {
                self.invited(room).await;
            }
        }
        // A room is listed under `left` when the bot's own membership became leave or ban:
        // it left, was kicked or banned, or the room was shut down (which kicks everyone). That
        // community's data then waits out the grace period before it is purged. A declined
        // invite lands here too; the core ignores a community it never knew.
        for room_id in rooms.left.keys() {
            tracing::info!(room = %room_id, "no longer in the room");
            self.bot
                .community_left(Platform::Matrix, room_id.as_str())
                .await?;
        }
        for (room_id, update) in &rooms.joined {
            if update.timeline.events.iter().any(|e| self.is_my_join(e)) {
                // Joined, or back after a kick within one sync: a pending purge is called off.
                // Before the events, so a command right after the join finds its community.
                let name = self.client.get_room(room_id).and_then(|room| room.name());
                self.bot
                    .community_joined(Platform::Matrix, room_id.as_str(), name.as_deref())
                    .await?;
            }
        }
        Ok(())
    }

    /// Hands the events of a sync to their rooms' queues.
    fn dispatch(
        &self,
        events: &Arc<queue::Events>,
        rooms: matrix_sdk::sync::RoomUpdates,
        history: bool,
        batch: u64,
    ) {
        for (room_id, update) in rooms.joined {
            let Some(room) = self.client.get_room(&room_id) else {
                continue;
            };
            // More happened than one sync shows: what it skipped is fetched and handled first.
            if update.timeline.limited
                && !history
                && self.config.catch_up.days > 0
                && let Some(prev_batch) = update.timeline.prev_batch
            {
                events.catch_up(room.clone(), prev_batch, batch);
            }
            // Commands from before the bot joined a room were not meant for it.
            let timeline = update.timeline.events;
            let joined_at = timeline.iter().rposition(|event| self.is_my_join(event));
            for (i, event) in timeline.into_iter().enumerate() {
                let before_join = joined_at.is_some_and(|j| i < j);
                events.push(room.clone(), event, history || before_join, Some(batch));
            }
        }
    }

    fn is_my_join(&self, event: &TimelineEvent) -> bool {
        matches!(
            event.raw().deserialize(),
            Ok(AnySyncTimelineEvent::State(AnySyncStateEvent::RoomMember(SyncStateEvent::Original(member))))
                if member.state_key == self.me && member.content.membership == MembershipState::Join
        )
    }

    async fn invited(&self, room: Room) {
        let inviter = match room.invite_details().await {
            Ok(invite) => invite.inviter.map(|member| member.user_id().to_owned()),
            Err(error) => {
                tracing::warn!(room = %room.room_id(), %error, "cannot read the invite");
                None
            }
        };
        if !self.may_invite(inviter.as_deref()) {
            tracing::info!(room = %room.room_id(), inviter = ?inviter, "declining an invite: the inviter is not allowed (own homeserver by default; MATRIX_ALLOWED_SERVERS/USERS)");
            if let Err(error) = room.leave().await {
                tracing::warn!(room = %room.room_id(), %error, "declining the invite failed");
            }
            return;
        }
        // Synapse can report the invite before the room is ready to join; retry briefly.
        let mut delay = Duration::from_millis(200);
        for attempt in 1..=5 {
            match room.join().await {
                Ok(()) => {
                    tracing::info!(room = %room.room_id(), inviter = ?inviter, "joined on invite");
                    return;
                }
                Err(error) if attempt < 5 => {
                    tracing::debug!(room = %room.room_id(), %error, attempt, "join failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(error) => tracing::warn!(room = %room.room_id(), %error, "joining failed"),
            }
        }
    }

    fn may_invite(&self, inviter: Option<&UserId>) -> bool {
        may_invite(&self.config, &self.me, inviter)
    }

    /// Handles one event of `room` once: records it, answers it, or keeps it for its key.
    async fn handle_event(
        &self,
        room: &Room,
        event: TimelineEvent,
        history: bool,
    ) -> anyhow::Result<Record> {
        let Some(event_id) = event.event_id() else {
            return Ok(Record::Nothing);
        };
        let store = self.bot.store();
        if store.was_handled(PLATFORM, event_id.as_str()).await? {
            return Ok(Record::Nothing);
        }
        if event.kind.is_utd() {
            // Not handled: it is handled once its key arrives (see `keys`).
            self.wait_for_key(room, &event).await?;
            return Ok(Record::Nothing);
        }
        let record = match event.raw().deserialize() {
            Ok(AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(
                SyncMessageLikeEvent::Original(message),
            ))) if message.sender != self.me => self.message(room, message, history).await?,
            Ok(AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomRedaction(
                SyncRoomRedactionEvent::Original(redaction),
            ))) => match redaction.content.redacts.or(redaction.redacts) {
                Some(redacted) => {
                    let at = timestamp(redaction.origin_server_ts);
                    let deleted = self
                        .changed(room, &redacted, &redaction.sender, Change::Delete, at)
                        .await?;
                    if deleted {
                        Record::Deleted
                    } else {
                        Record::Nothing
                    }
                }
                None => Record::Nothing,
            },
            Ok(AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomEncrypted(_))) => {
                self.wait_for_key(room, &event).await?;
                return Ok(Record::Nothing);
            }
            Ok(_) => Record::Nothing,
            Err(error) => {
                tracing::debug!(event = %event_id, %error, "skipping an event that does not parse");
                Record::Nothing
            }
        };
        store
            .mark_handled(PLATFORM, event_id.as_str(), self.bot.now())
            .await?;
        Ok(record)
    }

    async fn message(
        &self,
        room: &Room,
        message: OriginalSyncRoomMessageEvent,
        history: bool,
    ) -> anyhow::Result<Record> {
        let at = timestamp(message.origin_server_ts);
        let (thread_root, reply_to) = match &message.content.relates_to {
            Some(Relation::Replacement(Replacement {
                event_id,
                new_content,
                ..
            })) => {
                let edit = Change::Edit(new_content.msgtype.body().to_owned());
                if !self
                    .changed(room, event_id, &message.sender, edit, at)
                    .await?
                {
                    return Ok(Record::Nothing);
                }
                // A later redaction of this edit event must take its text away.
                self.bot
                    .edit_seen(
                        Platform::Matrix,
                        room.room_id().as_str(),
                        message.event_id.as_str(),
                        event_id.as_str(),
                    )
                    .await?;
                return Ok(Record::Updated);
            }
            Some(Relation::Thread(Thread {
                event_id,
                in_reply_to,
                is_falling_back,
                ..
            })) => (
                Some(event_id.clone()),
                in_reply_to
                    .as_ref()
                    .filter(|_| !is_falling_back)
                    .map(|r| r.event_id.clone()),
            ),
            Some(Relation::Reply(reply)) => (None, Some(reply.in_reply_to.event_id.clone())),
            _ => (None, None),
        };
        let body = message.content.msgtype.body().trim().to_owned();
        let is_notice = matches!(message.content.msgtype, MessageType::Notice(_));
        if let Some(command) = body
            .strip_prefix(&self.config.prefix)
            .filter(|_| !is_notice)
        {
            if history {
                return Ok(Record::Nothing);
            }
            let age = Utc::now()
                .signed_duration_since(at)
                .to_std()
                .unwrap_or_default();
            if age > self.config.max_command_age {
                tracing::info!(event = %message.event_id, ?age, "not answering a command older than MATRIX_MAX_COMMAND_AGE");
                return Ok(Record::Nothing);
            }
            self.command(room, &message, command.trim(), thread_root, reply_to)
                .await?;
            return Ok(Record::Nothing);
        }
        let Some(root) = thread_root else {
            return Ok(Record::Nothing);
        };
        let posted = Posted {
            platform: Platform::Matrix,
            community: room.room_id().to_string(),
            thread: root.to_string(),
            id: message.event_id.to_string(),
            author_id: message.sender.to_string(),
            author_name: self.display_name(room, &message.sender).await,
            body,
            reply_to: reply_to.map(|id| id.to_string()),
            at,
        };
        Ok(match self.bot.message_posted(posted).await? {
            Some(_) => Record::Recorded,
            None => Record::Nothing,
        })
    }

    /// An edit or redaction of event `target`, sent by `sender` in `room`, for the core.
    async fn changed(
        &self,
        room: &Room,
        target: &EventId,
        sender: &matrix_sdk::ruma::UserId,
        change: Change,
        at: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        Ok(self
            .bot
            .message_changed(Changed {
                platform: Platform::Matrix,
                community: room.room_id().as_str(),
                // Matrix edits and redactions name no thread; they never overtake their event.
                thread: None,
                id: target.as_str(),
                sender: Some(sender.as_str()),
                change,
                at,
            })
            .await?)
    }

    async fn display_name(&self, room: &Room, user: &matrix_sdk::ruma::UserId) -> String {
        match room.get_member_no_sync(user).await {
            Ok(Some(member)) => member.display_name().unwrap_or(user.localpart()).to_owned(),
            _ => user.localpart().to_owned(),
        }
    }

    async fn is_moderator(&self, room: &Room, user: &matrix_sdk::ruma::UserId) -> bool {
        match room.get_member(user).await {
            Ok(Some(member)) => match member.power_level() {
                UserPowerLevel::Infinite => true,
                UserPowerLevel::Int(level) => i64::from(level) >= self.config.moderator_level,
                _ => false,
            },
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(%error, %user, "cannot read the power level; treating as non-moderator");
                false
            }
        }
    }

    async fn command(
        &self,
        room: &Room,
        message: &OriginalSyncRoomMessageEvent,
        line: &str,
        thread_root: Option<OwnedEventId>,
        reply_to: Option<OwnedEventId>,
    ) -> anyhow::Result<()> {
        let ctx = Context {
            platform: Platform::Matrix,
            community: room.room_id().to_string(),
            channel: room.room_id().to_string(),
            channel_name: room.name(),
            user: User {
                id: message.sender.to_string(),
                name: self.display_name(room, &message.sender).await,
                moderator: self.is_moderator(room, &message.sender).await,
            },
            prefix: self.config.prefix.clone(),
        };
        let reply = match pin_by_reply(line, reply_to.as_deref()) {
            Some(Ok(command)) => self.bot.handle(&ctx, command).await,
            Some(Err(reply)) if ctx.user.moderator => reply,
            // A reader learns that pinning is for moderators before how to do it.
            Some(Err(_)) => self.bot.handle_text(&ctx, line).await,
            None => self.bot.handle_text(&ctx, line).await,
        };
        if reply.quiet {
            return Ok(());
        }
        let thread = thread_root.as_deref();
        match &reply.effect {
            Some(Effect::Discussion {
                discussion_id,
                article_id,
                thread_ref: None,
            }) => {
                // The card itself becomes the thread root.
                let root = self.send(room, &reply, None, &message.event_id, 0).await?;
                self.bot
                    .thread_opened(*discussion_id, Some(root.as_str()))
                    .await?;
                tracing::info!(article = article_id.0, thread = %root, "discussion thread opened");
            }
            Some(Effect::Discussion {
                article_id,
                thread_ref: Some(existing),
                ..
            }) => {
                let link = format!("https://matrix.to/#/{}/{}", room.room_id(), existing);
                let pointer = Reply::text(format!(
                    "The discussion of {article_id} is in its thread: {link}"
                ));
                self.send(room, &pointer, thread, &message.event_id, 0)
                    .await?;
                if let Ok(root) = EventId::parse(existing) {
                    let here = Reply::text(format!("Discussion of {article_id} continues here."));
                    self.send(room, &here, Some(&root), &message.event_id, 1)
                        .await?;
                }
            }
            None => {
                self.send(room, &reply, thread, &message.event_id, 0)
                    .await?;
            }
        }
        Ok(())
    }

    /// Sends a reply to `cause` as an `m.notice` with no mentions, inside `thread` when given.
    /// The transaction id comes from `cause`, so a resend after a crash is dropped by the
    /// homeserver instead of posted twice.
    async fn send(
        &self,
        room: &Room,
        reply: &Reply,
        thread: Option<&EventId>,
        cause: &EventId,
        part: u8,
    ) -> anyhow::Result<OwnedEventId> {
        if let crate::bot::Body::File {
            name,
            content,
            caption,
        } = &reply.body
        {
            // Documents go as a file upload with the caption as its text.
            let config = matrix_sdk::attachment::AttachmentConfig::new()
                .txn_id(transaction_id(cause, part))
                .caption(Some(
                    matrix_sdk::ruma::events::room::message::TextMessageEventContent::plain(
                        defuse(caption),
                    ),
                ));
            let response = room
                .send_attachment(
                    name.clone(),
                    &mime::TEXT_PLAIN_UTF_8,
                    content.clone().into_bytes(),
                    config,
                )
                .await
                .context("sending a Matrix file")?;
            return Ok(response.event_id);
        }
        let content = self.notice(
            reply,
            Some(match thread {
                Some(root) => Relation::Thread(Thread::reply(root.to_owned(), cause.to_owned())),
                None => Relation::Reply(RelatesToReply::new(InReplyTo::new(cause.to_owned()))),
            }),
        );
        let txn = transaction_id(cause, part);
        let response = room
            .send(content)
            .with_transaction_id(txn)
            .await
            .context("sending a Matrix reply")?;
        Ok(response.response.event_id)
    }
}

impl MatrixBot {
    /// A reply as a notice that mentions no one, shortened to fit one event.
    fn notice(
        &self,
        reply: &Reply,
        relates_to: Option<Relation<RoomMessageEventContentWithoutRelation>>,
    ) -> RoomMessageEventContent {
        let build = |body: &str, html: &str| {
            let mut content = RoomMessageEventContent::notice_html(body, html);
            content.mentions = Some(Mentions::new());
            content.relates_to = relates_to.clone();
            content
        };
        let size = |body: &str, html: &str| {
            serde_json::to_vec(&build(body, html)).map_or(usize::MAX, |json| json.len())
        };
        let (body, html) =
            render::render_within(reply, &self.config.prefix, MAX_CONTENT_BYTES, size);
        build(&body, &html)
    }

    /// Sends a notice into a room with an idempotency key; returns its event id.
    async fn post_keyed(
        &self,
        channel: &str,
        reply: &Reply,
        key: &str,
    ) -> anyhow::Result<OwnedEventId> {
        let room_id = matrix_sdk::ruma::RoomId::parse(channel).context("not a Matrix room id")?;
        let Some(room) = self
            .client
            .get_room(&room_id)
            .filter(|room| room.state() == matrix_sdk::RoomState::Joined)
        else {
            return Err(Refused("the bot is not in that room".into()).into());
        };
        let content = self.notice(reply, None);
        let digest = Sha256::digest(key.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let sent = room
            .send(content)
            .with_transaction_id(OwnedTransactionId::from(format!("rr-post-{hex}")))
            .await;
        match sent {
            Ok(response) => Ok(response.response.event_id),
            // The room's power levels forbid the bot to post: retrying will not help.
            Err(error)
                if error
                    .as_client_api_error()
                    .is_some_and(|e| e.status_code.as_u16() == 403) =>
            {
                Err(Refused(format!("the room does not let the bot post: {error}")).into())
            }
            Err(error) => Err(error).context("sending to the room"),
        }
    }
}

#[async_trait::async_trait]
impl DigestSink for MatrixBot {
    async fn post(&self, channel: &str, digest: &Reply, key: &str) -> anyhow::Result<()> {
        self.post_keyed(channel, digest, key).await.map(drop)
    }

    /// On Matrix the card itself is the thread root.
    async fn post_with_thread(
        &self,
        channel: &str,
        card: &Reply,
        key: &str,
        _title: &str,
    ) -> anyhow::Result<Option<String>> {
        Ok(Some(self.post_keyed(channel, card, key).await?.to_string()))
    }
}

/// Whether the bot accepts an invite from `inviter`. With neither `MATRIX_ALLOWED_SERVERS` nor
/// `MATRIX_ALLOWED_USERS` set, only users of the bot's own homeserver may invite it: a bot that
/// joins any room anyone on the federation invites it to can be made to store strangers'
/// messages and spend the operator's resources. Setting either list replaces that default with
/// exactly the listed servers and users; `*` in either accepts anyone. An invite whose sender
/// cannot be read is declined unless anyone may invite.
pub fn may_invite(config: &MatrixConfig, me: &UserId, inviter: Option<&UserId>) -> bool {
    let (servers, users) = (&config.allowed_servers, &config.allowed_users);
    if servers.iter().chain(users).any(|entry| entry == "*") {
        return true;
    }
    let Some(inviter) = inviter else {
        return false;
    };
    if servers.is_empty() && users.is_empty() {
        return inviter.server_name() == me.server_name();
    }
    users.iter().any(|u| u == inviter.as_str())
        || servers.iter().any(|s| s == inviter.server_name().as_str())
}

/// `!pin [note]` / `!unpin` sent as a reply: the replied-to message is the one meant.
fn pin_by_reply(line: &str, reply_to: Option<&EventId>) -> Option<Result<Command, Reply>> {
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let name = name.to_lowercase();
    if name != "pin" && name != "unpin" {
        return None;
    }
    // `!pin #12` names a recorded message directly; the core parser handles that form.
    if rest.trim_start().starts_with('#') {
        return None;
    }
    let Some(target) = reply_to else {
        return Some(Err(Reply::error(format!(
            "To {name} a message, reply to it with !{name}{}.",
            if name == "pin" { " [note]" } else { "" }
        ))));
    };
    let message = MessageRef::Platform(target.to_string());
    let note = rest.trim();
    Some(if name == "pin" {
        Command::pin(message, (!note.is_empty()).then(|| note.to_owned()))
            .map_err(|error| Reply::error(error.message("!")))
    } else {
        Ok(Command::unpin(message))
    })
}

fn transaction_id(cause: &EventId, part: u8) -> OwnedTransactionId {
    let digest = Sha256::digest(format!("{cause}/{part}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    OwnedTransactionId::from(format!("rr-{hex}"))
}

fn timestamp(ts: MilliSecondsSinceUnixEpoch) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(i64::from(ts.0))
        .single()
        .unwrap_or_else(Utc::now)
}

/// The session behind an access token: asks the homeserver who the token belongs to.
async fn session_for_token(homeserver: &str, token: &str) -> anyhow::Result<MatrixSession> {
    // A throwaway in-memory client, only to call whoami with the token.
    let probe = Client::builder()
        .homeserver_url(homeserver)
        .build()
        .await
        .context("building a Matrix client")?;
    let placeholder = MatrixSession {
        meta: SessionMeta {
            user_id: matrix_sdk::ruma::user_id!("@probe:localhost").to_owned(),
            device_id: matrix_sdk::ruma::device_id!("PROBE").to_owned(),
        },
        tokens: SessionTokens {
            access_token: token.to_owned(),
            refresh_token: None,
        },
    };
    probe
        .restore_session(placeholder)
        .await
        .context("using MATRIX_ACCESS_TOKEN")?;
    let whoami = probe
        .whoami()
        .await
        .context("MATRIX_ACCESS_TOKEN was refused (whoami)")?;
    let device_id = whoami
        .device_id
        .context("MATRIX_ACCESS_TOKEN belongs to no device; log in with MATRIX_PASSWORD instead")?;
    Ok(MatrixSession {
        meta: SessionMeta {
            user_id: whoami.user_id,
            device_id,
        },
        tokens: SessionTokens {
            access_token: token.to_owned(),
            refresh_token: None,
        },
    })
}

fn save_session(path: &Path, session: &MatrixSession) -> anyhow::Result<()> {
    use std::io::Write as _;
    let json = serde_json::to_string(session)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    // It holds the access token: readable by the bot's user alone from the moment it exists,
    // not after a window in which it had the default mode.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("saving the Matrix session to {}", path.display()))?;
    file.write_all(json.as_bytes())
        .with_context(|| format!("saving the Matrix session to {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A file left by an older version keeps its mode on truncation.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_session_file_is_private_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        let session = MatrixSession {
            meta: SessionMeta {
                user_id: matrix_sdk::ruma::user_id!("@bot:example.org").to_owned(),
                device_id: matrix_sdk::ruma::device_id!("DEV").to_owned(),
            },
            tokens: SessionTokens {
                access_token: "secret".into(),
                refresh_token: None,
            },
        };
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        save_session(&path, &session).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let fresh = dir.path().join("new.json");
        save_session(&fresh, &session).unwrap();
        assert_eq!(
            std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
