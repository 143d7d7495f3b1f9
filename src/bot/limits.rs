//! Per-user command rate limits: a token bucket per user, on the bot's own clock so tests can
//! drive it. A user who runs out is told once how long to wait; further commands inside the
//! same cooldown are refused quietly, so a flood of commands cannot become a flood of replies.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Commands a user may send in a burst.
pub const DEFAULT_BURST: u32 = 6;
/// How often a used command comes back.
pub const DEFAULT_REFILL: Duration = Duration::from_secs(3);

/// Users remembered before idle ones (full buckets) are first forgotten.
const PRUNE_ABOVE: usize = 4096;

/// What the limiter says about one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allowed,
    /// Too many commands: wait this long. `first` is true for the first refusal of a
    /// cooldown, the one worth a reply.
    Refused {
        /// Until the next command is allowed.
        wait: Duration,
        /// The first refusal since the user was last allowed.
        first: bool,
    },
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
    warned: bool,
}

/// Token buckets keyed by user.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    refill: Duration,
    users: Mutex<Buckets>,
}

/// The buckets, and how many there may be before idle ones are looked for again.
#[derive(Debug)]
struct Buckets {
    by_user: HashMap<String, Bucket>,
    /// Twice what the last look kept (at least [`PRUNE_ABOVE`]): with more users active at
    /// once than the threshold, looking on every command would walk them all on every
    /// command, under the lock. Doubling makes each look pay for the users added since.
    prune_above: usize,
    /// Buckets looked at by looks for idle ones, so far (what the tests count).
    #[cfg(test)]
    looked_at: usize,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new(DEFAULT_BURST, DEFAULT_REFILL)
    }
}

impl RateLimiter {
    /// `burst` commands at once, then one more every `refill`. A `burst` of 0 turns limits off.
    pub fn new(burst: u32, refill: Duration) -> Self {
        Self {
            burst: f64::from(burst),
            refill,
            users: Mutex::new(Buckets {
                by_user: HashMap::new(),
                prune_above: PRUNE_ABOVE,
                #[cfg(test)]
                looked_at: 0,
            }),
        }
    }

    /// Takes one command from `user`'s bucket at `now`.
    pub fn check(&self, user: &str, now: DateTime<Utc>) -> Verdict {
        if self.burst == 0.0 || self.refill.is_zero() {
            return Verdict::Allowed;
        }
        let refill = self.refill.as_secs_f64();
        // A poisoned lock only means another command panicked mid-update; the buckets are
        // still usable numbers.
        let mut buckets = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let buckets = &mut *buckets;
        if buckets.by_user.len() > buckets.prune_above {
            #[cfg(test)]
            {
                buckets.looked_at += buckets.by_user.len();
            }
            let burst = self.burst;
            buckets.by_user.retain(|_, b| {
                let idle = (now - b.at).to_std().unwrap_or_default().as_secs_f64();
                b.tokens + idle / refill < burst
            });
            buckets.prune_above = PRUNE_ABOVE.max(2 * buckets.by_user.len());
        }
        let bucket = buckets.by_user.entry(user.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
            warned: false,
        });
        // A clock that stepped back gives nothing back and takes nothing away.
        let elapsed = (now - bucket.at).to_std().unwrap_or_default().as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed / refill).min(self.burst);
        bucket.at = bucket.at.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            bucket.warned = false;
            Verdict::Allowed
        } else {
            let wait = Duration::from_secs_f64((1.0 - bucket.tokens) * refill);
            let first = !bucket.warned;
            bucket.warned = true;
            Verdict::Refused { wait, first }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_burst_then_one_per_refill_and_one_warning_per_cooldown() {
        let limiter = RateLimiter::new(3, Duration::from_secs(10));
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.check("ana", t0), Verdict::Allowed);
        }
        assert_eq!(
            limiter.check("ana", t0),
            Verdict::Refused {
                wait: Duration::from_secs(10),
                first: true
            }
        );
        assert!(matches!(
            limiter.check("ana", t0 + chrono::Duration::seconds(4)),
            Verdict::Refused { first: false, wait } if wait == Duration::from_secs(6)
        ));
        assert_eq!(limiter.check("bo", t0), Verdict::Allowed, "per user");
        let later = t0 + chrono::Duration::seconds(10);
        assert_eq!(limiter.check("ana", later), Verdict::Allowed);
        assert!(matches!(
            limiter.check("ana", later),
            Verdict::Refused { first: true, .. }
        ));
    }

    #[test]
    fn idle_users_are_forgotten_without_walking_every_user_on_every_command() {
        let limiter = RateLimiter::new(3, Duration::from_secs(10));
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        for _ in 0..3 {
            limiter.check("ana", t0);
        }
        // Five times the threshold, all active at once: none may be forgotten, and finding
        // that out must not cost a walk over all of them for each.
        let many = 5 * PRUNE_ABOVE;
        for i in 0..many {
            assert_eq!(limiter.check(&format!("u{i}"), t0), Verdict::Allowed);
        }
        let users = |l: &RateLimiter| l.users.lock().unwrap().by_user.len();
        assert_eq!(users(&limiter), many + 1);
        let looked_at = limiter.users.lock().unwrap().looked_at;
        assert!(looked_at <= 3 * many, "{looked_at} buckets looked at");
        assert!(
            matches!(
                limiter.check("ana", t0),
                Verdict::Refused { first: true, .. }
            ),
            "a user out of commands is not forgotten by a look for idle ones"
        );
        // Once their buckets have filled up again, a look forgets them all, and keeps those
        // active since.
        let later = t0 + chrono::Duration::seconds(30);
        let active = 2 * users(&limiter);
        for i in 0..active {
            limiter.check(&format!("v{i}"), later);
        }
        let buckets = limiter.users.lock().unwrap();
        let kept: Vec<&String> = buckets
            .by_user
            .keys()
            .filter(|u| !u.starts_with('v'))
            .collect();
        assert!(kept.is_empty(), "{} idle users kept", kept.len());
        assert_eq!(
            buckets.by_user.len(),
            active,
            "the active ones are all kept"
        );
    }

    #[test]
    fn zero_burst_turns_limits_off() {
        let limiter = RateLimiter::new(0, Duration::from_secs(10));
        let now = Utc::now();
        assert!((0..100).all(|_| limiter.check("ana", now) == Verdict::Allowed));
    }
}
