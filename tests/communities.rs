//! Two communities on one bot: random sequences of commands and platform events from readers
//! and moderators of both, after which nothing either one is shown holds a word, an author, an
//! id or a pin that exists only in the other.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

#[path = "common/bin.rs"]
mod bin;
mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use readingroom::bot::{Bot, Change, Changed, Context, Effect, Platform, Posted, Reply, User};
use readingroom::platform::plain::render;
use readingroom::store::{ArticleId, Scope};

/// The two sides: each a console community with an article only it has.
const SIDES: [Side; 2] = [
    Side {
        name: "alpha",
        reader: "annika",
        moderator: "ansel",
        secret: "alphasecret",
        article: "Aardvark Almanac Opens a Garden\n\nPosted by Alma Aster\n\nThe aardvark almanac garden opened on Monday behind the old depot, and by noon the benches were full of neighbours who had never spoken before. Volunteers planted beans along the fence while children counted the new saplings twice.\n\n\"Gardens are patient teachers, and this one will teach us slowly,\" said Abel Ashgrove, who chairs the residents' group. He added that the plots would be shared by lot every spring.\n\nThe council has promised water and a shed; the rest, the organisers say, will come from the people who turn up.",
        markers: &[
            "Aardvark",
            "Almanac",
            "Alma",
            "Ashgrove",
            "alphasecret",
            "annika",
            "ansel",
        ],
    },
    Side {
        name: "bravo",
        reader: "bruno",
        moderator: "bella",
        secret: "bravosecret",
        article: "Buffalo Bulletin Reviews a Footbridge\n\nPosted by Bertha Bloom\n\nThe buffalo bulletin walked the new footbridge on Tuesday and found it narrow, steep and already loved. Cyclists dismount at the middle, where the view of the weir stops everyone for a minute.\n\n\"A bridge is a promise that the other side is worth the trouble,\" said Basil Birchwood, the engineer who drew it. He admitted the handrail came out lower than planned.\n\nThe city will add lights before winter and a bench at each end, the bulletin was told.",
        markers: &[
            "Buffalo",
            "Bulletin",
            "Bertha",
            "Birchwood",
            "bravosecret",
            "bruno",
            "bella",
        ],
    },
];

struct Side {
    name: &'static str,
    reader: &'static str,
    moderator: &'static str,
    secret: &'static str,
    article: &'static str,
    /// Words that exist only in this community: its article, its readers, their messages.
    markers: &'static [&'static str],
}

fn context(side: usize, moderator: bool) -> Context {
    let s = &SIDES[side];
    let name = if moderator { s.moderator } else { s.reader };
    Context {
        platform: Platform::Console,
        community: s.name.to_owned(),
        channel: s.name.to_owned(),
        channel_name: Some(s.name.to_owned()),
        user: User {
            id: format!("console:{name}"),
            name: name.to_owned(),
            moderator,
        },
        prefix: "/".to_owned(),
    }
}

/// One step of a random session.
#[derive(Debug, Clone)]
enum Op {
    /// A command line from a side's reader or moderator; `{article}` and `{message}` are
    /// filled with ids of either side (or ids that do not exist).
    Command {
        side: usize,
        moderator: bool,
        line: &'static str,
        article: usize,
        message: usize,
    },
    /// A reader message in the thread of one of a side's discussions, as its platform would
    /// report it, possibly naming a community that is not the thread's.
    Post {
        side: usize,
        claims: usize,
        reply_to: usize,
    },
    /// An edit or deletion of some message, reported from a side by one of its users.
    Change {
        side: usize,
        moderator: bool,
        message: usize,
        delete: bool,
    },
}

const LINES: &[&str] = &[
    "article",
    "article {article}",
    "article aardvark",
    "article buffalo",
    "search garden",
    "search bridge",
    "search aardvark buffalo",
    "quote",
    "quote {article}",
    "quotes {article}",
    "summary {article}",
    "discuss {article}",
    "pins",
    "pins {article}",
    "pin #{message} noted",
    "unpin #{message}",
    "export {article}",
    "digest preview",
    "digest now",
    "stats",
    "forget-me confirm",
    "help",
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, any::<bool>(), proptest::sample::select(LINES), 0..5usize, 0..12usize)
            .prop_map(|(side, moderator, line, article, message)| Op::Command {
                side, moderator, line, article, message,
            }),
        3 => (0..2usize, 0..2usize, 0..12usize)
            .prop_map(|(side, claims, reply_to)| Op::Post { side, claims, reply_to }),
        2 => (0..2usize, any::<bool>(), 0..12usize, any::<bool>())
            .prop_map(|(side, moderator, message, delete)| Op::Change { side, moderator, message, delete }),
    ]
}

/// What the session has made so far.
struct World {
    bot: Bot,
    /// Article ids: the library's, alpha's, bravo's, then two that do not exist.
    articles: Vec<ArticleId>,
    /// Open threads per side: (article, thread).
    threads: [Vec<(ArticleId, String)>; 2],
    /// Recorded messages: (side, platform id, row id).
    messages: Vec<(usize, String, i64)>,
    posted: usize,
}

impl World {
    async fn new(app: &common::TestApp) -> World {
        let bot = app.bot.clone();
        let library = app.ingest_fixture().await;
        let mut articles = vec![library];
        for (i, side) in SIDES.iter().enumerate() {
            let (ingested, _) = bot.ingest_text(side.article, None).await.unwrap();
            let community = bot
                .store()
                .community("console", side.name, None, bot.now())
                .await
                .unwrap();
            bot.store()
                .shelve(community.id, ingested.id(), None, bot.now())
                .await
                .unwrap();
            assert_eq!(articles.len(), i + 1);
            articles.push(ingested.id());
        }
        articles.push(ArticleId(77));
        articles.push(ArticleId(78));
        World {
            bot,
            articles,
            threads: [Vec::new(), Vec::new()],
            messages: Vec::new(),
            posted: 0,
        }
    }

    /// Gives both communities something to leak: each discusses the library article and its
    /// own, posts in both threads, and its moderator pins a message with a note.
    async fn seed(&mut self) -> Result<(), TestCaseError> {
        for side in 0..2 {
            for article in [0, side + 1] {
                let discuss = Op::Command {
                    side,
                    moderator: false,
                    line: "discuss {article}",
                    article,
                    message: 0,
                };
                self.step(&discuss).await?;
                let post = Op::Post {
                    side,
                    claims: side,
                    reply_to: 99,
                };
                self.step(&post).await?;
                self.step(&post).await?;
            }
            let mine = self
                .messages
                .iter()
                .position(|m| m.0 == side)
                .unwrap_or_default();
            let line = if side == 0 {
                "pin #{message} alphasecret note"
            } else {
                "pin #{message} bravosecret note"
            };
            let pin = Op::Command {
                side,
                moderator: true,
                line,
                article: 0,
                message: mine,
            };
            self.step(&pin).await?;
        }
        prop_assert_eq!(self.messages.len(), 8);
        Ok(())
    }

    fn message_id(&self, index: usize) -> i64 {
        self.messages
            .get(index)
            .map_or(9_000 + index as i64, |m| m.2)
    }

    async fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::Command {
                side,
                moderator,
                line,
                article,
                message,
            } => {
                let line = line
                    .replace("{article}", &self.articles[*article].0.to_string())
                    .replace("{message}", &self.message_id(*message).to_string());
                let ctx = context(*side, *moderator);
                let reply = self.bot.handle_text(&ctx, &line).await;
                check_shows_nothing_of_the_other(*side, &line, &reply)?;
                if let Some(Effect::Discussion {
                    discussion_id,
                    article_id,
                    thread_ref,
                }) = &reply.effect
                {
                    let thread = match thread_ref {
                        Some(thread) => thread.clone(),
                        None => {
                            let thread = format!("{}-{discussion_id}", SIDES[*side].name);
                            self.bot
                                .thread_opened(*discussion_id, Some(&thread))
                                .await
                                .unwrap();
                            thread
                        }
                    };
                    if !self.threads[*side].iter().any(|(_, t)| *t == thread) {
                        self.threads[*side].push((*article_id, thread));
                    }
                }
            }
            Op::Post {
                side,
                claims,
                reply_to,
            } => {
                let Some((_, thread)) = self.threads[*side].last().cloned() else {
                    return Ok(());
                };
                self.posted += 1;
                let s = &SIDES[*side];
                let id = format!("{}-msg-{}", s.name, self.posted);
                let posted = Posted {
                    platform: Platform::Console,
                    community: SIDES[*claims].name.to_owned(),
                    thread,
                    id: id.clone(),
                    author_id: format!("console:{}", s.reader),
                    author_name: s.reader.to_owned(),
                    body: format!("{} number {}", s.secret, self.posted),
                    reply_to: self.messages.get(*reply_to).map(|m| m.1.clone()),
                    at: self.bot.now(),
                };
                let recorded = self.bot.message_posted(posted).await.unwrap();
                prop_assert_eq!(
                    recorded.is_some(),
                    claims == side,
                    "a message attaches only to a discussion of the community it was posted in"
                );
                if let Some(row) = recorded {
                    self.messages.push((*side, id, row));
                }
            }
            Op::Change {
                side,
                moderator,
                message,
                delete,
            } => {
                let Some((owner, id, row)) = self.messages.get(*message).cloned() else {
                    return Ok(());
                };
                let store = self.bot.store();
                let before = store.message(Scope::Operator, row).await.unwrap().unwrap();
                let sender = context(*side, *moderator).user.id;
                let change = if *delete {
                    Change::Delete
                } else {
                    Change::Edit(format!("{} edited", SIDES[*side].secret))
                };
                let community = SIDES[*side].name;
                let applied = self
                    .bot
                    .message_changed(Changed {
                        platform: Platform::Console,
                        community,
                        thread: None,
                        id: &id,
                        sender: Some(&sender),
                        change,
                        at: self.bot.now(),
                    })
                    .await
                    .unwrap();
                let after = store.message(Scope::Operator, row).await.unwrap().unwrap();
                if owner != *side || (!delete && sender != before.author_id) {
                    prop_assert!(!applied, "{op:?} applied");
                    prop_assert_eq!(&before.body, &after.body, "{:?} changed the text", op);
                }
            }
        }
        Ok(())
    }
}

/// Nothing in a reply to `side` names anything that only the other side has.
fn check_shows_nothing_of_the_other(
    side: usize,
    line: &str,
    reply: &Reply,
) -> Result<(), TestCaseError> {
    let shown = render(reply, "/");
    for marker in SIDES[1 - side].markers {
        prop_assert!(
            !shown.contains(marker),
            "{} asked {line:?} and was shown {marker:?}:\n{shown}",
            SIDES[side].name
        );
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("READINGROOM_COMMUNITY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

#[test]
fn nothing_of_one_community_reaches_the_other() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..30), |ops| {
            runtime.block_on(async {
                let app = common::spawn_app().await;
                let mut world = World::new(&app).await;
                world.seed().await?;
                for op in &ops {
                    world.step(op).await?;
                }
                // Whatever happened, each side's own views hold nothing of the other.
                for side in 0..2 {
                    for article in world.articles.clone() {
                        for line in [
                            format!("export {article}"),
                            format!("pins {article}"),
                            format!("article {article}"),
                        ] {
                            let reply = world.bot.handle_text(&context(side, true), &line).await;
                            check_shows_nothing_of_the_other(side, &line, &reply)?;
                        }
                    }
                    for line in ["digest preview", "stats", "pins", "article", "quote"] {
                        let reply = world.bot.handle_text(&context(side, true), line).await;
                        check_shows_nothing_of_the_other(side, line, &reply)?;
                    }
                }
                // The other side's article answers as one that does not exist.
                let missing = world.articles[4];
                let nothing = render(
                    &world
                        .bot
                        .handle_text(&context(0, false), &format!("article {missing}"))
                        .await,
                    "/",
                );
                let theirs = world.articles[2];
                let hidden = render(
                    &world
                        .bot
                        .handle_text(&context(0, false), &format!("article {theirs}"))
                        .await,
                    "/",
                );
                prop_assert_eq!(
                    hidden,
                    nothing.replace(&missing.0.to_string(), &theirs.0.to_string())
                );
                Ok(())
            })
        })
        .unwrap();
}

/// `/quote <id>` and `/pins <id>` read first and ask whether the article is there only when
/// they find nothing: an article of the other community must still be answered as one that
/// does not exist, and a readable one without quotations or pins as what it is.
#[tokio::test]
async fn quote_and_pins_of_an_unreadable_article_find_no_article() {
    let app = common::spawn_app().await;
    let mut world = World::new(&app).await;
    world.seed().await.unwrap();
    let bot = &world.bot;
    let alpha = context(0, false);
    let (plain, _) = bot
        .ingest_text(
            "Quiet Minutes\n\nNobody is quoted in this short piece about a quiet minute.",
            None,
        )
        .await
        .unwrap();
    let home = bot
        .store()
        .community("console", SIDES[0].name, None, bot.now())
        .await
        .unwrap();
    bot.store()
        .shelve(home.id, plain.id(), None, bot.now())
        .await
        .unwrap();
    let (own, theirs, library) = (world.articles[1], world.articles[2], world.articles[0]);
    let ask = |line: String| {
        let alpha = alpha.clone();
        async move { render(&bot.handle_text(&alpha, &line).await, "/") }
    };
    for line in ["quote", "pins"] {
        for missing in [theirs, ArticleId(77)] {
            assert_eq!(
                ask(format!("{line} {missing}")).await,
                format!("! There is no article {missing}."),
                "{line} {missing}"
            );
        }
    }
    assert!(ask(format!("quote {own}")).await.contains("Ashgrove"));
    assert_eq!(
        ask(format!("quote {}", plain.id())).await,
        format!("! Article {} has no quotations.", plain.id())
    );
    assert_eq!(
        ask(format!("pins {own}")).await,
        format!("No pinned commentary on {own} yet.")
    );
    let pinned = ask(format!("pins {library}")).await;
    assert!(pinned.contains("alphasecret note"), "{pinned}");
    assert!(!pinned.contains("bravosecret"), "{pinned}");
}

#[tokio::test]
async fn forget_me_asks_then_forgets_only_here() {
    let app = common::spawn_app().await;
    let mut world = World::new(&app).await;
    for side in 0..2 {
        world
            .step(&Op::Command {
                side,
                moderator: false,
                line: "discuss {article}",
                article: 0,
                message: 0,
            })
            .await
            .unwrap();
    }
    for side in [0, 0, 1] {
        world
            .step(&Op::Post {
                side,
                claims: side,
                reply_to: 0,
            })
            .await
            .unwrap();
    }
    let bot = &world.bot;
    // The same person also wrote in bravo (a console user id is the same everywhere).
    let annika = context(0, false).user;
    let (_, bravo_thread) = world.threads[1][0].clone();
    let elsewhere = bot
        .message_posted(Posted {
            platform: Platform::Console,
            community: "bravo".into(),
            thread: bravo_thread,
            id: "annika-in-bravo".into(),
            author_id: annika.id.clone(),
            author_name: annika.name.clone(),
            body: "a word in bravo".into(),
            reply_to: None,
            at: bot.now(),
        })
        .await
        .unwrap()
        .unwrap();
    let asked = bot.handle_text(&context(0, false), "forget-me").await;
    assert!(asked.ephemeral);
    assert!(render(&asked, "/").contains("/forget-me confirm"));
    assert_eq!(
        bot.store().totals(Scope::Operator).await.unwrap().messages,
        4
    );
    let done = bot
        .handle_text(&context(0, false), "forget-me confirm")
        .await;
    assert_eq!(render(&done, "/"), "Done: 2 messages forgotten.");
    let (_, _, first) = world.messages[0];
    let forgotten = bot
        .store()
        .message(Scope::Operator, first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(forgotten.body, None);
    assert_eq!(forgotten.author_name, readingroom::store::FORGOTTEN);
    assert_eq!(forgotten.author_id, "");
    let export = render(&bot.handle_text(&context(0, true), "export 1").await, "/");
    assert!(
        !export.contains("annika") && !export.contains("alphasecret"),
        "{export}"
    );
    // What the same person wrote in bravo stays: forgetting is per community.
    let kept = bot
        .store()
        .message(Scope::Operator, elsewhere)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.body.as_deref(), Some("a word in bravo"));
    let again = bot
        .handle_text(&context(0, false), "forget-me confirm")
        .await;
    assert!(render(&again, "/").contains("nothing of yours"));
}

/// Inserts an article as the previous release stored it.
async fn old_article(pool: &sqlx::SqlitePool, text: &str, origin: &str, at: &str) -> i64 {
    let article = readingroom::article::parse(text).unwrap();
    let body: Vec<&str> = article.paragraphs.iter().map(|p| p.text.as_str()).collect();
    sqlx::query_scalar(
        "INSERT INTO articles (title, content_hash, origin, body, doc, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&article.title)
    .bind(readingroom::store::content_hash(&article))
    .bind(origin)
    .bind(body.join("\n\n"))
    .bind(serde_json::to_string(&article).unwrap())
    .bind(at)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_database_from_before_communities_migrates_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    // The previous release's schema: the first migration only, as that release ran it.
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/0001_initial.sql"),
        old.join("0001_initial.sql"),
    )
    .unwrap();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&db)
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let at = "2026-03-01T11:00:00Z";
    let filed = old_article(
        &pool,
        common::fixture("reading-room-fixture.md").as_str(),
        "essay.md",
        at,
    )
    .await;
    let shown = old_article(&pool, SIDES[0].article, "https://a.example/garden", at).await;
    let unseen = old_article(&pool, SIDES[1].article, "https://b.example/bridge", at).await;
    for statement in [
        "INSERT INTO channels (id, platform, external_id, name, created_at) VALUES (1, 'discord', '555', 'books', '2026-03-01T11:00:00Z')",
        "INSERT INTO channels (id, platform, external_id, name, created_at) VALUES (2, 'matrix', '!room:x', NULL, '2026-03-01T11:00:00Z')",
        "INSERT INTO channels (id, platform, external_id, name, created_at) VALUES (3, 'discord', '556', 'other', '2026-03-01T11:00:00Z')",
        "INSERT INTO discussions (id, article_id, channel_id, thread_ref, created_at) VALUES (2, 1, 3, 't2', '2026-03-01T11:00:00Z')",
        "INSERT INTO discussions (id, article_id, channel_id, thread_ref, created_at) VALUES (1, 2, 1, 't1', '2026-03-01T11:00:00Z')",
        "INSERT INTO messages (id, discussion_id, platform, platform_id, author_id, author_name, body, created_at) VALUES (1, 1, 'discord', 'm1', 'u1', 'ana', 'the garden take', '2026-03-01T11:05:00Z')",
        "INSERT INTO pins (message_id, pinned_by, note, pinned_at) VALUES (1, 'mod', 'best', '2026-03-01T11:06:00Z')",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    assert_eq!(shown, 2, "the discussion above is of this one");
    pool.close().await;

    let store = readingroom::store::Store::open(db.to_str().unwrap())
        .await
        .unwrap();
    assert!(store.integrity_check().await.unwrap());
    let bot = Bot::new(
        store.clone(),
        std::sync::Arc::new(readingroom::clock::SystemClock),
    );
    // The Discord channel's guild is learnt when the guild speaks: it moves there, shelf and all.
    let guild = Context {
        platform: Platform::Discord,
        community: "777".into(),
        channel: "555".into(),
        channel_name: None,
        user: User {
            id: "u2".into(),
            name: "mod".into(),
            moderator: true,
        },
        prefix: "/".into(),
    };
    // The guild's arrival (GUILD_CREATE lists its channels) moves a channel nobody used yet.
    let moved = bot
        .adopt_channels(Platform::Discord, "777", &["556".into(), "999".into()])
        .await
        .unwrap();
    assert_eq!(moved, 1);
    let totals = bot
        .store()
        .totals(Scope::Community(
            bot.store()
                .find_community("discord:777")
                .await
                .unwrap()
                .unwrap()
                .id,
        ))
        .await
        .unwrap();
    assert_eq!(
        totals.discussions, 1,
        "the adopted channel's discussion is the guild's"
    );
    let pins = render(&bot.handle_text(&guild, "pins").await, "/");
    assert!(
        pins.contains("the garden take") && pins.contains("best"),
        "{pins}"
    );
    let card = render(
        &bot.handle_text(&guild, &format!("article {shown}")).await,
        "/",
    );
    assert!(card.contains("Aardvark"), "{card}");
    let filed_card = render(
        &bot.handle_text(&guild, &format!("article {filed}")).await,
        "/",
    );
    assert!(
        filed_card.contains("Quiet Rooms"),
        "a file went to the library: {filed_card}"
    );
    // A page nobody was shown went to the library too; the Matrix room sees the library but
    // nothing of the guild's discussion.
    let mut room = guild.clone();
    room.platform = Platform::Matrix;
    room.community = "!room:x".into();
    room.channel = "!room:x".into();
    let unseen_card = render(
        &bot.handle_text(&room, &format!("article {unseen}")).await,
        "/",
    );
    assert!(unseen_card.contains("Buffalo"), "{unseen_card}");
    let hidden = render(
        &bot.handle_text(&room, &format!("article {shown}")).await,
        "/",
    );
    assert_eq!(hidden, format!("! There is no article #{shown}."));
    let room_pins = render(&bot.handle_text(&room, "pins").await, "/");
    assert!(!room_pins.contains("garden take"), "{room_pins}");
    let export = render(
        &bot.handle_text(&guild, &format!("export {shown}")).await,
        "/",
    );
    assert!(export.contains("1 message"), "{export}");
}

#[tokio::test]
async fn each_limit_refuses_with_its_variable() {
    let app = common::spawn_app().await;
    let first = app.ingest_fixture().await;
    let (second, _) = app.bot.ingest(SIDES[0].article, None).await.unwrap();
    let bot = app
        .bot
        .clone()
        .with_community_limits(readingroom::bot::CommunityLimits {
            feeds: 0,
            ingests_per_hour: 1,
            discussions: 1,
            purge_after: chrono::Duration::days(30),
        });
    let moderator = context(0, true);
    let said = |reply: Reply| render(&reply, "/");

    assert!(
        !said(
            bot.handle_text(&moderator, &format!("discuss {first}"))
                .await
        )
        .starts_with('!')
    );
    assert!(
        !said(
            bot.handle_text(&moderator, &format!("discuss {first}"))
                .await
        )
        .starts_with('!'),
        "the open one again is fine"
    );
    let refused = said(
        bot.handle_text(&moderator, &format!("discuss {}", second.id()))
            .await,
    );
    assert!(refused.contains("READINGROOM_MAX_DISCUSSIONS"), "{refused}");
    // Another community has its own count.
    let other = said(
        bot.handle_text(&context(1, true), &format!("discuss {}", second.id()))
            .await,
    );
    assert!(!other.contains("READINGROOM_MAX_DISCUSSIONS"), "{other}");

    let refused = said(
        bot.handle_text(&moderator, "feed add https://feeds.example/rss")
            .await,
    );
    assert!(refused.contains("READINGROOM_MAX_FEEDS"), "{refused}");

    // Nothing listens on port 1: the first ingest fails to fetch, but it is an ingest.
    let tried = said(
        bot.handle_text(&moderator, "ingest http://127.0.0.1:1/a")
            .await,
    );
    assert!(tried.contains("Nothing was added"), "{tried}");
    let refused = said(
        bot.handle_text(&moderator, "ingest http://127.0.0.1:1/b")
            .await,
    );
    assert!(
        refused.contains("READINGROOM_INGESTS_PER_HOUR"),
        "{refused}"
    );
    app.clock.advance(chrono::Duration::minutes(61));
    let later = said(
        bot.handle_text(&moderator, "ingest http://127.0.0.1:1/c")
            .await,
    );
    assert!(
        !later.contains("READINGROOM_INGESTS_PER_HOUR"),
        "an hour later: {later}"
    );
}

#[tokio::test]
async fn a_community_left_is_purged_after_the_grace_period_unless_it_comes_back() {
    let app = common::spawn_app().await;
    let mut world = World::new(&app).await;
    let mut seeded = Ok(());
    for side in 0..2 {
        for op in [
            Op::Command {
                side,
                moderator: false,
                line: "discuss {article}",
                article: 0,
                message: 0,
            },
            Op::Post {
                side,
                claims: side,
                reply_to: 0,
            },
        ] {
            seeded = seeded.and(world.step(&op).await);
        }
    }
    seeded.unwrap();
    let bot = &world.bot;
    let scheduler = readingroom::bot::digest::Scheduler::new(bot.clone());
    let totals = || async { bot.store().totals(Scope::Operator).await.unwrap() };
    assert_eq!(
        (totals().await.discussions, totals().await.messages),
        (2, 2)
    );
    bot.community_left(Platform::Console, "alpha")
        .await
        .unwrap();
    scheduler
        .run_once(bot.now() + chrono::Duration::days(29))
        .await
        .unwrap();
    assert_eq!(totals().await.messages, 2, "kept within the grace period");
    // Back before the end: kept.
    bot.community_joined(Platform::Console, "alpha", None)
        .await
        .unwrap();
    scheduler
        .run_once(bot.now() + chrono::Duration::days(31))
        .await
        .unwrap();
    assert_eq!(totals().await.messages, 2, "kept: the bot came back");
    // Gone for good.
    bot.community_left(Platform::Console, "alpha")
        .await
        .unwrap();
    scheduler
        .run_once(bot.now() + chrono::Duration::days(31))
        .await
        .unwrap();
    let after = totals().await;
    assert_eq!(
        (after.discussions, after.messages),
        (1, 1),
        "only bravo's remain"
    );
    // With no grace period, leaving purges at once.
    let now_bot = bot
        .clone()
        .with_community_limits(readingroom::bot::CommunityLimits {
            purge_after: chrono::Duration::zero(),
            ..Default::default()
        });
    now_bot
        .community_left(Platform::Console, "bravo")
        .await
        .unwrap();
    assert_eq!(totals().await.messages, 0);
}

#[test]
fn the_console_can_stand_for_two_communities() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rr.db");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let library = bin::readingroom()
        .db(&db)
        .args(["ingest", &format!("{data}news-report.md")])
        .stdout();
    assert!(library.starts_with("#1 Storm Floods"), "{library}");
    let shelved = bin::readingroom()
        .db(&db)
        .args([
            "ingest",
            "--community",
            "garden",
            &format!("{data}repost-blog.md"),
        ])
        .stdout();
    assert!(shelved.starts_with("#2 The Quiet Sale"), "{shelved}");
    // The operator's preview of the console's digest works before the console was ever used.
    let preview = bin::readingroom()
        .db(&db)
        .args(["digest", "preview", "--channel", "console"])
        .stdout();
    assert!(
        preview.contains("Storm Floods") && !preview.contains("Quiet Sale"),
        "{preview}"
    );

    let garden = bin::readingroom()
        .db(&db)
        .env("READINGROOM_CONSOLE_COMMUNITY", "garden")
        .stdin(b"/article 2\n/discuss 2\nThe harbour towns chose this.\n/done\n/search fisheries\n")
        .stdout();
    assert!(
        garden.contains("The Quiet Sale") && garden.contains("recorded as #1"),
        "{garden}"
    );
    let console = bin::readingroom()
        .db(&db)
        .stdin(b"/article 2\n/search fisheries\n/article 1\n/export 1\n/stats\n")
        .stdout();
    assert!(console.contains("There is no article #2."), "{console}");
    assert!(
        console.contains("No article matches “fisheries”"),
        "{console}"
    );
    assert!(
        console.contains("Storm Floods"),
        "the library is everyone's: {console}"
    );
    assert!(
        !console.contains("Quiet Sale") && !console.contains("harbour towns chose"),
        "{console}"
    );
    let everything = bin::readingroom().db(&db).args(["stats"]).stdout();
    assert!(everything.starts_with("2 articles"), "{everything}");
    let garden_only = bin::readingroom()
        .db(&db)
        .args(["stats", "--community", "garden"])
        .stdout();
    assert!(garden_only.contains("1 messages"), "{garden_only}");
}

#[tokio::test]
async fn a_redacted_edit_leaves_none_of_its_text() {
    let app = common::spawn_app().await;
    let mut world = World::new(&app).await;
    let discuss = Op::Command {
        side: 0,
        moderator: false,
        line: "discuss {article}",
        article: 0,
        message: 0,
    };
    world.step(&discuss).await.unwrap();
    let post = Op::Post {
        side: 0,
        claims: 0,
        reply_to: 0,
    };
    world.step(&post).await.unwrap();
    let (_, id, row) = world.messages[0].clone();
    let bot = &world.bot;
    let author = context(0, false).user.id;
    fn edit<'a>(author: &'a str, id: &'a str, change: Change, bot: &Bot) -> Changed<'a> {
        Changed {
            platform: Platform::Console,
            community: "alpha",
            thread: None,
            id,
            sender: Some(author),
            change,
            at: bot.now(),
        }
    }
    let second = Change::Edit("second thoughts".into());
    assert!(
        bot.message_changed(edit(&author, &id, second, bot))
            .await
            .unwrap()
    );
    bot.edit_seen(Platform::Console, "alpha", "edit-1", &id)
        .await
        .unwrap();
    // Seen from another community, the edit's id leads nowhere.
    let mut elsewhere = edit(&author, "edit-1", Change::Delete, bot);
    elsewhere.community = "bravo";
    assert!(!bot.message_changed(elsewhere).await.unwrap());
    let kept = bot
        .store()
        .message(Scope::Operator, row)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.body.as_deref(), Some("second thoughts"));
    let redaction = edit(&author, "edit-1", Change::Delete, bot);
    assert!(bot.message_changed(redaction).await.unwrap());
    let gone = bot
        .store()
        .message(Scope::Operator, row)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.body, None);
}

#[test]
fn the_operator_forgets_a_reader_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rr.db");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    bin::readingroom()
        .db(&db)
        .args(["ingest", &format!("{data}news-report.md")])
        .stdout();
    for community in ["console", "garden"] {
        let said = bin::readingroom()
            .db(&db)
            .env("READINGROOM_CONSOLE_COMMUNITY", community)
            .env("READINGROOM_CONSOLE_USER", "ana")
            .stdin(b"/discuss 1\nAna's take on the bridge.\n/done\n")
            .stdout();
        assert!(said.contains("recorded as #"), "{said}");
    }
    let forgot = bin::readingroom()
        .db(&db)
        .args(["forget", "--user", "console:console:ana"])
        .stdout();
    assert_eq!(forgot.trim(), "2 messages forgotten");
    let export = bin::readingroom()
        .db(&db)
        .args(["export", "--article", "1"])
        .stdout();
    assert!(
        !export.contains("**ana**") && !export.contains("Ana's take"),
        "{export}"
    );
    let refused = bin::readingroom()
        .db(&db)
        .args(["forget", "--user", "ana"])
        .output();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("PLATFORM:ID"));
}

#[tokio::test]
async fn handled_event_ids_are_forgotten_after_thirty_days() {
    let app = common::spawn_app().await;
    let (bot, store) = (&app.bot, app.bot.store());
    let now = bot.now();
    store.mark_handled("matrix", "$old", now).await.unwrap();
    bot.purge(now + chrono::Duration::days(29)).await.unwrap();
    assert!(store.was_handled("matrix", "$old").await.unwrap());
    bot.purge(now + chrono::Duration::days(31)).await.unwrap();
    assert!(!store.was_handled("matrix", "$old").await.unwrap());
}
