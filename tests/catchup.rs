//! Catch-up in the core, for every platform: what a platform finds in its history goes through
//! the live path (recorded once, newest edit wins, deletions forget the text, other communities'
//! threads untouched), and a finished catch-up is kept for `/stats`.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

mod common;

use chrono::{DateTime, Utc};
use common::{TestApp, context, spawn_app};
use readingroom::bot::{Body, Platform, Posted};
use readingroom::store::Scope;

/// A discussion of the fixture article in Discord channel `c1` (its own community), carried by
/// thread `t1`.
async fn tracked_thread(app: &TestApp) -> i64 {
    let article = app.ingest_fixture().await;
    let now = app.bot.now();
    let channel = common::channel(app.bot.store(), "discord", "c1", None, now).await;
    let (discussion, _) = app
        .bot
        .store()
        .open_discussion(article, channel.id, now)
        .await
        .unwrap();
    app.bot
        .thread_opened(discussion.id, Some("t1"))
        .await
        .unwrap();
    discussion.id
}

fn posted(id: &str, body: &str, reply_to: Option<&str>, at: DateTime<Utc>) -> Posted {
    Posted {
        platform: Platform::Discord,
        community: "c1".into(),
        thread: "t1".into(),
        id: id.into(),
        author_id: "u1".into(),
        author_name: "ana".into(),
        body: body.into(),
        reply_to: reply_to.map(str::to_owned),
        at,
    }
}

async fn body_of(app: &TestApp, id: &str) -> Option<String> {
    app.bot
        .store()
        .message_by_platform_id(Scope::Operator, "discord", id)
        .await
        .unwrap()
        .unwrap()
        .body
}

#[tokio::test]
async fn found_messages_are_recorded_once_edits_newest_first_and_deletions_forget() {
    let app = spawn_app().await;
    let discussion = tracked_thread(&app).await;
    let t0 = app.bot.now() - chrono::Duration::minutes(10);
    // m1 came live before the bot went away.
    app.bot
        .message_posted(posted("m1", "live", None, t0))
        .await
        .unwrap();

    let mut run = app
        .bot
        .catch_up(Platform::Discord, "c1", app.bot.now())
        .await
        .unwrap();
    let thread = run.thread("t1").await.unwrap().unwrap();
    assert_eq!(thread.discussion_id, discussion);
    assert_eq!(thread.last.as_ref().unwrap().platform_id, "m1");
    assert!(run.thread("t-unknown").await.unwrap().is_none());
    // A message recorded live once the catch-up began is not where it resumes.
    app.bot
        .message_posted(posted("m-live", "live", None, app.bot.now()))
        .await
        .unwrap();
    let again = run.thread("t1").await.unwrap().unwrap();
    assert_eq!(again.last.as_ref().unwrap().platform_id, "m1");
    let tracked = run.tracked_threads().await.unwrap();
    assert_eq!(tracked.len(), 1);
    assert_eq!(
        (tracked[0].thread.as_str(), tracked[0].channel.as_str()),
        ("t1", "c1")
    );

    let later = |s: i64| t0 + chrono::Duration::seconds(s);
    assert!(
        !run.posted(posted("m1", "live", None, t0)).await.unwrap(),
        "already recorded"
    );
    assert!(
        run.posted(posted("m2", "away", Some("m1"), later(1)))
            .await
            .unwrap()
    );
    assert!(
        run.posted(posted("m3", "doomed", None, later(2)))
            .await
            .unwrap()
    );
    assert!(
        !run.posted(posted("m2", "away", Some("m1"), later(1)))
            .await
            .unwrap()
    );

    // An edit applies once; an older one than what is stored does not.
    assert!(
        run.edited(Some("t1"), "m1", Some("u1"), "edited".into(), later(5))
            .await
            .unwrap()
    );
    assert!(
        !run.edited(Some("t1"), "m1", Some("u1"), "edited".into(), later(5))
            .await
            .unwrap()
    );
    assert!(
        !run.edited(Some("t1"), "m1", Some("u1"), "older".into(), later(3))
            .await
            .unwrap()
    );
    assert_eq!(body_of(&app, "m1").await.as_deref(), Some("edited"));
    // Someone else's edit never counts.
    assert!(
        !run.edited(Some("t1"), "m2", Some("u2"), "forged".into(), later(6))
            .await
            .unwrap()
    );

    assert!(run.deleted(Some("t1"), "m3").await.unwrap());
    assert!(
        !run.deleted(Some("t1"), "m3").await.unwrap(),
        "already deleted"
    );
    assert_eq!(body_of(&app, "m3").await, None);

    let since = run.recorded_since(&thread, t0).await.unwrap();
    let ids: Vec<_> = since.iter().map(|m| m.platform_id.as_str()).collect();
    assert_eq!(ids, ["m1", "m2", "m3", "m-live"]);
    assert_eq!(
        since.iter().map(|m| m.deleted).collect::<Vec<_>>(),
        [false, false, true, false]
    );
    assert_eq!(since[0].edited_at, Some(later(5)));
    let since = run.recorded_since(&thread, later(1)).await.unwrap();
    assert_eq!(since.len(), 3);

    run.page_read();
    run.thread_read();
    let record = run.finish().await.unwrap();
    assert_eq!(
        (
            record.threads,
            record.pages,
            record.recorded,
            record.updated,
            record.deleted,
            record.cut_short
        ),
        (1, 1, 2, 1, 1, false)
    );
    let messages = app
        .bot
        .store()
        .discussion_messages(discussion)
        .await
        .unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[1].reply_to.as_deref(), Some("m1"));
}

#[tokio::test]
async fn another_communitys_thread_is_not_touched() {
    let app = spawn_app().await;
    tracked_thread(&app).await;
    app.bot
        .message_posted(posted("m1", "mine", None, app.bot.now()))
        .await
        .unwrap();
    let mut other = app
        .bot
        .catch_up(Platform::Discord, "c2", app.bot.now())
        .await
        .unwrap();
    assert!(other.thread("t1").await.unwrap().is_none());
    assert!(other.tracked_threads().await.unwrap().is_empty());
    let mut stray = posted("m9", "stray", None, app.bot.now());
    stray.community = "c2".into();
    assert!(!other.posted(stray).await.unwrap());
    assert!(!other.deleted(Some("t1"), "m1").await.unwrap());
    assert!(
        !other
            .edited(Some("t1"), "m1", Some("u1"), "x".into(), app.bot.now())
            .await
            .unwrap()
    );
    assert_eq!(body_of(&app, "m1").await.as_deref(), Some("mine"));
    let record = other.finish().await.unwrap();
    assert_eq!((record.recorded, record.updated, record.deleted), (0, 0, 0));
}

#[tokio::test]
async fn stats_show_the_communitys_last_catch_up() {
    let app = spawn_app().await;
    tracked_thread(&app).await;
    let moderator = context(Platform::Discord, "c1", "mod", true);
    let stats = |reply: readingroom::bot::Reply| match reply.body {
        Body::Text(text) => text,
        other => panic!("{other:?}"),
    };
    let before = stats(app.bot.handle_text(&moderator, "stats").await);
    assert!(!before.contains("catch-up"), "{before}");

    let mut run = app
        .bot
        .catch_up(Platform::Discord, "c1", app.bot.now())
        .await
        .unwrap();
    run.posted(posted("m1", "away", None, app.bot.now()))
        .await
        .unwrap();
    run.page_read();
    run.thread_read();
    run.cut_short();
    run.finish().await.unwrap();
    let after = stats(app.bot.handle_text(&moderator, "stats").await);
    assert!(
        after.contains("Last catch-up 2026-03-01 12:00 UTC (took ")
            && after.contains("1 threads, 1 pages): 1 recorded, 0 updated, 0 marked deleted; cut short by its page budget"),
        "{after}"
    );
    // Another community has its own (none yet); a later run replaces the last one.
    let elsewhere = context(Platform::Discord, "c2", "mod", true);
    assert!(!stats(app.bot.handle_text(&elsewhere, "stats").await).contains("catch-up"));
    app.clock.advance(chrono::Duration::hours(1));
    app.bot
        .catch_up(Platform::Discord, "c1", app.bot.now())
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
    let again = stats(app.bot.handle_text(&moderator, "stats").await);
    assert!(
        again.contains("Last catch-up 2026-03-01 13:00 UTC")
            && again.contains("0 recorded")
            && !again.contains("cut short"),
        "{again}"
    );
}
