//! The bot at community scale: builds a database of generated articles (100,000 by default)
//! and discussion messages (1,000,000), then measures, in process through the bot core, the
//! latency of `/article <id>`, `/article <words>`, `/quote`, `/search` and `/pins` (after a
//! warm-up, as in a bot that has been running), the rate of
//! recording thread messages one at a time and under sustained concurrent load, the raw SQLite
//! batched-insert rate on the same table in the same run, the web reader's pages over HTTP (an
//! article with a 2,000-message discussion, the library, a search), and the resident memory of
//! `readingroom run` (the console) idling on that database.
//!
//! `cargo bench --bench load` (release). `READINGROOM_LOAD_ARTICLES` / `_MESSAGES` scale it;
//! `READINGROOM_LOAD_DB` keeps the database at that path instead of a temporary directory.
//! `READINGROOM_LOAD_REUSE=1` measures only the commands, on the database an earlier run left
//! at `READINGROOM_LOAD_DB` or `READINGROOM_LOAD_DATABASE` (its shelves emptied first, so
//! `/article` writes as on a first visit): half a minute instead of a quarter of an hour.
//! `READINGROOM_LOAD_DATABASE=postgres://…` (an empty database) runs it on PostgreSQL instead,
//! where recording is also measured through 1, 2 and 3 processes at once (each with its own
//! store, pool and group-commit writer, as each `readingroom run` has), against raw PostgreSQL.
//! `READINGROOM_LOAD_COMPARE=1`, with `READINGROOM_LOAD_DB` and `READINGROOM_LOAD_DATABASE`
//! naming databases that full runs loaded, times the same command lines on both backends in
//! turns of 100 and prints each command's p50 and p99 on both and the ratio of the p99s: the
//! two-backend comparison in one run, with the machine's drift falling on both alike.
#![allow(clippy::unwrap_used, missing_docs)] // a benchmark states its setup by panicking

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use readingroom::article;
use readingroom::bot::{Body, Bot, Context, Platform, User};
use readingroom::clock::SystemClock;
use readingroom::store::{ArticleId, Backend, NewMessage, Scope, Store};
use sqlx::sqlite::SqliteConnectOptions;

/// A plain connection pool beside the store, for the raw insert rate and the seed messages.
#[derive(Clone)]
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    /// A pool of its own on the store's database at `location`.
    async fn open(backend: Backend, location: &str) -> Raw {
        match backend {
            Backend::Postgres => Raw::Postgres(
                // Without a ping before each statement, as the store's pool.
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .test_before_acquire(false)
                    .connect(location)
                    .await
                    .unwrap(),
            ),
            Backend::Sqlite => Raw::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .test_before_acquire(false)
                    .connect_with(SqliteConnectOptions::new().filename(location))
                    .await
                    .unwrap(),
            ),
        }
    }

    /// Brings the loaded database to a steady state, as after any bulk load: on PostgreSQL,
    /// a vacuum and fresh statistics (autovacuum would otherwise run in the middle of the
    /// measurements, on a table that just grew by a million rows); SQLite needs nothing.
    async fn settle(&self) {
        if let Raw::Postgres(pool) = self {
            sqlx::query("VACUUM ANALYZE").execute(pool).await.unwrap();
            // And the load's dirty pages written out now, not by checkpoints that would stall
            // the measured commits behind their writes (a few `/article` at 500 ms otherwise).
            sqlx::query("CHECKPOINT").execute(pool).await.unwrap();
        }
    }

    /// PostgreSQL's `synchronous_commit` for this database (`on`: a commit waits for its
    /// write-ahead log to be flushed; SQLite's `synchronous=NORMAL` in WAL mode does not).
    async fn synchronous_commit(&self) -> Option<String> {
        match self {
            Raw::Postgres(pool) => Some(
                sqlx::query_scalar("SHOW synchronous_commit")
                    .fetch_one(pool)
                    .await
                    .unwrap(),
            ),
            Raw::Sqlite(_) => None,
        }
    }

    /// One statement that reads nothing: what a round trip to the database costs.
    async fn round_trip(&self, n: i64) {
        let sql = "SELECT $1";
        let back: i64 = match self {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).bind(n).fetch_one(pool).await,
            Raw::Postgres(pool) => sqlx::query_scalar(sql).bind(n).fetch_one(pool).await,
        }
        .unwrap();
        assert_eq!(back, n);
    }

    /// Takes every article off every shelf (they stay in the library), so a reused database's
    /// `/article` writes its shelf row as on a first visit.
    async fn empty_shelves(&self) {
        let sql = "DELETE FROM shelves";
        match self {
            Raw::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            Raw::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        }
        .unwrap();
    }

    async fn close(&self) {
        match self {
            Raw::Sqlite(pool) => pool.close().await,
            Raw::Postgres(pool) => pool.close().await,
        }
    }

    async fn message_id(&self, platform_id: &str) -> i64 {
        let sql = "SELECT id FROM messages WHERE platform = 'load' AND platform_id = $1";
        match self {
            Raw::Sqlite(pool) => {
                sqlx::query_scalar(sql)
                    .bind(platform_id)
                    .fetch_one(pool)
                    .await
            }
            Raw::Postgres(pool) => {
                sqlx::query_scalar(sql)
                    .bind(platform_id)
                    .fetch_one(pool)
                    .await
            }
        }
        .unwrap()
    }
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A vocabulary of made-up words: FTS sees thousands of distinct terms, as in real text.
fn vocabulary(rng: &mut fastrand::Rng) -> Vec<String> {
    const SYLLABLES: &[&str] = &[
        "ka", "lo", "mer", "tin", "sa", "ven", "dor", "ri", "pel", "an", "tu", "gar", "os", "li",
        "ber", "nu", "ca", "shel", "mo", "rad", "fe", "wis", "ton", "al", "pri", "zen",
    ];
    (0..6000)
        .map(|_| {
            let n = rng.usize(2..=4);
            (0..n)
                .map(|_| SYLLABLES[rng.usize(..SYLLABLES.len())])
                .collect()
        })
        .collect()
}

const NAMES: &[&str] = &[
    "Ada Quill",
    "Jonah Ferris",
    "Odile Marsh",
    "Rob Tanner",
    "Maria Lenz",
    "Tomas Berg",
    "Ines Carvalho",
    "Kwame Mensah",
    "Lena Fischer",
    "Hiro Sato",
];

fn sentence(rng: &mut fastrand::Rng, words: &[String], n: usize) -> String {
    let mut s: Vec<&str> = (0..n)
        .map(|_| words[rng.usize(..words.len())].as_str())
        .collect();
    let first = s[0].to_owned();
    let mut capital = first[..1].to_uppercase();
    capital.push_str(&first[1..]);
    s[0] = &capital;
    format!("{}.", s.join(" "))
}

/// A Markdown article: title, byline, four paragraphs, one attributed quotation.
fn article_text(rng: &mut fastrand::Rng, words: &[String], i: usize) -> String {
    let mut text = format!(
        "{} {} {} number {i}\n\nPosted by {}\n\n",
        sentence(rng, words, 3).trim_end_matches('.'),
        words[rng.usize(..words.len())],
        words[rng.usize(..words.len())],
        NAMES[rng.usize(..NAMES.len())]
    );
    for p in 0..4 {
        let sentences: Vec<String> = (0..rng.usize(3..6))
            .map(|_| {
                let n = rng.usize(8..20);
                sentence(rng, words, n)
            })
            .collect();
        text.push_str(&sentences.join(" "));
        if p == 1 {
            text.push_str(&format!(
                " \"{}\" said {}.",
                sentence(rng, words, 10),
                NAMES[rng.usize(..NAMES.len())]
            ));
        }
        text.push_str("\n\n");
    }
    text
}

fn context(user: usize) -> Context {
    Context {
        platform: Platform::Console,
        community: "load".to_owned(),
        channel: "load".to_owned(),
        channel_name: Some("load".to_owned()),
        user: User {
            id: format!("reader-{user}"),
            name: format!("Reader {user}"),
            moderator: false,
        },
        prefix: "/".to_owned(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Row {
    name: String,
    samples: Vec<Duration>,
}

impl Row {
    fn print(&mut self) {
        self.samples.sort();
        println!(
            "{:<24} {:>7} {:>10.3} {:>10.3} {:>10.3}",
            self.name,
            self.samples.len(),
            percentile(&self.samples, 0.5).as_secs_f64() * 1e3,
            percentile(&self.samples, 0.99).as_secs_f64() * 1e3,
            self.samples.last().unwrap().as_secs_f64() * 1e3,
        );
    }
}

/// Times `lines` after running the first tenth of them untimed: a bot that has been running
/// has prepared each statement on each pooled connection, and those first preparations (a
/// round trip and a plan each, on PostgreSQL) would otherwise make up the p99 of 2,000 samples.
async fn time_command(bot: &Bot, name: &str, lines: &[String]) -> Row {
    let (warm, lines) = lines.split_at(lines.len() / 11);
    for (i, line) in warm.iter().enumerate() {
        // Readers of their own, so the timed ones start within their rate limit.
        bot.handle_text(&context(lines.len() + i), line).await;
    }
    let mut samples = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        samples.push(time_line(bot, i, line).await);
    }
    Row {
        name: name.to_owned(),
        samples,
    }
}

/// How many lines each timed command is given: 2,000 timed, and a tenth more to warm up on
/// (`time_command`).
const COMMAND_LINES: usize = 2200;

/// The lines each timed command is given.
async fn command_lines(
    store: &Store,
    articles: usize,
    discussions: usize,
    words: &[String],
    rng: &mut fastrand::Rng,
) -> Vec<(&'static str, Vec<String>)> {
    let n = COMMAND_LINES;
    let by_id: Vec<String> = (0..n)
        .map(|_| format!("article {}", rng.usize(1..=articles)))
        .collect();
    let mut by_words = Vec::with_capacity(n / 4);
    for _ in 0..n / 4 {
        let id = ArticleId(rng.usize(1..=articles) as i64);
        let title = store
            .article_in(Scope::Operator, id)
            .await
            .unwrap()
            .unwrap()
            .article
            .title;
        let words: Vec<&str> = title.split_whitespace().take(2).collect();
        by_words.push(format!("article {}", words.join(" ")));
    }
    let quotes: Vec<String> = (0..n).map(|_| "quote".to_owned()).collect();
    let quotes_of: Vec<String> = (0..n)
        .map(|_| format!("quote {}", rng.usize(1..=articles)))
        .collect();
    let searches: Vec<String> = (0..n)
        .map(|_| {
            format!(
                "search {} {}",
                words[rng.usize(..words.len())],
                words[rng.usize(..words.len())]
            )
        })
        .collect();
    // One pin on every tenth discussion, as the load makes them.
    let pinned = discussions.min(1000);
    let pinned_every = discussions / pinned;
    let pins: Vec<String> = (0..n)
        .map(|i| {
            if i % 2 == 0 {
                "pins".to_owned()
            } else {
                // An article with a pin: the discussions are articles 1 to 10,000 in order.
                format!("pins {}", rng.usize(0..pinned) * pinned_every + 1)
            }
        })
        .collect();
    vec![
        ("/article <id>", by_id),
        ("/article <words>", by_words),
        ("/quote", quotes),
        ("/quote <id>", quotes_of),
        ("/search <words>", searches),
        ("/pins [id]", pins),
    ]
}

/// How long `line` takes from reader `user`, which must not be refused.
async fn time_line(bot: &Bot, user: usize, line: &str) -> Duration {
    let started = Instant::now();
    let reply = bot.handle_text(&context(user), line).await;
    let took = started.elapsed();
    assert!(
        !matches!(reply.body, Body::Error(_)),
        "{line} failed: {:?}",
        reply.body
    );
    took
}

/// The commands' latencies through the bot core, and the round trip under them.
async fn commands(
    bot: &Bot,
    store: &Store,
    raw: &Raw,
    articles: usize,
    discussions: usize,
    words: &[String],
    rng: &mut fastrand::Rng,
) {
    let lines = command_lines(store, articles, discussions, words, rng).await;
    println!();
    println!(
        "{:<24} {:>7} {:>10} {:>10} {:>10}",
        "command", "n", "p50 ms", "p99 ms", "max ms"
    );
    for (name, lines) in &lines {
        time_command(bot, name, lines).await.print();
    }
    // The floor under every command: a command makes at least two statements (where it is
    // asked, and what it reads), each a round trip on PostgreSQL, where they run at once.
    let n = COMMAND_LINES;
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        raw.round_trip(i as i64).await;
        samples.push(started.elapsed());
    }
    Row {
        name: "one statement (SELECT)".to_owned(),
        samples: samples.split_off(n / 11),
    }
    .print();
}

/// `READINGROOM_LOAD_COMPARE=1`: the commands on the SQLite database at `READINGROOM_LOAD_DB`
/// and the PostgreSQL one at `READINGROOM_LOAD_DATABASE`, both left by earlier full runs
/// (their shelves emptied first, as with `READINGROOM_LOAD_REUSE`), timed in turns.
async fn compare_backends() {
    let file = std::env::var("READINGROOM_LOAD_DB")
        .expect("READINGROOM_LOAD_COMPARE needs READINGROOM_LOAD_DB (a loaded SQLite file)");
    let url = std::env::var("READINGROOM_LOAD_DATABASE").expect(
        "READINGROOM_LOAD_COMPARE needs READINGROOM_LOAD_DATABASE (a loaded PostgreSQL database)",
    );
    let mut sides = Vec::new();
    for location in [&file, &url] {
        let store = Store::open(location).await.unwrap();
        let raw = Raw::open(store.backend(), location).await;
        raw.empty_shelves().await;
        raw.settle().await;
        sides.push((store, raw));
    }
    let articles = sides[0].0.article_count().await.unwrap() as usize;
    let on_postgres = sides[1].0.article_count().await.unwrap() as usize;
    assert!(
        articles > 0 && articles == on_postgres,
        "READINGROOM_LOAD_COMPARE: {articles} articles in {file}, {on_postgres} in the PostgreSQL database"
    );
    println!("comparing SQLite and PostgreSQL on {articles} articles");
    let mut rng = fastrand::Rng::with_seed(7);
    let words = vocabulary(&mut rng);
    let lines = command_lines(
        &sides[0].0,
        articles,
        articles.min(10_000),
        &words,
        &mut rng,
    )
    .await;
    let [sqlite, postgres] = [0, 1].map(|i| Side {
        bot: Bot::new(sides[i].0.clone(), Arc::new(SystemClock)),
        raw: sides[i].1.clone(),
    });
    compare(&sqlite, &postgres, &lines).await;
    for (store, raw) in sides {
        raw.close().await;
        store.close().await;
    }
}

/// Which backend goes first in a turn of a comparison (0 SQLite, 1 PostgreSQL): each in turn.
fn order(turn: usize) -> [usize; 2] {
    if turn.is_multiple_of(2) {
        [0, 1]
    } else {
        [1, 0]
    }
}

/// One backend of a comparison: its bot and its plain pool.
struct Side {
    bot: Bot,
    raw: Raw,
}

/// The same command lines on SQLite and on PostgreSQL, timed in turns of 100 (the order of
/// the two swapped at each turn), so that whatever else the machine does in the meantime
/// falls on both alike; then each command's p50 and p99 on both, and the ratio of the p99s
/// (the goal: PostgreSQL within twice SQLite's).
async fn compare(sqlite: &Side, postgres: &Side, lines: &[(&'static str, Vec<String>)]) {
    const TURN: usize = 100;
    println!();
    println!(
        "{:<24} {:>7} {:>17} {:>17} {:>10}",
        "command", "n", "SQLite p50/p99", "PostgreSQL p50/p99", "p99 ratio"
    );
    let mut rows: Vec<(String, [Vec<Duration>; 2])> = Vec::new();
    for (name, lines) in lines {
        let (warm, timed) = lines.split_at(lines.len() / 11);
        for side in [sqlite, postgres] {
            for (i, line) in warm.iter().enumerate() {
                side.bot.handle_text(&context(timed.len() + i), line).await;
            }
        }
        let mut samples = [Vec::new(), Vec::new()];
        for (turn, chunk) in timed.chunks(TURN).enumerate() {
            for which in order(turn) {
                let bot = &[sqlite, postgres][which].bot;
                for (i, line) in chunk.iter().enumerate() {
                    samples[which].push(time_line(bot, turn * TURN + i, line).await);
                }
            }
        }
        rows.push((name.to_string(), samples));
    }
    let n = 2000;
    let mut samples = [Vec::new(), Vec::new()];
    for turn in 0..n / TURN {
        for which in order(turn) {
            for i in 0..TURN {
                let started = Instant::now();
                [sqlite, postgres][which].raw.round_trip(i as i64).await;
                samples[which].push(started.elapsed());
            }
        }
    }
    rows.push(("one statement (SELECT)".to_owned(), samples));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for (name, mut samples) in rows {
        for s in &mut samples {
            s.sort();
        }
        let [sq, pg] = &samples;
        let (sq50, sq99) = (ms(percentile(sq, 0.5)), ms(percentile(sq, 0.99)));
        let (pg50, pg99) = (ms(percentile(pg, 0.5)), ms(percentile(pg, 0.99)));
        println!(
            "{name:<24} {:>7} {:>8.3}/{:<8.3} {:>8.3}/{:<8.3} {:>10.2}",
            sq.len(),
            sq50,
            sq99,
            pg50,
            pg99,
            pg99 / sq99
        );
    }
}

fn message(discussion: usize, id: String, body: String, reply_to: Option<String>) -> NewMessage {
    NewMessage {
        platform: "load".to_owned(),
        platform_id: id,
        author_id: format!("reader-{}", discussion % 500),
        author_name: "Reader".to_owned(),
        body,
        reply_to,
        created_at: Utc::now(),
    }
}

/// The raw database: the same rows into the same table through the same driver, 1,000 per
/// transaction, one prepared INSERT per row. Returns rows per second.
async fn raw_insert(
    raw: &Raw,
    discussions: &[i64],
    tag: &str,
    rows: usize,
    words: &[String],
    rng: &mut fastrand::Rng,
) -> f64 {
    let started = Instant::now();
    let now = Utc::now();
    for chunk in 0..rows.div_ceil(1000) {
        let batch: Vec<(i64, String, String, String)> = (chunk * 1000
            ..((chunk + 1) * 1000).min(rows))
            .map(|i| {
                (
                    discussions[i % discussions.len()],
                    format!("{tag}-{i}"),
                    format!("reader-{}", i % 500),
                    sentence(rng, words, 12),
                )
            })
            .collect();
        macro_rules! insert {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await.unwrap();
                for (discussion, id, author, body) in &batch {
                    sqlx::query(
                        "INSERT INTO messages (discussion_id, platform, platform_id, author_id,
                                               author_name, body, reply_to, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(discussion)
                    .bind("load")
                    .bind(id)
                    .bind(author)
                    .bind("Reader")
                    .bind(body)
                    .bind(Option::<String>::None)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
                tx.commit().await.unwrap();
            }};
        }
        match raw {
            Raw::Sqlite(pool) => insert!(pool),
            Raw::Postgres(pool) => insert!(pool),
        }
    }
    rows as f64 / started.elapsed().as_secs_f64()
}

/// Sustained recording: `writers` readers posting at once, each waiting for its ack, spread
/// over `bots` (one store each). Messages per second, and every ack's latency.
async fn sustained(
    bots: &[Bot],
    discussions: &[i64],
    tag: &str,
    writers: usize,
    per_writer: usize,
    words: &[String],
    rng: &mut fastrand::Rng,
) -> (f64, Vec<Duration>) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let bot = bots[w % bots.len()].clone();
        let d = discussions[w % discussions.len()];
        let bodies: Vec<String> = (0..per_writer).map(|_| sentence(rng, words, 12)).collect();
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(per_writer);
            let mut parent = None;
            for (i, body) in bodies.into_iter().enumerate() {
                let id = format!("{tag}-{w}-{i}");
                let t = Instant::now();
                bot.record_message(d, message(w, id.clone(), body, parent.take()))
                    .await
                    .unwrap();
                samples.push(t.elapsed());
                parent = Some(id);
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.unwrap());
    }
    (
        (writers * per_writer) as f64 / started.elapsed().as_secs_f64(),
        samples,
    )
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Sustained recording through `processes` separate OS processes (this binary again, in worker
/// mode), each with its own store, pool and group-commit writer as each `readingroom run` has,
/// `writers` readers shared out among them. They start together on a line on their stdin;
/// the rate is every message over the time from that line to the last process's finish.
fn in_processes(
    location: &str,
    discussions: &[i64],
    processes: usize,
    writers: usize,
    per_writer: usize,
) -> (f64, Vec<Duration>) {
    use std::io::{BufRead, BufReader};
    let ids: Vec<String> = discussions
        .iter()
        .take(writers)
        .map(i64::to_string)
        .collect();
    let mut children = Vec::new();
    for p in 0..processes {
        let share = writers / processes + usize::from(p < writers % processes);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(WORKER, location)
            .env("READINGROOM_LOAD_TAG", format!("proc{processes}-{p}"))
            .env("READINGROOM_LOAD_WRITERS", share.to_string())
            .env("READINGROOM_LOAD_PER_WRITER", per_writer.to_string())
            .env("READINGROOM_LOAD_DISCUSSIONS", ids.join(","))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "worker {p} did not start");
        children.push((child, out));
    }
    let started = Instant::now();
    for (child, _) in &mut children {
        writeln!(child.stdin.as_mut().unwrap(), "go").unwrap();
    }
    let mut samples = Vec::new();
    for (mut child, mut out) in children {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        samples.extend(
            line.split_whitespace()
                .map(|us| Duration::from_micros(us.parse().unwrap())),
        );
        assert!(child.wait().unwrap().success());
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(
        samples.len(),
        writers * per_writer,
        "every message acknowledged"
    );
    (samples.len() as f64 / elapsed, samples)
}

/// Set (to the database location) in a recording worker started by [`in_processes`].
const WORKER: &str = "READINGROOM_LOAD_WORKER";

/// A recording worker: opens its own store, says `ready`, waits for `go`, records, and prints
/// every acknowledgement's latency in microseconds on one line.
async fn worker(location: &str) {
    let store = Store::open(location).await.unwrap();
    let bot = Bot::new(store.clone(), Arc::new(SystemClock));
    let discussions: Vec<i64> = std::env::var("READINGROOM_LOAD_DISCUSSIONS")
        .unwrap()
        .split(',')
        .map(|d| d.parse().unwrap())
        .collect();
    let tag = std::env::var("READINGROOM_LOAD_TAG").unwrap();
    let writers = env_count("READINGROOM_LOAD_WRITERS", 1);
    let per_writer = env_count("READINGROOM_LOAD_PER_WRITER", 1);
    let mut rng = fastrand::Rng::with_seed(tag.len() as u64);
    let words = vocabulary(&mut rng);
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let (_, samples) = sustained(
        std::slice::from_ref(&bot),
        &discussions,
        &tag,
        writers,
        per_writer,
        &words,
        &mut rng,
    )
    .await;
    let line: Vec<String> = samples.iter().map(|d| d.as_micros().to_string()).collect();
    println!("{}", line.join(" "));
    store.close().await;
}

#[tokio::main]
async fn main() {
    if let Ok(location) = std::env::var(WORKER) {
        return worker(&location).await;
    }
    if std::env::var_os("READINGROOM_LOAD_COMPARE").is_some() {
        return compare_backends().await;
    }
    // `cargo bench` passes `--bench`; nothing else to parse.
    let articles = env_count("READINGROOM_LOAD_ARTICLES", 100_000);
    let messages = env_count("READINGROOM_LOAD_MESSAGES", 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let db = std::env::var("READINGROOM_LOAD_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("load.db"));
    let reuse = std::env::var_os("READINGROOM_LOAD_REUSE").is_some();
    let postgres = std::env::var("READINGROOM_LOAD_DATABASE")
        .ok()
        .filter(|url| url.starts_with("postgres"));
    let location = match &postgres {
        Some(url) => url.clone(),
        None => {
            if !reuse {
                let _ = std::fs::remove_file(&db);
            }
            db.to_str().unwrap().to_owned()
        }
    };
    println!(
        "backend: {}",
        if postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let mut rng = fastrand::Rng::with_seed(7);
    let words = vocabulary(&mut rng);

    let store = Store::open(&location).await.unwrap();
    let bot = Bot::new(store.clone(), Arc::new(SystemClock));
    let now = Utc::now();
    let raw = Raw::open(store.backend(), &location).await;
    if reuse {
        let articles = store.article_count().await.unwrap() as usize;
        assert!(
            articles > 0,
            "READINGROOM_LOAD_REUSE: {location} holds no articles"
        );
        raw.empty_shelves().await;
        raw.settle().await;
        println!("reusing {articles} articles");
        let discussions = articles.min(10_000);
        commands(&bot, &store, &raw, articles, discussions, &words, &mut rng).await;
        raw.close().await;
        store.close().await;
        return;
    }

    // Articles through the real pipeline and the real insert.
    let started = Instant::now();
    for i in 0..articles {
        let text = article_text(&mut rng, &words, i);
        let parsed = article::parse(&text).unwrap();
        // In the operator's library, as `readingroom ingest` puts them: every community reads it.
        let id = store
            .insert_article(&parsed, Some("load"), None, now)
            .await
            .unwrap()
            .id();
        store.add_to_library(id).await.unwrap();
    }
    let article_secs = started.elapsed().as_secs_f64();

    // One discussion per article for the first 10,000, in one channel.
    let channel = store
        .channel(
            "console",
            "load",
            Some("load"),
            store
                .community("console", "load", None, now)
                .await
                .unwrap()
                .id,
            now,
        )
        .await
        .unwrap();
    let mut discussions = Vec::new();
    for a in 1..=articles.min(10_000) {
        let (d, _) = store
            .open_discussion(ArticleId(a as i64), channel.id, now)
            .await
            .unwrap();
        discussions.push(d.id);
    }
    let started = Instant::now();
    let raw_setup_rate = raw_insert(&raw, &discussions, "seed", messages, &words, &mut rng).await;
    let message_secs = started.elapsed().as_secs_f64();
    // Pins: one on every tenth of the discussions (1,000 at full size), each on a message from
    // anywhere in the stream and at its own time in the last day, as moderators pin over time.
    let pinned = discussions.len().min(1000);
    let pinned_every = discussions.len() / pinned;
    let rounds = (messages / discussions.len()).max(1);
    for i in 0..pinned {
        let message = i * pinned_every + discussions.len() * ((i * 37) % rounds);
        let id = raw.message_id(&format!("seed-{message}")).await;
        let at = now - chrono::Duration::seconds(((i * 7919) % 86_400) as i64);
        store
            .pin(id, "moderator", Some("notable"), at)
            .await
            .unwrap();
    }
    println!(
        "database: {articles} articles in {article_secs:.1} s (parsed and stored), {messages} messages in {message_secs:.1} s, {} MB on disk",
        if postgres.is_some() {
            "(see pg_database_size)".to_owned()
        } else {
            std::fs::metadata(&db)
                .map(|m| (m.len() / 1_000_000).to_string())
                .unwrap_or_default()
        }
    );

    raw.settle().await;
    if let Some(setting) = raw.synchronous_commit().await {
        println!("PostgreSQL synchronous_commit: {setting}");
    }
    web_pages(&store, &bot, articles, &words, &mut rng).await;

    commands(
        &bot,
        &store,
        &raw,
        articles,
        discussions.len(),
        &words,
        &mut rng,
    )
    .await;

    // Recording, one message at a time: each waits for its own commit.
    let single = 5000;
    let mut samples = Vec::with_capacity(single);
    let started = Instant::now();
    for i in 0..single {
        let d = discussions[i % discussions.len()];
        let m = message(
            i,
            format!("single-{i}"),
            sentence(&mut rng, &words, 12),
            None,
        );
        let t = Instant::now();
        bot.record_message(d, m).await.unwrap();
        samples.push(t.elapsed());
    }
    let single_rate = single as f64 / started.elapsed().as_secs_f64();
    Row {
        name: "record (one at a time)".to_owned(),
        samples,
    }
    .print();

    // Sustained: 200 readers posting at once, each waiting for its ack; on PostgreSQL through
    // one, two and three processes (each with its own store, pool and writer).
    let writers = 200;
    let per_writer = 1000;
    let (sustained_rate, samples) = sustained(
        std::slice::from_ref(&bot),
        &discussions,
        "sustained",
        writers,
        per_writer,
        &words,
        &mut rng,
    )
    .await;
    Row {
        name: format!("record ({writers} at once)"),
        samples,
    }
    .print();
    let mut by_processes = Vec::new();
    if postgres.is_some() {
        for processes in 1..=3 {
            let (rate, samples) =
                in_processes(&location, &discussions, processes, writers, per_writer);
            Row {
                name: format!("record ({writers}, {processes} proc)"),
                samples,
            }
            .print();
            by_processes.push((processes, rate));
        }
    }
    let raw_rate = raw_insert(&raw, &discussions, "raw", 200_000, &words, &mut rng).await;

    println!();
    println!("messages recorded per second");
    println!("  one at a time through the bot:   {single_rate:>9.0}");
    println!("  sustained through the bot:       {sustained_rate:>9.0}");
    for (processes, rate) in &by_processes {
        println!(
            "  sustained, {processes} process{}:       {rate:>9.0}  ({:.0} % of raw)",
            if *processes == 1 { "   " } else { "es " },
            rate / raw_rate * 100.0
        );
    }
    println!(
        "  raw {}, 1,000 rows per tx: {raw_rate:>9.0}  (at setup, empty table: {raw_setup_rate:.0})",
        if postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite    "
        }
    );
    println!(
        "  sustained / raw:                 {:>9.0} %",
        sustained_rate / raw_rate * 100.0
    );
    raw.close().await;
    store.close().await;

    // Resident memory of the console bot idling on this database.
    let mut child = Command::new(env!("CARGO_BIN_EXE_readingroom"))
        .arg("--db")
        .arg(&location)
        .arg("run")
        .env("RUST_LOG", "warn")
        .env_remove("DISCORD_TOKEN")
        .env_remove("MATRIX_HOMESERVER")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let idle = rss_kib(child.id());
    let mut stdin = child.stdin.take().unwrap();
    for line in [
        "/article 5",
        "/search lokamer",
        "/quote",
        "/pins",
        "/article 99999",
    ] {
        writeln!(stdin, "{line}").unwrap();
    }
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let busy = rss_kib(child.id());
    drop(stdin);
    let _ = child.wait();
    println!();
    println!(
        "readingroom run (console) on this database: idle RSS {:.1} MB, after five commands {:.1} MB",
        idle as f64 / 1024.0,
        busy as f64 / 1024.0
    );
}

/// The web reader over loopback HTTP: an article whose discussion holds 2,000 messages over two
/// channels (a third of them roots, the rest replies to earlier ones), the library's first
/// page and a search, each fetched in turn; p50/p99 of the whole request and the page's size.
async fn web_pages(
    store: &Store,
    bot: &Bot,
    articles: usize,
    words: &[String],
    rng: &mut fastrand::Rng,
) {
    let now = Utc::now();
    let community = store.community("console", "load", None, now).await.unwrap();
    let article = ArticleId(articles as i64);
    let mut discussions = Vec::new();
    for (platform, channel) in [("console", "load"), ("matrix", "!load-room:localhost")] {
        let channel = store
            .channel(platform, channel, Some(channel), community.id, now)
            .await
            .unwrap();
        let (d, _) = store
            .open_discussion(article, channel.id, now)
            .await
            .unwrap();
        discussions.push((platform, d.id));
    }
    let mut sent: Vec<Vec<String>> = vec![Vec::new(); discussions.len()];
    for i in 0..2000 {
        let side = i % discussions.len();
        let (platform, discussion) = discussions[side];
        let reply_to = (!sent[side].is_empty() && rng.usize(..3) > 0)
            .then(|| sent[side][rng.usize(..sent[side].len())].clone());
        let id = format!("web-{i}");
        let n = rng.usize(8..30);
        bot.record_message(
            discussion,
            NewMessage {
                platform: platform.to_owned(),
                platform_id: id.clone(),
                author_id: format!("reader-{}", i % 40),
                author_name: format!("Reader {}", i % 40),
                body: sentence(rng, words, n),
                reply_to,
                created_at: now + chrono::Duration::milliseconds(i as i64),
            },
        )
        .await
        .unwrap();
        sent[side].push(id);
    }
    let token = readingroom::bot::web::new_token().unwrap();
    store
        .publish(community.id, &token, "load", now)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/w/{token}/", listener.local_addr().unwrap());
    tokio::spawn(readingroom::web::serve(listener, store.clone()));
    // The page's parts in process, to tell the store's share from the rest.
    let scope = readingroom::store::Scope::Community(community.id);
    let stored = store.article_in(scope, article).await.unwrap().unwrap();
    let mut parts = vec![Row {
        name: "  its messages (store)".to_owned(),
        samples: Vec::new(),
    }];
    parts.push(Row {
        name: "  its tree (store + tree)".to_owned(),
        samples: Vec::new(),
    });
    for _ in 0..200 {
        let t = Instant::now();
        let messages = store.article_messages(scope, article).await.unwrap();
        parts[0].samples.push(t.elapsed());
        assert!(messages.len() >= 2000);
        let t = Instant::now();
        readingroom::bot::export::thread(
            store,
            scope,
            &stored,
            readingroom::bot::export::Removed::Mark,
        )
        .await
        .unwrap();
        parts[1].samples.push(t.elapsed());
    }
    let client = reqwest::Client::new();
    println!();
    println!(
        "{:<24} {:>7} {:>10} {:>10} {:>10} {:>10}",
        "web page", "n", "p50 ms", "p99 ms", "max ms", "KB"
    );
    let search = format!("?q={}", words[rng.usize(..words.len())]);
    /// What is written to the discussion before each view (not timed).
    #[derive(Clone, Copy, PartialEq)]
    enum Before {
        Nothing,
        /// A new message: the kept messages stand, the new one is read, the tree is rebuilt.
        NewMessage,
        /// An edit: everything is read and built again.
        Edit,
    }
    for (name, path, before, n) in [
        (
            "article, 2,000 messages",
            format!("a/{}", article.0),
            Before::Nothing,
            500,
        ),
        (
            "its last messages page",
            format!("a/{}?page=14", article.0),
            Before::Nothing,
            500,
        ),
        ("library, first page", String::new(), Before::Nothing, 500),
        ("search", search, Before::Nothing, 500),
        (
            "article, after a message",
            format!("a/{}", article.0),
            Before::NewMessage,
            300,
        ),
        (
            "article, after an edit",
            format!("a/{}", article.0),
            Before::Edit,
            300,
        ),
    ] {
        let url = format!("{base}{path}");
        let mut samples = Vec::new();
        let mut size = 0;
        for i in 0..n {
            let (platform, discussion) = discussions[i % discussions.len()];
            match before {
                Before::Nothing => {}
                Before::NewMessage => {
                    bot.record_message(
                        discussion,
                        NewMessage {
                            platform: platform.to_owned(),
                            platform_id: format!("web-late-{i}"),
                            author_id: "reader-late".to_owned(),
                            author_name: "Late Reader".to_owned(),
                            body: sentence(rng, words, 12),
                            reply_to: None,
                            created_at: now + chrono::Duration::seconds(10 + i as i64),
                        },
                    )
                    .await
                    .unwrap();
                }
                Before::Edit => {
                    let edited = store
                        .edit_message(
                            platform,
                            &sent[i % discussions.len()][i],
                            &sentence(rng, words, 12),
                            now + chrono::Duration::hours(1) + chrono::Duration::seconds(i as i64),
                        )
                        .await
                        .unwrap();
                    assert!(edited);
                }
            }
            let started = Instant::now();
            let response = client.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            size = response.bytes().await.unwrap().len();
            samples.push(started.elapsed());
        }
        samples.sort();
        println!(
            "{:<24} {:>7} {:>10.3} {:>10.3} {:>10.3} {:>10.1}",
            name,
            samples.len(),
            percentile(&samples, 0.5).as_secs_f64() * 1e3,
            percentile(&samples, 0.99).as_secs_f64() * 1e3,
            samples.last().unwrap().as_secs_f64() * 1e3,
            size as f64 / 1024.0
        );
    }
    for part in &mut parts {
        part.print();
    }
}
