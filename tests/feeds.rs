//! Articles from the web, against a real HTTP server on 127.0.0.1 serving pages written for
//! these tests, including broken ones. No test reaches outside loopback.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use common::context;
use readingroom::bot::{Body, Bot, Platform};
use readingroom::clock::SystemClock;
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
    assert!(error.starts_with("could not fetch"), "{error}");
    assert_eq!(bot.store().article_count().await.unwrap(), 0);
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
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_readingroom"))
            .args(["parse", &url, "--json"])
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["byline"], "Ines Calder");
    assert_eq!(json["published"], "2026-02-03");
    assert!(
        json["title"]
            .as_str()
            .unwrap()
            .starts_with("The night shift")
    );
}
