//! Several `readingroom run` processes on one PostgreSQL: they share the scheduled work by
//! claiming it, so every digest and every feed post goes out once, every acknowledged message
//! is stored once, and the work a SIGKILLed process had claimed is taken over when its leases
//! lapse.
//!
//! The processes run the console platform (digests and feed posts print on standard output,
//! messages are typed into a discussion on standard input), so the test sees everything each
//! process posted; the feeds and their pages come from a loopback server that answers feed
//! requests slowly, so that a process can be killed while it holds a feed's claim.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

#[path = "common/bin.rs"]
mod bin;
mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{Duration as Span, Utc};
use readingroom::store::{Scope, Store};

const PROCESSES: usize = 3;
const DIGEST_CHANNELS: usize = 50;
const FEEDS: usize = 10;
const ENTRIES: usize = 3;
const MESSAGES: usize = 300;
const LEASE_SECS: u64 = 4;
/// How long a feed takes to answer: long enough to kill a process in the middle of a poll.
const FEED_DELAY: Duration = Duration::from_millis(1500);

#[derive(Default)]
struct Site {
    feed_fetches: Mutex<BTreeMap<usize, usize>>,
    base: Mutex<String>,
}

async fn feed(State(site): State<Arc<Site>>, Path(name): Path<String>) -> axum::response::Response {
    let f: usize = name.trim_end_matches(".xml").parse().unwrap();
    *site.feed_fetches.lock().unwrap().entry(f).or_default() += 1;
    tokio::time::sleep(FEED_DELAY).await;
    let base = site.base.lock().unwrap().clone();
    let items: String = (0..ENTRIES)
        .map(|e| {
            format!(
                "<item><title>Entry f{f:02}e{e}</title><link>{base}/page/{f}/{e}</link><guid>f{f}-e{e}</guid><description>A teaser.</description></item>"
            )
        })
        .collect();
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {f}</title><link>{base}</link><description>Load</description>{items}</channel></rss>"#
        ),
    )
        .into_response()
}

async fn page(Path((f, e)): Path<(usize, usize)>) -> axum::response::Response {
    let body = format!(
        "<html><head><title>Feed post f{f:02}e{e} arrives</title></head><body><article><h1>Feed post f{f:02}e{e} arrives</h1>\
         <p>Number {e} of feed {f} is a short essay about branch libraries, the people who keep them open and the readers who come back every week.</p>\
         <p>It ends, as such essays do, with the budget for next year and a list of the rooms that feed {f} thinks should stay open ({e}).</p></article></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html")], body).into_response()
}

/// What one process printed, collected as it prints.
struct Process {
    run: bin::Running,
    out: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

fn start(index: usize, url: &str, allow: &str, article: i64) -> Process {
    let mut run = bin::readingroom()
        .arg("--db")
        .arg(url)
        .env("RUST_LOG", "error")
        .env("READINGROOM_LEASE_SECS", &LEASE_SECS.to_string())
        .env("READINGROOM_TICK_SECS", "1")
        .env("READINGROOM_FETCH_ALLOW", allow)
        .env("READINGROOM_COMMAND_BURST", "0")
        .env("READINGROOM_CONSOLE_USER", &format!("writer{index}"))
        .spawn();
    let out = Arc::new(Mutex::new(String::new()));
    let stdout = run.stdout();
    let reader = {
        let out = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut out = out.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
            }
        })
    };
    let mut stdin = run.stdin();
    let writer = std::thread::spawn(move || {
        let _ = writeln!(stdin, "/discuss {article}");
        for n in 0..MESSAGES {
            if writeln!(stdin, "p{index}-m{n} has something to say").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(15));
        }
        // Standard input stays open until the test drops it: the console ends at its end.
        std::thread::sleep(Duration::from_secs(600));
    });
    Process {
        run,
        out,
        reader: Some(reader),
        writer: Some(writer),
    }
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn three_processes_share_the_work_once_and_take_over_a_killed_ones_leases() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime.block_on(common::postgres::cluster().database());
    let site = Arc::new(Site::default());
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    *site.base.lock().unwrap() = format!("http://{addr}");
    let app = Router::new()
        .route("/feed/{name}", get(feed))
        .route("/page/{f}/{e}", get(page))
        .with_state(site.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });

    // The shared store: 50 channels whose digests are due this minute, each with something new
    // on its shelf; 10 feeds due now, each followed by a channel; an article to discuss.
    let now = Utc::now();
    let (store, article) = runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        let piece = readingroom::article::parse(
            "Discussion piece\n\nEveryone has an opinion on this one, and says so at length.",
        )
        .unwrap();
        let article = store.insert_article(&piece, None, None, now - Span::hours(2)).await.unwrap().id();
        store.add_to_library(article).await.unwrap();
        let due = (now - Span::minutes(2)).format("%H:%M").to_string();
        for n in 1..=DIGEST_CHANNELS {
            let name = format!("d{n:02}");
            let channel = common::channel(&store, "console", &name, None, now).await;
            let text = format!("Digest marker {name} of the day\n\nA new article on the shelf of channel {name}, waiting for its digest.");
            let id = store
                .insert_article(&readingroom::article::parse(&text).unwrap(), None, None, now - Span::hours(1))
                .await
                .unwrap()
                .id();
            store.shelve(channel.community_id.unwrap(), id, None, now - Span::hours(1)).await.unwrap();
            store.set_digest(channel.id, Some((&due, "UTC")), now - Span::days(1)).await.unwrap();
        }
        for f in 0..FEEDS {
            let channel = common::channel(&store, "console", &format!("f{f:02}"), None, now).await;
            let feed = store
                .add_feed(&format!("http://{addr}/feed/{f}.xml"), None, now - Span::minutes(1), now)
                .await
                .unwrap();
            store.subscribe(feed.id, channel.id, false, now).await.unwrap();
        }
        (store, article)
    });

    let allow = addr.to_string();
    let mut processes: Vec<Process> = (0..PROCESSES)
        .map(|i| start(i, &url, &allow, article.0))
        .collect();
    let started = Instant::now();

    // Kill the first process seen holding a feed's claim (so, in the middle of a poll), once
    // every digest is out and its claim let go (a process records a digest as posted, then
    // lets go of its claim), noting what it held.
    let (victim, victim_pid, held, killed_at) = loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no process ever claimed a feed"
        );
        let leases = runtime.block_on(store.leases("", Utc::now())).unwrap();
        let posted = runtime.block_on(store.digests_posted()).unwrap();
        let digests_out = posted as usize == DIGEST_CHANNELS
            && !leases.iter().any(|(name, _)| name.starts_with("digest/"));
        let victim = digests_out
            .then(|| {
                processes.iter().position(|p| {
                    let holder = format!("{}-", p.run.pid());
                    leases
                        .iter()
                        .any(|(name, h)| name.starts_with("feed/") && h.starts_with(&holder))
                })
            })
            .flatten();
        if let Some(victim) = victim {
            let holder = format!("{}-", processes[victim].run.pid());
            let held: Vec<String> = leases
                .into_iter()
                .filter(|(_, h)| h.starts_with(&holder))
                .map(|(name, _)| name)
                .collect();
            let pid = processes[victim].run.pid();
            processes[victim].run.kill();
            break (victim, pid, held, Instant::now());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        held.iter().all(|name| name.starts_with("feed/")),
        "{held:?}"
    );

    // Wait for the work to be done: every feed post delivered, each of the killed process's
    // claims taken over by another process, the survivors' messages all acknowledged.
    let mut taken_over: HashMap<String, Duration> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (owed, leases) = runtime.block_on(async {
            let owed = store
                .pending_deliveries(Utc::now() + Span::days(1), 1000)
                .await
                .unwrap()
                .len();
            (owed, store.leases("feed/", Utc::now()).await.unwrap())
        });
        // Taken over: claimed by another process (it holds the claim while it polls).
        let victim_holder = format!("{victim_pid}-");
        for (name, holder) in leases {
            if held.contains(&name) && !holder.starts_with(&victim_holder) {
                taken_over
                    .entry(name)
                    .or_insert_with(|| killed_at.elapsed());
            }
        }
        let messages_done = processes.iter().enumerate().all(|(i, p)| {
            i == victim || count(&p.out.lock().unwrap(), "recorded as #") >= MESSAGES
        });
        if owed == 0 && taken_over.len() == held.len() && messages_done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the work was not done: {owed} posts owed, taken over {taken_over:?} of {held:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Let the survivors finish printing, then stop them.
    std::thread::sleep(Duration::from_secs(2));
    let mut outputs = Vec::new();
    for (i, mut process) in processes.drain(..).enumerate() {
        if i != victim {
            process.run.kill();
        }
        if let Some(reader) = process.reader.take() {
            reader.join().unwrap();
        }
        drop(process.writer.take());
        outputs.push(std::mem::take(&mut *process.out.lock().unwrap()));
    }
    let all = outputs.concat();

    // Digests: one per channel, in the store and on the screens.
    let posted = runtime.block_on(store.digests_posted()).unwrap() as usize;
    let mut shown = 0;
    for n in 1..=DIGEST_CHANNELS {
        let times = count(&all, &format!("Digest marker d{n:02} of the day"));
        assert_eq!(times, 1, "digest of d{n:02} shown {times} times");
        shown += times;
    }
    // Feed posts: one per entry.
    let mut feed_posts = 0;
    for f in 0..FEEDS {
        for e in 0..ENTRIES {
            let marker = format!("Feed post f{f:02}e{e} arrives");
            let times = count(&all, &marker);
            assert_eq!(times, 1, "{marker}: shown {times} times");
            feed_posts += times;
        }
    }
    let fetches: usize = site.feed_fetches.lock().unwrap().values().sum();
    // Messages: every acknowledged one stored once.
    let (acknowledged, stored, duplicated) = runtime.block_on(async {
        let rows = store
            .article_messages(Scope::Operator, article)
            .await
            .unwrap();
        let bodies: Vec<String> = rows.iter().filter_map(|(m, _)| m.body.clone()).collect();
        let distinct: HashSet<&String> = bodies.iter().collect();
        let mut acknowledged = 0;
        for (i, out) in outputs.iter().enumerate() {
            let acks = count(out, "recorded as #");
            assert_eq!(count(out, "Not recorded"), 0, "process {i}: {out}");
            for n in 0..acks {
                let body = format!("p{i}-m{n} has something to say");
                assert!(
                    distinct.contains(&body),
                    "acknowledged but not stored: {body}"
                );
            }
            acknowledged += acks;
        }
        (acknowledged, bodies.len(), bodies.len() - distinct.len())
    });
    let slowest = taken_over.values().max().copied().unwrap_or_default();
    println!(
        "multi-process: processes={PROCESSES} killed=1 digests expected={DIGEST_CHANNELS} posted={posted} shown={shown} \
         feed_posts expected={} posted={feed_posts} feed_fetches={fetches} (feeds={FEEDS}, re-fetched after the kill={}) \
         messages acknowledged={acknowledged} stored={stored} duplicated={duplicated} \
         leases_taken_over={}/{} within={:.1}s (lease {LEASE_SECS}s)",
        FEEDS * ENTRIES,
        held.len(),
        taken_over.len(),
        held.len(),
        slowest.as_secs_f64(),
    );
    assert_eq!(posted, DIGEST_CHANNELS);
    assert_eq!(feed_posts, FEEDS * ENTRIES);
    assert_eq!(
        fetches,
        FEEDS + held.len(),
        "each feed fetched once, the killed one's again"
    );
    assert_eq!(duplicated, 0);
    assert!(stored >= acknowledged);
    assert!(
        acknowledged > MESSAGES,
        "the survivors' messages all acknowledged: {acknowledged}"
    );
    // The lease lapses at most LEASE_SECS after the kill; a survivor takes it on its next
    // pass, which may wait for the pass it is in (its own slow feeds, its posts) and a tick.
    assert!(
        slowest <= Duration::from_secs(LEASE_SECS) + 2 * FEED_DELAY + Duration::from_secs(3),
        "taken over after {slowest:?}"
    );
}
