//! Linking communities through the commands: a Discord guild's moderator issues a code, a
//! Matrix room's moderator uses it, and the two read as one community until either side undoes
//! it; a third community sees nothing of either at any time.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

mod common;

use readingroom::bot::{Body, Bot, Context, Effect, Platform, Posted, Reply, User};
use readingroom::platform::plain::render;
use readingroom::store::{ArticleId, Backend, Scope};

/// Someone in one of the three communities.
fn person(platform: Platform, community: &str, name: &str, moderator: bool) -> Context {
    Context {
        platform,
        community: community.into(),
        channel: format!("{community}-channel"),
        channel_name: Some(format!("{community}-channel")),
        user: User {
            id: format!("id-{name}"),
            name: name.into(),
            moderator,
        },
        prefix: if platform == Platform::Matrix {
            "!"
        } else {
            "/"
        }
        .into(),
    }
}

fn guild(name: &str, moderator: bool) -> Context {
    person(Platform::Discord, "guild-lamps", name, moderator)
}

fn room(name: &str, moderator: bool) -> Context {
    person(Platform::Matrix, "!reading:hs", name, moderator)
}

fn third(name: &str, moderator: bool) -> Context {
    person(Platform::Discord, "guild-third", name, moderator)
}

fn text(reply: &Reply) -> String {
    render(reply, "/")
}

fn refused(reply: &Reply) -> bool {
    matches!(reply.body, Body::Error(_))
}

/// The code in a `link code` answer.
fn code_in(reply: &Reply) -> String {
    common::link_code_in(&text(reply))
}

async fn run(bot: &Bot, ctx: &Context, line: &str) -> Reply {
    bot.handle_text(ctx, line).await
}

/// An article only `ctx`'s community has on its shelf (through `/ingest`'s path: the shelf).
async fn shelved(bot: &Bot, ctx: &Context, title: &str, word: &str) -> ArticleId {
    let body = format!(
        "{title}\n\nPosted by {word} Writer\n\nThe {word} column looks at reading rooms that share one shelf across two places. It has a second sentence about {word} so it can be summarised.\n\nA third paragraph about the {word} trade ends it."
    );
    let (ingested, _) = bot.ingest_text(&body, None).await.unwrap();
    let community = bot
        .store()
        .community(ctx.platform.as_str(), &ctx.community, None, bot.now())
        .await
        .unwrap();
    bot.store()
        .shelve(community.own_id(), ingested.id(), None, bot.now())
        .await
        .unwrap();
    ingested.id()
}

/// `/discuss` there, its thread opened, and one reader message in it.
async fn discuss_and_post(bot: &Bot, ctx: &Context, article: ArticleId, id: &str, body: &str) {
    let reply = run(bot, ctx, &format!("discuss {}", article.0)).await;
    let Some(Effect::Discussion { discussion_id, .. }) = reply.effect else {
        panic!("{}", text(&reply))
    };
    let thread = format!("thread-{id}");
    bot.thread_opened(discussion_id, Some(&thread))
        .await
        .unwrap();
    let recorded = bot
        .message_posted(Posted {
            platform: ctx.platform,
            community: ctx.community.clone(),
            thread,
            id: id.into(),
            author_id: ctx.user.id.clone(),
            author_name: ctx.user.name.clone(),
            body: body.into(),
            reply_to: None,
            at: bot.now(),
        })
        .await
        .unwrap();
    assert!(recorded.is_some(), "{id} is recorded");
}

/// What `ctx` finds of an article by id and by a word, and on its shelf.
async fn sees(bot: &Bot, ctx: &Context, article: ArticleId, word: &str) -> bool {
    let by_id = !refused(&run(bot, ctx, &format!("article {}", article.0)).await);
    let by_word = !refused(&run(bot, ctx, &format!("search {word}")).await);
    let scope = Scope::Community(
        bot.store()
            .community(ctx.platform.as_str(), &ctx.community, None, bot.now())
            .await
            .unwrap()
            .id,
    );
    let on_shelf = bot
        .store()
        .shelf_page(scope, 0, 100)
        .await
        .unwrap()
        .iter()
        .any(|a| a.id == article);
    assert_eq!(
        (by_id, by_word),
        (on_shelf, on_shelf),
        "{word}: /article, /search and the shelf agree"
    );
    on_shelf
}

/// The reader messages `ctx`'s community holds on an article, by platform id.
async fn messages(bot: &Bot, ctx: &Context, article: ArticleId) -> Vec<String> {
    let community = bot
        .store()
        .community(ctx.platform.as_str(), &ctx.community, None, bot.now())
        .await
        .unwrap();
    let mut ids: Vec<String> = bot
        .store()
        .article_messages(Scope::Community(community.id), article)
        .await
        .unwrap()
        .into_iter()
        .map(|(m, _)| m.platform_id)
        .collect();
    ids.sort();
    ids
}

// On PostgreSQL a command's first read starts in the scope the bot last found for the place,
// beside the lookup that confirms it (`Bot::scoped`): here every join and leave makes that
// guess wrong for the next command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matrix_room_joins_a_guild_by_code_and_leaves_again_sqlite() {
    joins_and_leaves(common::spawn_app_on(Backend::Sqlite).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matrix_room_joins_a_guild_by_code_and_leaves_again_postgres() {
    joins_and_leaves(common::spawn_app_on(Backend::Postgres).await).await;
}

async fn joins_and_leaves(app: common::TestApp) {
    let bot = &app.bot;
    let lamps = shelved(bot, &guild("gia", true), "Lamp Readers Meet", "Aardvark").await;
    let walrus = shelved(bot, &room("rob", true), "Walrus Pier Notes", "Buffalo").await;
    let hidden = shelved(bot, &third("tom", true), "Third Place Secrets", "Capybara").await;
    // The library's fixture, discussed on both sides.
    let shared = app.ingest_fixture().await;
    bot.store().add_to_library(shared).await.unwrap();
    let third_sees_nothing = || async {
        let t = third("tess", false);
        assert!(!sees(bot, &t, lamps, "Aardvark").await);
        assert!(!sees(bot, &t, walrus, "Buffalo").await);
        assert!(sees(bot, &t, hidden, "Capybara").await);
        assert_eq!(messages(bot, &t, shared).await, vec!["t1"], "its own only");
        assert!(text(&run(bot, &t, "link").await).contains("reads on its own"));
    };
    discuss_and_post(bot, &guild("gia", false), shared, "d1", "From the lamps.").await;
    discuss_and_post(bot, &room("rob", false), shared, "$m1", "From the pier.").await;
    discuss_and_post(bot, &third("tess", false), shared, "t1", "From the third.").await;
    third_sees_nothing().await;

    // Only moderators issue and use codes.
    assert!(refused(&run(bot, &guild("gia", false), "link code").await));
    let issued = run(bot, &guild("mona", true), "link code").await;
    assert!(issued.ephemeral, "the code is shown to its moderator alone");
    assert!(text(&issued).contains("link join"), "{}", text(&issued));
    let code = code_in(&issued);
    let tried = run(bot, &room("rob", false), &format!("link join {code}")).await;
    assert!(refused(&tried), "{}", text(&tried));
    // The issuing community cannot use its own (and a code tried in vain is used up); a bad
    // code is named as such.
    let spent = code_in(&run(bot, &guild("mona", true), "link code").await);
    let own = run(bot, &guild("mona", true), &format!("link join {spent}")).await;
    assert!(text(&own).contains("own"), "{}", text(&own));
    let after = run(bot, &room("ruth", true), &format!("link join {spent}")).await;
    assert!(text(&after).contains("used already"), "{}", text(&after));
    let bad = run(bot, &room("ruth", true), "link join nonsense").await;
    assert!(text(&bad).contains("link code such as"), "{}", text(&bad));
    let unknown = run(bot, &room("ruth", true), "link join ABCD-EFGH-JKMN-PQRS").await;
    assert!(
        text(&unknown).contains("no such link code"),
        "{}",
        text(&unknown)
    );
    // Another guild cannot use an expired code.
    app.clock.advance(chrono::Duration::minutes(16));
    let late = run(bot, &third("tom", true), &format!("link join {code}")).await;
    assert!(text(&late).contains("expired"), "{}", text(&late));
    third_sees_nothing().await;
    assert!(!sees(bot, &room("rob", false), lamps, "Aardvark").await);

    // The room's moderator joins with a fresh code, typed loosely.
    let code = code_in(&run(bot, &guild("mona", true), "link code").await);
    let loose = code.to_lowercase().replace('-', " ");
    let asked = run(bot, &room("ruth", true), &format!("link join {loose}")).await;
    assert!(!refused(&asked), "{}", text(&asked));
    assert!(
        text(&asked).contains("asks to read with"),
        "{}",
        text(&asked)
    );
    assert!(text(&asked).contains("Lamp") || text(&asked).contains("guild-lamps"));
    let again = run(bot, &third("tom", true), &format!("link join {code}")).await;
    assert!(text(&again).contains("used already"), "{}", text(&again));
    // Asking shares nothing: the guild's moderators see who asks, and let it in.
    assert!(!sees(bot, &room("rob", false), lamps, "Aardvark").await);
    assert!(!sees(bot, &guild("gia", false), walrus, "Buffalo").await);
    let pending = text(&run(bot, &guild("gia", false), "link list").await);
    assert!(
        pending.contains("Asking to join") && pending.contains("1. the Matrix room"),
        "{pending}"
    );
    assert!(refused(
        &run(bot, &guild("gia", false), "link accept").await
    ));
    assert!(refused(&run(bot, &room("ruth", true), "link accept").await));
    let wrong = run(bot, &guild("mona", true), "link accept 2").await;
    assert!(
        text(&wrong).contains("no request number 2"),
        "{}",
        text(&wrong)
    );
    let joined = run(bot, &guild("mona", true), "link accept").await;
    assert!(!refused(&joined), "{}", text(&joined));
    assert!(
        text(&joined).contains("now reads with this server"),
        "{}",
        text(&joined)
    );
    let done = run(bot, &guild("mona", true), "link accept").await;
    assert!(
        text(&done).contains("No room or server is asking"),
        "{}",
        text(&done)
    );

    // One community: both shelves, both discussions, from either side.
    for ctx in [guild("gia", false), room("rob", false)] {
        assert!(sees(bot, &ctx, lamps, "Aardvark").await);
        assert!(sees(bot, &ctx, walrus, "Buffalo").await);
        assert!(!sees(bot, &ctx, hidden, "Capybara").await);
        assert_eq!(messages(bot, &ctx, shared).await, vec!["$m1", "d1"]);
    }
    // New messages in the room still reach its discussion (its threads are its own).
    let posted = bot
        .message_posted(Posted {
            platform: Platform::Matrix,
            community: "!reading:hs".into(),
            thread: "thread-$m1".into(),
            id: "$m2".into(),
            author_id: "id-rob".into(),
            author_name: "rob".into(),
            body: "Still here.".into(),
            reply_to: None,
            at: bot.now(),
        })
        .await
        .unwrap();
    assert!(posted.is_some());
    let listed = text(&run(bot, &room("rob", false), "link list").await);
    assert!(
        listed.contains("Discord server") && listed.contains("1. the Matrix room"),
        "{listed}"
    );
    assert!(listed.contains("(here)"), "{listed}");
    // The room cannot bring others in, nor join elsewhere while joined.
    let nested = run(bot, &room("ruth", true), "link code").await;
    assert!(refused(&nested), "{}", text(&nested));
    let third_code = code_in(&run(bot, &third("tom", true), "link code").await);
    let twice = run(bot, &room("ruth", true), &format!("link join {third_code}")).await;
    assert!(
        text(&twice).contains("already reads with"),
        "{}",
        text(&twice)
    );
    // And the guild, with the room in it, cannot join the third (the room agreed to the guild).
    let third_code = code_in(&run(bot, &third("tom", true), "link code").await);
    let flattened = run(
        bot,
        &guild("mona", true),
        &format!("link join {third_code}"),
    )
    .await;
    assert!(refused(&flattened) && text(&flattened).contains("Take them out first"));
    third_sees_nothing().await;

    // Leaving: only a moderator; then nothing of either side is seen by the other.
    assert!(refused(&run(bot, &room("rob", false), "link leave").await));
    assert!(refused(&run(bot, &guild("mona", true), "link leave").await));
    let left = run(bot, &room("ruth", true), "link leave").await;
    assert!(!refused(&left), "{}", text(&left));
    assert!(!sees(bot, &room("rob", false), lamps, "Aardvark").await);
    assert!(sees(bot, &room("rob", false), walrus, "Buffalo").await);
    assert!(!sees(bot, &guild("gia", false), walrus, "Buffalo").await);
    assert!(sees(bot, &guild("gia", false), lamps, "Aardvark").await);
    assert_eq!(
        messages(bot, &room("rob", false), shared).await,
        vec!["$m1", "$m2"]
    );
    assert_eq!(
        messages(bot, &guild("gia", false), shared).await,
        vec!["d1"]
    );
    let card = text(&run(bot, &room("rob", false), &format!("article {}", shared.0)).await);
    assert!(card.contains("2 messages from 1 reader"), "{card}");
    third_sees_nothing().await;

    // The guild's side undoes it too: `link remove N`.
    let code = code_in(&run(bot, &guild("mona", true), "link code").await);
    assert!(!refused(
        &run(bot, &room("ruth", true), &format!("link join {code}")).await
    ));
    assert!(!refused(
        &run(bot, &guild("mona", true), "link accept 1").await
    ));
    assert!(sees(bot, &room("rob", false), lamps, "Aardvark").await);
    assert!(refused(
        &run(bot, &room("ruth", true), "link remove 1").await
    ));
    assert!(refused(
        &run(bot, &guild("gia", false), "link remove 1").await
    ));
    let none = run(bot, &guild("mona", true), "link remove 2").await;
    assert!(text(&none).contains("no number 2"), "{}", text(&none));
    let removed = run(bot, &guild("mona", true), "link remove 1").await;
    assert!(text(&removed).contains("Matrix room"), "{}", text(&removed));
    assert!(!sees(bot, &room("rob", false), lamps, "Aardvark").await);
    assert!(!sees(bot, &guild("gia", false), walrus, "Buffalo").await);
    assert!(text(&run(bot, &guild("gia", false), "link list").await).contains("reads on its own"));
    third_sees_nothing().await;

    // A request not accepted within a quarter of an hour lapses.
    let code = code_in(&run(bot, &guild("mona", true), "link code").await);
    assert!(!refused(
        &run(bot, &room("ruth", true), &format!("link join {code}")).await
    ));
    app.clock.advance(chrono::Duration::minutes(16));
    let lapsed = run(bot, &guild("mona", true), "link accept").await;
    assert!(
        text(&lapsed).contains("No room or server is asking"),
        "{}",
        text(&lapsed)
    );
    assert!(!sees(bot, &room("rob", false), lamps, "Aardvark").await);
    third_sees_nothing().await;
}
