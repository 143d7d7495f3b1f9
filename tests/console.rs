//! The bot core driven through the console adapter, on a real SQLite file: in process, and
//! through the `readingroom` binary with piped input.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

#[path = "common/bin.rs"]
mod bin;
mod common;

use bin::readingroom;
use common::{context, fixture, fixture_path, spawn_app};
use readingroom::bot::{Body, Platform};
use readingroom::platform::console::Console;
use readingroom::store::{NewMessage, Scope, Store};

#[tokio::test]
async fn piped_console_session_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rr.db");
    let fixture = fixture_path("reading-room-fixture.md");

    for expected in ["#1 Quiet Rooms", "already have #1 Quiet Rooms"] {
        let stdout = readingroom().db(&db).arg("ingest").arg(&fixture).stdout();
        assert!(stdout.starts_with(expected), "{stdout}");
    }

    let stdout = readingroom()
        .db(&db)
        .env("READINGROOM_CONSOLE_USER", "ana")
        .stdin(
            b"/article\n/quote\n/summary 1\n/discuss 1\nThe silence is the point.\n>1 Silence is not a community.\n/done\n/article 999\n/frobnicate\n",
        )
        .stdout();
    assert!(
        stdout.contains("Quiet Rooms and Loud Arguments"),
        "{stdout}"
    );
    assert!(stdout.contains("Discussing #1"), "{stdout}");
    assert!(
        stdout.contains("recorded as #1") && stdout.contains("recorded as #2"),
        "{stdout}"
    );
    assert!(stdout.contains("Left the discussion of #1."), "{stdout}");
    assert!(stdout.contains("! There is no article #999."), "{stdout}");
    assert!(
        stdout.contains("! There is no command /frobnicate."),
        "{stdout}"
    );

    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    assert_eq!(store.article_count().await.unwrap(), 1);
    let first = store.message(Scope::Operator, 1).await.unwrap().unwrap();
    let second = store.message(Scope::Operator, 2).await.unwrap().unwrap();
    assert_eq!(first.body.as_deref(), Some("The silence is the point."));
    assert_eq!(first.author_name, "ana");
    assert_eq!(second.reply_to.as_deref(), Some(first.platform_id.as_str()));
    assert_eq!(second.body.as_deref(), Some("Silence is not a community."));
}

#[tokio::test]
async fn console_ends_cleanly_at_end_of_input_and_on_quit() {
    let app = spawn_app().await;
    let mut console = Console::new(app.bot.clone(), "ana");
    let mut out = Vec::new();
    console
        .run(&b"/help\n/quit\n/article\n"[..], &mut out)
        .await
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("/summary <article> [sentences]"), "{out}");
    assert!(
        !out.contains("There are no articles yet"),
        "nothing after /quit is read: {out}"
    );

    let mut out = Vec::new();
    console.run(&b""[..], &mut out).await.unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .starts_with("Reading Room console.")
    );
}

#[tokio::test]
async fn empty_store_and_stray_lines_get_specific_answers() {
    let app = spawn_app().await;
    let mut console = Console::new(app.bot.clone(), "ana");
    assert!(
        console
            .line("/article")
            .await
            .contains("There are no articles yet")
    );
    assert!(console.line("/quote").await.contains("No quotations yet"));
    assert!(
        console
            .line("hello?")
            .await
            .contains("Commands start with /")
    );
    assert!(console.line("/done").await.contains("not in a discussion"));
    assert!(
        console
            .line("/summary")
            .await
            .contains("/summary needs <article>")
    );
    assert!(
        console
            .line("/artcle")
            .await
            .contains("Did you mean /article?")
    );
}

#[tokio::test]
async fn pins_show_on_the_card_and_moderation_is_enforced() {
    let app = spawn_app().await;
    let id = app.ingest_fixture().await.0;
    let mut console = Console::new(app.bot.clone(), "mod");
    console.line(&format!("/discuss {id}")).await;
    assert_eq!(
        console
            .line("Rooms like these are civic infrastructure.")
            .await,
        "  recorded as #1"
    );
    console.line("/done").await;

    let reader = context(Platform::Console, "console", "reader", false);
    let refused = app.bot.handle_text(&reader, "pin 1").await;
    assert_eq!(
        refused.body,
        Body::Error("Only moderators can use /pin.".into())
    );
    assert!(refused.ephemeral);
    assert!(
        app.bot
            .store()
            .pins(Scope::Operator, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let pinned = console.line("/pin 1 the civic angle").await;
    assert!(pinned.starts_with("Pinned message #1 by mod"), "{pinned}");
    let card = console.line(&format!("/article {id}")).await;
    assert!(
        card.contains(
            "Pinned commentary: mod: “Rooms like these are civic infrastructure.” (the civic angle)"
        ),
        "{card}"
    );
    assert!(card.contains("Discussion: 1 message"), "{card}");
    let pins = console.line("/pins").await;
    assert!(
        pins.contains("Note: the civic angle") && pins.contains("Pinned by mod"),
        "{pins}"
    );

    assert_eq!(console.line("/unpin 1").await, "Unpinned message #1.");
    assert!(
        !console
            .line(&format!("/article {id}"))
            .await
            .contains("Pinned commentary")
    );
    assert!(console.line("/unpin 1").await.contains("is not pinned"));
    assert!(
        console
            .line("/pin 99")
            .await
            .contains("Message #99 is not part of a recorded discussion")
    );
}

#[tokio::test]
async fn edits_and_deletes_reach_the_store_and_a_deleted_pin_leaves_the_board() {
    let app = spawn_app().await;
    let article = app.ingest_fixture().await;
    let store = app.bot.store();
    let now = app.bot.now();
    let channel = common::channel(store, "discord", "c1", Some("books"), now).await;
    let (discussion, created) = store
        .open_discussion(article, channel.id, now)
        .await
        .unwrap();
    assert!(created);
    let (again, created) = store
        .open_discussion(article, channel.id, now)
        .await
        .unwrap();
    assert_eq!(
        (again.id, created),
        (discussion.id, false),
        "one discussion per article and channel"
    );
    store.set_thread(discussion.id, Some("t1")).await.unwrap();
    assert_eq!(
        store
            .discussion_by_thread("discord", "t1", None)
            .await
            .unwrap()
            .map(|d| d.id),
        Some(discussion.id)
    );
    assert_eq!(
        store
            .discussion_by_thread("matrix", "t1", None)
            .await
            .unwrap(),
        None
    );

    let message = |id: &str, body: &str, reply_to: Option<&str>| NewMessage {
        platform: "discord".into(),
        platform_id: id.into(),
        author_id: "u1".into(),
        author_name: "ana".into(),
        body: body.into(),
        reply_to: reply_to.map(str::to_owned),
        created_at: now,
    };
    let first = app
        .bot
        .record_message(discussion.id, message("m1", "@everyone first", None))
        .await
        .unwrap();
    let again = app
        .bot
        .record_message(discussion.id, message("m1", "redelivered", None))
        .await
        .unwrap();
    assert_eq!(first, again, "a redelivered message is stored once");
    app.bot
        .record_message(discussion.id, message("m2", "second", Some("m1")))
        .await
        .unwrap();

    assert!(
        store
            .edit_message("discord", "m1", "edited text", now)
            .await
            .unwrap()
    );
    let edited = store
        .message(Scope::Operator, first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(edited.body.as_deref(), Some("edited text"));
    assert!(edited.edited_at.is_some());

    let moderator = context(Platform::Discord, "c1", "mod", true);
    let reply = app
        .bot
        .handle(
            &moderator,
            readingroom::bot::Command::pin(
                readingroom::bot::MessageRef::Platform("m1".into()),
                None,
            )
            .unwrap(),
        )
        .await;
    assert!(matches!(reply.body, Body::Text(_)), "{reply:?}");
    assert_eq!(
        store
            .pins(Scope::Operator, Some(article), 10)
            .await
            .unwrap()
            .len(),
        1
    );

    assert!(store.delete_message("discord", "m1", now).await.unwrap());
    let deleted = store
        .message(Scope::Operator, first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deleted.body, None, "the store forgets deleted text");
    assert!(
        store
            .pins(Scope::Operator, None, 10)
            .await
            .unwrap()
            .is_empty(),
        "a deleted message leaves the pins"
    );
    assert!(
        !store
            .edit_message("discord", "m1", "resurrected", now)
            .await
            .unwrap()
    );
    let stats = store
        .discussion_stats(Scope::Operator, article)
        .await
        .unwrap();
    assert_eq!((stats.messages, stats.participants), (1, 1));
    assert!(store.integrity_check().await.unwrap());

    // Events can overtake each other: an edit or delete that arrives before the message is
    // applied when the message is recorded, and a delete wins over an edit.
    store
        .defer_change("discord", "late-1", Some("edited first"), now)
        .await
        .unwrap();
    let id = app
        .bot
        .record_message(discussion.id, message("late-1", "original", None))
        .await
        .unwrap();
    assert_eq!(
        store
            .message(Scope::Operator, id)
            .await
            .unwrap()
            .unwrap()
            .body
            .as_deref(),
        Some("edited first")
    );
    store
        .defer_change("discord", "late-2", None, now)
        .await
        .unwrap();
    store
        .defer_change("discord", "late-2", Some("edit after delete"), now)
        .await
        .unwrap();
    let id = app
        .bot
        .record_message(discussion.id, message("late-2", "secret", None))
        .await
        .unwrap();
    let late = store.message(Scope::Operator, id).await.unwrap().unwrap();
    assert_eq!(late.body, None, "the store never keeps deleted text");
    assert!(late.deleted_at.is_some());
}

#[tokio::test]
async fn search_treats_fts_syntax_as_words() {
    let app = spawn_app().await;
    app.ingest_fixture().await;
    let ctx = context(Platform::Console, "console", "ana", false);
    for query in [
        "\"", "NEAR(", "*", "-lamps", "lamps OR", "title:x", "\"lamps",
    ] {
        let reply = app.bot.handle_text(&ctx, &format!("search {query}")).await;
        match &reply.body {
            Body::Card(card) => assert!(card.title.contains("matching"), "{query}: {card:?}"),
            Body::Error(text) => assert!(text.starts_with("No article matches"), "{query}: {text}"),
            other => panic!("{query}: {other:?}"),
        }
    }
    let reply = app.bot.handle_text(&ctx, "search library lamps").await;
    let Body::Card(card) = reply.body else {
        panic!("{reply:?}")
    };
    assert_eq!(card.fields.len(), 1);
    assert!(card.fields[0].name.starts_with("#1 Quiet Rooms"));
    let reply = app.bot.handle_text(&ctx, "article reading rooms").await;
    let Body::Card(card) = reply.body else {
        panic!("{reply:?}")
    };
    assert!(card.title.starts_with("Quiet Rooms"));
    // `/quote <words>` quotes from the best match, and says when nothing matches.
    let reply = app.bot.handle_text(&ctx, "quote reading rooms").await;
    assert!(format!("{reply:?}").contains("#1"), "{reply:?}");
    let reply = app.bot.handle_text(&ctx, "quote zeppelin").await;
    assert!(
        matches!(&reply.body, Body::Error(text) if text == "No article matches “zeppelin”."),
        "{reply:?}"
    );
}

#[tokio::test]
async fn bad_files_get_specific_errors_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rr.db");
    let binary_file = dir.path().join("image.bin");
    std::fs::write(&binary_file, [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let empty = dir.path().join("empty.md");
    std::fs::write(&empty, "  \n\n").unwrap();
    let out = readingroom()
        .db(&db)
        .arg("ingest")
        .arg(&binary_file)
        .arg(&empty)
        .arg(dir.path().join("missing.md"))
        .output();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not UTF-8 text"), "{stderr}");
    assert!(stderr.contains("the text is empty"), "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    assert_eq!(store.article_count().await.unwrap(), 0);
}

/// Discord hands each gateway event to its own task, so an edit or delete can race the
/// creation of the same message. Whichever commits first, the change must end up applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_racing_the_creation_are_never_lost() {
    let app = spawn_app().await;
    let article = app.ingest_fixture().await;
    let store = app.bot.store().clone();
    let now = app.bot.now();
    let channel = common::channel(&store, "discord", "c1", None, now).await;
    let (discussion, _) = store
        .open_discussion(article, channel.id, now)
        .await
        .unwrap();

    let mut tasks = Vec::new();
    for i in 0..200 {
        let id = format!("race-{i}");
        let deleted = i % 2 == 1;
        let creator = {
            let store = store.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let message = NewMessage {
                    platform: "discord".into(),
                    platform_id: id,
                    author_id: "u1".into(),
                    author_name: "ana".into(),
                    body: "original".into(),
                    reply_to: None,
                    created_at: now,
                };
                store.record_message(discussion.id, &message).await
            })
        };
        let changer = {
            let store = store.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let change = (!deleted).then_some("changed");
                let direct = match change {
                    Some(text) => store.edit_message("discord", &id, text, now).await?,
                    None => store.delete_message("discord", &id, now).await?,
                };
                if !direct {
                    store.defer_change("discord", &id, change, now).await?;
                }
                Ok::<_, readingroom::store::StoreError>(())
            })
        };
        tasks.push((creator, changer, deleted));
    }
    for (creator, changer, deleted) in tasks {
        let id = creator.await.unwrap().unwrap();
        changer.await.unwrap().unwrap();
        let stored = store.message(Scope::Operator, id).await.unwrap().unwrap();
        if deleted {
            assert_eq!(stored.body, None, "{}", stored.platform_id);
        } else {
            assert_eq!(
                stored.body.as_deref(),
                Some("changed"),
                "{}",
                stored.platform_id
            );
        }
    }
}

#[tokio::test]
async fn every_moderator_command_refuses_readers_and_runs_for_moderators() {
    let app = spawn_app().await;
    app.ingest_fixture().await;
    for (i, line) in common::moderator_lines().into_iter().enumerate() {
        // A reader of their own per line: the rate limit is not what is tested here.
        let reader = context(Platform::Matrix, "!room", &format!("reader-{i}"), false);
        let reply = app.bot.handle_text(&reader, &line).await;
        match &reply.body {
            Body::Error(text) => assert!(text.contains("Only moderators"), "{line}: {text}"),
            other => panic!("{line} ran for a reader: {other:?}"),
        }
        assert!(reply.ephemeral, "{line}: refusals are for the caller only");
    }
    let totals = app.bot.store().totals(Scope::Operator).await.unwrap();
    assert_eq!((totals.pins, totals.feeds, totals.articles), (0, 0, 1));
    assert!(app.bot.store().digest_schedules().await.unwrap().is_empty());

    let moderator = context(Platform::Matrix, "!room", "mod", true);
    let reply = app.bot.handle_text(&moderator, "stats").await;
    let Body::Text(stats) = &reply.body else {
        panic!("{reply:?}")
    };
    assert!(
        stats.starts_with("Reading Room holds 1 articles"),
        "{stats}"
    );
    assert!(reply.ephemeral);
    let reply = app
        .bot
        .handle_text(&moderator, "digest at 09:00 Europe/Berlin")
        .await;
    assert!(!matches!(reply.body, Body::Error(_)), "{reply:?}");
}

#[tokio::test]
async fn a_command_flood_gets_one_cooldown_notice_then_silence_until_the_refill() {
    let app = spawn_app().await;
    let bot = app
        .bot
        .clone()
        .with_rate_limit(3, std::time::Duration::from_secs(10));
    bot.ingest(&fixture("reading-room-fixture.md"), None)
        .await
        .unwrap();
    let reader = context(Platform::Matrix, "!room", "flooder", false);
    for _ in 0..3 {
        let reply = bot.handle_text(&reader, "article 1").await;
        assert!(matches!(reply.body, Body::Card(_)), "{reply:?}");
    }
    let notice = bot.handle_text(&reader, "article 1").await;
    let Body::Error(text) = &notice.body else {
        panic!("{notice:?}")
    };
    assert!(text.contains("Try again in 10 s"), "{text}");
    assert!(!notice.quiet && notice.ephemeral);
    // Invalid lines count too, and the rest of the flood is refused without a word.
    for line in ["article 1", "nonsense", "search rooms"] {
        let reply = bot.handle_text(&reader, line).await;
        assert!(
            reply.quiet && matches!(reply.body, Body::Error(_)),
            "{line}: {reply:?}"
        );
    }
    // Others are not held up, and moderators are never limited.
    let other = context(Platform::Matrix, "!room", "patient", false);
    assert!(matches!(
        bot.handle_text(&other, "article 1").await.body,
        Body::Card(_)
    ));
    let moderator = context(Platform::Matrix, "!room", "mod", true);
    for _ in 0..10 {
        assert!(!bot.handle_text(&moderator, "article 1").await.quiet);
    }
    app.clock.advance(chrono::Duration::seconds(10));
    assert!(matches!(
        bot.handle_text(&reader, "article 1").await.body,
        Body::Card(_)
    ));
}

#[tokio::test]
async fn prometheus_metrics_count_commands_outcomes_and_recorded_messages() {
    let app = spawn_app().await;
    app.ingest_fixture().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(readingroom::metrics::serve(
        listener,
        app.bot.metrics().clone(),
    ));
    let reader = context(Platform::Discord, "c1", "ana", false);
    app.bot.handle_text(&reader, "article 1").await;
    app.bot.handle_text(&reader, "article 1").await;
    app.bot.handle_text(&reader, "article 99").await;
    app.bot.handle_text(&reader, "no such command").await;
    let store = app.bot.store();
    let now = app.bot.now();
    let channel = common::channel(store, "discord", "c1", None, now).await;
    let (discussion, _) = store
        .open_discussion(readingroom::store::ArticleId(1), channel.id, now)
        .await
        .unwrap();
    for i in 0..3 {
        app.bot
            .record_message(
                discussion.id,
                NewMessage {
                    platform: "discord".into(),
                    platform_id: format!("m{i}"),
                    author_id: "u1".into(),
                    author_name: "ana".into(),
                    body: "a take".into(),
                    reply_to: None,
                    created_at: now,
                },
            )
            .await
            .unwrap();
    }

    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    for expected in [
        r#"readingroom_commands_total{command="article",outcome="ok"} 2"#,
        r#"readingroom_commands_total{command="article",outcome="refused"} 1"#,
        r#"readingroom_commands_total{command="invalid",outcome="refused"} 1"#,
        r#"readingroom_command_seconds_count{command="article"} 3"#,
        "readingroom_messages_recorded_total 3",
        "readingroom_errors_total 0",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

/// The binary configured through the environment, as an operator does, with no platform on.
fn configured(db: &std::path::Path, vars: &[(&str, &str)]) -> std::process::Output {
    vars.iter()
        .fold(readingroom().db(db), |run, (key, value)| {
            run.env(key, value)
        })
        .output()
}

#[test]
fn blank_variables_count_as_unset() {
    let dir = tempfile::tempdir().unwrap();
    let out = configured(
        &dir.path().join("rr.db"),
        &[
            ("DISCORD_TOKEN", " "),
            ("DISCORD_GUILD_ID", ""),
            ("READINGROOM_COMMAND_BURST", ""),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Reading Room console"));
}

#[test]
fn configuration_errors_name_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rr.db");
    for (vars, expected) in [
        (
            &[("READINGROOM_METRICS_ADDR", "9184")][..],
            r#"READINGROOM_METRICS_ADDR must be host:port, got "9184""#,
        ),
        (
            &[("MATRIX_HOMESERVER", "https://matrix.example.org")][..],
            "MATRIX_HOMESERVER is set, so MATRIX_USER is needed too",
        ),
    ] {
        let out = configured(&db, vars);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{vars:?}");
        assert!(stderr.contains(expected), "{vars:?}: {stderr}");
    }
}

#[test]
fn help_names_the_variables_and_hides_the_secrets() {
    let out = readingroom()
        .args(["run", "--help"])
        .env("DISCORD_TOKEN", "sekrit-1")
        .env("MATRIX_PASSWORD", "sekrit-2")
        .env("MATRIX_ACCESS_TOKEN", "sekrit-3")
        .env("MATRIX_STORE_PASSPHRASE", "sekrit-4")
        .env("MATRIX_USER", "@bot:example.org")
        .output();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("[env: DISCORD_TOKEN]"), "{help}");
    assert!(
        help.contains("[env: MATRIX_USER=@bot:example.org]"),
        "{help}"
    );
    assert!(!help.contains("sekrit"), "{help}");
}

#[tokio::test]
async fn quotes_lists_every_quotation_with_its_speaker() {
    let app = spawn_app().await;
    let id = app.ingest_fixture().await;
    let reader = context(Platform::Console, "c", "reader", false);
    let reply = app.bot.handle_text(&reader, &format!("quotes {id}")).await;
    let Body::Card(card) = &reply.body else {
        panic!("{reply:?}")
    };
    let stored = app.bot.store().article(id).await.unwrap().unwrap();
    assert_eq!(card.fields.len(), stored.article.quotes.len().min(20));
    for (field, quote) in card.fields.iter().zip(&stored.article.quotes) {
        assert!(field.value.contains(&quote.text), "{field:?}");
        let speaker = quote.speaker.as_deref().unwrap_or("Unattributed");
        assert!(field.name.starts_with(speaker), "{field:?}");
    }
    assert!(card.fields.iter().any(|f| f.name.contains("Marsh")));
    let reply = app.bot.handle_text(&reader, "quotes 999").await;
    assert!(
        matches!(&reply.body, Body::Error(e) if e == "There is no article #999."),
        "{reply:?}"
    );
}

#[tokio::test]
async fn autocomplete_has_a_cheap_limit_of_its_own() {
    let app = spawn_app().await;
    let allowed = (0..40)
        .filter(|_| app.bot.may_autocomplete(Platform::Discord, "typist"))
        .count();
    assert_eq!(allowed, 30, "a burst of keystrokes, then nothing");
    assert!(
        app.bot.may_autocomplete(Platform::Discord, "someone-else"),
        "per user"
    );
    app.clock.advance(chrono::Duration::seconds(1));
    assert!(app.bot.may_autocomplete(Platform::Discord, "typist"));
}
