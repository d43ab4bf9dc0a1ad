//! Fault injection: which request fails, and how.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct Faults {
    /// Added to every answer.
    pub latency: Duration,
    /// Requests a second above which TMDB answers 429 with `Retry-After`.
    pub rate_limit: Option<f64>,
    /// Requests allowed in a burst above the rate.
    pub burst: u32,
    /// Share of requests answered 503 (TMDB status_code 9).
    pub server_error_share: f64,
    /// Share of requests that hang for `hang_for` before any answer.
    pub hang_share: f64,
    pub hang_for: Duration,
    /// Share of requests answered 200 with a truncated JSON body.
    pub malformed_share: f64,
    /// Share of IMDb ids whose lookup always answers 503: films TMDB cannot serve
    /// however often they are retried (the other faults strike requests at random).
    pub failing_id_share: f64,
    /// Seeds which requests fail.
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency: Duration::ZERO,
            rate_limit: None,
            burst: 5,
            server_error_share: 0.0,
            hang_share: 0.0,
            hang_for: super::DEFAULT_HANG,
            malformed_share: 0.0,
            failing_id_share: 0.0,
            seed: 7,
        }
    }
}

pub enum Fault {
    None,
    Hang,
    ServerError,
    Malformed,
}

pub struct FaultState {
    seed: u64,
    counter: AtomicU64,
    hang: f64,
    server_error: f64,
    malformed: f64,
    failing_id: f64,
    bucket: Option<Mutex<Bucket>>,
}

/// A token bucket: `rate` tokens a second, at most `capacity` saved up.
struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl FaultState {
    pub fn new(f: &Faults) -> Self {
        FaultState {
            seed: f.seed,
            counter: AtomicU64::new(0),
            hang: f.hang_share,
            server_error: f.server_error_share,
            malformed: f.malformed_share,
            failing_id: f.failing_id_share,
            bucket: f.rate_limit.filter(|r| *r > 0.0).map(|rate| {
                Mutex::new(Bucket {
                    rate,
                    capacity: f64::from(f.burst.max(1)),
                    tokens: f64::from(f.burst.max(1)),
                    last: Instant::now(),
                })
            }),
        }
    }

    /// `Some(wait)` when this request is over the rate.
    pub fn rate_limited(&self) -> Option<Duration> {
        let mut b = self
            .bucket
            .as_ref()?
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let refill = now.duration_since(b.last).as_secs_f64() * b.rate;
        b.tokens = (b.tokens + refill).min(b.capacity);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - b.tokens) / b.rate))
        }
    }

    /// Whether lookups of `imdb_id` always fail: the same answer for the same id and
    /// seed, on every request.
    pub fn fails_id(&self, imdb_id: &str) -> bool {
        if self.failing_id <= 0.0 {
            return false;
        }
        let id = imdb_id.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
        });
        unit(self.seed.rotate_left(17) ^ id) < self.failing_id
    }

    /// The fault for the next request, from a seeded sequence.
    pub fn roll(&self) -> Fault {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let u = unit(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if u < self.hang {
            Fault::Hang
        } else if u < self.hang + self.server_error {
            Fault::ServerError
        } else if u < self.hang + self.server_error + self.malformed {
            Fault::Malformed
        } else {
            Fault::None
        }
    }
}

/// A number in [0, 1) mixed from `x`.
fn unit(mut x: u64) -> f64 {
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_ids_fail_every_time_and_in_their_share() {
        let state = FaultState::new(&Faults {
            failing_id_share: 0.2,
            ..Faults::default()
        });
        let ids: Vec<String> = (1..=5000).map(|n| format!("tt{n:07}")).collect();
        let failing: Vec<&String> = ids.iter().filter(|id| state.fails_id(id)).collect();
        let share = failing.len() as f64 / ids.len() as f64;
        assert!((0.17..0.23).contains(&share), "share {share}");
        assert!(failing.iter().all(|id| state.fails_id(id)));
        let none = FaultState::new(&Faults::default());
        assert!(ids.iter().all(|id| !none.fails_id(id)));
    }
}
