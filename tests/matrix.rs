//! The Matrix adapter end to end against a real Synapse on 127.0.0.1, with real Matrix clients
//! (matrix-sdk) as the readers.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

#[path = "common/bin.rs"]
mod bin;
mod common;
#[path = "common/synapse.rs"]
mod synapse;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
use matrix_sdk::ruma::events::relation::{Replacement, Thread};
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
    RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, InitialStateEvent, SyncMessageLikeEvent,
};
use matrix_sdk::ruma::{EventId, OwnedEventId, OwnedRoomId, UserId};
use matrix_sdk::{Client, Room, RoomMemberships};
use readingroom::bot::{Bot, CommunityLimits};
use readingroom::clock::SystemClock;
use readingroom::config::{MatrixAuth, MatrixConfig};
use readingroom::platform::matrix::MatrixBot;
use readingroom::sources::reach::Reach;
use readingroom::sources::web::FetchOptions;
use readingroom::store::{Scope, Store};
use synapse::{Registered, Synapse};
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(30);

/// The bot process: the real adapter over a real SQLite file, stoppable and restartable.
struct RunningBot {
    adapter: MatrixBot,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    store: Store,
}

/// What a test changes about the bot: who may invite it, and the per-community limits.
#[derive(Clone, Default)]
struct Setup {
    allowed_servers: Vec<String>,
    limits: Option<CommunityLimits>,
    /// How long an undecryptable event waits for its key (600 s unless said).
    key_wait: Option<Duration>,
    /// Let chat fetch pages from loopback, where the test's web server is.
    fetch_loopback: bool,
}

/// Commands a reader has at once.
const READER_BURST: u32 = 24;

async fn start_bot(hs: &Synapse, account: &Registered, dir: &Path) -> RunningBot {
    start_bot_with(hs, account, dir, Setup::default()).await
}

async fn start_bot_with(
    hs: &Synapse,
    account: &Registered,
    dir: &Path,
    setup: Setup,
) -> RunningBot {
    let store = Store::open(dir.join("readingroom.db").to_str().unwrap())
        .await
        .unwrap();
    // Readers get READER_BURST commands, then one a minute: enough for every test's reader
    // (the flood test's goes through every moderator command first), and a flood test knows
    // exactly where the limit falls.
    let fetch = FetchOptions {
        reach: if setup.fetch_loopback {
            Reach::Public(vec!["127.0.0.1".parse().unwrap()])
        } else {
            FetchOptions::default().reach
        },
        ..FetchOptions::default()
    };
    let bot = Bot::with_fetcher(store.clone(), Arc::new(SystemClock), fetch)
        .with_rate_limit(READER_BURST, Duration::from_secs(60));
    let bot = match setup.limits {
        Some(limits) => bot.with_community_limits(limits),
        None => bot,
    };
    let config = MatrixConfig {
        homeserver: hs.url.clone(),
        user: account.user_id.clone(),
        auth: MatrixAuth::Password(account.password.clone().into()),
        store_dir: dir.join("matrix-store"),
        store_passphrase: None,
        prefix: "!".into(),
        moderator_level: 50,
        allowed_servers: setup.allowed_servers,
        allowed_users: Vec::new(),
        max_command_age: Duration::from_secs(3600),
        key_wait: setup.key_wait.unwrap_or(Duration::from_secs(600)),
        catch_up: Default::default(),
    };
    let adapter = MatrixBot::connect(bot, config)
        .await
        .expect("the bot logs in");
    let (stop, shutdown) = watch::channel(false);
    let runner = adapter.clone();
    let task = tokio::spawn(async move { runner.run(shutdown).await });
    // Commands are answered from the first sync on; wait for it.
    let started = Instant::now();
    while store.state("matrix", "sync_token").await.unwrap().is_none() {
        assert!(started.elapsed() < WAIT, "the bot never synced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    RunningBot {
        adapter,
        stop,
        task,
        store,
    }
}

impl RunningBot {
    async fn shutdown(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the bot stops")
            .unwrap()
            .unwrap();
        self.store.close().await;
    }
}

/// A reader: a real Matrix client that syncs and keeps every message it saw.
struct Reader {
    client: Client,
    token: Option<String>,
    seen: Vec<(OwnedRoomId, OriginalSyncRoomMessageEvent)>,
    /// Event ids of the messages that arrived encrypted.
    encrypted: Vec<OwnedEventId>,
}

impl Reader {
    async fn login(hs: &Synapse, name: &str) -> Reader {
        let account = hs.register(name, &format!("{name}-password")).await;
        let client = Client::builder()
            .homeserver_url(&hs.url)
            .build()
            .await
            .unwrap();
        client
            .matrix_auth()
            .login_username(&account.user_id, &account.password)
            .send()
            .await
            .unwrap();
        let mut reader = Reader {
            client,
            token: None,
            seen: Vec::new(),
            encrypted: Vec::new(),
        };
        reader.sync().await;
        reader
    }

    fn user_id(&self) -> &UserId {
        self.client.user_id().unwrap()
    }

    async fn sync(&mut self) {
        // Synapse gives 10 timeline events per room by default and drops older ones from a
        // "limited" sync: a flood of commands and answers between two syncs would lose some.
        let filter = {
            use matrix_sdk::ruma::api::client::filter::{
                FilterDefinition, RoomEventFilter, RoomFilter,
            };
            let mut timeline = RoomEventFilter::default();
            timeline.limit = Some(100u32.into());
            let mut room = RoomFilter::default();
            room.timeline = timeline;
            let mut definition = FilterDefinition::default();
            definition.room = room;
            matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter::FilterDefinition(
                definition,
            )
        };
        let mut settings = SyncSettings::default()
            .filter(filter)
            .timeout(Duration::from_millis(300));
        if let Some(token) = &self.token {
            settings = settings.token(token.clone());
        }
        let response = self.client.sync_once(settings).await.unwrap();
        for (room_id, update) in response.rooms.joined {
            for event in update.timeline.events {
                if let Ok(AnySyncTimelineEvent::MessageLike(
                    AnySyncMessageLikeEvent::RoomMessage(SyncMessageLikeEvent::Original(message)),
                )) = event.raw().deserialize()
                {
                    if event.encryption_info().is_some() {
                        self.encrypted.push(message.event_id.clone());
                    }
                    self.seen.push((room_id.clone(), message));
                }
            }
        }
        self.token = Some(response.next_batch);
    }

    async fn create_room(&mut self, invite: &[&str], encrypted: bool) -> Room {
        let mut request = CreateRoom::new();
        request.invite = invite.iter().map(|u| UserId::parse(*u).unwrap()).collect();
        if encrypted {
            request.initial_state = vec![
                InitialStateEvent::with_empty_state_key(
                    RoomEncryptionEventContent::with_recommended_defaults(),
                )
                .to_raw_any(),
            ];
        }
        let room = self.client.create_room(request).await.unwrap();
        self.sync().await;
        room
    }

    async fn join(&mut self, room: &Room) -> Room {
        let joined = self.client.join_room_by_id(room.room_id()).await.unwrap();
        self.sync().await;
        joined
    }

    async fn invite(&mut self, room: &Room, user: &UserId) {
        self.client
            .get_room(room.room_id())
            .unwrap()
            .invite_user_by_id(user)
            .await
            .unwrap();
    }

    /// Waits until `user` has joined the room, as this reader's client sees it.
    async fn wait_joined(&mut self, room: &Room, user: &str) {
        let user = UserId::parse(user).unwrap();
        let started = Instant::now();
        loop {
            self.sync().await;
            let room = self.client.get_room(room.room_id()).unwrap();
            let members = room.members(RoomMemberships::JOIN).await.unwrap();
            if members.iter().any(|m| m.user_id() == user) {
                return;
            }
            assert!(started.elapsed() < WAIT, "{user} never joined");
        }
    }

    async fn send(&mut self, room: &Room, content: RoomMessageEventContent) -> OwnedEventId {
        let room = self.client.get_room(room.room_id()).unwrap();
        room.send(content).await.unwrap().response.event_id
    }

    async fn say(&mut self, room: &Room, text: &str) -> OwnedEventId {
        self.send(room, RoomMessageEventContent::text_plain(text))
            .await
    }

    /// Waits for a message from `sender` in the room that satisfies `matches`.
    async fn wait_for(
        &mut self,
        room: &Room,
        sender: &str,
        matches: impl Fn(&OriginalSyncRoomMessageEvent) -> bool,
    ) -> OriginalSyncRoomMessageEvent {
        let started = Instant::now();
        loop {
            if let Some((_, message)) = self
                .seen
                .iter()
                .find(|(r, m)| r == room.room_id() && m.sender.as_str() == sender && matches(m))
            {
                return message.clone();
            }
            assert!(
                started.elapsed() < WAIT,
                "no matching message from {sender}; saw {:#?}",
                self.bodies(room)
            );
            self.sync().await;
        }
    }

    /// How many messages from `sender` in the room satisfy `matches`, after syncing for `settle`.
    async fn count(
        &mut self,
        room: &Room,
        sender: &str,
        settle: Duration,
        matches: impl Fn(&OriginalSyncRoomMessageEvent) -> bool,
    ) -> usize {
        let started = Instant::now();
        while started.elapsed() < settle {
            self.sync().await;
        }
        self.seen
            .iter()
            .filter(|(r, m)| r == room.room_id() && m.sender.as_str() == sender && matches(m))
            .count()
    }

    fn bodies(&self, room: &Room) -> Vec<String> {
        self.seen
            .iter()
            .filter(|(r, _)| r == room.room_id())
            .map(|(_, m)| format!("{}: {}", m.sender, m.content.body()))
            .collect()
    }
}

fn html(message: &OriginalSyncRoomMessageEvent) -> String {
    match &message.content.msgtype {
        MessageType::Notice(notice) => notice
            .formatted
            .as_ref()
            .map(|f| f.body.clone())
            .unwrap_or_default(),
        other => panic!("the bot answers with m.notice, got {other:?}"),
    }
}

fn in_thread(root: &EventId, text: &str) -> RoomMessageEventContent {
    let mut content = RoomMessageEventContent::text_plain(text);
    content.relates_to = Some(Relation::Thread(Thread::plain(
        root.to_owned(),
        root.to_owned(),
    )));
    content
}

fn reply_in_thread(root: &EventId, parent: &EventId, text: &str) -> RoomMessageEventContent {
    let mut content = RoomMessageEventContent::text_plain(text);
    content.relates_to = Some(Relation::Thread(Thread::reply(
        root.to_owned(),
        parent.to_owned(),
    )));
    content
}

fn reply_to(parent: &EventId, text: &str) -> RoomMessageEventContent {
    let mut content = RoomMessageEventContent::text_plain(text);
    content.relates_to = Some(Relation::Reply(
        matrix_sdk::ruma::events::relation::Reply::new(
            matrix_sdk::ruma::events::relation::InReplyTo::new(parent.to_owned()),
        ),
    ));
    content
}

fn edit(original: &EventId, text: &str) -> RoomMessageEventContent {
    let mut content = RoomMessageEventContent::text_plain(format!("* {text}"));
    content.relates_to = Some(Relation::Replacement(Replacement::new(
        original.to_owned(),
        RoomMessageEventContentWithoutRelation::text_plain(text),
    )));
    content
}

/// A homeserver, the bot with the fixture article ingested, and a reader in a room with it.
struct World {
    hs: Synapse,
    dir: tempfile::TempDir,
    bot_account: Registered,
    bot: Option<RunningBot>,
    alice: Reader,
    room: Room,
}

impl World {
    async fn new(encrypted: bool) -> Option<World> {
        World::with(encrypted, Setup::default()).await
    }

    async fn with(encrypted: bool, setup: Setup) -> Option<World> {
        let hs = Synapse::start().await?;
        let dir = tempfile::tempdir().unwrap();
        let bot_account = hs.register("readingroom", "bot-password").await;
        let bot = start_bot_with(&hs, &bot_account, dir.path(), setup).await;
        let fixture = common::fixture("reading-room-fixture.md");
        Bot::new(bot.store.clone(), Arc::new(SystemClock))
            .ingest(&fixture, None)
            .await
            .unwrap();
        let mut alice = Reader::login(&hs, "alice").await;
        let room = alice.create_room(&[&bot_account.user_id], encrypted).await;
        alice.wait_joined(&room, &bot_account.user_id).await;
        Some(World {
            hs,
            dir,
            bot_account,
            bot: Some(bot),
            alice,
            room,
        })
    }

    fn bot_id(&self) -> String {
        self.bot_account.user_id.clone()
    }

    fn store(&self) -> &Store {
        &self.bot.as_ref().unwrap().store
    }

    /// Sends a command as Alice in reply to `target` and returns the bot's reply to it.
    async fn ask_reply(&mut self, target: &EventId, command: &str) -> OriginalSyncRoomMessageEvent {
        let room = self.room.clone();
        let sent = self.alice.send(&room, reply_to(target, command)).await;
        let bot = self.bot_id();
        self.alice
            .wait_for(&room, &bot, |m| replies_to(m, &sent))
            .await
    }

    /// Sends a command as Alice and returns the bot's reply to it.
    async fn ask(&mut self, command: &str) -> OriginalSyncRoomMessageEvent {
        let room = self.room.clone();
        let sent = self.alice.say(&room, command).await;
        let bot = self.bot_id();
        self.alice
            .wait_for(&room, &bot, |m| replies_to(m, &sent))
            .await
    }
}

/// Whether a message is a reply (plain or in a thread) to `event`.
fn replies_to(message: &OriginalSyncRoomMessageEvent, event: &EventId) -> bool {
    match &message.content.relates_to {
        Some(Relation::Reply(reply)) => reply.in_reply_to.event_id == event,
        Some(Relation::Thread(thread)) => thread
            .in_reply_to
            .as_ref()
            .is_some_and(|r| r.event_id == event),
        _ => false,
    }
}

#[tokio::test]
async fn invite_auto_join_and_article_with_html_and_plain_bodies() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    // World::new waited for the bot to join on its own after the invite.
    let answer = world.ask("!article").await;
    let body = answer.content.body().to_owned();
    let html = html(&answer);
    assert!(body.starts_with("Quiet Rooms and Loud Arguments"), "{body}");
    assert!(!body.contains('<'), "the plain body has no markup: {body}");
    assert!(
        html.contains("<h4><a href=\"https://lantern.example.org/essays/reading-rooms\">Quiet Rooms and Loud Arguments"),
        "{html}"
    );
    assert!(
        html.contains("<blockquote>"),
        "the key quotation is a blockquote: {html}"
    );
    let mentions = answer
        .content
        .mentions
        .as_ref()
        .expect("m.mentions is present");
    assert!(
        mentions.user_ids.is_empty() && !mentions.room,
        "m.mentions is empty"
    );

    let help = world.ask("!frobnicate").await;
    assert!(
        help.content
            .body()
            .contains("There is no command !frobnicate"),
        "{}",
        help.content.body()
    );
}

#[tokio::test]
async fn a_room_moderator_links_the_room_into_a_discord_guild_by_code() {
    use readingroom::bot::{Body, Context, Platform, User};
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let store = world.store().clone();
    // The guild's side, in-process on the same store, as a Discord process would be.
    let discord = Bot::new(store.clone(), Arc::new(SystemClock));
    let mona = Context {
        platform: Platform::Discord,
        community: "guild-lamps".into(),
        channel: "general".into(),
        channel_name: Some("general".into()),
        user: User {
            id: "mona".into(),
            name: "mona".into(),
            moderator: true,
        },
        prefix: "/".into(),
    };
    let (ingested, _) = discord
        .ingest_text(
            "Aardvark Lamps in the Guild\n\nPosted by Gia Guild\n\nThe aardvark lamps stay on late in the guild's reading room. Everyone reads quietly.\n\nThe guild says the lamps will stay.",
            None,
        )
        .await
        .unwrap();
    let id = ingested.id().0;
    let guild = store
        .community(
            "discord",
            "guild-lamps",
            Some("Lamp Readers"),
            discord.now(),
        )
        .await
        .unwrap();
    store
        .shelve(guild.id, ingested.id(), None, discord.now())
        .await
        .unwrap();
    let article = format!("!article {id}");
    answered_with(&mut world, &article, "There is no article").await;
    // A room's moderator issues codes as well (answered in the room: Matrix has no private
    // replies, and the code is good once, for a quarter of an hour).
    let everyone = "Everyone in this room sees this code";
    answered_with(&mut world, "!link code", everyone).await;
    let issued = discord.handle_text(&mona, "link code").await;
    let Body::Text(issued) = &issued.body else {
        panic!("{issued:?}")
    };
    let join = format!("!link join {}", common::link_code_in(issued));
    let asked = "asks to read with the Discord server “Lamp Readers”";
    answered_with(&mut world, &join, asked).await;
    // Nothing is shared until the guild's moderator, seeing who asks, lets the room in.
    answered_with(&mut world, &article, "There is no article").await;
    let listed = discord.handle_text(&mona, "link list").await;
    assert!(
        format!("{listed:?}").contains("Asking to join"),
        "{listed:?}"
    );
    let accepted = discord.handle_text(&mona, "link accept").await;
    assert!(
        format!("{accepted:?}").contains("now reads with this server"),
        "{accepted:?}"
    );
    answered_with(&mut world, &article, "Aardvark Lamps").await;
    answered_with(&mut world, "!link list", "(here)").await;
    answered_with(&mut world, "!link leave", "reads on its own again").await;
    answered_with(&mut world, &article, "There is no article").await;
}

/// Asks `command` as Alice; her answer must hold `expected`.
async fn answered_with(world: &mut World, command: &str, expected: &str) {
    let answer = world.ask(command).await;
    let body = answer.content.body();
    assert!(body.contains(expected), "{command}: {body}");
}

#[tokio::test]
async fn discussion_thread_records_replies_edits_and_redactions() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let card = world.ask("!discuss 1").await;
    assert!(
        card.content.body().starts_with("Quiet Rooms"),
        "{}",
        card.content.body()
    );
    let root = card.event_id.clone();
    let room = world.room.clone();
    // The bot notes the thread once its card is sent, which the reader may see first.
    let started = Instant::now();
    let discussion = loop {
        if let Some(discussion) = world
            .store()
            .discussion_by_thread("matrix", root.as_str(), None)
            .await
            .unwrap()
        {
            break discussion;
        }
        assert!(started.elapsed() < WAIT, "thread never tracked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let first = world
        .alice
        .send(
            &room,
            in_thread(&root, "The lamps matter more than the rules."),
        )
        .await;
    let mut bob = Reader::login(&world.hs, "bob").await;
    world.alice.invite(&room, bob.user_id()).await;
    let bob_room = bob.join(&room).await;
    let second = bob
        .send(
            &bob_room,
            reply_in_thread(&root, &first, "Rules keep the silence, @room."),
        )
        .await;
    let outside = world.alice.say(&room, "Not part of the discussion.").await;
    world
        .alice
        .send(&room, edit(&first, "The lamps matter more than anything."))
        .await;
    world
        .alice
        .client
        .get_room(room.room_id())
        .unwrap()
        .redact(&second, None, None)
        .await
        .unwrap();

    let store = world.store().clone();
    let started = Instant::now();
    loop {
        let messages = store.discussion_messages(discussion.id).await.unwrap();
        let first_row = messages.iter().find(|m| m.platform_id == first.as_str());
        let second_row = messages.iter().find(|m| m.platform_id == second.as_str());
        let done = matches!((first_row, second_row), (Some(a), Some(b))
            if a.body.as_deref() == Some("The lamps matter more than anything.") && b.deleted_at.is_some());
        if done {
            let (a, b) = (first_row.unwrap(), second_row.unwrap());
            assert_eq!(a.author_id, world.alice.user_id().as_str());
            assert!(a.edited_at.is_some());
            assert_eq!(b.author_id, bob.user_id().as_str());
            assert_eq!(
                b.reply_to.as_deref(),
                Some(first.as_str()),
                "reply parent from m.in_reply_to"
            );
            assert_eq!(b.body, None, "a redaction removes the text");
            assert!(
                messages.iter().all(|m| m.platform_id != outside.as_str()),
                "only thread messages"
            );
            assert_eq!(messages.len(), 2);
            break;
        }
        assert!(started.elapsed() < WAIT, "not recorded: {messages:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A second !discuss links the existing thread instead of opening another.
    let again = world.ask("!discuss 1").await;
    assert!(
        again.content.body().contains(&format!("/{root}")),
        "{}",
        again.content.body()
    );
}

#[tokio::test]
async fn pin_needs_the_moderator_power_level() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let card = world.ask("!discuss 1").await;
    let root = card.event_id.clone();
    let room = world.room.clone();
    let mut bob = Reader::login(&world.hs, "bob").await;
    world.alice.invite(&room, bob.user_id()).await;
    let bob_room = bob.join(&room).await;
    let take = bob
        .send(
            &bob_room,
            in_thread(&root, "Quiet rooms are the last free public space."),
        )
        .await;
    let bot = world.bot_id();

    // Bob has the default power level 0.
    let pin = bob
        .send(&bob_room, reply_to(&take, "!pin my own take"))
        .await;
    let refused = bob.wait_for(&bob_room, &bot, |m| replies_to(m, &pin)).await;
    assert!(
        refused
            .content
            .body()
            .contains("Only moderators can use !pin."),
        "{}",
        refused.content.body()
    );
    assert!(
        world
            .store()
            .pins(Scope::Operator, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Alice created the room: she outranks everyone. She raises Bob to 50, the moderator level.
    world
        .alice
        .client
        .get_room(room.room_id())
        .unwrap()
        .update_power_levels(vec![(bob.user_id(), 50.into())])
        .await
        .unwrap();
    bob.send(&bob_room, reply_to(&take, "!pin the public-space argument"))
        .await;
    let accepted = bob
        .wait_for(&bob_room, &bot, |m| {
            m.content.body().starts_with("Pinned message")
        })
        .await;
    assert!(
        accepted.content.body().contains("as commentary on #1"),
        "{}",
        accepted.content.body()
    );
    let pins = world.store().pins(Scope::Operator, None, 10).await.unwrap();
    assert_eq!(pins.len(), 1);
    assert_eq!(pins[0].note.as_deref(), Some("the public-space argument"));

    let card = world.ask("!article 1").await;
    assert!(
        card.content
            .body()
            .contains("Quiet rooms are the last free public space."),
        "the pin shows on the card: {}",
        card.content.body()
    );

    let unpin = world.alice.send(&room, reply_to(&take, "!unpin")).await;
    let unpinned = world
        .alice
        .wait_for(&room, &bot, |m| replies_to(m, &unpin))
        .await;
    assert!(
        unpinned.content.body().starts_with("Unpinned"),
        "{}",
        unpinned.content.body()
    );
    assert!(
        world
            .store()
            .pins(Scope::Operator, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn encrypted_room_round_trip() {
    let Some(mut world) = World::new(true).await else {
        return;
    };
    let room = world.alice.client.get_room(world.room.room_id()).unwrap();
    assert!(room.latest_encryption_state().await.unwrap().is_encrypted());
    let bot = world.bot_id();
    let room = world.room.clone();
    let question = world.alice.say(&room, "!article 1").await;
    let answer = world
        .alice
        .wait_for(&room, &bot, |m| m.content.body().starts_with("Quiet Rooms"))
        .await;
    assert!(
        world.alice.encrypted.contains(&question),
        "the command went out encrypted"
    );
    assert!(
        world.alice.encrypted.contains(&answer.event_id),
        "the bot's answer arrived encrypted"
    );
    assert!(html(&answer).contains("<blockquote>"));
}

#[tokio::test]
async fn restart_answers_commands_sent_while_down_exactly_once() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    world.ask("!help").await;
    world.bot.take().unwrap().shutdown().await;

    let room = world.room.clone();
    world.alice.say(&room, "!summary 1 1").await;
    world.alice.say(&room, "!search lamps").await;

    world.bot = Some(start_bot(&world.hs, &world.bot_account, world.dir.path()).await);
    let bot = world.bot_id();
    world
        .alice
        .wait_for(&room, &bot, |m| {
            m.content.body().starts_with("Summary: Quiet Rooms")
        })
        .await;
    world
        .alice
        .wait_for(&room, &bot, |m| {
            m.content.body().starts_with("Articles matching")
        })
        .await;

    // Another restart must not answer anything again.
    world.bot.take().unwrap().shutdown().await;
    world.bot = Some(start_bot(&world.hs, &world.bot_account, world.dir.path()).await);
    world.ask("!pins").await;
    let settle = Duration::from_secs(2);
    assert_eq!(
        world
            .alice
            .count(&room, &bot, settle, |m| m
                .content
                .body()
                .starts_with("Summary: "))
            .await,
        1
    );
    assert_eq!(
        world
            .alice
            .count(&room, &bot, Duration::ZERO, |m| m
                .content
                .body()
                .starts_with("Articles matching"))
            .await,
        1
    );
    assert_eq!(
        world
            .alice
            .count(&room, &bot, Duration::ZERO, |m| m
                .content
                .body()
                .starts_with("Reading Room commands"))
            .await,
        1
    );
}

#[tokio::test]
async fn bot_recovers_when_synapse_goes_away_and_returns() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    world.ask("!article").await;
    world.hs.stop();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !world.bot.as_ref().unwrap().task.is_finished(),
        "the bot keeps running through the outage"
    );
    world.hs.resume().await;
    let answer = world.ask("!search lamps").await;
    assert!(
        answer.content.body().starts_with("Articles matching"),
        "{}",
        answer.content.body()
    );
}

#[tokio::test]
async fn a_scheduled_digest_arrives_with_article_discussion_and_pin() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let card = world.ask("!discuss 1").await;
    let room = world.room.clone();
    let take = world
        .alice
        .send(
            &room,
            in_thread(&card.event_id, "The lamps are the whole argument."),
        )
        .await;
    let pinned = world.ask_reply(&take, "!pin lamp theory").await;
    assert!(
        pinned.content.body().starts_with("Pinned message"),
        "{}",
        pinned.content.body()
    );

    // A zone where it is around noon now, so the test never straddles midnight.
    let now = chrono::Utc::now();
    let offset = 12 - i64::from(chrono::Timelike::hour(&now));
    let zone = if offset >= 0 {
        format!("Etc/GMT-{offset}")
    } else {
        format!("Etc/GMT+{}", -offset)
    };
    let zone_tz: chrono_tz::Tz = zone.parse().unwrap();
    let at = (now + chrono::Duration::minutes(2))
        .with_timezone(&zone_tz)
        .format("%H:%M")
        .to_string();
    let set = world.ask(&format!("!digest at {at} {zone}")).await;
    assert!(set.content.body().contains(&at), "{}", set.content.body());

    let running = world.bot.as_ref().unwrap();
    let scheduler = readingroom::bot::digest::Scheduler::new(Bot::new(
        running.store.clone(),
        Arc::new(SystemClock),
    ))
    .with_sink(
        readingroom::bot::Platform::Matrix,
        Arc::new(running.adapter.clone()),
    );
    assert!(
        scheduler.run_once(now).await.unwrap().is_empty(),
        "not due yet"
    );
    let reports = scheduler
        .run_once(now + chrono::Duration::minutes(3))
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].status, readingroom::store::RunStatus::Posted);

    let bot = world.bot_id();
    let digest = world
        .alice
        .wait_for(&room, &bot, |m| {
            m.content.body().starts_with("Reading Room digest for")
        })
        .await;
    let body = digest.content.body();
    assert!(body.contains("New: #1 Quiet Rooms"), "{body}");
    assert!(
        body.contains("Discussed: #1 Quiet Rooms") && body.contains("1 message from 1 reader"),
        "{body}"
    );
    assert!(
        body.contains("The lamps are the whole argument.") && body.contains("lamp theory"),
        "{body}"
    );
    assert!(html(&digest).contains("<blockquote>"), "quote of the day");
    assert!(
        scheduler
            .run_once(now + chrono::Duration::minutes(4))
            .await
            .unwrap()
            .is_empty(),
        "once a day"
    );
}

/// The median time from a reader's `!article` to the bot's reply, over 100 commands. Run with
/// `cargo test --release --test matrix -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn latency_of_100_commands() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let mut times = Vec::new();
    for _ in 0..100 {
        let started = Instant::now();
        world.ask("!article").await;
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "!article round trip over {} commands: median {:?}, p90 {:?}, max {:?}",
        times.len(),
        times[times.len() / 2],
        times[times.len() * 9 / 10],
        times[times.len() - 1]
    );
}

#[tokio::test]
async fn readers_are_refused_moderator_commands_and_a_flood_gets_one_notice() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let room = world.room.clone();
    let mut bob = Reader::login(&world.hs, "bob").await;
    world.alice.invite(&room, bob.user_id()).await;
    let bob_room = bob.join(&room).await;
    let bot = world.bot_id();

    let lines = common::moderator_lines();
    for line in &lines {
        let sent = bob.say(&bob_room, &format!("!{line}")).await;
        let refused = bob
            .wait_for(&bob_room, &bot, |m| replies_to(m, &sent))
            .await;
        assert!(
            refused.content.body().contains("Only moderators"),
            "!{line}: {}",
            refused.content.body()
        );
    }
    let totals = world.store().totals(Scope::Operator).await.unwrap();
    assert_eq!((totals.pins, totals.feeds, totals.articles), (0, 0, 1));

    // Bob has READER_BURST - lines.len() commands left; he sends ten more at once.
    let left = READER_BURST as usize - lines.len();
    let mut flood = Vec::new();
    for _ in 0..10 {
        flood.push(bob.say(&bob_room, "!article 1").await);
    }
    // The bot handles a room's commands in order: once the notice is there, every answer
    // before it is too; then give the rest of the flood time to (wrongly) answer.
    bob.wait_for(&bob_room, &bot, |m| m.content.body().contains("Slow down"))
        .await;
    let answered = bob
        .count(&bob_room, &bot, Duration::from_secs(3), |m| {
            flood.iter().any(|e| replies_to(m, e))
        })
        .await;
    assert_eq!(answered, left + 1, "{left} answers and one notice, no more");
    let notices = bob
        .count(&bob_room, &bot, Duration::ZERO, |m| {
            m.content.body().contains("Slow down")
        })
        .await;
    assert_eq!(notices, 1);
    // The limit is per user: Alice, a moderator, is answered as ever.
    let card = world.ask("!article 1").await;
    assert!(card.content.body().contains("Quiet Rooms"));
}

/// Sends `command` as `reader` in `room` and returns the bot's answer: its reply, or the file
/// an export sends (a file carries no reply relation).
async fn ask_in(
    reader: &mut Reader,
    room: &Room,
    bot: &str,
    command: &str,
) -> OriginalSyncRoomMessageEvent {
    let earlier: Vec<OwnedEventId> = reader
        .seen
        .iter()
        .map(|(_, m)| m.event_id.clone())
        .collect();
    let sent = reader.say(room, command).await;
    reader
        .wait_for(room, bot, |m| {
            replies_to(m, &sent)
                || (matches!(m.content.msgtype, MessageType::File(_))
                    && !earlier.contains(&m.event_id))
        })
        .await
}

/// What a reader sees of an answer: its body and, for a file, the file's text too.
async fn seen_text(reader: &Reader, answer: &OriginalSyncRoomMessageEvent) -> String {
    let mut text = answer.content.body().to_owned();
    if let MessageType::File(file) = &answer.content.msgtype {
        let bytes = reader
            .client
            .media()
            .get_file(file, false)
            .await
            .unwrap()
            .expect("the export has a file");
        text.push('\n');
        text.push_str(&String::from_utf8(bytes).unwrap());
    }
    text
}

/// A recorded message as the operator sees it (all communities).
async fn recorded(store: &Store, event: &EventId) -> readingroom::store::StoredMessage {
    store
        .message_by_platform_id(Scope::Operator, "matrix", event.as_str())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{event} is not recorded"))
}

#[tokio::test]
async fn a_second_room_with_another_creator_sees_nothing_of_the_first() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let bot = world.bot_id();
    let room_a = world.room.clone();
    // Room A: a discussion with Alice's take, pinned by Alice (the creator, so a moderator).
    let take_text = "Lamp oil is the secret ingredient of silence.";
    let note = "the lamp-oil theory";
    let card = world.ask("!discuss 1").await;
    let take = world
        .alice
        .send(&room_a, in_thread(&card.event_id, take_text))
        .await;
    let pinned = world.ask_reply(&take, &format!("!pin {note}")).await;
    assert!(
        pinned.content.body().starts_with("Pinned message"),
        "{}",
        pinned.content.body()
    );
    let row = recorded(world.store(), &take).await;
    // Room A itself sees all of it, so the checks in B below are not vacuous.
    let pins_a = world.ask("!pins").await;
    assert!(
        pins_a.content.body().contains(take_text),
        "{}",
        pins_a.content.body()
    );
    let preview_a = world.ask("!digest preview").await;
    assert!(
        preview_a.content.body().contains(take_text),
        "{}",
        preview_a.content.body()
    );

    // Room B: created by Carol, who has never been in room A.
    let mut carol = Reader::login(&world.hs, "carol").await;
    let room_b = carol.create_room(&[&bot], false).await;
    carol.wait_joined(&room_b, &bot).await;
    let secrets = [take_text, note, "alice", take.as_str()];
    for command in ["!export 1", "!pins", "!article 1", "!digest preview"] {
        let answer = ask_in(&mut carol, &room_b, &bot, command).await;
        let text = seen_text(&carol, &answer).await;
        for secret in secrets {
            assert!(
                !text.to_lowercase().contains(&secret.to_lowercase()),
                "{command} in room B shows {secret:?} of room A:\n{text}"
            );
        }
        if command == "!article 1" {
            // The operator's library article is there; only A's commentary is not.
            assert!(text.starts_with("Quiet Rooms"), "{text}");
        }
    }
    // Carol moderates B, yet A's recorded message is not hers to pin or unpin.
    for command in [
        format!("!pin #{} mine now", row.id),
        format!("!unpin #{}", row.id),
    ] {
        let answer = ask_in(&mut carol, &room_b, &bot, &command).await;
        assert!(
            answer
                .content
                .body()
                .contains("is not part of a recorded discussion"),
            "{command}: {}",
            answer.content.body()
        );
    }
    let pins = world.store().pins(Scope::Operator, None, 10).await.unwrap();
    assert_eq!(pins.len(), 1, "A's pin is untouched and B has none");
    assert_eq!(pins[0].note.as_deref(), Some(note));
}

#[tokio::test]
async fn an_edit_by_another_user_and_a_redaction_from_another_room_are_not_applied() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let bot = world.bot_id();
    let room_a = world.room.clone();
    let original = "Silence is a shared agreement, not a rule.";
    let card = world.ask("!discuss 1").await;
    let take = world
        .alice
        .send(&room_a, in_thread(&card.event_id, original))
        .await;

    // Bob, a reader of room A, "edits" Alice's message.
    let mut bob = Reader::login(&world.hs, "bob").await;
    world.alice.invite(&room_a, bob.user_id()).await;
    let bob_a = bob.join(&room_a).await;
    bob.send(&bob_a, edit(&take, "Bob put words in Alice's mouth."))
        .await;
    // The bot handles a room's events in order: once this is answered, the edit was seen.
    world.ask("!pins").await;
    let row = recorded(world.store(), &take).await;
    assert_eq!(
        row.body.as_deref(),
        Some(original),
        "Bob's edit was applied"
    );
    assert!(row.edited_at.is_none());

    // Carol moderates room B, where she may redact anything, and names A's event there.
    let mut carol = Reader::login(&world.hs, "carol").await;
    let room_b = carol.create_room(&[&bot], false).await;
    carol.wait_joined(&room_b, &bot).await;
    let redaction = carol
        .client
        .get_room(room_b.room_id())
        .unwrap()
        .redact(&take, Some("not yours"), None)
        .await;
    match redaction {
        Ok(_) => {
            // Room B's events in order too: the answer comes after the redaction was seen.
            ask_in(&mut carol, &room_b, &bot, "!pins").await;
        }
        Err(error) => {
            // The homeserver refused it; the adapter passes the room it came from to the core,
            // so check that the core refuses such a change.
            eprintln!(
                "Synapse refused a redaction naming another room's event ({error}); checking the core"
            );
            let applied = Bot::new(world.store().clone(), Arc::new(SystemClock))
                .message_changed(readingroom::bot::Changed {
                    platform: readingroom::bot::Platform::Matrix,
                    community: room_b.room_id().as_str(),
                    thread: None,
                    id: take.as_str(),
                    sender: Some(carol.user_id().as_str()),
                    change: readingroom::bot::Change::Delete,
                    at: chrono::Utc::now(),
                })
                .await
                .unwrap();
            assert!(!applied, "a redaction from room B was applied in room A");
        }
    }
    let row = recorded(world.store(), &take).await;
    assert_eq!(
        row.body.as_deref(),
        Some(original),
        "a redaction from another room removed the text"
    );
    assert!(row.deleted_at.is_none());

    // Alice's own edit does apply: the refusals above are not the bot ignoring edits.
    world
        .alice
        .send(&room_a, edit(&take, "Silence is a shared agreement."))
        .await;
    world.ask("!pins").await;
    let row = recorded(world.store(), &take).await;
    assert_eq!(row.body.as_deref(), Some("Silence is a shared agreement."));
}

#[tokio::test]
async fn an_invite_from_outside_the_allowed_servers_is_declined() {
    let Some(hs) = Synapse::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bot_account = hs.register("readingroom", "bot-password").await;
    // Alice is on the bot's own server, which an unset list would let in (every other test's
    // World relies on that); a list naming only another server keeps her out.
    let setup = Setup {
        allowed_servers: vec!["elsewhere.example".into()],
        ..Setup::default()
    };
    let running = start_bot_with(&hs, &bot_account, dir.path(), setup).await;
    let mut alice = Reader::login(&hs, "alice").await;
    let room = alice.create_room(&[&bot_account.user_id], false).await;
    let bot_id = UserId::parse(&bot_account.user_id).unwrap();
    let started = Instant::now();
    loop {
        alice.sync().await;
        let member = alice
            .client
            .get_room(room.room_id())
            .unwrap()
            .get_member(&bot_id)
            .await
            .unwrap();
        match member.as_ref().map(|m| m.membership()) {
            Some(MembershipState::Leave) => break,
            Some(MembershipState::Join) => panic!("the bot joined on an invite it should decline"),
            _ => {}
        }
        assert!(
            started.elapsed() < WAIT,
            "the bot never declined the invite"
        );
    }
    running.shutdown().await;
}

#[test]
fn who_may_invite_the_bot() {
    let config = |servers: &[&str], users: &[&str]| MatrixConfig {
        homeserver: "https://home.example".into(),
        user: "@readingroom:home.example".into(),
        auth: MatrixAuth::Password(String::from("p").into()),
        store_dir: "unused".into(),
        store_passphrase: None,
        prefix: "!".into(),
        moderator_level: 50,
        allowed_servers: servers.iter().map(|s| s.to_string()).collect(),
        allowed_users: users.iter().map(|s| s.to_string()).collect(),
        max_command_age: Duration::from_secs(3600),
        key_wait: Duration::from_secs(600),
        catch_up: Default::default(),
    };
    let me = UserId::parse("@readingroom:home.example").unwrap();
    let home = UserId::parse("@ann:home.example").unwrap();
    let other = UserId::parse("@ann:other.example").unwrap();
    let friend = UserId::parse("@fred:third.example").unwrap();
    let may = |config: &MatrixConfig, who: Option<&UserId>| {
        readingroom::platform::matrix::may_invite(config, &me, who)
    };

    let unset = config(&[], &[]);
    assert!(may(&unset, Some(&home)), "the bot's own server by default");
    assert!(!may(&unset, Some(&other)) && !may(&unset, None));

    let servers = config(&["other.example"], &[]);
    assert!(may(&servers, Some(&other)));
    assert!(!may(&servers, Some(&home)), "a list replaces the default");
    assert!(!may(&servers, Some(&friend)));

    let users = config(&["other.example"], &["@fred:third.example"]);
    assert!(may(&users, Some(&friend)) && may(&users, Some(&other)));
    let stranger = UserId::parse("@eve:third.example").unwrap();
    assert!(!may(&users, Some(&stranger)));

    for anyone in [config(&["*"], &[]), config(&[], &["*"])] {
        assert!(may(&anyone, Some(&other)) && may(&anyone, Some(&friend)));
        assert!(may(&anyone, None));
    }
}

#[tokio::test]
async fn a_kicked_bot_purges_the_room_and_a_new_invite_brings_it_back() {
    // No grace period: being kicked purges the room's data at once.
    let setup = Setup {
        limits: Some(CommunityLimits {
            purge_after: chrono::Duration::zero(),
            ..CommunityLimits::default()
        }),
        ..Setup::default()
    };
    let Some(mut world) = World::with(false, setup).await else {
        return;
    };
    let bot = world.bot_id();
    let bot_id = UserId::parse(&bot).unwrap();
    let room = world.room.clone();
    let card = world.ask("!discuss 1").await;
    let take = world
        .alice
        .send(
            &room,
            in_thread(&card.event_id, "Kept until the bot is sent away."),
        )
        .await;
    world.ask("!pins").await;
    let store = world.store().clone();
    let community = format!("matrix:{}", room.room_id());
    assert!(store.find_community(&community).await.unwrap().is_some());
    recorded(&store, &take).await;

    world
        .alice
        .client
        .get_room(room.room_id())
        .unwrap()
        .kick_user(&bot_id, Some("testing the purge"))
        .await
        .unwrap();
    let started = Instant::now();
    while store.find_community(&community).await.unwrap().is_some() {
        assert!(
            started.elapsed() < WAIT,
            "the kick never marked the room left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        store
            .message_by_platform_id(Scope::Operator, "matrix", take.as_str())
            .await
            .unwrap()
            .is_none(),
        "the room's messages were purged with it"
    );
    assert!(
        store
            .discussion_by_thread("matrix", card.event_id.as_str(), None)
            .await
            .unwrap()
            .is_none()
    );

    // Invited again, it joins and the room is a community again (an empty one).
    world.alice.invite(&room, &bot_id).await;
    world.alice.wait_joined(&room, &bot).await;
    let started = Instant::now();
    while store.find_community(&community).await.unwrap().is_none() {
        assert!(
            started.elapsed() < WAIT,
            "the join did not bring the room back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pins = world.ask("!pins").await;
    assert!(
        !pins.content.body().contains("Kept until"),
        "{}",
        pins.content.body()
    );
}

#[tokio::test]
async fn a_kicked_bot_keeps_the_room_for_the_grace_period_and_a_rejoin_keeps_it() {
    // The default grace period (30 days).
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let bot = world.bot_id();
    let bot_id = UserId::parse(&bot).unwrap();
    let room = world.room.clone();
    let card = world.ask("!discuss 1").await;
    let take = world
        .alice
        .send(
            &room,
            in_thread(&card.event_id, "Still here after the kick."),
        )
        .await;
    world.ask("!pins").await;
    let store = world.store().clone();
    let room_id = room.room_id().as_str();
    assert_eq!(
        store.community_left_at("matrix", room_id).await.unwrap(),
        None
    );

    world
        .alice
        .client
        .get_room(room.room_id())
        .unwrap()
        .kick_user(&bot_id, None)
        .await
        .unwrap();
    let started = Instant::now();
    while store
        .community_left_at("matrix", room_id)
        .await
        .unwrap()
        .is_none()
    {
        assert!(
            started.elapsed() < WAIT,
            "the kick never marked the room left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    recorded(&store, &take).await;

    // Back within the grace period: the mark goes, the discussion and its message stay, and a
    // purge as late as the grace period allows finds nothing to delete.
    world.alice.invite(&room, &bot_id).await;
    world.alice.wait_joined(&room, &bot).await;
    let started = Instant::now();
    while store
        .community_left_at("matrix", room_id)
        .await
        .unwrap()
        .is_some()
    {
        assert!(
            started.elapsed() < WAIT,
            "the join did not call the purge off"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let later = chrono::Utc::now() + chrono::Duration::days(31);
    let purged = Bot::new(store.clone(), Arc::new(SystemClock))
        .purge(later)
        .await
        .unwrap();
    assert_eq!(purged, 0);
    assert_eq!(
        recorded(&store, &take).await.body.as_deref(),
        Some("Still here after the kick.")
    );
    let export = ask_in(&mut world.alice, &room, &bot, "!export 1").await;
    let text = seen_text(&world.alice, &export).await;
    assert!(text.contains("Still here after the kick."), "{text}");
}

#[tokio::test]
async fn forget_me_asks_then_forgets_the_reader_here() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let card = world.ask("!discuss 1").await;
    let root = card.event_id.clone();
    let room = world.room.clone();
    let take = world
        .alice
        .send(&room, in_thread(&root, "A take I would rather forget."))
        .await;
    let store = world.store().clone();
    wait_recorded(&store, &take).await;
    let asked = world.ask("!forget-me").await;
    assert!(
        asked.content.body().contains("!forget-me confirm"),
        "{}",
        asked.content.body()
    );
    assert!(
        store
            .message_by_platform_id(Scope::Operator, "matrix", take.as_str())
            .await
            .unwrap()
            .unwrap()
            .body
            .is_some(),
        "nothing is forgotten before the confirmation"
    );
    let done = world.ask("!forget-me confirm").await;
    assert!(
        done.content.body().contains("Done: 1 message forgotten."),
        "{}",
        done.content.body()
    );
    let row = recorded(&store, &take).await;
    assert_eq!(row.body, None);
    assert_eq!(row.author_id, "");
    assert_eq!(row.author_name, readingroom::store::FORGOTTEN);
}

impl Reader {
    /// A room in which only its creator may send messages (`events_default: 100`): the bot is
    /// invited and joins, but may not post.
    async fn create_muted_room(&mut self, invite: &[&str]) -> Room {
        let mut request = CreateRoom::new();
        request.invite = invite.iter().map(|u| UserId::parse(*u).unwrap()).collect();
        request.power_level_content_override = Some(
            matrix_sdk::ruma::serde::Raw::new(&serde_json::json!({ "events_default": 100 }))
                .unwrap()
                .cast_unchecked(),
        );
        let room = self.client.create_room(request).await.unwrap();
        self.sync().await;
        room
    }
}

impl World {
    /// Alice stops sharing room keys with the bot's device and starts a new key session: what
    /// she sends next reaches the bot undecryptable.
    async fn withhold_keys_from_bot(&mut self) {
        // A first exchange, so Alice knows the bot's device.
        self.ask("!help").await;
        let adapter = &self.bot.as_ref().unwrap().adapter;
        let device = adapter.client().device_id().unwrap().to_owned();
        let bot = UserId::parse(self.bot_id()).unwrap();
        let encryption = self.alice.client.encryption();
        encryption
            .get_device(&bot, &device)
            .await
            .unwrap()
            .expect("Alice knows the bot's device")
            .set_local_trust(matrix_sdk::encryption::LocalTrust::BlackListed)
            .await
            .unwrap();
        let room = self.alice.client.get_room(self.room.room_id()).unwrap();
        room.discard_room_key().await.unwrap();
    }
}

/// The events of a room's community the bot gave up on.
async fn failures(store: &Store, room: &Room) -> readingroom::store::Failures {
    let Some(community) = store
        .find_community(&format!("matrix:{}", room.room_id()))
        .await
        .unwrap()
    else {
        return readingroom::store::Failures::default();
    };
    let since = chrono::Utc::now() - chrono::Duration::days(1);
    store.failures(community.id, since).await.unwrap()
}

/// Waits for the bot's answer to `asked`, which must come within five seconds of `since`;
/// returns how long it took.
async fn answered_soon(
    reader: &mut Reader,
    room: &Room,
    bot: &str,
    asked: &EventId,
    since: Instant,
) -> Duration {
    reader.wait_for(room, bot, |m| replies_to(m, asked)).await;
    let took = since.elapsed();
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    took
}

/// Waits until the bot has given up on `count` events of the room.
async fn wait_failures(store: &Store, room: &Room, count: i64) -> readingroom::store::Failures {
    let started = Instant::now();
    loop {
        let seen = failures(store, room).await;
        if seen.count >= count {
            return seen;
        }
        assert!(
            started.elapsed() < WAIT,
            "{count} failures never recorded: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_room_where_the_bot_may_not_post_holds_up_no_other_room() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let bot = world.bot_id();
    let muted = world.alice.create_muted_room(&[&bot]).await;
    world.alice.wait_joined(&muted, &bot).await;
    let open = world.room.clone();

    // Live: the command in the muted room fails; the other room is answered meanwhile.
    world.alice.say(&muted, "!help").await;
    let asked = world.alice.say(&open, "!article 1").await;
    let live = answered_soon(&mut world.alice, &open, &bot, &asked, Instant::now()).await;
    let store = world.store().clone();
    let failed = wait_failures(&store, &muted, 1).await;
    assert_eq!(
        failed.latest.as_ref().unwrap().0,
        "the room does not let the bot post"
    );

    // Stopped with commands waiting in both rooms: the restarted bot answers the open room
    // and gives up on the muted one's command without holding up the rest.
    world.bot.take().unwrap().shutdown().await;
    world.alice.say(&muted, "!pins").await;
    let asked = world.alice.say(&open, "!search lamps").await;
    let restarted = Instant::now();
    world.bot = Some(start_bot(&world.hs, &world.bot_account, world.dir.path()).await);
    let after_restart = answered_soon(&mut world.alice, &open, &bot, &asked, restarted).await;
    let store = world.store().clone();
    wait_failures(&store, &muted, 2).await;

    // Let the bot post there: a moderator sees what was given up on in /stats.
    let room = world.alice.client.get_room(muted.room_id()).unwrap();
    room.update_power_levels(vec![(UserId::parse(&bot).unwrap().as_ref(), 100.into())])
        .await
        .unwrap();
    let stats = ask_in(&mut world.alice, &muted, &bot, "!stats").await;
    assert!(
        stats
            .content
            .body()
            .contains("2 events could not be handled in the last 30 days; the latest")
            && stats
                .content
                .body()
                .contains("the room does not let the bot post."),
        "{}",
        stats.content.body()
    );

    // Nothing given up on is tried again after another restart, and nothing is answered twice.
    world.bot.take().unwrap().shutdown().await;
    world.bot = Some(start_bot(&world.hs, &world.bot_account, world.dir.path()).await);
    world.ask("!pins").await;
    assert_eq!(failures(world.store(), &muted).await.count, 2);
    let answers_in_muted = world
        .alice
        .count(&muted, &bot, Duration::from_secs(1), |_| true)
        .await;
    assert_eq!(answers_in_muted, 1, "only the /stats answer");
    assert_eq!(
        world
            .alice
            .count(&open, &bot, Duration::ZERO, |m| replies_to(m, &asked))
            .await,
        1
    );
    eprintln!(
        "poison room: the other room answered in {} ms live and {} ms after a restart with commands waiting; 2 commands given up in the muted room",
        live.as_millis(),
        after_restart.as_millis()
    );
}

#[tokio::test]
async fn a_reply_over_the_event_size_limit_is_shortened_not_lost() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    // An author's summary of about 100 KiB: the whole of it is the reply to /summary.
    let words = [
        "the",
        "council",
        "heard",
        "residents",
        "speak",
        "about",
        "library",
        "budget",
        "hours",
    ];
    let mut text = String::from("# The Longest Summary\n\nBy A Reporter\n\n## Summary\n\n");
    for paragraph in 0..60 {
        for sentence in 0..8 {
            let words: Vec<&str> = (0..40)
                .map(|i| words[(paragraph * 7 + sentence * 3 + i * i) % words.len()])
                .collect();
            text.push_str(&format!(
                "Sentence {paragraph}-{sentence}: {}. ",
                words.join(" ")
            ));
        }
        text.push_str("\n\n");
    }
    text.push_str("## The story\n\nThe council met on Tuesday. It heard residents.\n");
    assert!(text.len() > 100 * 1024);
    let id = Bot::new(world.store().clone(), Arc::new(SystemClock))
        .ingest(&text, None)
        .await
        .unwrap()
        .0
        .id();
    let answer = world.ask(&format!("!summary {}", id.0)).await;
    let body = answer.content.body();
    assert!(
        body.starts_with("The author's summary: The Longest Summary"),
        "{body}"
    );
    assert!(body.contains("Sentence 0-0: "), "{body}");
    assert!(
        body.contains(readingroom::platform::matrix::SHORTENED),
        "{body}"
    );
    let size = serde_json::to_vec(&answer.content).unwrap().len();
    assert!(size < 64 * 1024, "{size} bytes");
}

#[tokio::test]
async fn an_encrypted_command_waits_for_its_key_and_is_answered_once() {
    let Some(mut world) = World::new(true).await else {
        return;
    };
    world.withhold_keys_from_bot().await;
    let bot = world.bot_id();
    let room = world.room.clone();
    let command = world.alice.say(&room, "!summary 1 1").await;
    let store = world.store().clone();
    let started = Instant::now();
    while store.waiting("matrix", None).await.unwrap().is_empty() {
        assert!(
            started.elapsed() < WAIT,
            "the command never waited for its key"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        world
            .alice
            .count(&room, &bot, Duration::from_secs(1), |m| replies_to(
                m, &command
            ))
            .await,
        0,
        "not answered without its key"
    );
    assert!(!store.was_handled("matrix", command.as_str()).await.unwrap());

    // The key arrives (here by import, as from a key backup): the command is answered.
    let keys = world.dir.path().join("alice-keys.txt");
    let room_id = world.room.room_id().to_owned();
    world
        .alice
        .client
        .encryption()
        .export_room_keys(keys.clone(), "passphrase", |s| s.room_id() == room_id)
        .await
        .unwrap();
    world
        .bot
        .as_ref()
        .unwrap()
        .adapter
        .client()
        .encryption()
        .import_room_keys(keys, "passphrase")
        .await
        .unwrap();
    let answer = world
        .alice
        .wait_for(&room, &bot, |m| replies_to(m, &command))
        .await;
    assert!(
        answer.content.body().starts_with("Summary: Quiet Rooms"),
        "{}",
        answer.content.body()
    );

    // Once only, also after a restart.
    world.bot.take().unwrap().shutdown().await;
    world.bot = Some(start_bot(&world.hs, &world.bot_account, world.dir.path()).await);
    world.ask("!pins").await;
    assert_eq!(
        world
            .alice
            .count(&room, &bot, Duration::from_secs(1), |m| replies_to(
                m, &command
            ))
            .await,
        1
    );
    assert!(
        world
            .store()
            .waiting("matrix", None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_encrypted_event_whose_key_never_comes_is_given_up_with_a_reason() {
    let setup = Setup {
        key_wait: Some(Duration::from_secs(1)),
        ..Setup::default()
    };
    let Some(mut world) = World::with(true, setup).await else {
        return;
    };
    world.withhold_keys_from_bot().await;
    let bot = world.bot_id();
    let room = world.room.clone();
    let command = world.alice.say(&room, "!summary 1 1").await;
    let store = world.store().clone();
    // The bot checks on waiting events after each sync; later messages make syncs return.
    let started = Instant::now();
    let failed = loop {
        let seen = failures(&store, &room).await;
        if seen.count >= 1 {
            break seen;
        }
        assert!(started.elapsed() < WAIT, "never given up");
        world.alice.say(&room, "still there?").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(
        failed.latest.unwrap().0,
        "it stayed encrypted: no key to read it reached the bot in time"
    );
    assert!(store.was_handled("matrix", command.as_str()).await.unwrap());
    assert_eq!(
        world
            .alice
            .count(&room, &bot, Duration::from_secs(1), |m| replies_to(
                m, &command
            ))
            .await,
        0
    );
}

#[tokio::test]
async fn a_slow_command_in_one_room_holds_up_no_other_room() {
    let setup = Setup {
        fetch_loopback: true,
        ..Setup::default()
    };
    let Some(mut world) = World::with(false, setup).await else {
        return;
    };
    // A site that takes six seconds to answer.
    let app = axum::Router::new().route(
        "/slow",
        axum::routing::get(|| async {
            tokio::time::sleep(Duration::from_secs(6)).await;
            let paragraphs: String = [
                "The council met on Tuesday evening and heard residents speak about the library budget for the coming year.",
                "Several readers asked that the reading room stay open late on Thursdays, when the school day is over.",
                "The librarian said the lamps in the east wing had been replaced and the heating repaired over the summer.",
                "A member of the council proposed moving the newspaper archive to the ground floor, where it is easier to reach.",
                "After an hour of discussion the council agreed to keep the reading room open until nine on Thursdays.",
                "The decision takes effect next month, and the council will review the opening hours again in the spring.",
            ]
            .iter()
            .map(|p| format!("<p>{p}</p>"))
            .collect();
            axum::response::Html(format!(
                "<html><head><title>Slow News</title></head><body><article><h1>Slow News</h1>{paragraphs}</article></body></html>"
            ))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}/slow", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let bot = world.bot_id();
    let other = world.alice.create_room(&[&bot], false).await;
    world.alice.wait_joined(&other, &bot).await;
    let slow_room = world.room.clone();
    let started = Instant::now();
    let slow = world
        .alice
        .say(&slow_room, &format!("!ingest {site}"))
        .await;
    let quick = world.alice.say(&other, "!article 1").await;
    answered_soon(&mut world.alice, &other, &bot, &quick, started).await;
    let ingested = world
        .alice
        .wait_for(&slow_room, &bot, |m| replies_to(m, &slow))
        .await;
    assert!(started.elapsed() >= Duration::from_secs(6));
    assert!(
        ingested.content.body().contains("Slow News"),
        "{}",
        ingested.content.body()
    );
}

/// Waits until `event` is recorded, and returns its row.
async fn wait_recorded(store: &Store, event: &EventId) -> readingroom::store::StoredMessage {
    let started = Instant::now();
    loop {
        if let Some(row) = store
            .message_by_platform_id(Scope::Operator, "matrix", event.as_str())
            .await
            .unwrap()
        {
            return row;
        }
        assert!(started.elapsed() < WAIT * 4, "{event} was never recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn what_was_said_while_the_bot_was_away_is_caught_up() {
    let Some(mut world) = World::new(false).await else {
        return;
    };
    let card = world.ask("!discuss 1").await;
    let root = card.event_id.clone();
    let room = world.room.clone();
    let kept = world
        .alice
        .send(&room, in_thread(&root, "Before the stop, to edit."))
        .await;
    let gone = world
        .alice
        .send(&room, in_thread(&root, "Before the stop, to redact."))
        .await;
    let store = world.store().clone();
    wait_recorded(&store, &kept).await;
    wait_recorded(&store, &gone).await;
    world.bot.take().unwrap().shutdown().await;

    // While the bot is away: more thread messages than one sync shows (Synapse gives at most
    // 100 per room), every tenth a reply to the one before, an edit and a redaction.
    let mut posted: Vec<OwnedEventId> = Vec::new();
    for i in 0..250 {
        let text = format!("Said while away, number {i}.");
        let content = match posted.last() {
            Some(parent) if i % 10 == 9 => reply_in_thread(&root, parent, &text),
            _ => in_thread(&root, &text),
        };
        posted.push(world.alice.send(&room, content).await);
    }
    world
        .alice
        .send(&room, edit(&kept, "Edited while the bot was away."))
        .await;
    world
        .alice
        .client
        .get_room(room.room_id())
        .unwrap()
        .redact(&gone, None, None)
        .await
        .unwrap();

    let started = Instant::now();
    world.bot = Some(start_bot(&world.hs, &world.bot_account, world.dir.path()).await);
    // Live messages while the catch-up runs: each is recorded once too.
    let mut live = Vec::new();
    for i in 0..20 {
        let text = format!("Said during the catch-up, number {i}.");
        live.push(world.alice.send(&room, in_thread(&root, &text)).await);
    }
    let store = world.store().clone();
    let mut rows = Vec::new();
    for event in &posted {
        rows.push(wait_recorded(&store, event).await);
    }
    for event in &live {
        wait_recorded(&store, event).await;
    }
    let edited_row = loop {
        let row = wait_recorded(&store, &kept).await;
        let gone_row = wait_recorded(&store, &gone).await;
        if row.edited_at.is_some() && gone_row.body.is_none() {
            break row;
        }
        assert!(
            started.elapsed() < WAIT * 4,
            "edit or redaction not applied"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = started.elapsed();
    assert_eq!(
        edited_row.body.as_deref(),
        Some("Edited while the bot was away.")
    );
    assert!(
        rows.windows(2).all(|pair| pair[0].id < pair[1].id),
        "recorded in the order posted"
    );
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(
            row.body.as_deref(),
            Some(format!("Said while away, number {i}.").as_str())
        );
        let parent = (i % 10 == 9).then(|| posted[i - 1].to_string());
        assert_eq!(row.reply_to, parent, "message {i}");
    }

    // Another restart records nothing twice.
    world.bot.take().unwrap().shutdown().await;
    world.bot = Some(start_bot(&world.hs, &world.bot_account, world.dir.path()).await);
    world.ask("!pins").await;
    let store = world.store().clone();
    let totals = store.totals(Scope::Operator).await.unwrap();
    assert_eq!(totals.messages + totals.deleted_messages, 2 + 250 + 20);
    // What the sync's own window did not show was caught up, and /stats says so.
    let stats = world.ask("!stats").await;
    let line = stats.content.body();
    let caught: u64 = line
        .split("Last catch-up ")
        .nth(1)
        .and_then(|rest| rest.split("): ").nth(1))
        .and_then(|counts| counts.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no catch-up in {line}"));
    assert!(caught > 100 && caught <= 250, "{line}");
    eprintln!("{line}");
    eprintln!(
        "catch-up (matrix): posted while away 250, recorded {}, edited 1, deleted 1, live during it 20 recorded, duplicates {}, took {:.2} s from the start",
        rows.len(),
        totals.messages + totals.deleted_messages - 272,
        took.as_secs_f64()
    );
}

/// Seconds of the Matrix lease in `matrix_moves_to_another_process_when_its_lease_holder_dies`.
const LEASE_SECS: u64 = 4;

/// Two `readingroom run` processes on one PostgreSQL, configured for the same Matrix account:
/// only the holder of the Matrix lease answers. SIGKILLed, it stops renewing; the other takes
/// the lease over when it lapses, resumes from the shared sync token and answers what was asked
/// meanwhile, once.
#[tokio::test]
async fn matrix_moves_to_another_process_when_its_lease_holder_dies() {
    let Some(hs) = Synapse::start().await else {
        return;
    };
    let url = common::postgres::cluster().database().await;
    let store = Store::open(&url).await.unwrap();
    Bot::new(store.clone(), Arc::new(SystemClock))
        .ingest(&common::fixture("reading-room-fixture.md"), None)
        .await
        .unwrap();
    let account = hs.register("readingroom", "bot-password").await;
    let dir = tempfile::tempdir().unwrap();
    let start = |n: usize| {
        let mut run = bin::readingroom()
            .arg("--db")
            .arg(&url)
            .env("RUST_LOG", "error")
            .env("READINGROOM_LEASE_SECS", &LEASE_SECS.to_string())
            .env("MATRIX_HOMESERVER", &hs.url)
            .env("MATRIX_USER", &account.user_id)
            .env("MATRIX_PASSWORD", &account.password)
            .env(
                "MATRIX_STORE_DIR",
                dir.path().join(format!("matrix-{n}")).to_str().unwrap(),
            )
            .spawn();
        // Standard input stays open (and unused) for as long as the process runs.
        let stdin = run.stdin();
        (run, stdin)
    };
    let (mut first, _first_in) = start(1);
    let started = Instant::now();
    while store.state("matrix", "sync_token").await.unwrap().is_none() {
        assert!(started.elapsed() < WAIT, "the first process never synced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut alice = Reader::login(&hs, "alice").await;
    let room = alice.create_room(&[&account.user_id], false).await;
    alice.wait_joined(&room, &account.user_id).await;
    let bot = account.user_id.clone();
    let asked = alice.say(&room, "!help").await;
    alice.wait_for(&room, &bot, |m| replies_to(m, &asked)).await;

    // A second process waits for the lease and answers nothing meanwhile.
    let (_second, _second_in) = start(2);
    tokio::time::sleep(Duration::from_secs(LEASE_SECS)).await;
    let asked = alice.say(&room, "!pins").await;
    alice.wait_for(&room, &bot, |m| replies_to(m, &asked)).await;
    let settle = Duration::from_secs(2);
    assert_eq!(
        alice
            .count(&room, &bot, settle, |m| replies_to(m, &asked))
            .await,
        1,
        "one answer while the first holds the lease"
    );

    first.kill();
    let killed = Instant::now();
    let asked = alice.say(&room, "!summary 1 1").await;
    let answer = alice.wait_for(&room, &bot, |m| replies_to(m, &asked)).await;
    let took = killed.elapsed();
    assert!(
        answer.content.body().starts_with("Summary: Quiet Rooms"),
        "{}",
        answer.content.body()
    );
    // The lease lapses at most LEASE_SECS after the last renewal, the second process looks
    // every third of that, then logs in and syncs: a few seconds more.
    assert!(
        took < Duration::from_secs(2 * LEASE_SECS + 5),
        "answered {took:?} after the kill"
    );
    assert_eq!(
        alice
            .count(&room, &bot, settle, |m| replies_to(m, &asked))
            .await,
        1,
        "answered once"
    );
    eprintln!(
        "matrix lease: taken over and answered {took:.1?} after the holder was killed (lease {LEASE_SECS} s)"
    );
    store.close().await;
}
