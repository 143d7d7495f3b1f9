//! Crash safety: the `readingroom` binary records a steady stream of discussion messages sent
//! from this (another) process, and is killed with SIGKILL at random moments, again and
//! again. Every message it acknowledged must be stored exactly once, nothing may be stored
//! twice, and SQLite's integrity check must pass.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

#[path = "common/bin.rs"]
mod bin;
mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bin::readingroom;
use common::fixture_path;
use readingroom::store::{Scope, Store};

const KILLS: usize = 24;

/// One life of the bot: sends messages as fast as the pipe takes them until the kill, and
/// returns (messages sent, how many of them were acknowledged, in order).
fn one_life(db: &std::path::Path, round: usize, lifetime: Duration) -> (Vec<String>, usize) {
    let mut bot = readingroom()
        .env("RUST_LOG", "error")
        .db(db)
        .arg("run")
        .spawn();
    let mut stdin = bot.stdin();
    let stdout = bot.stdout();

    // The console answers lines in order: the n-th "recorded as" is the n-th message's ack.
    let (acks_tx, acks_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut acked = 0usize;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.trim_start().starts_with("recorded as #") {
                acked += 1;
            } else if line.starts_with("! Not recorded") {
                let _ = acks_tx.send(line);
            }
        }
        acked
    });

    let writer = std::thread::spawn(move || {
        let mut sent = Vec::new();
        if writeln!(stdin, "/discuss 1").is_err() {
            return sent;
        }
        for n in 0.. {
            let text = format!("crash-{round}-{n} the lamps stay on late");
            // The bot dies mid-stream: a write then fails with a broken pipe.
            if writeln!(stdin, "{text}")
                .and_then(|()| stdin.flush())
                .is_err()
            {
                break;
            }
            sent.push(text);
            if n % 64 == 63 {
                // Keep the pipe from running far ahead of the bot: load, not a backlog.
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        sent
    });

    std::thread::sleep(lifetime);
    drop(bot); // SIGKILL on Unix
    let sent = writer.join().unwrap();
    let acked = reader.join().unwrap();
    if let Ok(refusal) = acks_rx.try_recv() {
        panic!("the bot refused a message: {refusal}");
    }
    assert!(
        acked <= sent.len(),
        "{acked} acks for {} messages",
        sent.len()
    );
    (sent, acked)
}

#[test]
fn killed_at_random_moments_it_loses_and_doubles_nothing_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    readingroom()
        .db(&db)
        .arg("ingest")
        .arg(fixture_path("reading-room-fixture.md"))
        .stdout();

    let mut rng = fastrand::Rng::with_seed(20261126);
    let started = Instant::now();
    let mut acknowledged = Vec::new();
    let mut unacknowledged = Vec::new();
    for round in 0..KILLS {
        // From right after start-up (mid-migration, mid-/discuss) to well into the stream.
        let lifetime = Duration::from_millis(rng.u64(20..600));
        let (sent, acked) = one_life(&db, round, lifetime);
        let mut sent = sent.into_iter();
        acknowledged.extend(sent.by_ref().take(acked));
        unacknowledged.extend(sent);
    }

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (bodies, ok) = runtime.block_on(async {
        let store = Store::open(db.to_str().unwrap()).await.unwrap();
        let ok = store.integrity_check().await.unwrap();
        let article = readingroom::store::ArticleId(1);
        let bodies: Vec<String> = store
            .article_messages(Scope::Operator, article)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|(m, _channel)| m.body)
            .collect();
        (bodies, ok)
    });
    let mut stored: HashMap<&str, usize> = HashMap::new();
    for body in &bodies {
        *stored.entry(body.as_str()).or_default() += 1;
    }
    let lost = acknowledged
        .iter()
        .filter(|m| !stored.contains_key(m.as_str()))
        .count();
    let doubled = stored.values().filter(|&&n| n > 1).count();
    let unacked_kept = unacknowledged
        .iter()
        .filter(|m| stored.contains_key(m.as_str()))
        .count();
    println!(
        "{KILLS} kills in {:.1} s: {} messages acknowledged, {} sent but unacknowledged ({unacked_kept} of those stored), {} stored; lost {lost}, stored twice {doubled}, integrity {}",
        started.elapsed().as_secs_f64(),
        acknowledged.len(),
        unacknowledged.len(),
        bodies.len(),
        if ok { "ok" } else { "FAILED" }
    );
    assert!(ok, "PRAGMA integrity_check");
    assert_eq!(lost, 0, "acknowledged messages lost");
    assert_eq!(doubled, 0, "messages stored twice");
    assert!(
        acknowledged.len() >= KILLS * 10,
        "the load was too light to mean anything: {} acks",
        acknowledged.len()
    );
    // Nothing the bot was never sent may appear.
    let sent: HashSet<&str> = acknowledged
        .iter()
        .chain(&unacknowledged)
        .map(String::as_str)
        .collect();
    assert!(bodies.iter().all(|b| sent.contains(b.as_str())));
}
