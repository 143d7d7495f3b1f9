//! Shared helpers for the integration tests: a fresh database file per test, and the fixture
//! articles written for these tests.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking
#![allow(dead_code)]

pub mod postgres;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use readingroom::bot::{Bot, Context, Platform, User};
use readingroom::clock::ManualClock;
use readingroom::store::{ArticleId, Backend, Store};

/// A bot over a fresh store (a SQLite file unless asked otherwise), with a clock standing at 2026-03-01 12:00 UTC.
pub struct TestApp {
    pub bot: Bot,
    pub clock: Arc<ManualClock>,
    pub db: PathBuf,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(Backend::Sqlite).await
}

/// [`spawn_app`] on `backend`: on PostgreSQL, a database of its own in this binary's cluster
/// (`db` then names no file).
pub async fn spawn_app_on(backend: Backend) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("readingroom.db");
    let location = match backend {
        Backend::Sqlite => db.to_str().expect("utf-8 path").to_owned(),
        Backend::Postgres => postgres::cluster().database().await,
    };
    let store = Store::open(&location).await.expect("open store");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
    ));
    // No rate limit: these tests run many commands as one reader on a stopped clock. The
    // rate-limit tests set their own.
    let bot = Bot::new(store, clock.clone()).with_rate_limit(0, std::time::Duration::ZERO);
    TestApp {
        bot,
        clock,
        db,
        _dir: dir,
    }
}

impl TestApp {
    /// Stores the fixture article (#1 in the fresh database) and returns its id.
    pub async fn ingest_fixture(&self) -> ArticleId {
        let (ingested, _) = self
            .bot
            .ingest(&fixture("reading-room-fixture.md"), None)
            .await
            .unwrap();
        ingested.id()
    }
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).expect("fixture")
}

/// A reader (or a moderator) in a channel of some platform.
pub fn context(platform: Platform, channel: &str, user: &str, moderator: bool) -> Context {
    Context {
        platform,
        // Each test channel is a community of its own, as a Matrix room is.
        community: channel.to_owned(),
        channel: channel.to_owned(),
        channel_name: None,
        user: User {
            id: format!("id-{user}"),
            name: user.to_owned(),
            moderator,
        },
        prefix: "/".to_owned(),
    }
}

/// The channel `external` of `platform`, in a community of its own (as a Matrix room is).
pub async fn channel(
    store: &Store,
    platform: &str,
    external: &str,
    name: Option<&str>,
    now: chrono::DateTime<Utc>,
) -> readingroom::store::Channel {
    let community = store
        .community(platform, external, None, now)
        .await
        .unwrap();
    store
        .channel(platform, external, name, community.id, now)
        .await
        .unwrap()
}

/// The one-time code in a `link code` answer (`ABCD-EFGH-JKMN-PQRS`).
pub fn link_code_in(answer: &str) -> String {
    answer
        .split_whitespace()
        .find(|word| word.len() == 19 && word.matches('-').count() == 3)
        .expect("a link code")
        .to_owned()
}

/// One line per moderator-only action (prefix omitted), for checking refusals on every
/// platform: each moderator command's own example, so a new one is checked as soon as it is
/// in the command list.
pub fn moderator_lines() -> Vec<String> {
    readingroom::bot::commands::leaves()
        .filter(|spec| spec.moderator)
        .map(|spec| spec.example_line(""))
        .collect()
}
