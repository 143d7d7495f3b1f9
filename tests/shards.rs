//! Discord's shards across `readingroom run` processes: the real binary against the fake
//! Discord of `tests/common/discord`, whose gateway keeps a session per shard and sends each
//! guild's events to its shard's session only, as Discord does.
//!
//! Two processes, each running one shard of two, share one PostgreSQL: each identifies its own
//! shard, and between them every guild's command is answered once and every reader message
//! recorded once. One process given a range runs every shard of it, with the count Discord
//! recommends when none is set, and so does one given no shard settings at all; a range past
//! that count stops the process with an error that names both.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

#[path = "common/bin.rs"]
mod bin;
mod common;
#[path = "common/discord/mod.rs"]
#[allow(
    dead_code,
    reason = "these tests use the fake's gateway, guilds and interactions, not all of it"
)]
mod discord;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use discord::FakeDiscord;
use readingroom::bot::Bot;
use readingroom::clock::SystemClock;
use readingroom::store::{Scope, Store};
use serde_json::{Value, json};

/// Long enough for serenity's five seconds between two shards' IDENTIFYs, and a busy machine.
const WAIT: Duration = Duration::from_secs(30);

/// The processes' logs, shown when a test fails.
struct Logs {
    dir: tempfile::TempDir,
}

impl Logs {
    fn new() -> Logs {
        Logs {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            let log = std::fs::read_to_string(entry.path()).unwrap_or_default();
            eprintln!("----- {}\n{log}", entry.file_name().to_string_lossy());
        }
    }
}

/// `readingroom --db DB run` on Discord through the fake, running `shards` (`DISCORD_SHARDS`)
/// of `total` (`DISCORD_SHARD_TOTAL`; `None` leaves it to the recommended count).
fn on_discord(fake: &FakeDiscord, db: &str, shards: &str, total: Option<u32>) -> bin::Readingroom {
    bin::readingroom()
        .arg("--db")
        .arg(db)
        .arg("run")
        .env("RUST_LOG", "readingroom=info,warn")
        .env("READINGROOM_COMMAND_BURST", "0")
        .env("DISCORD_TOKEN", FakeDiscord::TOKEN)
        .env("DISCORD_API_BASE", &fake.base_url())
        .env("DISCORD_SHARDS", shards)
        // Blank reads as unset, whatever a `.env` file says.
        .env(
            "DISCORD_SHARD_TOTAL",
            &total.map(|t| t.to_string()).unwrap_or_default(),
        )
}

/// How many times the commands were registered.
fn registrations(fake: &FakeDiscord) -> usize {
    fake.requests_matching(|r| r.method == "PUT" && r.path.ends_with("/commands") && r.succeeded())
        .len()
}

/// Waits until the commands were registered: shard 0's READY registers them, once the bot has
/// handled it.
async fn registered(fake: &FakeDiscord) {
    let started = Instant::now();
    while registrations(fake) == 0 {
        assert!(
            started.elapsed() < WAIT,
            "commands never registered:\n{}",
            fake.summary()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Uses a slash command as the reader in `channel`; returns the interaction's id.
async fn slash(fake: &FakeDiscord, channel: u64, name: &str, options: Value) -> u64 {
    let id = fake.snowflake();
    let interaction = fake.slash_command(id, name, options, FakeDiscord::READER_ID);
    assert!(
        fake.dispatch("INTERACTION_CREATE", fake.in_channel(interaction, channel))
            .await,
        "no session of this channel's shard"
    );
    id
}

/// The bot's callbacks to an interaction, answered or refused.
fn callbacks(fake: &FakeDiscord, interaction: u64) -> Vec<discord::Recorded> {
    let prefix = format!("/interactions/{interaction}/");
    fake.requests_matching(|r| r.path.starts_with(&prefix))
}

/// Every shard `[id, total]` the gateway accepted an IDENTIFY for, in order of shard.
fn identified(fake: &FakeDiscord) -> Vec<[u32; 2]> {
    let mut shards = fake.identified_shards();
    shards.sort_unstable();
    shards
}

#[tokio::test]
async fn two_processes_run_one_shard_each_over_one_postgres() {
    let fake = FakeDiscord::start().await;
    // Two guilds on each shard (the fake's own guilds A and B are on shard 1 as well).
    let guilds: Vec<(u32, u64, u64)> = [0, 0, 1, 1]
        .into_iter()
        .map(|shard| {
            let (guild, channel) = fake.add_guild(shard, 2);
            (shard, guild, channel)
        })
        .collect();
    let url = common::postgres::cluster().database().await;
    let store = Store::open(&url).await.unwrap();
    let (article, _) = Bot::new(store.clone(), Arc::new(SystemClock))
        .ingest(&common::fixture("reading-room-fixture.md"), None)
        .await
        .unwrap();
    let article = article.id();

    let logs = Logs::new();
    let started = Instant::now();
    let _shard_0 = on_discord(&fake, &url, "0", Some(2))
        .stderr_to(&logs.path("shard-0"))
        .spawn();
    let mut shard_1 = on_discord(&fake, &url, "1", Some(2))
        .stderr_to(&logs.path("shard-1"))
        .spawn();
    fake.wait_shards_ready(&[0, 1], 2, WAIT).await;
    registered(&fake).await;
    let ready = started.elapsed();

    // /discuss in every guild: answered, and a thread opened for it.
    let mut asked = Vec::new();
    for &(shard, guild, channel) in &guilds {
        let options = json!({ "article": article.0.to_string() });
        let interaction = slash(&fake, channel, "discuss", options).await;
        let prefix = format!("/channels/{channel}/messages/");
        let thread = fake
            .wait_for_request(
                |r| {
                    r.method == "POST"
                        && r.path.starts_with(&prefix)
                        && r.path.ends_with("/threads")
                        && r.succeeded()
                },
                WAIT,
            )
            .await;
        let thread: u64 = thread.response["id"].as_str().unwrap().parse().unwrap();
        asked.push((shard, guild, channel, interaction, thread));
    }
    // A reader's message in every thread.
    let said = |guild: u64| format!("The reader in guild {guild} thinks the lamps matter.");
    for &(_, guild, _, _, thread) in &asked {
        let message = fake.message(
            fake.snowflake(),
            thread,
            FakeDiscord::READER_ID,
            &said(guild),
            None,
        );
        assert!(fake.dispatch("MESSAGE_CREATE", message).await);
    }
    let bodies = loop {
        let bodies: Vec<String> = store
            .article_messages(Scope::Operator, article)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|(message, _)| message.body)
            .collect();
        if asked
            .iter()
            .all(|(_, guild, ..)| bodies.contains(&said(*guild)))
        {
            break bodies;
        }
        assert!(
            started.elapsed() < 3 * WAIT,
            "not every message was recorded: {bodies:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let done = started.elapsed();

    // Checked once everything else is done, so that a second answer would have come by now.
    assert_eq!(identified(&fake), [[0, 2], [1, 2]]);
    for (shard, guild, channel, interaction, _) in &asked {
        let answers = callbacks(&fake, *interaction);
        assert!(
            answers.len() == 1 && answers[0].succeeded(),
            "guild {guild} of shard {shard}: /discuss answered with statuses {:?}",
            answers.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        let prefix = format!("/channels/{channel}/messages/");
        let threads = fake.requests_matching(|r| {
            r.method == "POST" && r.path.starts_with(&prefix) && r.path.ends_with("/threads")
        });
        assert_eq!(threads.len(), 1, "guild {guild}: threads opened");
        let recorded = bodies.iter().filter(|b| **b == said(*guild)).count();
        assert_eq!(recorded, 1, "guild {guild} of shard {shard}: recorded");
    }
    assert_eq!(bodies.len(), asked.len(), "{bodies:?}");
    // Both shards' READY handled (each answered); the commands were registered by shard 0 only.
    assert_eq!(registrations(&fake), 1, "{}", fake.summary());

    // Which process runs which shard: with the `DISCORD_SHARDS=1` one gone, shard 0's guilds
    // are still answered, and shard 1's have no session to be sent to.
    shard_1.kill();
    let killed = Instant::now();
    while fake.connected_shards() != [[0, 2]] {
        assert!(
            killed.elapsed() < WAIT,
            "connected after the kill: {:?}",
            fake.connected_shards()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, _, channel_0) = guilds[0];
    let interaction = slash(&fake, channel_0, "help", json!({})).await;
    let prefix = format!("/interactions/{interaction}/");
    fake.wait_for_request(|r| r.path.starts_with(&prefix) && r.succeeded(), WAIT)
        .await;
    let (_, _, channel_1) = guilds[2];
    let interaction =
        fake.slash_command(fake.snowflake(), "help", json!({}), FakeDiscord::READER_ID);
    assert!(
        !fake
            .dispatch(
                "INTERACTION_CREATE",
                fake.in_channel(interaction, channel_1)
            )
            .await,
        "shard 1's guild still has a session"
    );
    eprintln!(
        "shards: two processes READY in {:.1}s, 4 guilds discussed and recorded by {:.1}s",
        ready.as_secs_f64(),
        done.as_secs_f64()
    );
    store.close().await;
}

/// One process with `DISCORD_SHARDS` set to `shards` (blank: unset) and no shard total, where
/// Discord recommends 2: it identifies shards 0 and 1 of 2, and answers in a guild of each.
async fn runs_both_recommended_shards(shards: &str) {
    let fake = FakeDiscord::start().await;
    fake.recommend_shards(2);
    let (_, channel_0) = fake.add_guild(0, 2);
    assert_eq!(FakeDiscord::shard_of(FakeDiscord::GUILD_ID, 2), 1);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rr.db");
    let logs = Logs::new();
    let started = Instant::now();
    let _bot = on_discord(&fake, db.to_str().unwrap(), shards, None)
        .stderr_to(&logs.path("bot"))
        .spawn();
    fake.wait_shards_ready(&[0, 1], 2, WAIT).await;
    registered(&fake).await;
    let ready = started.elapsed();
    assert_eq!(identified(&fake), [[0, 2], [1, 2]]);
    assert_eq!(
        fake.requests_matching(|r| r.is("GET", "/gateway/bot"))
            .len(),
        1,
        "the recommended count asked for once"
    );

    let mut asked = Vec::new();
    for channel in [channel_0, FakeDiscord::CHANNEL_ID] {
        let interaction = slash(&fake, channel, "help", json!({})).await;
        let prefix = format!("/interactions/{interaction}/");
        fake.wait_for_request(|r| r.path.starts_with(&prefix) && r.succeeded(), WAIT)
            .await;
        asked.push(interaction);
    }
    for interaction in asked {
        assert_eq!(callbacks(&fake, interaction).len(), 1);
    }
    assert_eq!(identified(&fake), [[0, 2], [1, 2]]);
    assert_eq!(registrations(&fake), 1, "registered once, not per shard");
    eprintln!(
        "shards: one process with DISCORD_SHARDS={shards:?} READY on shards 0-1 of 2 in {:.1}s",
        ready.as_secs_f64()
    );
}

#[tokio::test]
async fn a_range_runs_each_of_its_shards_of_the_recommended_count() {
    runs_both_recommended_shards("0-1").await;
}

#[tokio::test]
async fn without_shard_settings_every_recommended_shard_runs() {
    runs_both_recommended_shards("").await;
}

#[tokio::test]
async fn a_range_past_the_recommended_count_stops_the_process() {
    let fake = FakeDiscord::start().await;
    fake.recommend_shards(2);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rr.db");
    // Everything logged, so that a token anywhere in it would show.
    let run = on_discord(&fake, db.to_str().unwrap(), "2", None).env("RUST_LOG", "debug");
    let output = tokio::task::spawn_blocking(move || run.output_within(WAIT))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr
            .contains("DISCORD_SHARDS ends at shard 2, but the bot has 2 shards (numbered from 0)"),
        "{stderr}"
    );
    for printed in [&stdout, &stderr] {
        assert!(
            !printed.contains(FakeDiscord::TOKEN),
            "the token was printed"
        );
    }
    assert_eq!(
        fake.requests_matching(|r| r.is("GET", "/gateway/bot"))
            .len(),
        1
    );
    assert!(fake.identified_shards().is_empty(), "no shard connected");
}
