//! The daily digest with a controlled clock: when it goes out (time zones, DST, downtime,
//! restarts), exactly once, what it holds, and the commands that set it up. Also the export of
//! a discussion.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

#[path = "common/bin.rs"]
mod bin;
mod common;

use std::sync::{Arc, Mutex};

use bin::readingroom;
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use common::{TestApp, context, fixture, spawn_app};
use readingroom::bot::digest::{DigestSink, Scheduler};
use readingroom::bot::{Body, Bot, Platform, Reply};
use readingroom::clock::ManualClock;
use readingroom::store::{NewMessage, RunStatus, Store};

/// A platform that records what it was asked to post, and can fail on demand.
#[derive(Debug, Default)]
struct Sink {
    posts: Mutex<Vec<(String, Reply, String)>>,
    failures: Mutex<usize>,
}

#[async_trait::async_trait]
impl DigestSink for Sink {
    async fn post(&self, channel: &str, digest: &Reply, key: &str) -> anyhow::Result<()> {
        let mut failures = self.failures.lock().unwrap();
        if *failures > 0 {
            *failures -= 1;
            anyhow::bail!("the platform is down");
        }
        self.posts
            .lock()
            .unwrap()
            .push((channel.to_owned(), digest.clone(), key.to_owned()));
        Ok(())
    }
}

impl Sink {
    fn count(&self) -> usize {
        self.posts.lock().unwrap().len()
    }
}

fn local(zone: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    zone.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// A console channel with a digest at `at` in `zone`, set at `set_at`, with one article
/// ingested then; and a scheduler posting to a recording sink.
async fn scheduled(at: &str, zone: &str, set_at: DateTime<Utc>) -> (TestApp, Arc<Sink>, Scheduler) {
    let app = spawn_app().await;
    app.clock.set(set_at);
    let moderator = context(Platform::Console, "console", "mod", true);
    let reply = app
        .bot
        .handle_text(&moderator, &format!("digest at {at} {zone}"))
        .await;
    assert!(
        matches!(&reply.body, Body::Text(t) if t.contains(at)),
        "{reply:?}"
    );
    app.bot
        .ingest(
            &fixture("reading-room-fixture.md"),
            Some("https://lantern.example.org/x"),
        )
        .await
        .unwrap();
    let sink = Arc::new(Sink::default());
    let scheduler = Scheduler::new(app.bot.clone()).with_sink(Platform::Console, sink.clone());
    (app, sink, scheduler)
}

async fn tick(app: &TestApp, scheduler: &Scheduler, at: DateTime<Utc>) -> Vec<RunStatus> {
    app.clock.set(at);
    scheduler
        .run_once(at)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.status)
        .collect()
}

const BERLIN: Tz = chrono_tz::Europe::Berlin;
const NEW_YORK: Tz = chrono_tz::America::New_York;

#[tokio::test]
async fn goes_out_once_at_nine_berlin_time_and_not_again_after_a_restart() {
    let (app, sink, scheduler) =
        scheduled("09:00", "Europe/Berlin", local(BERLIN, 2026, 6, 1, 7, 0)).await;
    assert!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 8, 59))
            .await
            .is_empty(),
        "not at 08:59"
    );
    assert_eq!(sink.count(), 0);
    assert_eq!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 9, 0)).await,
        vec![RunStatus::Posted]
    );
    assert_eq!(sink.count(), 1);
    assert!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 9, 1))
            .await
            .is_empty(),
        "not again at 09:01"
    );

    // A restart: a new bot and scheduler over the same database file.
    let store = Store::open(app.db.to_str().unwrap()).await.unwrap();
    let clock = Arc::new(ManualClock::new(local(BERLIN, 2026, 6, 1, 9, 30)));
    let restarted =
        Scheduler::new(Bot::new(store, clock)).with_sink(Platform::Console, sink.clone());
    assert!(
        restarted
            .run_once(local(BERLIN, 2026, 6, 1, 9, 30))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(sink.count(), 1, "one digest that day");
    assert_eq!(sink.posts.lock().unwrap()[0].0, "console");
}

#[tokio::test]
async fn a_bot_down_from_eight_to_eleven_posts_one_late_digest_at_eleven() {
    let (app, sink, scheduler) =
        scheduled("09:00", "Europe/Berlin", local(BERLIN, 2026, 6, 1, 7, 0)).await;
    assert!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 7, 59))
            .await
            .is_empty()
    );
    // Down from 08:00 to 11:00: no ticks.
    assert_eq!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 11, 0)).await,
        vec![RunStatus::Posted]
    );
    assert!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 11, 1))
            .await
            .is_empty()
    );
    assert_eq!(sink.count(), 1);
}

/// Ticks every minute over a whole local day and returns the minutes that posted.
async fn minutes_that_post(
    app: &TestApp,
    scheduler: &Scheduler,
    zone: Tz,
    y: i32,
    mo: u32,
    d: u32,
) -> Vec<DateTime<Utc>> {
    let start = local(zone, y, mo, d, 0, 0);
    let end = local(zone, y, mo, d + 1, 0, 0);
    let mut posted = Vec::new();
    let mut at = start;
    while at < end {
        if tick(app, scheduler, at).await.contains(&RunStatus::Posted) {
            posted.push(at);
        }
        at += Duration::minutes(1);
    }
    posted
}

#[tokio::test]
async fn spring_forward_day_gives_exactly_one_digest() {
    // 2026-03-08 in New York: 02:00 jumps to 03:00, so 02:30 does not exist that day.
    let (app, sink, scheduler) = scheduled(
        "02:30",
        "America/New_York",
        local(NEW_YORK, 2026, 3, 7, 12, 0),
    )
    .await;
    let posted = minutes_that_post(&app, &scheduler, NEW_YORK, 2026, 3, 8).await;
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert_eq!(
        posted[0]
            .with_timezone(&NEW_YORK)
            .format("%H:%M")
            .to_string(),
        "03:00",
        "the next valid minute"
    );
    assert_eq!(sink.count(), 1);
}

#[tokio::test]
async fn fall_back_day_gives_exactly_one_digest() {
    // 2026-11-01 in New York: 01:30 happens twice.
    let (app, sink, scheduler) = scheduled(
        "01:30",
        "America/New_York",
        local(NEW_YORK, 2026, 10, 31, 12, 0),
    )
    .await;
    let posted = minutes_that_post(&app, &scheduler, NEW_YORK, 2026, 11, 1).await;
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert_eq!(
        posted[0],
        Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap(),
        "the first 01:30 (EDT)"
    );
    assert_eq!(sink.count(), 1);
}

#[tokio::test]
async fn an_empty_day_posts_nothing() {
    let (app, sink, scheduler) =
        scheduled("09:00", "Europe/Berlin", local(BERLIN, 2026, 6, 1, 7, 0)).await;
    assert_eq!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 9, 0)).await,
        vec![RunStatus::Posted]
    );
    // Nothing happens on the second day.
    assert_eq!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 2, 9, 0)).await,
        vec![RunStatus::Empty]
    );
    assert!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 2, 9, 5))
            .await
            .is_empty(),
        "recorded as done"
    );
    assert_eq!(sink.count(), 1);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 6, 2).unwrap();
    let channel = app
        .bot
        .store()
        .find_channel("console")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.bot.store().digest_run(channel.id, day).await.unwrap(),
        Some(RunStatus::Empty)
    );
}

#[tokio::test]
async fn a_send_that_fails_once_is_retried_and_posted_once() {
    let (app, sink, scheduler) =
        scheduled("09:00", "Europe/Berlin", local(BERLIN, 2026, 6, 1, 7, 0)).await;
    *sink.failures.lock().unwrap() = 1;
    assert_eq!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 9, 0)).await,
        vec![RunStatus::Failed]
    );
    assert_eq!(sink.count(), 0);
    assert_eq!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 9, 1)).await,
        vec![RunStatus::Posted]
    );
    assert!(
        tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 9, 2))
            .await
            .is_empty()
    );
    assert_eq!(sink.count(), 1);
    let posts = sink.posts.lock().unwrap();
    assert!(
        posts[0].2.starts_with("digest/"),
        "an idempotency key per channel and day"
    );
}

#[tokio::test]
async fn the_digest_holds_articles_discussions_pins_and_a_quote() {
    let (app, sink, scheduler) =
        scheduled("09:00", "Europe/Berlin", local(BERLIN, 2026, 6, 1, 7, 0)).await;
    let store = app.bot.store();
    let now = app.bot.now();
    let channel = common::channel(store, "console", "console", None, now).await;
    let (discussion, _) = store
        .open_discussion(readingroom::store::ArticleId(1), channel.id, now)
        .await
        .unwrap();
    for (i, author) in ["ana", "ben", "ana"].iter().enumerate() {
        app.bot
            .record_message(
                discussion.id,
                NewMessage {
                    platform: "console".into(),
                    platform_id: format!("m{i}"),
                    author_id: (*author).into(),
                    author_name: (*author).into(),
                    body: format!("comment {i} by {author}"),
                    reply_to: None,
                    created_at: now,
                },
            )
            .await
            .unwrap();
    }
    let moderator = context(Platform::Console, "console", "mod", true);
    app.bot.handle_text(&moderator, "pin 2 a sharp reply").await;

    // Anyone may preview; it is for the caller only.
    let reader = context(Platform::Console, "console", "reader", false);
    let preview = app.bot.handle_text(&reader, "digest preview").await;
    assert!(preview.ephemeral);
    assert!(matches!(preview.body, Body::Card(_)), "{preview:?}");

    tick(&app, &scheduler, local(BERLIN, 2026, 6, 1, 9, 0)).await;
    let posts = sink.posts.lock().unwrap();
    let Body::Card(card) = &posts[0].1.body else {
        panic!("{:?}", posts[0])
    };
    let field = |prefix: &str| {
        card.fields
            .iter()
            .find(|f| f.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix}: {card:#?}"))
    };
    let new = field("New: #1 Quiet Rooms");
    assert!(
        new.value
            .contains("https://lantern.example.org/essays/reading-rooms"),
        "{new:?}"
    );
    let one_line = new.value.lines().next().unwrap();
    assert!(
        fixture("reading-room-fixture.md")
            .replace('\n', " ")
            .contains(one_line.trim_end_matches('…').trim()),
        "verbatim: {one_line}"
    );
    assert!(
        field("Discussed: #1")
            .value
            .starts_with("3 messages from 2 readers")
    );
    let pinned = field("Pinned on #1");
    assert!(
        pinned.value.contains("ben: “comment 1 by ben”") && pinned.value.contains("a sharp reply"),
        "{pinned:?}"
    );
    let quote = card.quote.as_ref().expect("a quote of the day");
    assert!(quote.speaker.as_deref().unwrap().contains("#1 Quiet Rooms"));
    assert!(card.title.contains("Monday 1 June 2026"), "{}", card.title);
}

#[tokio::test]
async fn digest_commands_check_moderators_and_input() {
    let app = spawn_app().await;
    let reader = context(Platform::Console, "c", "reader", false);
    let moderator = context(Platform::Console, "c", "mod", true);
    for line in ["digest at 09:00", "digest off", "digest now"] {
        let reply = app.bot.handle_text(&reader, line).await;
        assert!(
            matches!(&reply.body, Body::Error(e) if e.starts_with("Only moderators")),
            "{line}: {reply:?}"
        );
    }
    let reply = app
        .bot
        .handle_text(&moderator, "digest at 9:00 Europe/Berlin")
        .await;
    assert!(
        matches!(&reply.body, Body::Text(t) if t.contains("09:00 (Europe/Berlin)")),
        "{reply:?}"
    );
    // The zone is remembered when a later change leaves it out.
    let reply = app.bot.handle_text(&moderator, "digest at 18:30").await;
    assert!(
        matches!(&reply.body, Body::Text(t) if t.contains("18:30 (Europe/Berlin)")),
        "{reply:?}"
    );
    let reply = app.bot.handle_text(&moderator, "digest at 24:00").await;
    assert!(
        matches!(&reply.body, Body::Error(e) if e.contains("HH:MM")),
        "{reply:?}"
    );
    let reply = app.bot.handle_text(&moderator, "digest now").await;
    assert!(
        matches!(&reply.body, Body::Text(t) if t.starts_with("Nothing new")),
        "{reply:?}"
    );
    let reply = app.bot.handle_text(&moderator, "digest off").await;
    assert!(
        matches!(&reply.body, Body::Text(t) if t.contains("off")),
        "{reply:?}"
    );
    assert!(app.bot.store().digest_schedules().await.unwrap().is_empty());
}

#[tokio::test]
async fn export_is_a_reply_tree_with_pins_and_without_deleted_messages() {
    let app = spawn_app().await;
    let article = app.ingest_fixture().await;
    let store = app.bot.store();
    let now = app.bot.now();
    let message =
        |id: &str, author: &str, body: &str, reply_to: Option<&str>, minutes: i64| NewMessage {
            platform: "discord".into(),
            platform_id: id.into(),
            author_id: author.into(),
            author_name: author.into(),
            body: body.into(),
            reply_to: reply_to.map(str::to_owned),
            created_at: now + Duration::minutes(minutes),
        };
    let first = common::channel(store, "discord", "c1", Some("books"), now).await;
    let (d1, _) = store.open_discussion(article, first.id, now).await.unwrap();
    app.bot
        .record_message(d1.id, message("a", "ana", "Root take", None, 0))
        .await
        .unwrap();
    app.bot
        .record_message(d1.id, message("b", "ben", "Reply to ana", Some("a"), 1))
        .await
        .unwrap();
    app.bot
        .record_message(d1.id, message("c", "cy", "Deleted later", Some("a"), 2))
        .await
        .unwrap();
    app.bot
        .record_message(
            d1.id,
            message("d", "dee", "Reply to the deleted one", Some("c"), 3),
        )
        .await
        .unwrap();
    let matrix = common::channel(store, "matrix", "!room:x", None, now).await;
    let (d2, _) = store
        .open_discussion(article, matrix.id, now)
        .await
        .unwrap();
    let mut other = message("$e", "eve", "From Matrix", None, 4);
    other.platform = "matrix".into();
    app.bot.record_message(d2.id, other).await.unwrap();
    store.delete_message("discord", "c", now).await.unwrap();
    let moderator = context(Platform::Discord, "c1", "mod", true);
    app.bot
        .handle(
            &moderator,
            readingroom::bot::Command::pin(
                readingroom::bot::MessageRef::Platform("b".into()),
                Some("best reply".into()),
            )
            .unwrap(),
        )
        .await;

    let reply = app
        .bot
        .handle_text(&moderator, &format!("export {}", article.0))
        .await;
    let Body::File { name, content, .. } = &reply.body else {
        panic!("{reply:?}")
    };
    assert_eq!(name, "discussion-1.md");
    assert!(
        !content.contains("Deleted later"),
        "deleted messages stay out"
    );
    let order: Vec<&str> = content
        .lines()
        .filter(|l| l.trim_start().starts_with("- **"))
        .collect();
    assert_eq!(order.len(), 3, "{content}");
    assert!(order[0].starts_with("- **ana**"));
    assert!(
        order[1].starts_with("  - **ben**") && order[1].contains("📌 pinned (best reply)"),
        "{content}"
    );
    assert!(
        order[2].starts_with("  - **dee**"),
        "a reply to a deleted message moves up: {content}"
    );
    assert!(
        !content.contains("eve") && !content.contains("From Matrix"),
        "another community's discussion stays out of this one's export: {content}"
    );
    // The operator's export holds every community's.
    let stored = store.article(article).await.unwrap().unwrap();
    let whole =
        readingroom::bot::export::build(store, readingroom::store::Scope::Operator, &stored)
            .await
            .unwrap();
    let whole = readingroom::bot::export::markdown(&whole);
    assert!(
        whole.contains("**eve**") && whole.contains("From Matrix") && whole.contains("**ana**"),
        "{whole}"
    );

    let reader = context(Platform::Discord, "c1", "reader", false);
    let refused = app.bot.handle_text(&reader, "export 1").await;
    assert!(matches!(refused.body, Body::Error(_)));

    let out = readingroom()
        .db(&app.db)
        .args(["export", "--article", "1", "--format", "json"])
        .stdout();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["messages"], 4);
    assert_eq!(json["thread"][0]["replies"][0]["pinned"], true);
    assert_eq!(json["thread"][1]["platform"], "matrix");
}
