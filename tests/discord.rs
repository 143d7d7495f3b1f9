//! The Discord adapter through the real, unmodified serenity client, against a Discord-shaped
//! server on loopback (REST and a websocket gateway built from Discord's documented payloads):
//! registration, slash commands, autocomplete, buttons, threads, recording, moderation, mention
//! safety, retries, deferred replies, files, the signed HTTP interactions endpoint, and two
//! guilds that see nothing of each other, with the purge of a guild the bot was removed from.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

mod common;
#[path = "common/discord/mod.rs"]
mod discord;

use std::sync::Arc;
use std::time::Duration;

use discord::{FakeDiscord, Recorded};
use ed25519_dalek::{Signer, SigningKey};
use readingroom::bot::{Bot, CommunityLimits};
use readingroom::clock::SystemClock;
use readingroom::config::{CatchUpLimits, DiscordConfig};
use readingroom::platform::discord::{DiscordCore, endpoint, http_client};
use readingroom::store::{CatchUpRecord, Scope, Store, StoredMessage, Totals};
use serde_json::{Value, json};
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(15);

struct World {
    fake: FakeDiscord,
    store: Store,
    /// The running bot (it shares its store and limits with clones).
    bot: Bot,
    stop: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

fn config(fake: &FakeDiscord) -> DiscordConfig {
    config_for(fake, Some(FakeDiscord::GUILD_ID))
}

/// The settings with commands registered in `guild`, or globally (for every guild) if `None`.
fn config_for(fake: &FakeDiscord, guild: Option<u64>) -> DiscordConfig {
    DiscordConfig {
        token: FakeDiscord::TOKEN.to_owned().into(),
        guild_id: guild,
        api_base: Some(fake.base_url()),
        moderator_role: None,
        interactions: None,
        catch_up: CatchUpLimits::default(),
        shards: None,
    }
}

/// A bot over a fresh database in `dir` that holds the fixture article as #1.
async fn bot_with_fixture(dir: &tempfile::TempDir) -> (Store, Bot) {
    let store = Store::open(dir.path().join("rr.db").to_str().unwrap())
        .await
        .unwrap();
    // The slow page some tests ingest is served on loopback, which the operator must allow.
    let options = readingroom::sources::web::FetchOptions {
        reach: readingroom::sources::reach::Reach::Public(vec!["127.0.0.1".parse().unwrap()]),
        ..Default::default()
    };
    let bot = Bot::with_fetcher(store.clone(), Arc::new(SystemClock), options);
    bot.ingest(&common::fixture("reading-room-fixture.md"), None)
        .await
        .unwrap();
    (store, bot)
}

impl World {
    async fn new() -> World {
        World::start(CommunityLimits::default(), Some(FakeDiscord::GUILD_ID)).await
    }

    /// A bot with these limits whose commands are registered globally, so both guilds have
    /// them (registered in one guild, the other would have none).
    async fn two_guilds(limits: CommunityLimits) -> World {
        World::start(limits, None).await
    }

    async fn start(limits: CommunityLimits, guild: Option<u64>) -> World {
        let fake = FakeDiscord::start().await;
        let dir = tempfile::tempdir().unwrap();
        let (store, bot) = bot_with_fixture(&dir).await;
        // The reader runs through every command in some tests; rate limits have their own.
        let bot = bot
            .with_rate_limit(30, Duration::from_secs(60))
            .with_community_limits(limits);
        let (stop, shutdown) = watch::channel(false);
        tokio::spawn(readingroom::platform::discord::run(
            bot.clone(),
            config_for(&fake, guild),
            shutdown,
        ));
        fake.wait_ready(WAIT).await;
        fake.wait_for_request(|r| r.method == "PUT" && r.path.ends_with("/commands"), WAIT)
            .await;
        World {
            fake,
            store,
            bot,
            stop,
            _dir: dir,
        }
    }

    /// Dispatches an interaction and returns the bot's (successful) callback for it.
    async fn interact(&self, interaction: Value) -> Recorded {
        let id = interaction["id"].as_str().unwrap().to_owned();
        assert!(self.fake.dispatch("INTERACTION_CREATE", interaction).await);
        self.fake
            .wait_for_request(
                |r| r.path.starts_with(&format!("/interactions/{id}/")) && r.succeeded(),
                WAIT,
            )
            .await
    }

    /// `/discuss 1` as the reader; returns the thread the bot opened.
    async fn discuss(&self) -> u64 {
        self.discuss_in(FakeDiscord::CHANNEL_ID).await
    }

    /// `/discuss 1` as the reader in `channel`; returns the thread the bot opened there.
    async fn discuss_in(&self, channel: u64) -> u64 {
        self.slash_in(
            channel,
            "discuss",
            json!({"article": "1"}),
            FakeDiscord::READER_ID,
        )
        .await;
        let prefix = format!("/channels/{channel}/");
        let request = self
            .fake
            .wait_for_request(
                |r| {
                    r.method == "POST"
                        && r.path.starts_with(&prefix)
                        && r.path.ends_with("/threads")
                },
                WAIT,
            )
            .await;
        request.response["id"].as_str().unwrap().parse().unwrap()
    }

    /// Posts a message in a thread and waits until the bot recorded it; returns the message.
    async fn post_recorded(&self, thread: u64, author: u64, text: &str) -> Value {
        let message = self
            .fake
            .message(self.fake.snowflake(), thread, author, text, None);
        self.fake.dispatch("MESSAGE_CREATE", message.clone()).await;
        let id = message["id"].as_str().unwrap().to_owned();
        let started = tokio::time::Instant::now();
        while self
            .store
            .message_by_platform_id(Scope::Operator, "discord", &id)
            .await
            .unwrap()
            .is_none()
        {
            assert!(started.elapsed() < WAIT, "never recorded");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        message
    }

    async fn slash(&self, name: &str, options: Value, user: u64) -> Recorded {
        self.slash_in(FakeDiscord::CHANNEL_ID, name, options, user)
            .await
    }

    /// A slash command used in `channel` (of either guild).
    async fn slash_in(&self, channel: u64, name: &str, options: Value, user: u64) -> Recorded {
        let id = self.fake.snowflake();
        let interaction = self.fake.slash_command(id, name, options, user);
        self.interact(self.fake.in_channel(interaction, channel))
            .await
    }

    /// Uses a message context menu on a message in a thread; returns the bot's callback.
    async fn menu(&self, name: &str, message: Value, thread: u64, user: u64) -> Recorded {
        let menu = self
            .fake
            .message_context_menu(self.fake.snowflake(), name, message, user);
        self.interact(self.fake.in_channel(menu, thread)).await
    }

    /// The id of the last message in the channel: the card of the last `/article`.
    fn last_card(&self) -> u64 {
        let messages = self.fake.channel_messages(FakeDiscord::CHANNEL_ID);
        messages.last().unwrap()["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// `allowed_mentions` that allow nothing: no parse kinds, no users, no roles.
fn no_mentions(allowed: &Value) {
    assert!(allowed.is_object(), "allowed_mentions is sent: {allowed}");
    for key in ["parse", "users", "roles"] {
        let list = &allowed[key];
        assert!(
            list.is_null() || list.as_array().is_some_and(Vec::is_empty),
            "{allowed}"
        );
    }
    assert!(
        allowed["parse"].is_array(),
        "parse must be present to override the defaults: {allowed}"
    );
}

fn embed(callback: &Recorded) -> &Value {
    &callback.body["data"]["embeds"][0]
}

#[tokio::test]
async fn commands_are_registered_from_the_core_list() {
    let world = World::new().await;
    let put = world
        .fake
        .wait_for_request(|r| r.method == "PUT" && r.path.ends_with("/commands"), WAIT)
        .await;
    assert_eq!(
        put.path,
        format!(
            "/applications/{}/guilds/{}/commands",
            FakeDiscord::APPLICATION_ID,
            FakeDiscord::GUILD_ID
        ),
        "DISCORD_GUILD_ID registers in that guild"
    );
    let commands = put.body.as_array().unwrap();
    let by_name = |name: &str| {
        commands
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {commands:#?}"))
    };
    for spec in readingroom::bot::COMMANDS
        .iter()
        .filter(|s| !matches!(s.path, "pin" | "unpin"))
    {
        let command = by_name(spec.path);
        assert_eq!(command["description"], spec.description);
        assert_eq!(
            command["options"].as_array().map_or(0, Vec::len),
            spec.args.len() + spec.subcommands.len(),
            "{}",
            spec.path
        );
    }
    let link = by_name("link");
    let subcommands: Vec<&str> = link["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        subcommands,
        ["code", "join", "list", "leave", "remove", "accept"]
    );
    assert_eq!(link["options"][1]["options"][0]["name"], "code");
    let feed = by_name("feed");
    assert_eq!(feed["options"][0]["name"], "add");
    assert_eq!(feed["options"][0]["type"], 1, "a subcommand");
    let article = by_name("article");
    assert_eq!(article["options"][0]["autocomplete"], true);
    assert_eq!(article["options"][0]["type"], 3);
    let summary = by_name("summary");
    assert_eq!(summary["options"][1]["type"], 4, "sentences is an integer");
    assert_eq!(summary["options"][0]["required"], true);
    for menu in ["Pin as commentary", "Unpin commentary"] {
        let command = by_name(menu);
        assert_eq!(command["type"], 3, "a message context menu");
        assert_eq!(
            command["default_member_permissions"],
            (1u64 << 13).to_string()
        );
    }
    assert!(
        commands.iter().all(|c| c["name"] != "pin"),
        "pinning is a context menu on Discord"
    );
    assert!(
        world.fake.unknown_requests().is_empty(),
        "{}",
        world.fake.summary()
    );
}

#[tokio::test]
async fn article_is_answered_with_an_embed_and_buttons() {
    let world = World::new().await;
    let callback = world
        .slash("article", json!({"article": "1"}), FakeDiscord::READER_ID)
        .await;
    assert_eq!(callback.body["type"], 4);
    let embed = embed(&callback);
    assert!(
        embed["title"]
            .as_str()
            .unwrap()
            .starts_with("Quiet Rooms and Loud Arguments")
    );
    assert_eq!(
        embed["url"],
        "https://lantern.example.org/essays/reading-rooms"
    );
    assert!(
        embed["author"]["name"]
            .as_str()
            .unwrap()
            .contains("Jonah Ferris")
    );
    assert!(
        embed["description"]
            .as_str()
            .unwrap()
            .contains("public libraries")
    );
    let fields = embed["fields"].as_array().unwrap();
    assert!(
        fields.iter().any(|f| f["name"] == "Key quotation"
            && f["value"].as_str().unwrap().contains("Odile Marsh"))
    );
    assert!(
        embed["footer"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Article #1"),
        "{embed}"
    );
    let buttons = callback.body["data"]["components"][0]["components"]
        .as_array()
        .unwrap();
    let labels: Vec<&str> = buttons
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Discuss", "Another quote", "Full summary"]);
    no_mentions(&callback.body["data"]["allowed_mentions"]);

    // A bad id is a clear error for the caller only.
    let error = world
        .slash("summary", json!({"article": "999"}), FakeDiscord::READER_ID)
        .await;
    assert_eq!(error.body["data"]["flags"], 64, "ephemeral");
    assert!(
        error.body["data"]["content"]
            .as_str()
            .unwrap()
            .contains("There is no article")
    );
}

#[tokio::test]
async fn autocomplete_offers_titles() {
    let world = World::new().await;
    let id = world.fake.snowflake();
    let request =
        world
            .fake
            .autocomplete(id, "article", "article", "quiet ro", FakeDiscord::READER_ID);
    let callback = world.interact(request).await;
    assert_eq!(callback.body["type"], 8);
    let choices = callback.body["data"]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1);
    assert_eq!(choices[0]["value"], "1");
    assert!(
        choices[0]["name"]
            .as_str()
            .unwrap()
            .starts_with("#1 Quiet Rooms")
    );
    assert!(choices[0]["name"].as_str().unwrap().chars().count() <= 100);
}

#[tokio::test]
async fn discuss_button_opens_a_thread_that_records_messages_edits_and_deletes() {
    let world = World::new().await;
    world
        .slash("article", json!({"article": "1"}), FakeDiscord::READER_ID)
        .await;
    let card_id = world.last_card();

    let button = world.fake.button(
        world.fake.snowflake(),
        "rr:discuss:1",
        card_id,
        FakeDiscord::READER_ID,
    );
    let answer = world.interact(button).await;
    let thread_request = world
        .fake
        .wait_for_request(
            |r| {
                r.method == "POST"
                    && r.path
                        == format!(
                            "/channels/{}/messages/{card_id}/threads",
                            FakeDiscord::CHANNEL_ID
                        )
            },
            WAIT,
        )
        .await;
    assert_eq!(
        thread_request.body["auto_archive_duration"], 10080,
        "the longest auto-archive"
    );
    assert!(
        thread_request.body["name"]
            .as_str()
            .unwrap()
            .starts_with("Quiet Rooms")
    );
    let thread_id: u64 = thread_request.response["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        answer.body["data"]["content"]
            .as_str()
            .unwrap()
            .contains(&format!("<#{thread_id}>"))
    );
    let discussion = world
        .store
        .discussion_by_thread("discord", &thread_id.to_string(), None)
        .await
        .unwrap()
        .expect("tracked");

    let first = world.fake.snowflake();
    world
        .fake
        .dispatch(
            "MESSAGE_CREATE",
            world.fake.message(
                first,
                thread_id,
                FakeDiscord::READER_ID,
                "Lamps over rules.",
                None,
            ),
        )
        .await;
    let second = world.fake.snowflake();
    world
        .fake
        .dispatch(
            "MESSAGE_CREATE",
            world.fake.message(
                second,
                thread_id,
                FakeDiscord::MODERATOR_ID,
                "Rules keep it quiet.",
                Some(first),
            ),
        )
        .await;
    let elsewhere = world.fake.snowflake();
    world
        .fake
        .dispatch(
            "MESSAGE_CREATE",
            world.fake.message(
                elsewhere,
                FakeDiscord::CHANNEL_ID,
                FakeDiscord::READER_ID,
                "not in the thread",
                None,
            ),
        )
        .await;
    world
        .fake
        .dispatch(
            "MESSAGE_UPDATE",
            world.fake.message_update(
                first,
                thread_id,
                FakeDiscord::READER_ID,
                "Lamps over everything.",
            ),
        )
        .await;
    world
        .fake
        .dispatch(
            "MESSAGE_DELETE",
            world.fake.message_delete(second, thread_id),
        )
        .await;

    let started = tokio::time::Instant::now();
    loop {
        let messages = world
            .store
            .discussion_messages(discussion.id)
            .await
            .unwrap();
        let a = messages.iter().find(|m| m.platform_id == first.to_string());
        let b = messages
            .iter()
            .find(|m| m.platform_id == second.to_string());
        if let (Some(a), Some(b)) = (a, b)
            && a.body.as_deref() == Some("Lamps over everything.")
            && b.deleted_at.is_some()
        {
            assert_eq!(a.author_id, FakeDiscord::READER_ID.to_string());
            assert!(a.edited_at.is_some());
            assert_eq!(
                b.reply_to.as_deref(),
                Some(first.to_string().as_str()),
                "reply parent from message_reference"
            );
            assert_eq!(b.body, None, "a delete removes the text");
            assert_eq!(messages.len(), 2, "only thread messages");
            break;
        }
        assert!(started.elapsed() < WAIT, "not recorded: {messages:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // /discuss in the same channel links the existing thread.
    let again = world
        .slash("discuss", json!({"article": "1"}), FakeDiscord::READER_ID)
        .await;
    assert_eq!(again.body["type"], 4);
    let follow = world
        .fake
        .wait_for_request(
            |r| {
                r.method == "POST"
                    && r.path.starts_with("/webhooks/")
                    && r.body["content"]
                        .as_str()
                        .is_some_and(|c| c.contains("continues in"))
            },
            WAIT,
        )
        .await;
    assert!(
        follow.body["content"]
            .as_str()
            .unwrap()
            .contains(&format!("<#{thread_id}>"))
    );
}

#[tokio::test]
async fn pin_context_menu_is_for_moderators_and_shows_on_the_article() {
    let world = World::new().await;
    let thread_id = world.discuss().await;
    let take = world
        .post_recorded(
            thread_id,
            FakeDiscord::READER_ID,
            "@everyone <@&777> read this **now**",
        )
        .await;

    let refused = world
        .menu(
            "Pin as commentary",
            take.clone(),
            thread_id,
            FakeDiscord::READER_ID,
        )
        .await;
    assert_eq!(refused.body["data"]["flags"], 64, "refused ephemerally");
    assert!(
        refused.body["data"]["content"]
            .as_str()
            .unwrap()
            .contains("Only moderators")
    );
    assert!(
        world
            .store
            .pins(Scope::Operator, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let accepted = world
        .menu(
            "Pin as commentary",
            take,
            thread_id,
            FakeDiscord::MODERATOR_ID,
        )
        .await;
    assert!(
        accepted.body["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Pinned message"),
        "{}",
        accepted.body
    );
    assert_eq!(
        world
            .store
            .pins(Scope::Operator, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    let card = world
        .slash("article", json!({"article": "1"}), FakeDiscord::READER_ID)
        .await;
    let fields = embed(&card)["fields"].as_array().unwrap();
    let pinned = fields
        .iter()
        .find(|f| f["name"] == "Pinned commentary")
        .expect("the pin shows");
    let value = pinned["value"].as_str().unwrap();
    assert!(value.contains("read this"), "{value}");
    // The reader's mentions and markup reach Discord inert, and the send says mention no one.
    assert!(
        !value.contains("@everyone") && !value.contains("<@&777>") && !value.contains("**now**"),
        "{value}"
    );
    no_mentions(&card.body["data"]["allowed_mentions"]);
    for request in world.fake.requests_matching(|r| {
        r.method == "POST"
            && (r.path.starts_with("/interactions/")
                || r.path.starts_with("/webhooks/")
                || r.path.contains("/messages"))
    }) {
        let mentions = if request.path.starts_with("/interactions/") {
            &request.body["data"]["allowed_mentions"]
        } else {
            &request.body["allowed_mentions"]
        };
        if !request.path.ends_with("/threads") {
            no_mentions(mentions);
        }
    }
}

#[tokio::test]
async fn a_500_is_retried() {
    let world = World::new().await;
    world.fake.fail_next("POST", "/interactions/", 500, 1);
    let callback = world
        .slash("article", json!({}), FakeDiscord::READER_ID)
        .await;
    assert_eq!(callback.body["type"], 4);
    let attempts = world
        .fake
        .requests_matching(|r| r.path.starts_with("/interactions/"));
    assert_eq!(
        attempts.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 204]
    );
}

fn sign(key: &SigningKey, timestamp: &str, body: &str) -> String {
    hex::encode(key.sign(format!("{timestamp}{body}").as_bytes()).to_bytes())
}

/// The bot's signed HTTP interactions endpoint on loopback, with a fake Discord for its REST
/// calls.
struct Endpoint {
    fake: FakeDiscord,
    key: SigningKey,
    url: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Endpoint {
    async fn start() -> Endpoint {
        Self::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut DiscordConfig)) -> Endpoint {
        let fake = FakeDiscord::start().await;
        let dir = tempfile::tempdir().unwrap();
        let (_, bot) = bot_with_fixture(&dir).await;
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let public = hex::encode(key.verifying_key().to_bytes());
        let mut settings = config(&fake);
        configure(&mut settings);
        let core = DiscordCore::new(bot, settings);
        let http = http_client(&config(&fake));
        // In the bot the endpoint shares the gateway client's HTTP client, which learns the
        // application's id from READY; webhook calls need it.
        http.set_application_id(serenity::all::ApplicationId::new(
            FakeDiscord::APPLICATION_ID,
        ));
        let app = endpoint::router(core, Arc::new(http), &public).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/interactions", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Endpoint {
            fake,
            key,
            url,
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn post(&self, body: &str, signature: String, timestamp: &str) -> reqwest::Response {
        self.client
            .post(&self.url)
            .header("x-signature-ed25519", signature)
            .header("x-signature-timestamp", timestamp)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// Delivers an interaction as Discord does, signed now; returns the bot's answer, which
    /// the fake Discord then holds as the interaction's response.
    async fn interact(&self, interaction: Value) -> Value {
        let now = chrono::Utc::now().timestamp().to_string();
        let body = interaction.to_string();
        let response = self.post(&body, sign(&self.key, &now, &body), &now).await;
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        self.fake.answered_over_http(&interaction, &answer);
        answer
    }
}

#[tokio::test]
async fn http_interactions_are_verified() {
    let endpoint = Endpoint::start().await;
    let now = chrono::Utc::now().timestamp().to_string();
    let ping = json!({"id": "1", "application_id": FakeDiscord::APPLICATION_ID.to_string(), "type": 1, "token": "t", "version": 1}).to_string();
    let response = endpoint
        .post(&ping, sign(&endpoint.key, &now, &ping), &now)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"type": 1}),
        "PONG"
    );

    let forged = SigningKey::from_bytes(&[8u8; 32]);
    let refusals = [
        (
            ping.clone(),
            sign(&forged, &now, &ping),
            now.clone(),
            "a forged signature",
        ),
        (
            ping.replace("\"t\"", "\"u\""),
            sign(&endpoint.key, &now, &ping),
            now.clone(),
            "a changed body",
        ),
        {
            let old = (chrono::Utc::now().timestamp() - 3600).to_string();
            let signature = sign(&endpoint.key, &old, &ping);
            (ping.clone(), signature, old, "a stale timestamp")
        },
    ];
    for (body, signature, timestamp, what) in refusals {
        let response = endpoint.post(&body, signature, &timestamp).await;
        assert_eq!(response.status(), 401, "{what}");
    }

    let fake = &endpoint.fake;
    let command = fake.slash_command(
        fake.snowflake(),
        "article",
        json!({"article": "1"}),
        FakeDiscord::READER_ID,
    );
    let answer = endpoint.interact(command).await;
    assert_eq!(answer["type"], 4);
    assert!(
        answer["data"]["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Quiet Rooms")
    );
    no_mentions(&answer["data"]["allowed_mentions"]);
}

#[tokio::test]
async fn discuss_over_http_opens_the_thread_on_the_answer() {
    let endpoint = Endpoint::start().await;
    let fake = &endpoint.fake;
    let command = fake.slash_command(
        fake.snowflake(),
        "discuss",
        json!({"article": "1"}),
        FakeDiscord::READER_ID,
    );
    let answer = endpoint.interact(command).await;
    assert_eq!(answer["type"], 4, "{answer}");
    // The answer's message exists only once Discord has it: the bot reads it back, then
    // starts the thread on it.
    let original = fake
        .wait_for_request(
            |r| r.method == "GET" && r.path.ends_with("/messages/@original"),
            WAIT,
        )
        .await;
    assert!(original.succeeded(), "{}", fake.summary());
    let card = original.response["id"].as_str().unwrap().to_owned();
    let thread = fake
        .wait_for_request(|r| r.path.ends_with("/threads"), WAIT)
        .await;
    assert!(
        thread.is(
            "POST",
            &format!(
                "/channels/{}/messages/{card}/threads",
                FakeDiscord::CHANNEL_ID
            )
        ) && thread.succeeded(),
        "{}",
        fake.summary()
    );
    assert!(
        thread.body["name"]
            .as_str()
            .unwrap()
            .starts_with("Quiet Rooms")
    );
}

#[tokio::test]
async fn roles_and_members_are_served_as_serenity_reads_them() {
    use serenity::all::{GuildId, RoleId, UserId};
    let fake = FakeDiscord::start().await;
    let http = http_client(&config(&fake));
    let guild = GuildId::new(FakeDiscord::GUILD_ID);
    let roles = http.get_guild_roles(guild).await.unwrap();
    let moderators = roles.iter().find(|r| r.name == "Moderators").unwrap();
    assert_eq!(moderators.id, RoleId::new(FakeDiscord::MODERATOR_ROLE_ID));
    let member = http
        .get_member(guild, UserId::new(FakeDiscord::MODERATOR_ID))
        .await
        .unwrap();
    assert_eq!(member.roles, [moderators.id]);
    let reader = http
        .get_member(guild, UserId::new(FakeDiscord::READER_ID))
        .await
        .unwrap();
    assert!(reader.roles.is_empty());
    assert!(
        http.get_member(guild, UserId::new(1)).await.is_err(),
        "a stranger is no member"
    );
}

#[tokio::test]
async fn export_is_a_file_for_the_moderator_alone() {
    let world = World::new().await;
    let thread_id = world.discuss().await;
    world
        .post_recorded(thread_id, FakeDiscord::READER_ID, "Lamps over rules.")
        .await;
    let export = world
        .slash("export", json!({"article": "1"}), FakeDiscord::MODERATOR_ID)
        .await;
    assert_eq!(export.body["data"]["flags"], 64, "ephemeral");
    let [file] = export.files.as_slice() else {
        panic!("one file: {:?}", export.files);
    };
    assert_eq!(file.filename, "discussion-1.md");
    let text = String::from_utf8_lossy(&file.data);
    assert!(text.contains("Lamps over rules."), "{text}");
}

/// The address of an article page slower to fetch than the adapter waits before deferring.
async fn slow_page() -> String {
    let page: String = common::fixture("news-report.md")
        .split("\n\n")
        .map(|paragraph| format!("<p>{paragraph}</p>"))
        .collect();
    let page = format!(
        "<html><head><title>Storm Floods Riverside Town</title></head><body><article>{page}</article></body></html>"
    );
    let site = axum::Router::new()
        .route(
            "/storm",
            axum::routing::get(move || {
                let page = page.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(2500)).await;
                    axum::response::Html(page)
                }
            }),
        )
        .route(
            // As slow, with no article on it.
            "/empty",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_millis(2500)).await;
                axum::response::Html("<html><body><nav>Home</nav></body></html>")
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/storm", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, site).await });
    url
}

#[tokio::test]
async fn a_slow_command_is_deferred_then_completed_through_the_original_response() {
    let world = World::new().await;
    let url = slow_page().await;

    let deferred = world
        .slash("ingest", json!({"url": url}), FakeDiscord::MODERATOR_ID)
        .await;
    assert_eq!(
        deferred.body["type"], 5,
        "deferred within Discord's 3 seconds"
    );
    let original = format!(
        "/webhooks/{}/fake-interaction-token-{}/messages/@original",
        FakeDiscord::APPLICATION_ID,
        deferred.path.split('/').nth(2).unwrap()
    );
    let edit = world
        .fake
        .wait_for_request(|r| r.is("PATCH", &original), WAIT)
        .await;
    assert!(edit.succeeded(), "{}", world.fake.summary());
    assert!(
        edit.body.to_string().contains("Storm Floods"),
        "{}",
        edit.body
    );
    assert_eq!(
        edit.response["flags"].as_u64().unwrap() & 128,
        0,
        "no longer loading"
    );
}

#[tokio::test]
async fn quote_and_summary_buttons_answer() {
    let world = World::new().await;
    let card = world
        .slash("article", json!({"article": "1"}), FakeDiscord::READER_ID)
        .await;
    assert_eq!(card.body["type"], 4);
    let card_id = world.last_card();
    let quote = world
        .interact(world.fake.button(
            world.fake.snowflake(),
            "rr:quote:1",
            card_id,
            FakeDiscord::READER_ID,
        ))
        .await;
    let quoted = embed(&quote)["fields"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        quoted.contains("Odile Marsh") || quoted.contains("Keep the lamps on late"),
        "{quoted}"
    );
    let summary = world
        .interact(world.fake.button(
            world.fake.snowflake(),
            "rr:summary:1",
            card_id,
            FakeDiscord::READER_ID,
        ))
        .await;
    assert!(
        embed(&summary)["title"]
            .as_str()
            .unwrap()
            .starts_with("The author"),
        "{}",
        summary.body
    );
}

#[tokio::test]
async fn a_scheduled_digest_arrives_in_the_channel() {
    let world = World::new().await;
    // A discussion with a pinned comment, then a digest scheduled for two minutes from now.
    let thread_id = world.discuss().await;
    let take = world
        .post_recorded(
            thread_id,
            FakeDiscord::READER_ID,
            "Lamps are infrastructure.",
        )
        .await;
    world
        .menu(
            "Pin as commentary",
            take,
            thread_id,
            FakeDiscord::MODERATOR_ID,
        )
        .await;

    let now = chrono::Utc::now();
    let at = (now + chrono::Duration::minutes(2))
        .format("%H:%M")
        .to_string();
    let set = world
        .slash(
            "digest",
            json!([{ "name": "at", "type": 1, "options": [
                { "name": "time", "type": 3, "value": at },
                { "name": "zone", "type": 3, "value": "UTC" }
            ]}]),
            FakeDiscord::MODERATOR_ID,
        )
        .await;
    assert!(
        set.body["data"]["content"].as_str().unwrap().contains(&at),
        "{}",
        set.body
    );

    let http = Arc::new(readingroom::platform::discord::http_client(&config(
        &world.fake,
    )));
    let bot = Bot::new(world.store.clone(), Arc::new(SystemClock));
    let scheduler = readingroom::bot::digest::Scheduler::new(bot).with_sink(
        readingroom::bot::Platform::Discord,
        Arc::new(readingroom::platform::discord::DiscordDigests::new(http)),
    );
    assert!(
        scheduler.run_once(now).await.unwrap().is_empty(),
        "not due yet"
    );
    // Past midnight the schedule belongs to tomorrow; the test then checks the next day.
    let due = now + chrono::Duration::minutes(3);
    let due = if due.date_naive() == now.date_naive() {
        due
    } else {
        due + chrono::Duration::days(1)
    };
    let reports = scheduler.run_once(due).await.unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let post = world
        .fake
        .wait_for_request(
            |r| {
                r.is(
                    "POST",
                    &format!("/channels/{}/messages", FakeDiscord::CHANNEL_ID),
                ) && r.succeeded()
            },
            WAIT,
        )
        .await;
    let digest = &post.body["embeds"][0];
    assert!(
        digest["title"]
            .as_str()
            .unwrap()
            .starts_with("Reading Room digest for")
    );
    let names: Vec<&str> = digest["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("New: #1 Quiet Rooms")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("Discussed: #1")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("Pinned on #1")),
        "{names:?}"
    );
    no_mentions(&post.body["allowed_mentions"]);
    assert_eq!(
        post.body["enforce_nonce"], true,
        "a retried post cannot double"
    );
}

/// The slash command a reader would send for a command line: its name and its options
/// (nested under the subcommand for a group); `None` for commands Discord shows as context
/// menus instead.
fn slash_for(line: &str) -> Option<(String, Value)> {
    use readingroom::bot::commands::{self, ArgKind};
    let mut words = line.split_whitespace();
    let root = commands::spec(words.next()?)?;
    if matches!(root.path, "pin" | "unpin") {
        return None;
    }
    let spec = match root.subcommands.is_empty() {
        true => root,
        false => commands::spec(&format!("{} {}", root.path, words.next()?))?,
    };
    let mut positional = spec.args.iter().filter(|a| !a.named);
    let mut options = Vec::new();
    while let Some(word) = words.next() {
        let (arg, value) = match word.strip_prefix("--") {
            Some(name) => {
                let arg = spec.args.iter().find(|a| a.name == name)?;
                match arg.kind {
                    ArgKind::Switch => (arg, json!(true)),
                    _ => (arg, json!(words.next()?)),
                }
            }
            None => (positional.next()?, json!(word)),
        };
        let value = match (arg.kind, value) {
            (ArgKind::Count { .. }, Value::String(n)) => json!(n.parse::<i64>().ok()?),
            (_, value) => value,
        };
        let kind = match arg.kind {
            ArgKind::Switch => 5,
            ArgKind::Count { .. } => 4,
            _ => 3,
        };
        options.push(json!({ "name": arg.name, "type": kind, "value": value }));
    }
    let options = match spec.path.split_once(' ') {
        Some((_, sub)) => json!([{ "name": sub, "type": 1, "options": options }]),
        None => Value::Array(options),
    };
    Some((root.path.to_owned(), options))
}

#[tokio::test]
async fn every_moderator_command_refuses_a_reader_ephemerally() {
    let world = World::new().await;
    for line in common::moderator_lines() {
        let Some((name, options)) = slash_for(&line) else {
            continue; // pin and unpin are context menus, below
        };
        let refused = world.slash(&name, options, FakeDiscord::READER_ID).await;
        assert_eq!(
            refused.body["data"]["flags"], 64,
            "/{line} refused ephemerally"
        );
        let text = refused.body["data"]["content"].as_str().unwrap();
        assert!(text.contains("Only moderators"), "/{line}: {text}");
    }
    let thread_id = world.discuss().await;
    let take = world
        .post_recorded(thread_id, FakeDiscord::READER_ID, "a take")
        .await;
    for menu in ["Pin as commentary", "Unpin commentary"] {
        let refused = world
            .menu(menu, take.clone(), thread_id, FakeDiscord::READER_ID)
            .await;
        assert_eq!(refused.body["data"]["flags"], 64);
        let text = refused.body["data"]["content"].as_str().unwrap();
        assert!(text.contains("Only moderators"), "{menu}: {text}");
    }
    let totals = world.store.totals(Scope::Operator).await.unwrap();
    assert_eq!((totals.pins, totals.feeds, totals.articles), (0, 0, 1));

    let stats = world
        .slash("stats", json!({}), FakeDiscord::MODERATOR_ID)
        .await;
    assert_eq!(stats.body["data"]["flags"], 64, "stats are for the caller");
    assert!(
        stats.body["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Reading Room holds 1 articles")
    );
}

/// An interaction's original-response path at the fake.
fn original_path(interaction: &Value) -> String {
    format!(
        "/webhooks/{}/{}/messages/@original",
        FakeDiscord::APPLICATION_ID,
        interaction["token"].as_str().unwrap()
    )
}

#[tokio::test]
async fn over_http_a_moderator_role_given_by_name_counts() {
    let endpoint = Endpoint::start_with(|c| c.moderator_role = Some("moderators".into())).await;
    let fake = &endpoint.fake;
    // A member of the Moderators role without Manage Messages: only the role makes them one.
    let stats = |user| {
        let mut command = fake.slash_command(fake.snowflake(), "stats", json!({}), user);
        command["member"]["permissions"] = json!("0");
        command
    };
    let answer = endpoint.interact(stats(FakeDiscord::MODERATOR_ID)).await;
    let text = answer["data"]["content"].as_str().unwrap();
    assert!(text.starts_with("Reading Room holds"), "{answer}");
    assert!(
        fake.requests_matching(|r| r.is("GET", &format!("/guilds/{}/roles", FakeDiscord::GUILD_ID)))
            .iter()
            .any(Recorded::succeeded),
        "the role's name was looked up: {}",
        fake.summary()
    );
    let answer = endpoint.interact(stats(FakeDiscord::READER_ID)).await;
    let text = answer["data"]["content"].as_str().unwrap();
    assert!(text.contains("Only moderators"), "{answer}");
    assert_eq!(answer["data"]["flags"], 64);
}

#[tokio::test]
async fn over_http_buttons_answer() {
    let endpoint = Endpoint::start().await;
    let fake = &endpoint.fake;
    let article = fake.slash_command(
        fake.snowflake(),
        "article",
        json!({"article": "1"}),
        FakeDiscord::READER_ID,
    );
    let card = endpoint.interact(article).await;
    assert_eq!(card["type"], 4);
    let card_id = fake.snowflake();
    let button = fake.button(
        fake.snowflake(),
        "rr:summary:1",
        card_id,
        FakeDiscord::READER_ID,
    );
    let answer = endpoint.interact(button).await;
    assert_eq!(answer["type"], 4, "{answer}");
    assert!(
        answer["data"]["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("The author"),
        "{answer}"
    );
    no_mentions(&answer["data"]["allowed_mentions"]);
}

#[tokio::test]
async fn over_http_a_slow_command_is_deferred_then_completed() {
    let endpoint = Endpoint::start().await;
    let fake = &endpoint.fake;
    let url = slow_page().await;
    let ingest = fake.slash_command(
        fake.snowflake(),
        "ingest",
        json!({"url": url}),
        FakeDiscord::MODERATOR_ID,
    );
    let started = tokio::time::Instant::now();
    let answer = endpoint.interact(ingest.clone()).await;
    assert_eq!(answer["type"], 5, "deferred: {answer}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "within Discord's 3 seconds"
    );
    let edit = fake
        .wait_for_request(|r| r.is("PATCH", &original_path(&ingest)), WAIT)
        .await;
    assert!(edit.succeeded(), "{}", fake.summary());
    assert!(
        edit.body.to_string().contains("Storm Floods"),
        "{}",
        edit.body
    );
    no_mentions(&edit.body["allowed_mentions"]);
}

#[tokio::test]
async fn over_http_an_open_discussion_is_linked_not_reopened() {
    let endpoint = Endpoint::start().await;
    let fake = &endpoint.fake;
    let discuss = || {
        fake.slash_command(
            fake.snowflake(),
            "discuss",
            json!({"article": "1"}),
            FakeDiscord::READER_ID,
        )
    };
    endpoint.interact(discuss()).await;
    let opened = fake
        .wait_for_request(|r| r.method == "POST" && r.path.ends_with("/threads"), WAIT)
        .await;
    let thread = opened.response["id"].as_str().unwrap().to_owned();
    let again = discuss();
    let answer = endpoint.interact(again.clone()).await;
    assert_eq!(answer["type"], 4, "{answer}");
    let followup = format!(
        "/webhooks/{}/{}",
        FakeDiscord::APPLICATION_ID,
        again["token"].as_str().unwrap()
    );
    let link = fake
        .wait_for_request(|r| r.is("POST", &followup), WAIT)
        .await;
    assert!(
        link.body["content"]
            .as_str()
            .unwrap()
            .contains(&format!("continues in <#{thread}>")),
        "{}",
        link.body
    );
    let threads = fake.requests_matching(|r| r.method == "POST" && r.path.ends_with("/threads"));
    assert_eq!(threads.len(), 1, "{}", fake.summary());
}

// ----- two guilds -----

/// What guild A holds after [`guild_a_discusses`]: texts and names no reply in B may carry.
struct GuildA {
    thread: u64,
    /// The reader's two messages; the first is pinned.
    messages: [Value; 2],
}

impl GuildA {
    /// Everything of A that must not show in B: message texts, ids and authors, the thread.
    fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![
            "Lamps are infrastructure".to_owned(),
            "Card catalogues were search engines".to_owned(),
            "Rob".to_owned(),
            "Maria".to_owned(),
            self.thread.to_string(),
        ];
        secrets.extend(
            self.messages
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned()),
        );
        secrets
    }
}

/// In guild A: the reader discusses article 1 in a thread and posts twice, A's moderator pins
/// the first message with the context menu; article 2 goes on A's shelf alone.
async fn guild_a_discusses(world: &World) -> GuildA {
    let thread = world.discuss_in(FakeDiscord::CHANNEL_ID).await;
    let first = world
        .post_recorded(thread, FakeDiscord::READER_ID, "Lamps are infrastructure.")
        .await;
    let second = world
        .post_recorded(
            thread,
            FakeDiscord::READER_ID,
            "Card catalogues were search engines.",
        )
        .await;
    let pinned = world
        .menu(
            "Pin as commentary",
            first.clone(),
            thread,
            FakeDiscord::MODERATOR_ID,
        )
        .await;
    assert!(
        pinned.body["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Pinned message"),
        "{}",
        pinned.body
    );
    let (ingested, _) = world
        .bot
        .ingest_text(&common::fixture("news-report.md"), None)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let a = world
        .store
        .community("discord", &FakeDiscord::GUILD_ID.to_string(), None, now)
        .await
        .unwrap();
    world
        .store
        .shelve(a.id, ingested.id(), Some("reader"), now)
        .await
        .unwrap();
    GuildA {
        thread,
        messages: [first, second],
    }
}

/// Everything a reply carries: its JSON and the files attached.
fn reply_text(reply: &Recorded) -> String {
    let mut text = reply.body.to_string();
    for file in &reply.files {
        text.push_str(&String::from_utf8_lossy(&file.data));
    }
    text
}

/// Panics if `reply` (named `what`) carries any of `secrets`.
fn shows_none(what: &str, reply: &Recorded, secrets: &[String]) {
    let text = reply_text(reply);
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} shows {secret:?}: {text}"
        );
    }
}

fn digest_preview() -> Value {
    json!([{ "name": "preview", "type": 1, "options": [] }])
}

#[tokio::test]
async fn guild_b_sees_nothing_of_guild_a() {
    let world = World::two_guilds(CommunityLimits::default()).await;
    let a = guild_a_discusses(&world).await;
    let secrets = a.secrets();
    let (b, mod_b) = (FakeDiscord::CHANNEL_B_ID, FakeDiscord::MODERATOR_B_ID);

    // In A, the same commands show A's discussion, so their silence in B means something.
    let pins_a = world
        .slash("pins", json!({}), FakeDiscord::MODERATOR_ID)
        .await;
    assert!(reply_text(&pins_a).contains("Lamps are infrastructure"));
    let card_a = world
        .slash("article", json!({"article": "1"}), FakeDiscord::READER_ID)
        .await;
    assert!(reply_text(&card_a).contains("Pinned commentary"));
    let digest_a = world
        .slash("digest", digest_preview(), FakeDiscord::MODERATOR_ID)
        .await;
    assert!(
        reply_text(&digest_a).contains("Lamps are infrastructure"),
        "{}",
        digest_a.body
    );

    let export = world
        .slash_in(b, "export", json!({"article": "1"}), mod_b)
        .await;
    shows_none("/export 1 in B", &export, &secrets);
    let pins = world.slash_in(b, "pins", json!({}), mod_b).await;
    shows_none("/pins in B", &pins, &secrets);
    let pins_1 = world
        .slash_in(b, "pins", json!({"article": "1"}), mod_b)
        .await;
    shows_none("/pins 1 in B", &pins_1, &secrets);

    let card = world
        .slash_in(b, "article", json!({"article": "1"}), mod_b)
        .await;
    shows_none("/article 1 in B", &card, &secrets);
    let fields = embed(&card)["fields"].as_array().unwrap();
    assert!(
        fields.iter().all(|f| f["name"] != "Pinned commentary"),
        "{fields:?}"
    );
    let discussion = fields.iter().find(|f| f["name"] == "Discussion").unwrap();
    assert!(
        discussion["value"]
            .as_str()
            .unwrap()
            .starts_with("No messages yet"),
        "{discussion}"
    );

    // Article 2 is on A's shelf only: A's autocomplete offers it, B's does not, and in B its
    // id is as unknown as one that does not exist.
    let offered = |channel: u64, user: u64| {
        let interaction =
            world
                .fake
                .autocomplete(world.fake.snowflake(), "article", "article", "storm", user);
        world.interact(world.fake.in_channel(interaction, channel))
    };
    let in_a = offered(FakeDiscord::CHANNEL_ID, FakeDiscord::READER_ID).await;
    assert!(reply_text(&in_a).contains("Storm Floods"), "{}", in_a.body);
    let in_b = offered(b, FakeDiscord::READER_ID).await;
    assert_eq!(in_b.body["type"], 8);
    assert!(!reply_text(&in_b).contains("Storm"), "{}", in_b.body);
    let card_2 = world
        .slash_in(b, "article", json!({"article": "2"}), mod_b)
        .await;
    let missing = world
        .slash_in(b, "article", json!({"article": "999"}), mod_b)
        .await;
    assert!(!reply_text(&card_2).contains("Storm"), "{}", card_2.body);
    assert_eq!(
        reply_text(&card_2),
        reply_text(&missing).replace("999", "2"),
        "an id on another guild's shelf answers as a missing one"
    );
    let latest = world.slash_in(b, "article", json!({}), mod_b).await;
    assert!(!reply_text(&latest).contains("Storm"), "{}", latest.body);

    let digest = world.slash_in(b, "digest", digest_preview(), mod_b).await;
    shows_none("/digest preview in B", &digest, &secrets);
    assert!(!reply_text(&digest).contains("Storm"), "{}", digest.body);
}

#[tokio::test]
async fn a_moderator_of_guild_b_cannot_pin_a_message_of_guild_a() {
    let world = World::two_guilds(CommunityLimits::default()).await;
    let thread = world.discuss_in(FakeDiscord::CHANNEL_ID).await;
    let take = world
        .post_recorded(thread, FakeDiscord::READER_ID, "Lamps are infrastructure.")
        .await;
    let pins = || async { world.store.pins(Scope::Operator, None, 10).await.unwrap() };

    // `/pin` is not registered on Discord: pinning there is the context menu alone.
    let registered = world
        .fake
        .wait_for_request(
            |r| {
                r.is(
                    "PUT",
                    &format!("/applications/{}/commands", FakeDiscord::APPLICATION_ID),
                )
            },
            WAIT,
        )
        .await;
    let slash_names: Vec<&str> = registered
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"].as_u64().unwrap_or(1) == 1)
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        !slash_names.iter().any(|n| matches!(*n, "pin" | "unpin")),
        "{slash_names:?}"
    );

    // The menu on A's message, used from B's channel by B's moderator and by the owner of
    // both guilds (who moderates A too, but asks from B). Discord shows the menu only on
    // messages of the channel it is used in; the adapter must not depend on that.
    for user in [FakeDiscord::MODERATOR_B_ID, FakeDiscord::OWNER_ID] {
        let refused = world
            .menu(
                "Pin as commentary",
                take.clone(),
                FakeDiscord::CHANNEL_B_ID,
                user,
            )
            .await;
        assert_eq!(refused.body["data"]["flags"], 64, "{}", refused.body);
        assert!(
            !reply_text(&refused).contains("Pinned message"),
            "{}",
            refused.body
        );
        assert!(pins().await.is_empty(), "pinned from B by {user}");
    }

    // A `/pin` by the stored message's number, as if it were registered.
    let stored = world
        .store
        .message_by_platform_id(Scope::Operator, "discord", take["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    let forged = world
        .slash_in(
            FakeDiscord::CHANNEL_B_ID,
            "pin",
            json!({"message": format!("#{}", stored.id)}),
            FakeDiscord::MODERATOR_B_ID,
        )
        .await;
    assert!(
        pins().await.is_empty(),
        "pinned by /pin from B: {}",
        forged.body
    );

    // Pinned in A, B's moderator cannot unpin it either.
    world
        .menu(
            "Pin as commentary",
            take.clone(),
            thread,
            FakeDiscord::MODERATOR_ID,
        )
        .await;
    assert_eq!(pins().await.len(), 1);
    world
        .menu(
            "Unpin commentary",
            take,
            FakeDiscord::CHANNEL_B_ID,
            FakeDiscord::MODERATOR_B_ID,
        )
        .await;
    assert_eq!(pins().await.len(), 1, "unpinned from B");
}

/// Waits until `check` holds of the whole store's totals; panics after [`WAIT`].
async fn until_totals(world: &World, what: &str, check: impl Fn(&Totals) -> bool) -> Totals {
    let started = tokio::time::Instant::now();
    loop {
        let totals = world.store.totals(Scope::Operator).await.unwrap();
        if check(&totals) {
            return totals;
        }
        assert!(started.elapsed() < WAIT, "{what}: {totals:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Guild A with a discussion, two messages and a pin; guild B with a discussion and a message.
async fn both_guilds_discuss(world: &World) -> GuildA {
    let a = guild_a_discusses(world).await;
    let thread_b = world.discuss_in(FakeDiscord::CHANNEL_B_ID).await;
    world
        .post_recorded(thread_b, FakeDiscord::READER_ID, "Book clubs need chairs.")
        .await;
    let totals = world.store.totals(Scope::Operator).await.unwrap();
    assert_eq!(
        (totals.discussions, totals.messages, totals.pins),
        (2, 3, 1)
    );
    a
}

/// Whether the store still holds A's messages.
async fn holds(world: &World, a: &GuildA) -> bool {
    let id = a.messages[0]["id"].as_str().unwrap();
    world
        .store
        .message_by_platform_id(Scope::Operator, "discord", id)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn removed_from_a_guild_with_no_grace_period_its_data_goes_at_once() {
    let limits = CommunityLimits {
        purge_after: chrono::Duration::zero(),
        ..CommunityLimits::default()
    };
    let world = World::two_guilds(limits).await;
    let a = both_guilds_discuss(&world).await;

    // An outage is not a removal: A is unavailable, then B is removed; only B's data goes.
    let outage = json!({ "id": FakeDiscord::GUILD_ID.to_string(), "unavailable": true });
    assert!(world.fake.dispatch("GUILD_DELETE", outage).await);
    let removed_b = world.fake.guild_removed(FakeDiscord::GUILD_B_ID);
    assert!(world.fake.dispatch("GUILD_DELETE", removed_b).await);
    let totals = until_totals(&world, "B purged", |t| t.discussions == 1).await;
    assert_eq!((totals.messages, totals.pins), (2, 1));
    assert!(holds(&world, &a).await);

    let removed_a = world.fake.guild_removed(FakeDiscord::GUILD_ID);
    assert!(world.fake.dispatch("GUILD_DELETE", removed_a).await);
    let totals = until_totals(&world, "A purged", |t| t.discussions == 0).await;
    assert_eq!(
        (totals.messages, totals.deleted_messages, totals.pins),
        (0, 0, 0)
    );
    assert!(!holds(&world, &a).await);
}

/// Waits until guild A is marked left (`true`: returns when) or no longer (`false`).
async fn until_a_is(world: &World, left: bool) -> Option<chrono::DateTime<chrono::Utc>> {
    let guild = FakeDiscord::GUILD_ID.to_string();
    let started = tokio::time::Instant::now();
    loop {
        let left_at = world
            .store
            .community_left_at("discord", &guild)
            .await
            .unwrap();
        if left_at.is_some() == left {
            return left_at;
        }
        assert!(started.elapsed() < WAIT, "guild A never marked left={left}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn removed_from_a_guild_its_data_goes_after_30_days_unless_it_returns() {
    let world = World::two_guilds(CommunityLimits::default()).await;
    let a = both_guilds_discuss(&world).await;
    let scheduler = readingroom::bot::digest::Scheduler::new(world.bot.clone());
    let days = chrono::Duration::days;

    let removed = world.fake.guild_removed(FakeDiscord::GUILD_ID);
    assert!(world.fake.dispatch("GUILD_DELETE", removed).await);
    let left_at = until_a_is(&world, true).await.unwrap();
    scheduler.run_once(left_at + days(29)).await.unwrap();
    assert!(holds(&world, &a).await, "purged within the grace period");

    // Invited back before the 30 days are out: the purge is called off.
    let back = world.fake.guild_create(FakeDiscord::GUILD_ID);
    assert!(world.fake.dispatch("GUILD_CREATE", back).await);
    until_a_is(&world, false).await;
    scheduler.run_once(left_at + days(31)).await.unwrap();
    assert!(holds(&world, &a).await, "purged after coming back");
    let totals = world.store.totals(Scope::Operator).await.unwrap();
    assert_eq!(
        (totals.discussions, totals.messages, totals.pins),
        (2, 3, 1)
    );

    // Removed again and not back: 31 days on, A's data is gone and B's stays.
    let removed = world.fake.guild_removed(FakeDiscord::GUILD_ID);
    assert!(world.fake.dispatch("GUILD_DELETE", removed).await);
    let left_at = until_a_is(&world, true).await.unwrap();
    scheduler.run_once(left_at + days(29)).await.unwrap();
    assert!(holds(&world, &a).await, "purged within the grace period");
    scheduler.run_once(left_at + days(31)).await.unwrap();
    assert!(!holds(&world, &a).await, "not purged after 31 days");
    let totals = world.store.totals(Scope::Operator).await.unwrap();
    assert_eq!(
        (totals.discussions, totals.messages, totals.pins),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn forget_me_asks_with_a_button_then_forgets() {
    let world = World::new().await;
    let thread_id = world.discuss().await;
    let take = world
        .post_recorded(thread_id, FakeDiscord::READER_ID, "a take to forget")
        .await;
    let asked = world
        .slash("forget-me", json!({}), FakeDiscord::READER_ID)
        .await;
    assert_eq!(asked.body["data"]["flags"], 64, "asked privately");
    let button = &asked.body["data"]["components"][0]["components"][0];
    assert_eq!(
        button["custom_id"], "rr:forget-me:confirm",
        "{}",
        asked.body
    );
    let id = take["id"].as_str().unwrap();
    let row = || async {
        world
            .store
            .message_by_platform_id(Scope::Operator, "discord", id)
            .await
            .unwrap()
            .unwrap()
    };
    assert!(
        row().await.body.is_some(),
        "nothing forgotten before the button"
    );
    let done = world
        .interact(world.fake.button(
            world.fake.snowflake(),
            "rr:forget-me:confirm",
            world.fake.snowflake(),
            FakeDiscord::READER_ID,
        ))
        .await;
    let text = done.body["data"]["content"].as_str().unwrap();
    assert!(text.contains("1 message forgotten"), "{text}");
    let forgotten = row().await;
    assert_eq!(forgotten.body, None);
    assert_eq!(forgotten.author_name, readingroom::store::FORGOTTEN);
}

#[tokio::test]
async fn a_private_answer_is_deferred_privately_and_never_shown_to_the_channel() {
    let world = World::new().await;
    let slow = slow_page().await;
    // A private command (a preview) is acknowledged privately.
    let preview = world
        .slash(
            "feed",
            json!([{ "name": "preview", "type": 1, "options": [
                { "name": "url", "type": 3, "value": slow }
            ]}]),
            FakeDiscord::READER_ID,
        )
        .await;
    assert_eq!(preview.body["type"], 5, "deferred: {}", preview.body);
    assert_eq!(preview.body["data"]["flags"], 64, "privately");
    // A public command whose answer turns out private (an error): the public deferral is
    // removed and the answer comes privately.
    let empty = slow.replace("/storm", "/empty");
    let ingest = world
        .slash("ingest", json!({ "url": empty }), FakeDiscord::MODERATOR_ID)
        .await;
    assert_eq!(ingest.body["type"], 5);
    let token = ingest.path.split('/').nth(3).unwrap().to_owned();
    let original = format!(
        "/webhooks/{}/{token}/messages/@original",
        FakeDiscord::APPLICATION_ID
    );
    let removed = world
        .fake
        .wait_for_request(|r| r.is("DELETE", &original), WAIT)
        .await;
    assert!(removed.succeeded(), "{}", world.fake.summary());
    let followup = format!("/webhooks/{}/{token}", FakeDiscord::APPLICATION_ID);
    let private = world
        .fake
        .wait_for_request(|r| r.is("POST", &followup), WAIT)
        .await;
    assert_eq!(private.body["flags"], 64, "{}", private.body);
    assert!(
        private.body["content"]
            .as_str()
            .unwrap()
            .contains("Nothing was added"),
        "{}",
        private.body
    );
    no_mentions(&private.body["allowed_mentions"]);
}

// ----- catching up after the bot was away -----

impl World {
    /// Stops the bot and waits until its gateway session is closed.
    async fn stop_bot(&self) {
        let _ = self.stop.send(true);
        self.fake.wait_disconnected(WAIT).await;
    }

    /// Starts the bot again over the same store, catching up within `limits`; returns once
    /// the new session is READY (the catch-up then runs in the background). With `later`, its
    /// clock runs five minutes ahead: the restart comes later than everything posted before,
    /// as it would, and the catch-up's margin for clocks (a minute) does not cover it.
    async fn start_bot(
        &mut self,
        limits: CatchUpLimits,
        later: bool,
    ) -> chrono::DateTime<chrono::Utc> {
        if later {
            let ahead = Ahead(chrono::Duration::minutes(5));
            self.bot = Bot::new(self.store.clone(), Arc::new(ahead));
        }
        let started = self.bot.now();
        let (stop, shutdown) = watch::channel(false);
        self.stop = stop;
        let mut config = config(&self.fake);
        config.catch_up = limits;
        tokio::spawn(readingroom::platform::discord::run(
            self.bot.clone(),
            config,
            shutdown,
        ));
        self.fake.wait_ready(WAIT).await;
        started
    }

    /// Guild A's first catch-up that started at or after `since` (by the bot's clock), once
    /// it is done.
    async fn caught_up(&self, since: chrono::DateTime<chrono::Utc>) -> CatchUpRecord {
        let guild = self
            .store
            .community("discord", &FakeDiscord::GUILD_ID.to_string(), None, since)
            .await
            .unwrap();
        let started = tokio::time::Instant::now();
        loop {
            let last = self
                .store
                .last_catch_up(Scope::Community(guild.id))
                .await
                .unwrap();
            if let Some(record) = last.filter(|r| r.ran_at >= since) {
                return record;
            }
            assert!(
                started.elapsed() < WAIT,
                "no catch-up finished; requests:\n{}",
                self.fake.summary()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The recorded messages of the discussion in `thread`, oldest first.
    async fn thread_messages(&self, thread: u64) -> Vec<StoredMessage> {
        let discussion = self
            .store
            .discussion_by_thread("discord", &thread.to_string(), None)
            .await
            .unwrap()
            .unwrap();
        self.store.discussion_messages(discussion.id).await.unwrap()
    }

    /// Posts `count` messages in `thread` while the bot is away (stored by Discord, never sent
    /// to the bot); every third replies to the one before. Returns (id, parent) in order.
    fn post_away(&self, thread: u64, count: usize, label: &str) -> Vec<(u64, Option<u64>)> {
        let mut posted: Vec<(u64, Option<u64>)> = Vec::with_capacity(count);
        for i in 0..count {
            let parent = (i % 3 == 2).then(|| posted[i - 1].0);
            let author = if i % 2 == 0 {
                FakeDiscord::READER_ID
            } else {
                FakeDiscord::OWNER_ID
            };
            let id = self.fake.snowflake();
            self.fake
                .message(id, thread, author, &format!("{label} {i}"), parent);
            posted.push((id, parent));
        }
        posted
    }

    /// `/stats` as a moderator: its text.
    async fn stats_text(&self) -> String {
        let stats = self
            .slash("stats", json!({}), FakeDiscord::MODERATOR_ID)
            .await;
        stats.body["data"]["content"].as_str().unwrap().to_owned()
    }
}

/// The system clock, this much ahead.
#[derive(Debug)]
struct Ahead(chrono::Duration);

impl readingroom::clock::Clock for Ahead {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + self.0
    }
}

fn id_of(message: &Value) -> u64 {
    message["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_restart_catches_up_on_what_was_said_while_away() {
    let mut world = World::new().await;
    let thread = world.discuss().await;
    let mut earlier = Vec::new();
    for i in 0..3 {
        let message = world
            .post_recorded(thread, FakeDiscord::READER_ID, &format!("earlier {i}"))
            .await;
        earlier.push(id_of(&message));
    }
    world.stop_bot().await;

    // While the bot is away: 120 messages (more than a page), an earlier one edited, another
    // deleted.
    let away = world.post_away(thread, 120, "away");
    world.fake.message_update(
        earlier[0],
        thread,
        FakeDiscord::READER_ID,
        "earlier 0, edited while away",
    );
    world.fake.message_delete(earlier[1], thread);

    let started = world.start_bot(CatchUpLimits::default(), true).await;
    let record = world.caught_up(started).await;

    let messages = world.thread_messages(thread).await;
    let by_id = |id: u64| {
        messages
            .iter()
            .find(|m| m.platform_id == id.to_string())
            .unwrap_or_else(|| panic!("message {id} was not recorded"))
    };
    let recorded: Vec<&StoredMessage> = away.iter().map(|(id, _)| by_id(*id)).collect();
    for (i, (message, (_, parent))) in recorded.iter().zip(&away).enumerate() {
        assert_eq!(message.body.as_deref(), Some(format!("away {i}").as_str()));
        assert_eq!(
            message.reply_to,
            parent.map(|p| p.to_string()),
            "parent of {i}"
        );
    }
    assert!(
        recorded.windows(2).all(|w| w[0].id < w[1].id),
        "recorded in the order they were posted"
    );
    let edited = by_id(earlier[0]);
    assert_eq!(edited.body.as_deref(), Some("earlier 0, edited while away"));
    assert!(edited.edited_at.is_some());
    let deleted = by_id(earlier[1]);
    assert_eq!(deleted.body, None, "the deleted message's text is gone");
    assert!(deleted.deleted_at.is_some());
    assert_eq!(by_id(earlier[2]).body.as_deref(), Some("earlier 2"));
    let duplicates = messages.len() - (earlier.len() + away.len());
    assert_eq!(
        duplicates, 0,
        "nothing but the readers' messages, each once"
    );
    assert_eq!(
        (
            record.recorded,
            record.updated,
            record.deleted,
            record.cut_short
        ),
        (120, 1, 1, false),
        "{record:?}"
    );
    // The guild's active threads, then the thread in pages of 100, oldest first: what is new,
    // then the window again for edits and deletions.
    let pages = world.fake.requests_matching(|r| {
        r.is("GET", &format!("/channels/{thread}/messages")) && r.succeeded()
    });
    assert!(pages.len() >= 3, "{}", world.fake.summary());
    assert!(
        pages[0].query.contains(&format!("after={}", earlier[2])),
        "resumed after the last message recorded: {}",
        pages[0].query
    );
    assert!(
        pages
            .iter()
            .all(|p| p.query.contains("limit=100") && p.query.contains("after="))
    );
    assert_eq!(record.pages as usize, pages.len() + 1);
    println!(
        "catch-up (discord): posted while away {}, recorded {}, edited {}, deleted {}, duplicates {duplicates}, took {:.2} s",
        away.len(),
        recorded.len(),
        usize::from(edited.body.as_deref() == Some("earlier 0, edited while away")),
        usize::from(deleted.body.is_none()),
        record.duration.as_secs_f64()
    );

    // A second start records nothing new.
    world.stop_bot().await;
    let started = world.start_bot(CatchUpLimits::default(), true).await;
    let again = world.caught_up(started).await;
    assert_eq!(
        (
            again.recorded,
            again.updated,
            again.deleted,
            again.cut_short
        ),
        (0, 0, 0, false),
        "{again:?}"
    );
    assert_eq!(world.thread_messages(thread).await, messages);
    println!(
        "catch-up (discord), second start: recorded {}, updated {}, deleted {}, took {:.2} s",
        again.recorded,
        again.updated,
        again.deleted,
        again.duration.as_secs_f64()
    );
    let stats = world.stats_text().await;
    assert!(
        stats.contains("Last catch-up ")
            && stats.contains(&format!(
                "1 threads, {} pages): 0 recorded, 0 updated, 0 marked deleted.",
                again.pages
            )),
        "{stats}"
    );
}

#[tokio::test]
async fn live_messages_during_a_catch_up_are_recorded_once() {
    let mut world = World::new().await;
    let thread = world.discuss().await;
    let before = world
        .post_recorded(thread, FakeDiscord::READER_ID, "before")
        .await;
    world.stop_bot().await;
    let away = world.post_away(thread, 150, "away");
    // Discord answers the thread list and the thread's pages late, so that live messages are
    // recorded before the catch-up looks for where it left off, and arrive mid catch-up.
    let history = format!("/channels/{thread}/messages");
    world
        .fake
        .delay("GET", &history, Duration::from_millis(400));
    world.fake.delay(
        "GET",
        &format!("/guilds/{}/threads/active", FakeDiscord::GUILD_ID),
        Duration::from_millis(400),
    );
    let started = world.start_bot(CatchUpLimits::default(), false).await;

    // Live: new messages, and ten of those posted while away delivered again.
    let mut live = Vec::new();
    for i in 0..20 {
        let id = world.fake.snowflake();
        let message = world.fake.message(
            id,
            thread,
            FakeDiscord::READER_ID,
            &format!("live {i}"),
            None,
        );
        assert!(world.fake.dispatch("MESSAGE_CREATE", message).await);
        live.push(id);
    }
    for (i, (id, parent)) in away.iter().take(10).enumerate() {
        let author = if i % 2 == 0 {
            FakeDiscord::READER_ID
        } else {
            FakeDiscord::OWNER_ID
        };
        let again = world
            .fake
            .message(*id, thread, author, &format!("away {i}"), *parent);
        assert!(world.fake.dispatch("MESSAGE_CREATE", again).await);
    }
    let record = world.caught_up(started).await;
    assert!(!record.cut_short);
    // It resumed before the session's live messages, which were recorded first.
    let pages = world.fake.requests_matching(|r| r.is("GET", &history));
    let resumed: u64 = pages[0]
        .query
        .split('&')
        .find_map(|p| p.strip_prefix("after="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        resumed <= id_of(&before) && resumed < live[0],
        "resumed after {resumed}"
    );
    // The catch-up's own pages included the live messages: both ways recorded them.
    let read: Vec<u64> = world
        .fake
        .requests_matching(|r| r.is("GET", &history))
        .iter()
        .flat_map(|r| {
            r.response
                .as_array()
                .unwrap()
                .iter()
                .map(id_of)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        live.iter().all(|id| read.contains(id)),
        "the live messages were in the catch-up's pages"
    );

    let expected = 1 + away.len() + live.len();
    let started = tokio::time::Instant::now();
    let messages = loop {
        let messages = world.thread_messages(thread).await;
        if messages.len() >= expected || started.elapsed() > WAIT {
            break messages;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let ids: std::collections::BTreeSet<&str> =
        messages.iter().map(|m| m.platform_id.as_str()).collect();
    assert_eq!(messages.len(), expected, "each message recorded once");
    assert_eq!(ids.len(), expected);
    for id in away.iter().map(|(id, _)| id).chain(&live) {
        assert!(ids.contains(id.to_string().as_str()), "{id} recorded");
    }
    println!(
        "catch-up racing live (discord): posted while away {}, live during catch-up {} (+10 delivered again), recorded {} rows for {} messages, duplicates {}",
        away.len(),
        live.len(),
        messages.len(),
        expected,
        messages.len() - ids.len()
    );
}

#[tokio::test]
async fn a_small_budget_cuts_the_catch_up_short_and_stats_say_so() {
    let mut world = World::new().await;
    let thread = world.discuss().await;
    world.stop_bot().await;
    let away = world.post_away(thread, 250, "away");
    let started = world
        .start_bot(CatchUpLimits { days: 7, pages: 2 }, true)
        .await;
    let record = world.caught_up(started).await;
    assert_eq!(
        (record.pages, record.recorded, record.cut_short),
        (2, 100, true),
        "{record:?}"
    );
    let recorded = world.thread_messages(thread).await;
    let first: Vec<String> = away[..100].iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(
        recorded
            .iter()
            .map(|m| m.platform_id.clone())
            .collect::<Vec<_>>(),
        first,
        "the oldest page first"
    );
    let stats = world.stats_text().await;
    assert!(
        stats.contains("100 recorded, 0 updated, 0 marked deleted; cut short by its page budget"),
        "{stats}"
    );

    // The next start goes on from there.
    world.stop_bot().await;
    let started = world.start_bot(CatchUpLimits::default(), true).await;
    let rest = world.caught_up(started).await;
    assert_eq!(
        (rest.recorded, rest.deleted, rest.cut_short),
        (150, 0, false),
        "{rest:?}"
    );
    assert_eq!(world.thread_messages(thread).await.len(), 250);

    // Two deleted while away; a budget that checks only the window's first page finds the
    // first, and marks nothing it did not cover.
    world.stop_bot().await;
    world.fake.message_delete(away[50].0, thread);
    world.fake.message_delete(away[200].0, thread);
    let started = world
        .start_bot(CatchUpLimits { days: 7, pages: 3 }, true)
        .await;
    let partial = world.caught_up(started).await;
    assert_eq!(
        (partial.recorded, partial.deleted, partial.cut_short),
        (0, 1, true),
        "{partial:?}"
    );
    let messages = world.thread_messages(thread).await;
    let deleted: Vec<String> = messages
        .iter()
        .filter(|m| m.deleted_at.is_some())
        .map(|m| m.platform_id.clone())
        .collect();
    assert_eq!(deleted, [away[50].0.to_string()]);

    world.stop_bot().await;
    let started = world.start_bot(CatchUpLimits::default(), true).await;
    let full = world.caught_up(started).await;
    assert_eq!((full.deleted, full.cut_short), (1, false), "{full:?}");
    let messages = world.thread_messages(thread).await;
    let gone = |id: u64| {
        messages
            .iter()
            .find(|m| m.platform_id == id.to_string())
            .unwrap()
            .body
            .is_none()
    };
    assert!(gone(away[50].0) && gone(away[200].0));
    assert_eq!(messages.iter().filter(|m| m.body.is_none()).count(), 2);
}

#[tokio::test]
async fn archived_threads_are_read_within_the_window_only() {
    let mut world = World::new().await;
    let thread = world.discuss().await;
    world
        .post_recorded(thread, FakeDiscord::READER_ID, "before")
        .await;
    world.stop_bot().await;
    world.post_away(thread, 5, "away");
    world
        .fake
        .archive_thread(thread, chrono::Utc::now() - chrono::Duration::days(1));
    let started = world.start_bot(CatchUpLimits::default(), true).await;
    let record = world.caught_up(started).await;
    assert_eq!((record.threads, record.recorded), (1, 5), "{record:?}");
    let listing = format!(
        "/channels/{}/threads/archived/public",
        FakeDiscord::CHANNEL_ID
    );
    assert!(
        world
            .fake
            .requests_matching(|r| r.is("GET", &listing) && r.succeeded())
            .iter()
            .any(|r| r.query.contains("limit=100")),
        "{}",
        world.fake.summary()
    );

    // Archived before the window: not read.
    world.stop_bot().await;
    let late = world.post_away(thread, 3, "late");
    world
        .fake
        .archive_thread(thread, chrono::Utc::now() - chrono::Duration::days(8));
    let started = world.start_bot(CatchUpLimits::default(), true).await;
    let record = world.caught_up(started).await;
    assert_eq!((record.threads, record.recorded), (0, 0), "{record:?}");
    let messages = world.thread_messages(thread).await;
    assert_eq!(messages.len(), 6);
    assert!(
        late.iter()
            .all(|(id, _)| messages.iter().all(|m| m.platform_id != id.to_string()))
    );
}

#[tokio::test]
async fn the_fake_pages_history_as_discord_does() {
    let world = World::new().await;
    let thread = world.discuss().await;
    let ids: Vec<u64> = world
        .post_away(thread, 120, "m")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let client = reqwest::Client::new();
    let get = |query: String| {
        let url = format!(
            "{}/api/v10/channels/{thread}/messages?{query}",
            world.fake.base_url()
        );
        let request = client
            .get(url)
            .header("Authorization", format!("Bot {}", FakeDiscord::TOKEN));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // Only the readers' messages: the thread holds nothing else in this test.
    let page =
        |value: &Value| -> Vec<u64> { value.as_array().unwrap().iter().map(id_of).collect() };
    let newest_first = |slice: &[u64]| slice.iter().rev().copied().collect::<Vec<_>>();

    let (status, all) = get(String::new()).await;
    assert_eq!(
        (status, page(&all)),
        (200, newest_first(&ids[70..])),
        "default 50, newest"
    );
    let (_, after) = get(format!("after={}&limit=100", ids[9])).await;
    assert_eq!(
        page(&after),
        newest_first(&ids[10..110]),
        "after: the next ones, newest first"
    );
    let (_, before) = get(format!("before={}&limit=5", ids[50])).await;
    assert_eq!(page(&before), newest_first(&ids[45..50]));
    let (_, around) = get(format!("around={}&limit=4", ids[50])).await;
    assert_eq!(page(&around), newest_first(&ids[48..52]));
    for bad in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "after=abc",
        "after=1&before=2",
    ] {
        let (status, body) = get(bad.to_owned()).await;
        assert_eq!(
            (status, body["code"].as_u64()),
            (400, Some(50035)),
            "{bad}: {body}"
        );
    }
}

// ----- shards -----

/// A bare websocket client of the fake's gateway, to see its frames and close codes as they
/// are (serenity hides them, and after a 4010 spins until its next heartbeat).
struct RawGateway {
    stream: tokio::net::TcpStream,
}

impl RawGateway {
    /// Connects, and reads HELLO.
    async fn connect(fake: &FakeDiscord) -> RawGateway {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = fake.base_url().trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: cmVhZGluZ3Jvb20tdGVzdA==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.unwrap());
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        let mut gateway = RawGateway { stream };
        let hello = gateway.next().await.unwrap();
        assert_eq!(hello["op"], 10);
        gateway
    }

    /// Sends IDENTIFY, with `shard` unless it is null.
    async fn identify(&mut self, shard: Value) {
        use tokio::io::AsyncWriteExt;
        let mut data = json!({
            "token": FakeDiscord::TOKEN,
            "intents": (1 << 0) | (1 << 9) | (1 << 15),
            "properties": { "os": "linux", "browser": "test", "device": "test" },
        });
        if !shard.is_null() {
            data["shard"] = shard;
        }
        let payload = json!({ "op": 2, "d": data }).to_string().into_bytes();
        // A client's frame is masked; this mask is as good as any for the server.
        let mask = [0x5a, 0x17, 0xc3, 0x08];
        let mut frame = vec![0x81, 0x80 | 126];
        frame.extend(u16::try_from(payload.len()).unwrap().to_be_bytes());
        frame.extend(mask);
        frame.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
        self.stream.write_all(&frame).await.unwrap();
    }

    /// The next payload the gateway sends, or the code it closes with.
    async fn next(&mut self) -> Result<Value, u16> {
        use tokio::io::AsyncReadExt;
        let read = async {
            let [first, second] = [
                self.stream.read_u8().await.unwrap(),
                self.stream.read_u8().await.unwrap(),
            ];
            let length = match second & 0x7f {
                126 => u64::from(self.stream.read_u16().await.unwrap()),
                127 => self.stream.read_u64().await.unwrap(),
                short => u64::from(short),
            };
            let mut payload = vec![0; usize::try_from(length).unwrap()];
            self.stream.read_exact(&mut payload).await.unwrap();
            match first & 0x0f {
                0x1 => Ok(serde_json::from_slice(&payload).unwrap()),
                0x8 => Err(u16::from_be_bytes([payload[0], payload[1]])),
                other => panic!("unexpected frame opcode {other}"),
            }
        };
        tokio::time::timeout(WAIT, read)
            .await
            .expect("a frame in time")
    }
}

/// The fake's gateway is sharded as Discord's: `GET /gateway/bot` recommends the count it was
/// given; an IDENTIFY of a shard that cannot be is closed with 4010; a session's READY echoes
/// its shard and lists, like the GUILD_CREATEs after it, only that shard's guilds; an event
/// goes to its guild's shard alone. Then the adapter, told to run shard 1 of the recommended
/// count, is sent only that shard's guilds. (Processes sharing the shards: `tests/shards.rs`.)
#[tokio::test]
async fn the_fake_gateway_is_sharded_as_discords() {
    let fake = FakeDiscord::start().await;
    fake.recommend_shards(2);
    let (guild_0, channel_0) = fake.add_guild(0, 2);
    let (guild_1, channel_1) = fake.add_guild(1, 2);
    assert_eq!(
        [guild_0, guild_1, FakeDiscord::GUILD_ID].map(|g| FakeDiscord::shard_of(g, 2)),
        [0, 1, 1]
    );
    let gateway_bot = reqwest::Client::new()
        .get(format!("{}/api/v10/gateway/bot", fake.base_url()))
        .header("Authorization", format!("Bot {}", FakeDiscord::TOKEN))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(gateway_bot["shards"], 2);

    for impossible in [json!([2, 2]), json!([0, 0]), json!([1]), json!("0")] {
        let mut gateway = RawGateway::connect(&fake).await;
        gateway.identify(impossible.clone()).await;
        assert_eq!(gateway.next().await, Err(4010), "shard {impossible}");
    }
    assert!(fake.identified_shards().is_empty());

    let ids = |list: &Value| -> Vec<u64> {
        let mut ids: Vec<u64> = list.as_array().unwrap().iter().map(id_of).collect();
        ids.sort_unstable();
        ids
    };
    let mut shard_1 = RawGateway::connect(&fake).await;
    shard_1.identify(json!([1, 2])).await;
    let ready = shard_1.next().await.unwrap();
    assert_eq!(
        (&ready["t"], &ready["d"]["shard"]),
        (&json!("READY"), &json!([1, 2]))
    );
    let expected = {
        let mut expected = vec![FakeDiscord::GUILD_ID, FakeDiscord::GUILD_B_ID, guild_1];
        expected.sort_unstable();
        expected
    };
    assert_eq!(ids(&ready["d"]["guilds"]), expected);
    let mut created = Vec::new();
    for _ in 0..expected.len() {
        let event = shard_1.next().await.unwrap();
        assert_eq!(event["t"], "GUILD_CREATE");
        created.push(event["d"].clone());
    }
    assert_eq!(ids(&Value::Array(created)), expected);
    // Without a guild (no session of shard 0 is connected), the event goes nowhere.
    fake.wait_shards_ready(&[1], 2, WAIT).await;
    assert_eq!(fake.connected_shards(), [[1, 2]]);
    let message = |channel: u64| {
        fake.message(
            fake.snowflake(),
            channel,
            FakeDiscord::READER_ID,
            "sharded",
            None,
        )
    };
    assert!(!fake.dispatch("MESSAGE_CREATE", message(channel_0)).await);
    let sent = message(channel_1);
    assert!(fake.dispatch("MESSAGE_CREATE", sent.clone()).await);
    let event = shard_1.next().await.unwrap();
    assert_eq!(
        (&event["t"], &event["d"]["id"]),
        (&json!("MESSAGE_CREATE"), &sent["id"])
    );
    let mut shard_0 = RawGateway::connect(&fake).await;
    shard_0.identify(Value::Null).await;
    let ready = shard_0.next().await.unwrap();
    assert_eq!(
        ready["d"]["shard"],
        json!([0, 1]),
        "no shard is shard 0 of 1"
    );
    assert_eq!(fake.identified_shards(), [[1, 2], [0, 1]]);
    drop((shard_0, shard_1));
    fake.wait_disconnected(WAIT).await;

    // The adapter on shard 1 of the recommended 2.
    let config = DiscordConfig {
        shards: Some(readingroom::config::Shards {
            first: 1,
            last: 1,
            total: None,
        }),
        ..config_for(&fake, None)
    };
    let dir = tempfile::tempdir().unwrap();
    let (store, bot) = bot_with_fixture(&dir).await;
    let (_stop, shutdown) = watch::channel(false);
    tokio::spawn(readingroom::platform::discord::run(bot, config, shutdown));
    fake.wait_shards_ready(&[1], 2, WAIT).await;
    fake.wait_for_request(|r| r.is("GET", "/gateway/bot"), WAIT)
        .await;
    let started = tokio::time::Instant::now();
    for guild in [guild_1, FakeDiscord::GUILD_ID, FakeDiscord::GUILD_B_ID] {
        while store
            .find_community(&format!("discord:{guild}"))
            .await
            .unwrap()
            .is_none()
        {
            assert!(started.elapsed() < WAIT, "guild {guild} never joined");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let asked = fake.in_channel(
        fake.slash_command(fake.snowflake(), "help", json!({}), FakeDiscord::READER_ID),
        channel_1,
    );
    let id = asked["id"].as_str().unwrap().to_owned();
    assert!(fake.dispatch("INTERACTION_CREATE", asked).await);
    fake.wait_for_request(
        |r| r.path.starts_with(&format!("/interactions/{id}/")) && r.succeeded(),
        WAIT,
    )
    .await;
    assert!(
        store
            .find_community(&format!("discord:{guild_0}"))
            .await
            .unwrap()
            .is_none(),
        "shard 0's guild was sent to shard 1"
    );
}
