//! Articles from the web, against a real HTTP server on 127.0.0.1 serving pages written for
//! these tests, including broken ones. No test reaches outside loopback.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

#[path = "common/bin.rs"]
mod bin;
mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use bin::readingroom;
use common::context;
use readingroom::bot::{Body, Bot, Platform};
use readingroom::clock::SystemClock;
use readingroom::sources::reach::Reach;
use readingroom::sources::web::FetchOptions;
use readingroom::store::{Ingested, Store};

const ARTICLE: &str = r#"<!doctype html><html><head>
<title>The night shift at the reading room | The Lantern</title>
<link rel="canonical" href="/essays/night-shift">
<meta property="og:site_name" content="The Lantern">
<meta property="og:title" content="The night shift at the reading room">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"The night shift at the reading room","datePublished":"2026-02-03T08:00:00Z","author":{"@type":"Person","name":"Ines Calder"}}</script>
</head><body><header><nav>Home · Essays · Subscribe · Log in</nav></header>
<main><article><h1>The night shift at the reading room</h1>
<p>When the east branch library began opening its reading room until midnight, the staff expected students. Instead the late hours filled with nurses, cab drivers and bakers coming off their shifts.</p>
<p>"People told me it was the only quiet room in the neighbourhood that did not charge for a coffee," said Hal Okafor, who runs the night desk. The branch now keeps a log of who comes and when.</p>
<p>The council will decide in the spring whether the late hours become permanent, and the log will be part of the case.</p>
</article></main><footer>© The Lantern · Privacy · Cookies</footer></body></html>"#;

async fn server() -> String {
    let app = Router::new()
        .route(
            "/essays/night-shift",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    ARTICLE,
                )
            }),
        )
        .route(
            "/share/abc",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], ARTICLE) }),
        )
        .route(
            "/broken",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "oops") }),
        )
        .route(
            "/gone",
            get(|| async { (StatusCode::NOT_FOUND, "no such page") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                ([(header::CONTENT_TYPE, "text/html")], ARTICLE)
            }),
        )
        .route(
            "/huge",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<p>x</p>".repeat(10 * 1024 * 1024 / 8),
                )
            }),
        )
        .route(
            "/paper.pdf",
            get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], "%PDF-1.7 ...") }),
        )
        .route(
            "/front",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body><nav>Home</nav><form><input name=q></form></body></html>",
                )
            }),
        )
        .route(
            "/loop",
            get(|| async { Redirect::temporary("/loop").into_response() }),
        )
        .route(
            "/pathfeed.xml",
            get(|| async {
                let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/news-report.md");
                (
                    [(header::CONTENT_TYPE, "application/rss+xml")],
                    format!(
                        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Paths</title><item><title>A file</title><link>{file}</link></item></channel></rss>"
                    ),
                )
            }),
        )
        .route(
            "/away",
            get(
                |axum::extract::Query(to): axum::extract::Query<
                    std::collections::HashMap<String, String>,
                >| async move {
                    Redirect::temporary(to.get("to").map_or("/", String::as_str)).into_response()
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn bot(dir: &tempfile::TempDir) -> Bot {
    let store = Store::open(dir.path().join("rr.db").to_str().unwrap())
        .await
        .unwrap();
    let options = FetchOptions {
        timeout: Duration::from_secs(1),
        // The test sites are on loopback, which the operator has to allow.
        reach: Reach::Public(vec!["127.0.0.1".parse().unwrap()]),
        ..FetchOptions::default()
    };
    Bot::with_fetcher(store, Arc::new(SystemClock), options)
}

#[tokio::test]
async fn a_url_is_ingested_with_title_byline_and_date_from_its_metadata() {
    let base = server().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = bot(&dir).await;
    let (ingested, title) = bot
        .ingest_url(&format!("{base}/essays/night-shift"))
        .await
        .unwrap();
    assert!(matches!(ingested, Ingested::New(_)));
    assert!(
        title.starts_with("The night shift at the reading room"),
        "{title}"
    );
    let stored = bot.store().article(ingested.id()).await.unwrap().unwrap();
    let article = &stored.article;
    assert_eq!(article.byline.as_deref(), Some("Ines Calder"));
    assert_eq!(article.published.as_deref(), Some("2026-02-03"));
    assert_eq!(article.source.name.as_deref(), Some("The Lantern"));
    assert_eq!(
        article.source.url.as_deref(),
        Some(format!("{base}/essays/night-shift").as_str())
    );
    let body: String = article
        .paragraphs
        .iter()
        .map(|p| p.text.clone())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(body.contains("nurses, cab drivers and bakers"));
    assert!(
        !body.contains("Subscribe") && !body.contains("Cookies"),
        "{body}"
    );
    assert!(
        article
            .quotes
            .iter()
            .any(|q| q.speaker.as_deref() == Some("Hal Okafor"))
    );

    // The same page under another address is the same article (canonical URL).
    let (again, _) = bot.ingest_url(&format!("{base}/share/abc")).await.unwrap();
    assert_eq!(again, Ingested::Existing(ingested.id()));
    assert_eq!(bot.store().article_count().await.unwrap(), 1);
}

#[tokio::test]
async fn every_broken_page_gives_its_own_error_and_stores_nothing() {
    let base = server().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = bot(&dir).await;
    let cases = [
        ("/broken", "answered 500"),
        ("/gone", "answered 404"),
        ("/slow", "did not answer within 1 seconds"),
        ("/huge", "is larger than"),
        (
            "/paper.pdf",
            "is not a web page (its content type is application/pdf)",
        ),
        ("/front", "has no article text"),
        ("/loop", "redirects too many times"),
    ];
    for (path, expected) in cases {
        let error = bot
            .ingest_url(&format!("{base}{path}"))
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{path}: {error}");
    }
    let error = bot
        .ingest_url("ftp://example.org/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("is not a web address"), "{error}");
    let error = bot
        .ingest_url("http://127.0.0.1:9/")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.ends_with("could not be reached"), "{error}");
    assert!(!error.contains("refused"), "nothing about sockets: {error}");
    assert_eq!(bot.store().article_count().await.unwrap(), 0);
}

#[tokio::test]
async fn chat_fetches_reach_only_the_public_internet_and_allowed_hosts() {
    let base = server().await;
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let other = if port == 65535 { port - 1 } else { port + 1 };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("rr.db").to_str().unwrap())
        .await
        .unwrap();
    // The operator allows exactly this site: 127.0.0.1 on its port.
    let options = FetchOptions {
        timeout: Duration::from_secs(2),
        reach: Reach::Public(vec![format!("127.0.0.1:{port}").parse().unwrap()]),
        ..FetchOptions::default()
    };
    let bot = Bot::with_fetcher(store, Arc::new(SystemClock), options);
    bot.ingest_url(&format!("{base}/essays/night-shift"))
        .await
        .unwrap();
    let refused = [
        format!("http://127.0.0.1:{other}/"),
        format!("http://[::1]:{port}/essays/night-shift"),
        format!("http://[::ffff:127.0.0.1]:{port}/essays/night-shift"),
        format!("http://2130706433:{other}/essays/night-shift"),
        format!("http://localhost:{port}/essays/night-shift"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://[fd00::1]/".to_owned(),
        // A redirect from the allowed site into another port of the same machine.
        format!("{base}/away?to=http://127.0.0.1:{other}/admin"),
        format!("{base}/away?to=http://localhost:{port}/essays/night-shift"),
    ];
    for url in &refused {
        let error = bot.ingest_url(url).await.unwrap_err().to_string();
        assert!(
            error.contains("is not on the public internet"),
            "{url}: {error}"
        );
    }
    // Chat commands go through the same fetcher.
    let moderator = context(Platform::Console, "c1", "mod", true);
    for line in [
        format!("feed add http://127.0.0.1:{other}/feed.xml"),
        format!("feed preview http://localhost:{port}/feed.xml"),
        format!("ingest http://[::1]:{other}/"),
    ] {
        let reply = bot.handle_text(&moderator, &line).await;
        assert!(
            matches!(&reply.body, Body::Error(e) if e.contains("not on the public internet")),
            "{line}: {reply:?}"
        );
    }
    assert_eq!(bot.store().article_count().await.unwrap(), 1);
}

#[tokio::test]
async fn ingest_command_is_for_moderators_and_answers_with_the_card() {
    let base = server().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = bot(&dir).await;
    let reader = context(Platform::Console, "c", "reader", false);
    let refused = bot
        .handle_text(&reader, &format!("ingest {base}/essays/night-shift"))
        .await;
    assert!(
        matches!(&refused.body, Body::Error(e) if e.starts_with("Only moderators")),
        "{refused:?}"
    );
    let moderator = context(Platform::Console, "c", "mod", true);
    let reply = bot
        .handle_text(&moderator, &format!("ingest {base}/essays/night-shift"))
        .await;
    let Body::Card(card) = &reply.body else {
        panic!("{reply:?}")
    };
    assert!(card.title.starts_with("The night shift"));
    let reply = bot
        .handle_text(&moderator, &format!("ingest {base}/paper.pdf"))
        .await;
    assert!(
        matches!(&reply.body, Body::Error(e) if e.starts_with("Nothing was added") && e.contains("application/pdf")),
        "{reply:?}"
    );
}

#[tokio::test]
async fn parse_url_shows_what_would_be_stored() {
    let base = server().await;
    let url = format!("{base}/essays/night-shift");
    // Off the runtime: it serves the page the binary fetches.
    let out =
        tokio::task::spawn_blocking(move || readingroom().args(["parse", &url, "--json"]).stdout())
            .await
            .unwrap();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["byline"], "Ines Calder");
    assert_eq!(json["published"], "2026-02-03");
    assert!(
        json["title"]
            .as_str()
            .unwrap()
            .starts_with("The night shift")
    );
}

#[tokio::test]
async fn a_feed_entry_linking_a_local_path_never_reads_the_file() {
    let base = server().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rr.db");
    let feed = format!("{base}/pathfeed.xml");
    // Off the runtime: it serves the feed the binary fetches.
    let (ingest, stats) = tokio::task::spawn_blocking(move || {
        let ingest = readingroom().db(&db).args(["ingest", &feed]).output();
        let stats = readingroom().db(&db).arg("stats").stdout();
        (ingest, stats)
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&ingest.stderr);
    // The path is a path on the feed's own site (which has no such page), not a local file.
    assert!(!ingest.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{base}/")) && stderr.contains("404"),
        "{stderr}"
    );
    assert!(stats.starts_with("0 articles"), "{stats}");
}

mod feeds {
    use std::sync::Mutex;

    use axum::extract::{Path, State};
    use axum::http::HeaderMap;
    use chrono::{TimeZone, Utc};
    use readingroom::bot::digest::DigestSink;
    use readingroom::bot::feeds::Poller;
    use readingroom::bot::{Platform, Reply};
    use readingroom::clock::ManualClock;

    use super::*;

    /// What the feed server serves; tests change it between polls.
    #[derive(Debug, Default)]
    struct Site {
        base: String,
        entries: Vec<(u32, String)>,
        etag: u32,
        failing: bool,
        feed_bodies_served: usize,
    }

    type Shared = Arc<Mutex<Site>>;

    async fn feed(State(site): State<Shared>, headers: HeaderMap) -> axum::response::Response {
        let mut site = site.lock().unwrap();
        if site.failing {
            return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
        }
        let etag = format!("\"v{}\"", site.etag);
        if headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            == Some(etag.as_str())
        {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        site.feed_bodies_served += 1;
        let items: String = site
            .entries
            .iter()
            .map(|(n, title)| {
                format!(
                    "<item><title>{title}</title><link>{0}/posts/{n}</link><guid>essay-{n}</guid><description>A teaser for essay {n}.</description></item>",
                    site.base
                )
            })
            .collect();
        let body = format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Lantern Essays</title><link>{}</link><description>Essays</description>{items}</channel></rss>"#,
            site.base
        );
        (
            [
                (header::CONTENT_TYPE, "application/rss+xml"),
                (header::ETAG, etag.as_str()),
            ],
            body,
        )
            .into_response()
    }

    async fn post(Path(n): Path<u32>) -> axum::response::Response {
        let body = format!(
            "<html><head><title>Essay {n} on reading rooms</title><meta name=author content=\"Writer {n}\"></head><body><article><h1>Essay {n} on reading rooms</h1>\
             <p>Essay number {n} argues that a reading room is a public promise: a quiet place that asks nothing of its visitors except quiet. It walks through the branch libraries one by one.</p>\
             <p>The essay, the {n}th in the series, ends with the council budget and what the city would lose if the rooms closed again. Readers wrote in about their own branches.</p></article></body></html>"
        );
        ([(header::CONTENT_TYPE, "text/html")], body).into_response()
    }

    async fn site() -> (String, Shared) {
        let site: Shared = Arc::default();
        let app = Router::new()
            .route("/feed.xml", get(feed))
            .route("/posts/{n}", get(post))
            .with_state(site.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        {
            let mut site = site.lock().unwrap();
            site.base = base.clone();
            site.entries = (1..=20).map(|n| (n, format!("Essay {n}"))).collect();
        }
        (base, site)
    }

    #[derive(Debug, Default)]
    struct Sink {
        posts: Mutex<Vec<(String, String)>>,
        failures: Mutex<usize>,
        threads: Mutex<Vec<String>>,
        /// Channels where every send fails for a while (a platform hiccup).
        broken: Mutex<Vec<String>>,
        /// Channels the platform refuses for good (the bot lost its permissions).
        gone: Mutex<Vec<String>>,
        /// Sends tried, by channel.
        tries: Mutex<std::collections::HashMap<String, usize>>,
    }

    #[async_trait::async_trait]
    impl DigestSink for Sink {
        async fn post(&self, channel: &str, reply: &Reply, _key: &str) -> anyhow::Result<()> {
            *self
                .tries
                .lock()
                .unwrap()
                .entry(channel.to_owned())
                .or_default() += 1;
            if self.broken.lock().unwrap().iter().any(|c| c == channel) {
                anyhow::bail!("the platform is having a bad day");
            }
            if self.gone.lock().unwrap().iter().any(|c| c == channel) {
                return Err(readingroom::bot::digest::Refused("403 Missing Access".into()).into());
            }
            let mut failures = self.failures.lock().unwrap();
            if *failures > 0 {
                *failures -= 1;
                anyhow::bail!("send failed");
            }
            let Body::Card(card) = &reply.body else {
                anyhow::bail!("not a card: {reply:?}")
            };
            self.posts
                .lock()
                .unwrap()
                .push((channel.to_owned(), card.title.clone()));
            Ok(())
        }

        async fn post_with_thread(
            &self,
            channel: &str,
            card: &Reply,
            key: &str,
            _title: &str,
        ) -> anyhow::Result<Option<String>> {
            self.post(channel, card, key).await?;
            let thread = format!("thread-for-{key}");
            self.threads.lock().unwrap().push(thread.clone());
            Ok(Some(thread))
        }
    }

    fn at(minutes: i64) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
    }

    async fn setup() -> (
        tempfile::TempDir,
        Bot,
        Arc<ManualClock>,
        Shared,
        String,
        Arc<Sink>,
        Poller,
    ) {
        let (base, site) = site().await;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("rr.db").to_str().unwrap())
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::new(at(0)));
        let options = FetchOptions {
            timeout: Duration::from_secs(2),
            reach: Reach::Public(vec!["127.0.0.1".parse().unwrap()]),
            ..FetchOptions::default()
        };
        let bot = Bot::with_fetcher(store, clock.clone(), options);
        let sink = Arc::new(Sink::default());
        let poller = Poller::new(bot.clone()).with_sink(Platform::Console, sink.clone());
        (
            dir,
            bot,
            clock,
            site,
            format!("{base}/feed.xml"),
            sink,
            poller,
        )
    }

    #[tokio::test]
    async fn new_entries_are_posted_once_to_each_channel_and_old_ones_never() {
        let (_dir, bot, _clock, site, url, sink, poller) = setup().await;
        for channel in ["c1", "c2"] {
            let moderator = context(Platform::Console, channel, "mod", true);
            let reply = bot
                .handle_text(&moderator, &format!("feed add {url}"))
                .await;
            assert!(
                matches!(&reply.body, Body::Text(t) if t.starts_with("Following Lantern Essays")),
                "{reply:?}"
            );
        }
        assert_eq!(
            site.lock().unwrap().feed_bodies_served,
            1,
            "one fetch however many channels follow"
        );
        let report = poller.run_once(at(1)).await.unwrap();
        assert_eq!(
            report.delivered, 0,
            "not due yet, and old entries are never posted"
        );
        assert!(
            sink.posts.lock().unwrap().is_empty(),
            "the 20 entries already there are not posted"
        );

        // Nothing changed: the conditional GET answers 304 and nothing is fetched.
        let report = poller.run_once(at(16)).await.unwrap();
        assert_eq!(
            (report.not_modified, report.fetched, report.delivered),
            (1, 0, 0)
        );
        assert_eq!(site.lock().unwrap().feed_bodies_served, 1);

        {
            let mut site = site.lock().unwrap();
            site.entries.insert(0, (21, "Essay 21".into()));
            site.entries.insert(0, (22, "Essay 22".into()));
            site.etag += 1;
        }
        let report = poller.run_once(at(32)).await.unwrap();
        assert_eq!(
            (report.fetched, report.new_entries, report.delivered),
            (1, 2, 4)
        );
        let posts = sink.posts.lock().unwrap().clone();
        for channel in ["c1", "c2"] {
            for n in [21, 22] {
                let count = posts
                    .iter()
                    .filter(|(c, t)| c == channel && t.starts_with(&format!("Essay {n} on")))
                    .count();
                assert_eq!(count, 1, "essay {n} in {channel}: {posts:?}");
            }
        }
        assert_eq!(
            bot.store().article_count().await.unwrap(),
            2,
            "the full articles were fetched and stored"
        );

        // An updated entry (same GUID, new title) is not posted again.
        {
            let mut site = site.lock().unwrap();
            site.entries[0].1 = "Essay 22 (updated)".into();
            site.etag += 1;
        }
        let report = poller.run_once(at(48)).await.unwrap();
        assert_eq!(
            (report.fetched, report.new_entries, report.delivered),
            (1, 0, 0)
        );
        assert_eq!(sink.posts.lock().unwrap().len(), 4);

        let list = bot
            .handle_text(
                &context(Platform::Console, "c1", "reader", false),
                "feed list",
            )
            .await;
        let Body::Card(card) = &list.body else {
            panic!("{list:?}")
        };
        assert!(card.fields[0].value.contains("OK, last read"), "{card:?}");
        let moderator = context(Platform::Console, "c2", "mod", true);
        let removed = bot
            .handle_text(&moderator, &format!("feed remove {url}"))
            .await;
        assert!(
            matches!(&removed.body, Body::Text(t) if t.starts_with("Stopped following")),
            "{removed:?}"
        );
    }

    #[tokio::test]
    async fn a_failing_feed_backs_off_shows_as_failing_and_recovers() {
        let (_dir, bot, _clock, site, url, _sink, poller) = setup().await;
        let moderator = context(Platform::Console, "c1", "mod", true);
        bot.handle_text(&moderator, &format!("feed add {url}"))
            .await;
        site.lock().unwrap().failing = true;
        assert_eq!(poller.run_once(at(16)).await.unwrap().failed, 1);
        let list = bot.handle_text(&moderator, "feed list").await;
        let Body::Card(card) = &list.body else {
            panic!("{list:?}")
        };
        assert!(
            card.fields[0].value.contains("Failing (1 time in a row)")
                && card.fields[0].value.contains("503"),
            "{card:?}"
        );
        // Backoff: twice the interval after one failure, so no poll at +15 min.
        assert_eq!(
            poller.run_once(at(31)).await.unwrap().failed,
            0,
            "backing off"
        );
        assert_eq!(
            poller.run_once(at(46)).await.unwrap().failed,
            1,
            "due again after 30 minutes"
        );
        assert_eq!(
            poller.run_once(at(100)).await.unwrap().failed,
            0,
            "then after 60 minutes"
        );
        site.lock().unwrap().failing = false;
        let report = poller.run_once(at(107)).await.unwrap();
        assert_eq!(report.failed, 0);
        assert_eq!(report.fetched + report.not_modified, 1, "{report:?}");
        let list = bot.handle_text(&moderator, "feed list").await;
        let Body::Card(card) = &list.body else {
            panic!("{list:?}")
        };
        assert!(card.fields[0].value.contains("OK"), "{card:?}");
    }

    #[tokio::test]
    async fn a_failing_channel_backs_off_and_holds_up_no_other() {
        let (_dir, bot, _clock, site, url, sink, poller) = setup().await;
        for channel in ["c1", "broken", "gone"] {
            let moderator = context(Platform::Console, channel, "mod", true);
            bot.handle_text(&moderator, &format!("feed add {url}"))
                .await;
        }
        sink.broken.lock().unwrap().push("broken".into());
        sink.gone.lock().unwrap().push("gone".into());
        {
            let mut site = site.lock().unwrap();
            site.entries.insert(0, (30, "Essay 30".into()));
            site.etag += 1;
        }
        let first = poller.run_once(at(16)).await.unwrap();
        assert_eq!((first.delivered, first.refused), (1, 1), "{first:?}");
        let tries = |channel: &str| {
            sink.tries
                .lock()
                .unwrap()
                .get(channel)
                .copied()
                .unwrap_or(0)
        };
        let mut attempts_at = vec![16];
        for minute in 16..=300 {
            let before = tries("broken");
            let report = poller.run_once(at(minute)).await.unwrap();
            assert_eq!(report.delivered, 0);
            if tries("broken") > before {
                attempts_at.push(minute);
            }
        }
        // Each wait doubles; after eight attempts the post is set aside.
        assert_eq!(
            attempts_at,
            [16, 17, 19, 23, 31, 47, 79, 143],
            "{attempts_at:?}"
        );
        assert_eq!(tries("gone"), 1, "a refusal is not retried");
        assert_eq!(tries("c1"), 1);
        let moderator = |channel| context(Platform::Console, channel, "mod", true);
        let list = bot.handle_text(&moderator("broken"), "feed list").await;
        let Body::Card(card) = &list.body else {
            panic!("{list:?}")
        };
        assert!(
            card.fields[0]
                .value
                .contains("1 post could not be delivered here"),
            "{card:?}"
        );
        let list = bot.handle_text(&moderator("gone"), "feed list").await;
        let Body::Card(card) = &list.body else {
            panic!("{list:?}")
        };
        assert_eq!(card.fields.len(), 1, "no feed left, one notice: {card:?}");
        assert!(
            card.fields[0].value.contains("403 Missing Access"),
            "{card:?}"
        );
        let again = bot.handle_text(&moderator("gone"), "feed list").await;
        assert!(
            matches!(&again.body, Body::Text(t) if t.contains("follows no feeds")),
            "the notice is shown once: {again:?}"
        );
    }

    #[tokio::test]
    async fn unsubscribing_drops_the_posts_still_owed() {
        let (_dir, bot, _clock, site, url, sink, poller) = setup().await;
        let moderator = context(Platform::Console, "c1", "mod", true);
        bot.handle_text(&moderator, &format!("feed add {url}"))
            .await;
        // Another channel keeps the feed followed (and its entries known) throughout.
        let other = context(Platform::Console, "c2", "mod", true);
        bot.handle_text(&other, &format!("feed add {url}")).await;
        sink.broken.lock().unwrap().push("c1".into());
        {
            let mut site = site.lock().unwrap();
            site.entries.insert(0, (30, "Essay 30".into()));
            site.etag += 1;
        }
        poller.run_once(at(16)).await.unwrap();
        bot.handle_text(&moderator, &format!("feed remove {url}"))
            .await;
        bot.handle_text(&moderator, &format!("feed add {url}"))
            .await;
        sink.broken.lock().unwrap().clear();
        let report = poller.run_once(at(40)).await.unwrap();
        assert_eq!(
            report.delivered, 0,
            "the old post went with the subscription"
        );
        let posts = sink.posts.lock().unwrap();
        assert!(
            posts.iter().all(|(channel, _)| channel == "c2"),
            "{posts:?}"
        );
    }

    #[tokio::test]
    async fn a_failed_post_is_retried_and_delivered_once() {
        let (_dir, bot, _clock, site, url, sink, poller) = setup().await;
        bot.handle_text(
            &context(Platform::Console, "c1", "mod", true),
            &format!("feed add {url}"),
        )
        .await;
        {
            let mut site = site.lock().unwrap();
            site.entries.insert(0, (30, "Essay 30".into()));
            site.etag += 1;
        }
        *sink.failures.lock().unwrap() = 1;
        assert_eq!(poller.run_once(at(16)).await.unwrap().delivered, 0);
        assert_eq!(
            poller.run_once(at(17)).await.unwrap().delivered,
            1,
            "retried without waiting for the feed"
        );
        assert_eq!(poller.run_once(at(18)).await.unwrap().delivered, 0);
        assert_eq!(sink.posts.lock().unwrap().len(), 1);
        let preview = bot
            .handle_text(
                &context(Platform::Console, "c1", "reader", false),
                &format!("feed preview {url}"),
            )
            .await;
        assert!(preview.ephemeral);
        let Body::Card(card) = &preview.body else {
            panic!("{preview:?}")
        };
        assert!(
            card.title.starts_with("Essay 30 on reading rooms"),
            "{card:?}"
        );
        let refused = bot
            .handle_text(
                &context(Platform::Console, "c1", "reader", false),
                &format!("feed add {url}"),
            )
            .await;
        assert!(matches!(&refused.body, Body::Error(e) if e.starts_with("Only moderators")));
    }

    #[tokio::test]
    async fn with_thread_each_post_opens_its_discussion() {
        let (_dir, bot, _clock, site, url, sink, poller) = setup().await;
        let moderator = context(Platform::Console, "c1", "mod", true);
        let bad = bot
            .handle_text(&moderator, &format!("feed add {url} --every 1"))
            .await;
        assert!(
            matches!(&bad.body, Body::Error(e) if e.contains("minutes from 5 to 1440")),
            "{bad:?}"
        );
        let reply = bot
            .handle_text(&moderator, &format!("feed add {url} --thread --every 10"))
            .await;
        assert!(
            matches!(&reply.body, Body::Text(t) if t.contains("each with its discussion thread")),
            "{reply:?}"
        );
        {
            let mut site = site.lock().unwrap();
            site.entries.insert(0, (40, "Essay 40".into()));
            site.etag += 1;
        }
        assert_eq!(
            poller.run_once(at(11)).await.unwrap().delivered,
            1,
            "polled every 10 minutes"
        );
        assert_eq!(sink.posts.lock().unwrap().len(), 1);
        let discussion = bot
            .store()
            .discussion_by_thread("console", "thread-for-feed/21/1", None)
            .await
            .unwrap();
        let discussion =
            discussion.expect("the post's thread is the article's discussion in that channel");
        let stored = bot
            .store()
            .article(discussion.article_id)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.article.title.starts_with("Essay 40"));
    }

    #[tokio::test]
    async fn ingest_takes_a_feed_and_prints_a_line_per_article() {
        let (_dir, _bot, _clock, _site, url, _sink, _poller) = setup().await;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cli.db");
        // Off the runtime: it serves the feed the binary fetches.
        let stdout = tokio::task::spawn_blocking(move || {
            readingroom().db(&db).args(["ingest", &url]).stdout()
        })
        .await
        .unwrap();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines.len(),
            20,
            "not a terminal: plain lines, one per entry: {stdout}"
        );
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with('#') && l.contains("on reading rooms")),
            "{stdout}"
        );
    }

    /// How long ingesting 1,000 local article URLs takes. Run with
    /// `cargo test --release --test feeds -- --ignored --nocapture thousand`.
    #[tokio::test]
    #[ignore]
    async fn thousand_urls() {
        let (base, _site) = site().await;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("rr.db").to_str().unwrap())
            .await
            .unwrap();
        let bot = Bot::new(store, Arc::new(readingroom::clock::SystemClock));
        let started = std::time::Instant::now();
        for n in 1..=1000 {
            bot.ingest_url(&format!("{base}/posts/{n}")).await.unwrap();
        }
        let elapsed = started.elapsed();
        assert_eq!(bot.store().article_count().await.unwrap(), 1000);
        println!(
            "ingested 1000 local article URLs in {elapsed:?} ({:?} each)",
            elapsed / 1000
        );
    }
}

#[test]
fn a_saved_web_page_is_read_as_a_page_by_name_or_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rr.db");
    for name in ["saved.html", "saved-page.txt"] {
        let file = dir.path().join(name);
        std::fs::write(&file, ARTICLE).unwrap();
        let file = file.to_str().unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&readingroom().args(["parse", file, "--json"]).stdout()).unwrap();
        assert!(
            json["title"]
                .as_str()
                .unwrap()
                .starts_with("The night shift"),
            "{name}: {json}"
        );
        assert_eq!(json["byline"], "Ines Calder", "{name}");
        let paragraphs = json["paragraphs"].to_string();
        assert!(
            !paragraphs.contains("<p") && !paragraphs.contains("<html"),
            "{name}: {paragraphs}"
        );
    }
    let ingested = readingroom()
        .db(&db)
        .args(["ingest", dir.path().join("saved.html").to_str().unwrap()])
        .stdout();
    assert!(ingested.starts_with("#1 The night shift"), "{ingested}");
}
