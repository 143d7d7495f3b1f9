//! The whole text pipeline (parse, split, summarise, quotations) per article, on the news
//! corpus when it is there (`READINGROOM_CORPUS`, default `../shared/corpus/cnndm-dev.jsonl`),
//! else on the test fixtures. Run with `cargo bench --bench pipeline`.
#![allow(clippy::unwrap_used, missing_docs)] // a benchmark states its setup by panicking

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use readingroom::article::{self, Options};

fn articles() -> (String, Vec<(String, String)>) {
    let path = std::env::var("READINGROOM_CORPUS").unwrap_or_else(|_| {
        format!(
            "{}/../shared/corpus/cnndm-dev.jsonl",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let rows = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    (
                        v["title"].as_str().unwrap_or("").to_owned(),
                        v["text"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (path, rows)
        }
        Err(_) => {
            let dir = format!("{}/tests/data", env!("CARGO_MANIFEST_DIR"));
            let rows = [
                "reading-room-fixture.md",
                "repost-blog.md",
                "news-report.md",
            ]
            .iter()
            .map(|f| {
                (
                    String::new(),
                    std::fs::read_to_string(format!("{dir}/{f}")).unwrap(),
                )
            })
            .collect();
            (dir, rows)
        }
    }
}

fn pipeline(title: &str, text: &str) -> usize {
    let options = Options {
        title: Some(title.to_owned()),
        summary_sentences: 3,
    };
    // `parse_with` is the whole pipeline as ingestion runs it: it splits once and the
    // three-sentence summary and the quotations come out of that one pass.
    match article::parse_with(text, &options) {
        Ok(article) => article.summary.sentences.len() + article.quotes.len(),
        Err(_) => 0,
    }
}

fn bench(c: &mut Criterion) {
    let (source, rows) = articles();
    // The median per article, which criterion's per-iteration mean over a cycling corpus hides.
    // Each article's time is the median of several runs after a warm-up pass over the corpus,
    // so one cold cache or a scheduler hiccup on a busy machine does not become its figure.
    for (title, text) in &rows {
        black_box(pipeline(title, text));
    }
    const RUNS: usize = 9;
    let mut micros: Vec<f64> = rows
        .iter()
        .map(|(title, text)| {
            let mut runs: Vec<f64> = (0..RUNS)
                .map(|_| {
                    let started = Instant::now();
                    black_box(pipeline(title, text));
                    started.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            runs.sort_by(f64::total_cmp);
            runs[RUNS / 2]
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    println!(
        "pipeline over {} articles from {source}: median {:.0} µs, p90 {:.0} µs, max {:.0} µs",
        micros.len(),
        micros[micros.len() / 2],
        micros[micros.len() * 9 / 10],
        micros[micros.len() - 1]
    );
    let mut next = 0;
    c.bench_function("pipeline/article", |b| {
        b.iter(|| {
            let (title, text) = &rows[next % rows.len()];
            next += 1;
            black_box(pipeline(title, text))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
