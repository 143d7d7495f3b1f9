//! The per-user rate limit every command passes first, with many users active at once (more
//! than the limiter keeps before it looks for idle ones to forget). Run with
//! `cargo bench --bench limits`.
#![allow(clippy::unwrap_used, missing_docs)] // a benchmark states its setup by panicking

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use readingroom::bot::limits::RateLimiter;

fn bench(c: &mut Criterion) {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    for active in [1_000, 20_000] {
        let limiter = RateLimiter::default();
        let users: Vec<String> = (0..active).map(|i| format!("user-{i}")).collect();
        // Every user has just run a command, so none is idle and none may be forgotten.
        for user in &users {
            limiter.check(user, t0);
        }
        let mut next = 0;
        c.bench_function(&format!("rate limit check, {active} users active"), |b| {
            b.iter(|| {
                next += 1;
                black_box(limiter.check(&users[next % users.len()], t0))
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
