//! The web reader over real HTTP: a community published with `/web on` (a Discord guild a
//! Matrix room joined with `link join`), its library, search,
//! an article with its highlighted summary and quotations and its discussion merged over a
//! Discord channel and a Matrix room, pins, removed and forgotten messages, the digest archive,
//! escaping, the constant 404 and the headers. `in_a_real_browser` drives headless Chromium
//! over WebDriver through the same pages.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

mod common;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use dom_query::Document;
use readingroom::bot::digest::{DigestSink, Scheduler};
use readingroom::bot::web::WebSite;
use readingroom::bot::{Body, Bot, Context, Platform, Reply, User};
use readingroom::store::{ArticleId, NewMessage, Store};

use common::{TestApp, spawn_app};

/// A reader of the published community (a Discord guild with a Matrix room linked into it).
fn reader(name: &str, moderator: bool) -> Context {
    Context {
        platform: Platform::Discord,
        community: "guild-lamps".into(),
        channel: "general".into(),
        channel_name: Some("general".into()),
        user: User {
            id: format!("id-{name}"),
            name: name.into(),
            moderator,
        },
        prefix: "/".into(),
    }
}

/// A moderator of the Matrix room that joins the guild's community (`link join`).
fn room_moderator() -> Context {
    Context {
        platform: Platform::Matrix,
        community: "!reading:localhost".into(),
        channel: "!reading:localhost".into(),
        channel_name: Some("reading-room".into()),
        prefix: "!".into(),
        ..reader("rhea", true)
    }
}

/// A moderator of another guild.
fn outsider() -> Context {
    Context {
        community: "guild-other".into(),
        channel: "elsewhere".into(),
        channel_name: Some("elsewhere".into()),
        ..reader("olga", true)
    }
}

fn text(reply: &Reply) -> String {
    match &reply.body {
        Body::Text(t) | Body::Error(t) => t.clone(),
        Body::Card(card) => format!(
            "{}\n{}\n{}",
            card.title,
            card.description,
            card.fields
                .iter()
                .map(|f| format!("{}: {}", f.name, f.value))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        Body::File { caption, .. } => caption.clone(),
    }
}

/// The first http address in a reply.
fn address_in(reply: &Reply) -> String {
    let text = text(reply);
    let start = text
        .find("http://")
        .unwrap_or_else(|| panic!("no address in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

#[derive(Debug, Default)]
struct Sink(Mutex<Vec<Reply>>);

#[async_trait::async_trait]
impl DigestSink for Sink {
    async fn post(&self, _channel: &str, digest: &Reply, _key: &str) -> anyhow::Result<()> {
        self.0.lock().unwrap().push(digest.clone());
        Ok(())
    }
}

/// A running web reader over a seeded community.
pub struct Site {
    app: TestApp,
    bot: Bot,
    /// `http://127.0.0.1:PORT`.
    server: String,
    /// The published community's pages, ending in `/`.
    base: String,
    article: ArticleId,
    /// Only on the other community's shelf.
    private: ArticleId,
    /// Message row ids by their platform id.
    ids: std::collections::HashMap<&'static str, i64>,
    /// The article's discussion in the guild's #general.
    discussion: i64,
    digest: Reply,
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::minutes(minutes)
}

/// Records a message: `(platform, its id there, author)`, text, what it answers, and the
/// minute after noon it was sent.
async fn record(
    store: &Store,
    discussion: i64,
    (platform, id, author): (&str, &'static str, &str),
    body: &str,
    reply_to: Option<&str>,
    minute: i64,
) -> i64 {
    store
        .record_message(
            discussion,
            &NewMessage {
                platform: platform.into(),
                platform_id: id.into(),
                author_id: format!("id-{author}"),
                author_name: author.into(),
                body: body.into(),
                reply_to: reply_to.map(Into::into),
                created_at: at(minute),
            },
        )
        .await
        .unwrap()
}

const HOSTILE: &str = "I disagree: <script>alert('x')</script><b>bold</b> @everyone @room";

async fn site() -> Site {
    let app = spawn_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    let store = app.bot.store().clone();
    tokio::spawn(readingroom::web::serve(listener, store.clone()));
    let bot = app.bot.clone().with_web(WebSite {
        public_url: Some(server.clone()),
    });
    let article = app.ingest_fixture().await;
    for n in 1..=23 {
        let text = format!(
            "Shelf filler number {n}\n\nPosted by Filler Writer\n\nThe filler article number {n} talks about lamps, tables and the quiet of number {n}. It has a second sentence so that it can be summarised properly.\n\nA third sentence stands in its own paragraph for number {n}."
        );
        bot.ingest(&text, None).await.unwrap();
    }
    let (private, _) = bot
        .ingest_text(
            "Walrus Gazette on the Secret Pier\n\nPosted by Wanda Walrus\n\nThe walrus gazette found a secret pier behind the harbour wall. Nobody had used it for years.\n\nIt will be repaired in spring, the gazette says.",
            None,
        )
        .await
        .unwrap();
    let private = private.id();
    let now = bot.now();
    let other = store
        .community("discord", "guild-other", Some("Others"), now)
        .await
        .unwrap();
    store.shelve(other.id, private, None, now).await.unwrap();

    // Before /web on nothing is published.
    let mut moderator = reader("mona", true);
    let community = store
        .community("discord", "guild-lamps", Some("Lamp Readers"), now)
        .await
        .unwrap();
    let general = store
        .channel("discord", "general", Some("general"), community.id, now)
        .await
        .unwrap();
    let elsewhere = store
        .channel("discord", "elsewhere", Some("elsewhere"), other.id, now)
        .await
        .unwrap();
    let (on_discord, _) = store
        .open_discussion(article, general.id, now)
        .await
        .unwrap();
    // The Matrix room joins the guild's community the way moderators do it: a code from the
    // guild, used in the room.
    let issued = bot.handle_text(&moderator, "link code").await;
    let code = common::link_code_in(&text(&issued));
    let room_moderator = room_moderator();
    let joined = bot
        .handle_text(&room_moderator, &format!("link join {code}"))
        .await;
    assert!(!matches!(joined.body, Body::Error(_)), "{joined:?}");
    let accepted = bot.handle_text(&moderator, "link accept").await;
    assert!(
        text(&accepted).contains("now reads with this server"),
        "{accepted:?}"
    );
    // The guild's moderators decide about the web: the room's cannot publish for them.
    let web_on = bot.handle_text(&room_moderator, "web on").await;
    assert!(matches!(web_on.body, Body::Error(_)), "{web_on:?}");
    let opened = bot
        .handle_text(&room_moderator, &format!("discuss {}", article.0))
        .await;
    let Some(readingroom::bot::Effect::Discussion {
        discussion_id: on_matrix,
        ..
    }) = opened.effect
    else {
        panic!("{opened:?}")
    };
    let (on_other, _) = store
        .open_discussion(article, elsewhere.id, now)
        .await
        .unwrap();
    let mut ids = std::collections::HashMap::new();
    let d = on_discord.id;
    let m = on_matrix;
    ids.insert(
        "d1",
        record(
            &store,
            d,
            ("discord", "d1", "alice"),
            "The lamps matter more than the rules.",
            None,
            1,
        )
        .await,
    );
    ids.insert(
        "$m2",
        record(&store, m, ("matrix", "$m2", "bob"), HOSTILE, None, 2).await,
    );
    ids.insert(
        "d3",
        record(
            &store,
            d,
            ("discord", "d3", "carol"),
            "Agreed, before the edit.",
            Some("d1"),
            3,
        )
        .await,
    );
    ids.insert(
        "$m4",
        record(
            &store,
            m,
            ("matrix", "$m4", "dave"),
            "Words dave took back.",
            Some("$m2"),
            4,
        )
        .await,
    );
    ids.insert(
        "$m5",
        record(
            &store,
            m,
            ("matrix", "$m5", "erin"),
            "Replying to the one taken back.",
            Some("$m4"),
            5,
        )
        .await,
    );
    ids.insert(
        "d6",
        record(
            &store,
            d,
            ("discord", "d6", "frank"),
            "Frank's secret opinion.",
            None,
            6,
        )
        .await,
    );
    ids.insert(
        "d7",
        record(
            &store,
            d,
            ("discord", "d7", "gina"),
            "Late night reading is the point.",
            Some("d3"),
            7,
        )
        .await,
    );
    record(
        &store,
        on_other.id,
        ("discord", "o1", "oscar"),
        "Oscar's words from the other guild.",
        None,
        8,
    )
    .await;
    store
        .edit_message(
            "discord",
            "d3",
            "Agreed, see the council vote in March.",
            at(9),
        )
        .await
        .unwrap();
    store.delete_message("matrix", "$m4", at(10)).await.unwrap();
    store
        .pin(
            ids["d3"],
            "discord:id-mona",
            Some("the best reply so far"),
            at(11),
        )
        .await
        .unwrap();
    store
        .pin(ids["d6"], "discord:id-mona", Some("frank's pin"), at(11))
        .await
        .unwrap();
    // Frank forgets himself: his message stays in its place, without text or name, unpinned.
    let frank = reader("frank", false);
    let forgot = bot.handle_text(&frank, "forget-me confirm").await;
    assert!(text(&forgot).contains("1"), "{}", text(&forgot));

    let refused = bot.handle_text(&reader("rita", false), "web on").await;
    assert!(matches!(refused.body, Body::Error(_)), "{refused:?}");
    let shown = bot.handle_text(&reader("rita", false), "web").await;
    assert!(text(&shown).contains("not published"), "{}", text(&shown));
    let on = bot.handle_text(&moderator, "web on").await;
    let base = address_in(&on);
    assert!(
        base.starts_with(&format!("{server}/w/")) && base.ends_with('/'),
        "{base}"
    );
    // `/web` (any reader) shows the same address.
    let shown = bot.handle_text(&reader("rita", false), "web").await;
    assert_eq!(address_in(&shown), base);
    assert!(shown.ephemeral);

    // A digest posted in #general, kept for the archive.
    moderator.user.moderator = true;
    store
        .set_digest(general.id, Some(("09:00", "UTC")), now)
        .await
        .unwrap();
    let sink = Arc::new(Sink::default());
    let scheduler = Scheduler::new(bot.clone()).with_sink(Platform::Discord, sink.clone());
    scheduler
        .run_once(Utc.with_ymd_and_hms(2026, 3, 2, 9, 5, 0).unwrap())
        .await
        .unwrap();
    let digest = sink.0.lock().unwrap().first().cloned().expect("a digest");
    Site {
        app,
        bot,
        server,
        base,
        article,
        private,
        ids,
        discussion: on_discord.id,
        digest,
    }
}

impl Site {
    async fn get(&self, url: &str) -> reqwest::Response {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.base)
        };
        reqwest::get(url).await.unwrap()
    }

    async fn page(&self, url: &str) -> String {
        let response = self.get(url).await;
        assert_eq!(response.status(), 200, "{url}");
        response.text().await.unwrap()
    }
}

#[tokio::test]
async fn the_library_pages_and_search() {
    let site = site().await;
    let first = site.page("").await;
    let doc = Document::from(first.as_str());
    assert_eq!(doc.select("ol.shelf > li").length(), 20, "a page of twenty");
    assert!(first.contains("Lamp Readers"), "the community's name");
    // Newest first: the last filler leads, the fixture (the oldest) is on page 2.
    let titles: Vec<String> = doc
        .select("ol.shelf > li > a")
        .iter()
        .map(|a| a.text().to_string())
        .collect();
    assert_eq!(titles[0], "Shelf filler number 23");
    assert!(!first.contains("Quiet Rooms and Loud Arguments"));
    assert!(doc.select("a[rel=next]").length() == 1);
    let second = site.page("?page=2").await;
    assert!(
        second.contains("Quiet Rooms and Loud Arguments"),
        "{second}"
    );
    assert!(second.contains("Across three cities"), "one-line summary");
    assert!(
        !second.contains("Walrus"),
        "another community's shelf stays out"
    );
    assert_eq!(site.get("?page=3").await.status(), 404);
    assert_eq!(site.get("?page=x").await.status(), 400);

    // Search: the same search as /search, and a result leads to its page.
    let found = site.page("?q=lamps+late").await;
    let doc = Document::from(found.as_str());
    let link = doc
        .select("ol.hits a")
        .iter()
        .find(|a| a.text().contains("Quiet Rooms"))
        .and_then(|a| a.attr("href"))
        .expect("the fixture is found");
    assert_eq!(&*link, format!("a/{}", site.article.0));
    let walrus = site.page("?q=walrus").await;
    assert!(walrus.contains("No article matches"), "{walrus}");
}

#[tokio::test]
async fn a_room_that_leaves_takes_its_messages_off_the_page() {
    let site = site().await;
    let page = format!("a/{}", site.article.0);
    let html = site.page(&page).await;
    assert!(html.contains("Replying to the one taken back."), "{html}");
    assert!(html.contains(">reading-room<"), "{html}");
    let left = site.bot.handle_text(&room_moderator(), "link leave").await;
    assert!(!matches!(left.body, Body::Error(_)), "{left:?}");
    let html = site.page(&page).await;
    assert!(!html.contains("Replying to the one taken back."), "{html}");
    assert!(!html.contains(">reading-room<"), "{html}");
    assert!(
        html.contains("The lamps matter more than the rules."),
        "{html}"
    );
}

#[tokio::test]
async fn an_article_with_its_highlights_and_its_merged_discussion() {
    let site = site().await;
    let html = site.page(&format!("a/{}", site.article.0)).await;
    assert!(html.len() < 100 * 1024, "{} bytes", html.len());
    let doc = Document::from(html.as_str());
    let stored = site
        .bot
        .store()
        .article(site.article)
        .await
        .unwrap()
        .unwrap()
        .article;
    // Every summary sentence and quotation is marked in place, at its anchor, with its words.
    for (i, sentence) in stored.summary.sentences.iter().enumerate() {
        let mark = doc.select(&format!("p mark.summary#s{}", i + 1));
        assert_eq!(mark.length(), 1, "summary sentence {i}");
        assert_eq!(mark.text().to_string(), sentence.text);
        let paragraph = doc.select(&format!("p#p{}", sentence.paragraph + 1));
        assert!(paragraph.select(&format!("#s{}", i + 1)).exists());
    }
    assert!(!stored.quotes.is_empty());
    for (i, quote) in stored.quotes.iter().enumerate() {
        let q = doc.select(&format!("p q.quote#q{}", i + 1));
        assert_eq!(q.text().to_string(), quote.text, "quotation {i}");
    }
    assert_eq!(doc.select("h1").text().to_string(), stored.title);
    assert!(
        doc.select("a[rel~=noreferrer][href='https://lantern.example.org/essays/reading-rooms']")
            .exists()
    );
    // Captions apart from the text.
    assert!(
        doc.select("aside.captions li")
            .text()
            .contains("long oak table")
    );
    assert!(!doc.select("section p").text().contains("long oak table"));

    // The discussion: one tree over the Discord channel and the Matrix room.
    let id = |platform_id: &str| site.ids[platform_id];
    let roots: Vec<String> = doc
        .select("ol.thread > li")
        .iter()
        .map(|li| li.attr("id").unwrap().to_string())
        .collect();
    assert_eq!(
        roots,
        [id("d1"), id("$m2"), id("d6")].map(|i| format!("m{i}")),
        "roots of both platforms in time order"
    );
    let alice = doc.select(&format!("li#m{}", id("d1")));
    assert!(alice.select(".platform").first().text().contains("Discord"));
    assert!(alice.select(".channel").first().text().contains("general"));
    let bob = doc.select(&format!("li#m{}", id("$m2")));
    assert!(bob.select(".platform").first().text().contains("Matrix"));
    assert!(
        bob.select(".channel")
            .first()
            .text()
            .contains("reading-room")
    );
    // Replies nest under what they answer, edits are marked.
    let carol = alice.select(&format!("ol > li#m{}", id("d3")));
    assert!(carol.exists(), "carol answers alice");
    assert!(carol.select(".edited").exists());
    assert!(carol.text().contains("council vote in March"));
    assert!(!html.contains("before the edit"));
    assert!(carol.select(&format!("ol > li#m{}", id("d7"))).exists());
    // A deleted message keeps its place as "removed", and its reply stays under it.
    let removed = bob.select(&format!("ol > li#m{}", id("$m4")));
    let gone = doc.select(&format!("li#m{} > article", id("$m4")));
    assert_eq!(gone.text().trim(), "removed");
    assert!(
        !html.contains("dave"),
        "neither the author nor the text of a removed message"
    );
    assert!(!html.contains("took back"));
    assert!(removed.select(&format!("ol > li#m{}", id("$m5"))).exists());
    // A forgotten reader is never shown: no name, no words, no pin.
    let frank = doc.select(&format!("li#m{}", id("d6")));
    assert!(frank.exists());
    let gone = doc.select(&format!("li#m{} > article", id("d6")));
    assert_eq!(gone.text().trim(), "removed");
    assert!(!html.contains("Frank") && !html.contains("frank"));
    // Pinned commentary first, with the moderator's note.
    let pinned = doc.select("section.pinned blockquote.pin");
    assert_eq!(pinned.length(), 1);
    assert!(pinned.text().contains("council vote"));
    assert!(
        pinned
            .text()
            .contains("Moderator's note: the best reply so far")
    );
    let order = html.find("Pinned commentary").unwrap();
    assert!(order < html.find("ol class=\"thread\"").unwrap());
    // Another community's discussion of the same (library) article stays out.
    assert!(!html.contains("Oscar"));
    assert!(
        html.contains("5 messages"),
        "the removed ones are not counted"
    );
}

/// The server keeps a discussion's built tree between views; every kind of change must still
/// show on the very next view.
#[tokio::test]
async fn a_page_viewed_again_shows_every_change_to_its_discussion() {
    let site = site().await;
    let store = site.bot.store();
    let page = format!("a/{}", site.article.0);
    let first = site.page(&page).await;
    assert_eq!(site.page(&page).await, first, "nothing changed");

    let new = record(
        store,
        site.discussion,
        ("discord", "d8", "hana"),
        "Hana arrives late with a lamp.",
        Some("d1"),
        20,
    )
    .await;
    let html = site.page(&page).await;
    let doc = Document::from(html.as_str());
    assert!(
        doc.select(&format!("li#m{} ol > li#m{new}", site.ids["d1"]))
            .text()
            .contains("Hana arrives late"),
        "a new message, in its place: {html}"
    );

    store
        .edit_message("discord", "d8", "Hana arrives with two lamps.", at(21))
        .await
        .unwrap();
    let html = site.page(&page).await;
    assert!(html.contains("Hana arrives with two lamps."), "an edit");
    assert!(!html.contains("late with a lamp"), "{html}");

    store
        .pin(new, "discord:id-mona", Some("lamps, again"), at(22))
        .await
        .unwrap();
    let html = site.page(&page).await;
    let doc = Document::from(html.as_str());
    assert!(
        doc.select("section.pinned").text().contains("lamps, again"),
        "a pin: {html}"
    );
    assert!(
        doc.select(&format!("li#m{new} .pinned")).exists(),
        "marked pinned in the tree: {html}"
    );
    store.unpin(new).await.unwrap();
    let html = site.page(&page).await;
    let doc = Document::from(html.as_str());
    assert!(
        !doc.select(&format!("li#m{new} .pinned")).exists(),
        "an unpin"
    );
    assert!(!html.contains("lamps, again"), "{html}");

    store.delete_message("discord", "d8", at(23)).await.unwrap();
    let html = site.page(&page).await;
    assert!(!html.contains("two lamps"), "a deletion: {html}");

    let community = store
        .community("discord", "guild-lamps", None, at(24))
        .await
        .unwrap();
    store
        .channel(
            "discord",
            "general",
            Some("lamp-talk"),
            community.id,
            at(24),
        )
        .await
        .unwrap();
    let html = site.page(&page).await;
    assert!(html.contains(">lamp-talk<"), "a renamed channel: {html}");

    let forgot = site
        .bot
        .handle_text(&reader("alice", false), "forget-me confirm")
        .await;
    assert!(text(&forgot).contains("1"), "{}", text(&forgot));
    let html = site.page(&page).await;
    assert!(
        !html.contains("The lamps matter more than the rules."),
        "a forgotten reader: {html}"
    );
}

#[tokio::test]
async fn what_readers_wrote_is_escaped_and_scripts_are_forbidden() {
    let site = site().await;
    let response = site.get(&format!("a/{}", site.article.0)).await;
    let policy = response
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("default-src 'none'") && !policy.contains("script-src"),
        "{policy}"
    );
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script"), "no script element at all");
    assert!(!html.contains("<b>bold"));
    assert!(
        html.contains("I disagree: &lt;script&gt;alert('x')&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt; @everyone @room"),
        "shown as text"
    );
    let doc = Document::from(html.as_str());
    assert_eq!(doc.select("script").length(), 0);
    assert_eq!(doc.select("article.msg b").length(), 0);
    assert!(
        doc.select("style").is_empty() && doc.select("[style]").is_empty(),
        "no inline styles"
    );
}

#[tokio::test]
async fn anything_not_found_is_the_same_404() {
    let site = site().await;
    let (_, tail) = site.base.split_once("/w/").unwrap();
    let token = tail.trim_end_matches('/');
    let reference = site
        .get(&format!("{}/w/{}/", site.server, "0".repeat(32)))
        .await;
    assert_eq!(reference.status(), 404);
    let headers = reference.headers().clone();
    let body = reference.text().await.unwrap();
    for url in [
        format!("{}/w/{token}/a/{}", site.server, site.private.0),
        format!("{}/w/{token}/a/999999", site.server),
        format!("{}/w/{token}/a/x", site.server),
        format!("{}/w/{token}/digests/1/2026-13-01", site.server),
        format!("{}/w/{token}/nothing", site.server),
        format!("{}/w/not-a-token/", site.server),
        format!("{}/w/{}/", site.server, token.to_uppercase()),
        format!("{}/", site.server),
        format!("{}/w/{token}/a/{}?page=9", site.server, site.article.0),
    ] {
        let response = site.get(&url).await;
        assert_eq!(response.status(), 404, "{url}");
        assert_eq!(response.text().await.unwrap(), body, "{url}");
    }
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("'none'")
    );
}

#[tokio::test]
async fn web_off_takes_the_pages_down_at_once_and_on_makes_a_new_address() {
    let site = site().await;
    let moderator = reader("mona", true);
    assert_eq!(site.get("").await.status(), 200);
    let refused = site
        .bot
        .handle_text(&reader("rita", false), "web off")
        .await;
    assert!(matches!(refused.body, Body::Error(_)));
    assert_eq!(
        site.get("").await.status(),
        200,
        "a reader cannot take it down"
    );
    let off = site.bot.handle_text(&moderator, "web off").await;
    assert!(text(&off).contains("down"), "{}", text(&off));
    for path in [
        String::new(),
        format!("a/{}", site.article.0),
        "digests".into(),
    ] {
        assert_eq!(site.get(&path).await.status(), 404, "{path}");
    }
    let card = site
        .bot
        .handle_text(&moderator, &format!("article {}", site.article.0))
        .await;
    assert!(
        !text(&card).contains("Read on the web"),
        "no links while unpublished"
    );
    let on = site.bot.handle_text(&moderator, "web on").await;
    let again = address_in(&on);
    assert_ne!(again, site.base);
    assert_eq!(site.get(&again).await.status(), 200);
    assert_eq!(
        site.get("").await.status(),
        404,
        "the old address stays down"
    );
    // Another community is not published by this one's switch.
    let other = site.bot.handle_text(&outsider(), "web").await;
    assert!(text(&other).contains("not published"));
}

#[tokio::test]
async fn chat_replies_link_to_the_exact_place() {
    let site = site().await;
    let me = reader("rita", false);
    let article = site.article.0;
    let card = site
        .bot
        .handle_text(&me, &format!("article {article}"))
        .await;
    assert_eq!(
        address_in(&card_link(&card)),
        format!("{}a/{article}", site.base)
    );
    // /quote links to the quotation's anchor, and the page has it there.
    let quote = site.bot.handle_text(&me, &format!("quote {article}")).await;
    let url = address_in(&card_link(&quote));
    let (page, anchor) = url.split_once('#').unwrap();
    assert!(anchor.starts_with('q'), "{url}");
    let html = site.page(page).await;
    let doc = Document::from(html.as_str());
    let Body::Card(card) = &quote.body else {
        panic!()
    };
    let words = card
        .quote
        .as_ref()
        .unwrap()
        .text
        .trim_end_matches('…')
        .to_owned();
    assert!(
        doc.select(&format!("q#{anchor}"))
            .text()
            .starts_with(words.trim()),
        "{anchor}"
    );
    // /summary links to its first sentence.
    let summary = site
        .bot
        .handle_text(&me, &format!("summary {article}"))
        .await;
    let url = address_in(&card_link(&summary));
    assert!(url.ends_with("#s1"), "{url}");
    // The digest links to the article and to its own page in the archive.
    let digest = text(&site.digest);
    assert!(
        digest.contains(&format!("{}a/{article}", site.base)),
        "{digest}"
    );
    let own = address_in(&card_link(&site.digest));
    let archived = site.page(&own).await;
    assert!(
        archived.contains("Reading Room digest for Monday 2 March 2026"),
        "{archived}"
    );
    assert!(archived.contains("Quiet Rooms and Loud Arguments"));
    assert!(!archived.contains("Read on the web"));
    let archive = site.page("digests").await;
    let doc = Document::from(archive.as_str());
    let href = doc.select("main li a").attr("href").unwrap().to_string();
    assert!(own.ends_with(&href), "{own} {href}");
    assert!(archive.contains("discord:general"));
}

/// The card's "Read on the web" field alone, as a reply to look into.
fn card_link(reply: &Reply) -> Reply {
    let Body::Card(card) = &reply.body else {
        panic!("{reply:?}")
    };
    let field = card
        .fields
        .iter()
        .find(|f| f.name == "Read on the web")
        .unwrap_or_else(|| panic!("no link in {card:?}"));
    Reply::text(field.value.clone())
}

#[tokio::test]
async fn pages_have_validators_and_the_right_caching() {
    let site = site().await;
    let response = site.get("").await;
    assert_eq!(response.headers()["cache-control"], "private, no-cache");
    let etag = response.headers()["etag"].clone();
    let client = reqwest::Client::new();
    let again = client
        .get(&site.base)
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    // A new message changes the page, and so its validator.
    let store = site.bot.store();
    let page = format!("{}a/{}", site.base, site.article.0);
    let before = client.get(&page).send().await.unwrap().headers()["etag"].clone();
    let general = store
        .find_channel("discord:general")
        .await
        .unwrap()
        .unwrap();
    let discussion = store
        .discussion_in(site.article, general.id)
        .await
        .unwrap()
        .unwrap();
    record(
        store,
        discussion.id,
        ("discord", "d99", "hugo"),
        "A new thought.",
        None,
        20,
    )
    .await;
    let after = client
        .get(&page)
        .header("if-none-match", before.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"], before);
    let css = site.get(&format!("{}/style.css", site.server)).await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(
        css.text()
            .await
            .unwrap()
            .contains("prefers-color-scheme: dark")
    );
    let _ = &site.app;
}

/// `chromedriver` on a free port, stopped when dropped.
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver; `None` (the test skips) when Chromium is not installed, except under
/// CI, where `.ci/run` installs it and its absence is a failure.
async fn chromedriver() -> Option<Driver> {
    let installed = ["chromedriver", "chromium"].iter().all(|tool| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium and chromium-driver are needed (.ci/run installs them)"
        );
        eprintln!(
            "skipped: chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(driver);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

/// Where screenshots go: under the target directory.
fn screenshots() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("web-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shoot(browser: &fantoccini::Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    let path = screenshots().join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

/// Whether the page scrolls sideways at the window's width.
async fn scrolls_sideways(browser: &fantoccini::Client) -> bool {
    let widths = browser
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
            Vec::new(),
        )
        .await
        .unwrap();
    let (scroll, client) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    scroll > client
}

#[tokio::test]
async fn in_a_real_browser() {
    use fantoccini::Locator;

    let Some(driver) = chromedriver().await else {
        return;
    };
    let site = site().await;
    let browser = open_browser(&driver, &["--window-size=375,900"]).await;
    browser.set_window_size(375, 900).await.unwrap();

    // 1. The library, at 375 px: no sideways scrolling.
    browser.goto(&site.base).await.unwrap();
    let heading = browser.find(Locator::Css("main h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Library");
    assert!(!scrolls_sideways(&browser).await, "library at 375 px");
    shoot(&browser, "library-375.png").await;

    // 2. Follow the pages to the fixture and open it.
    browser
        .find(Locator::Css("a[rel=next]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::LinkText(
            "Quiet Rooms and Loud Arguments: Why the Old Library Reading Room Is Back",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let url = browser.current_url().await.unwrap();
    assert!(
        url.path().ends_with(&format!("/a/{}", site.article.0)),
        "{url}"
    );
    assert!(!scrolls_sideways(&browser).await, "article at 375 px");
    shoot(&browser, "article-375.png").await;

    // 3. The summary sentences and quotations, highlighted at their anchors.
    let marks = browser
        .find_all(Locator::Css("p mark.summary"))
        .await
        .unwrap();
    assert!(!marks.is_empty());
    for (i, mark) in marks.iter().enumerate() {
        assert_eq!(mark.attr("id").await.unwrap(), Some(format!("s{}", i + 1)));
    }
    browser.goto(&format!("{url}#q1")).await.unwrap();
    let target = browser.find(Locator::Css(":target")).await.unwrap();
    assert_eq!(target.attr("id").await.unwrap().as_deref(), Some("q1"));
    assert_eq!(
        target.attr("class").await.unwrap().as_deref(),
        Some("quote")
    );
    // The element's place is in document coordinates: take the scroll off.
    let (_, y, _, _) = target.rectangle().await.unwrap();
    let scrolled = browser
        .execute("return window.scrollY;", Vec::new())
        .await
        .unwrap();
    let y = y - scrolled.as_f64().unwrap();
    assert!(
        (0.0..900.0).contains(&y),
        "the quotation is scrolled into view: {y}"
    );
    let background = target.css_value("background-color").await.unwrap();
    assert_ne!(background, "rgba(0, 0, 0, 0)", "highlighted");
    shoot(&browser, "quotation-anchor-375.png").await;

    // 4. The merged Discord + Matrix reply tree, and the pinned comment first.
    let alice = site.ids["d1"];
    let carol = site.ids["d3"];
    let nested = browser
        .find(Locator::Css(&format!("li#m{alice} > ol > li#m{carol}")))
        .await
        .unwrap();
    assert!(nested.text().await.unwrap().contains("council vote"));
    let badges: Vec<String> = {
        let mut out = Vec::new();
        for badge in browser
            .find_all(Locator::Css("ol.thread > li .platform"))
            .await
            .unwrap()
        {
            out.push(badge.text().await.unwrap());
        }
        out
    };
    assert!(
        badges.contains(&"Discord".to_owned()) && badges.contains(&"Matrix".to_owned()),
        "{badges:?}"
    );
    let pin = browser.find(Locator::Css("blockquote.pin")).await.unwrap();
    let thread = browser.find(Locator::Css("ol.thread")).await.unwrap();
    assert!(
        pin.rectangle().await.unwrap().1 < thread.rectangle().await.unwrap().1,
        "pinned first"
    );
    browser.goto(&format!("{url}#discussion")).await.unwrap();
    shoot(&browser, "discussion-375.png").await;

    // 5. Search and follow a result.
    browser.goto(&site.base).await.unwrap();
    let input = browser.find(Locator::Css("input[name=q]")).await.unwrap();
    input.send_keys("lamps late").await.unwrap();
    browser
        .find(Locator::Css("form.search button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The click starts a navigation; wait for the results page rather than racing it.
    let hit = browser
        .wait()
        .for_element(Locator::Css("ol.hits li a"))
        .await
        .unwrap();
    shoot(&browser, "search-375.png").await;
    hit.click().await.unwrap();
    let title = browser
        .wait()
        .for_element(Locator::Css("article.reading h1"))
        .await
        .unwrap();
    assert!(title.text().await.unwrap().starts_with("Quiet Rooms"));

    // 6. On a desktop, then in a browser that prefers dark.
    browser.set_window_size(1280, 1000).await.unwrap();
    browser.goto(url.as_str()).await.unwrap();
    assert!(!scrolls_sideways(&browser).await);
    shoot(&browser, "article-1280.png").await;
    let light = page_background(&browser).await;
    browser.close().await.unwrap();
    let dark = open_browser(&driver, &["--force-dark-mode", "--window-size=375,900"]).await;
    dark.set_window_size(375, 900).await.unwrap();
    dark.goto(url.as_str()).await.unwrap();
    assert!(!scrolls_sideways(&dark).await);
    let background = page_background(&dark).await;
    assert_ne!(
        background, light,
        "prefers-color-scheme: dark has its own colours"
    );
    shoot(&dark, "article-375-dark.png").await;
    dark.close().await.unwrap();
}

/// The page's computed background colour.
async fn page_background(browser: &fantoccini::Client) -> String {
    browser
        .find(fantoccini::Locator::Css("body"))
        .await
        .unwrap()
        .css_value("background-color")
        .await
        .unwrap()
}

/// A headless Chromium session with these extra flags.
async fn open_browser(driver: &Driver, flags: &[&str]) -> fantoccini::Client {
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ];
    args.extend_from_slice(flags);
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "args": args }),
    );
    // WebDriver on loopback is plain HTTP: no TLS stack needed.
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    fantoccini::ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_long_discussion_is_paged_and_a_deep_chain_stays_narrow() {
    let site = site().await;
    let store = site.bot.store();
    let general = store
        .find_channel("discord:general")
        .await
        .unwrap()
        .unwrap();
    let discussion = store
        .discussion_in(site.article, general.id)
        .await
        .unwrap()
        .unwrap();
    // A chain of 400 replies, each answering the one before.
    let ids: Vec<&'static str> = (0..400)
        .map(|i| &*Box::leak(format!("chain-{i}").into_boxed_str()))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let parent = i.checked_sub(1).map(|p| ids[p]);
        record(
            store,
            discussion.id,
            ("discord", id, "ivan"),
            &format!("Link number {i} of the chain."),
            parent,
            30 + i as i64,
        )
        .await;
    }
    let article = format!("a/{}", site.article.0);
    let mut seen = std::collections::HashSet::new();
    let mut pages = 0;
    for page in 1.. {
        let response = site.get(&format!("{article}?page={page}")).await;
        if response.status() == 404 {
            break;
        }
        pages += 1;
        let html = response.text().await.unwrap();
        assert!(html.len() < 100 * 1024, "page {page}: {} bytes", html.len());
        let doc = Document::from(html.as_str());
        // Indented at most six levels deep, whatever the chain's length.
        assert!(
            doc.select("ol.thread ol ol ol ol ol ol ol").is_empty(),
            "page {page}"
        );
        for li in doc.select("ol.thread li[id]").iter() {
            let id = li.attr("id").unwrap().to_string();
            assert!(seen.insert(id.clone()), "{id} on two pages");
        }
        if page == 2 {
            assert!(
                html.contains("replying to"),
                "deep replies name what they answer"
            );
            assert!(
                !html.contains("The article"),
                "the text is on the first page only"
            );
        }
    }
    assert_eq!(pages, 3, "407 messages at 150 a page");
    assert_eq!(seen.len(), 407);
}

#[tokio::test]
async fn a_long_article_and_long_messages_keep_every_page_under_100_kb() {
    let site = site().await;
    let store = site.bot.store();
    let now = site.bot.now();
    // About 60 KB of article text, and messages of 20,000 characters (Matrix allows 64 KB).
    let mut text = "The Long Read About Lamps\n\nPosted by Lena Long\n\n".to_owned();
    for p in 0..60 {
        for s in 0..8 {
            text.push_str(&format!(
                "Paragraph {p} sentence {s} tells of the lamps of the long harbour and the people who tend them at night. "
            ));
        }
        text.push_str("\n\n");
    }
    let (long, _) = site.bot.ingest_text(&text, None).await.unwrap();
    let community = store
        .community("discord", "guild-lamps", None, now)
        .await
        .unwrap();
    store
        .shelve(community.id, long.id(), None, now)
        .await
        .unwrap();
    let general = store
        .find_channel("discord:general")
        .await
        .unwrap()
        .unwrap();
    let (discussion, _) = store
        .open_discussion(long.id(), general.id, now)
        .await
        .unwrap();
    for i in 0..160 {
        let id: &'static str = Box::leak(format!("long-{i}").into_boxed_str());
        let body = if i % 4 == 0 {
            format!(
                "Long message {i}: {}",
                "many words about lamps ".repeat(870)
            )
        } else {
            format!("Short message {i} & <b>not bold</b>.")
        };
        record(
            store,
            discussion.id,
            ("discord", id, "lena"),
            &body,
            None,
            i,
        )
        .await;
    }
    let article = format!("a/{}", long.id().0);
    let (mut seen, mut cut, mut pages) = (std::collections::HashSet::new(), 0, 0);
    for page in 1.. {
        let response = site.get(&format!("{article}?page={page}")).await;
        if response.status() == 404 {
            break;
        }
        pages += 1;
        let html = response.text().await.unwrap();
        assert!(html.len() < 100 * 1024, "page {page}: {} bytes", html.len());
        if page == 1 {
            assert!(html.contains("Paragraph 59 sentence 7"), "the whole text");
        }
        cut += html.matches("Cut here: the whole message").count();
        let doc = Document::from(html.as_str());
        for li in doc.select("ol.thread li[id]").iter() {
            let id = li.attr("id").unwrap().to_string();
            assert!(seen.insert(id.clone()), "{id} on two pages");
        }
    }
    assert_eq!(
        seen.len(),
        160,
        "every message on one page, over {pages} pages"
    );
    assert_eq!(cut, 40, "each long message cut on the page");
    assert!(pages > 2, "{pages}");
}
