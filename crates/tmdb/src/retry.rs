//! Which failures are worth another try, and how long to wait before it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// TMDB `status_code`s that mean "try again later": 25 rate limit, 24 timeout,
/// 43 and 46 backend trouble, 9 service offline, 11 internal error.
pub const RETRYABLE_CODES: [i64; 6] = [25, 24, 43, 46, 9, 11];
/// 7 invalid key: the run stops.
pub const INVALID_KEY: i64 = 7;
/// 34 resource not found, 6 invalid id: the film is recorded as not found.
pub const NOT_FOUND_CODES: [i64; 2] = [34, 6];

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(20),
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry`, counted from 1. It is `Retry-After` when
    /// the server gave one. Otherwise it is exponential with full jitter, so retries of
    /// many requests spread out.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.cap);
        }
        let exp = self
            .base
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
            .min(self.cap);
        let jitter = jitter_unit();
        exp.mul_f64(0.5 + 0.5 * jitter)
    }
}

/// A number in [0, 1) that differs from call to call (jitter needs no cryptography).
fn jitter_unit() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let mut x = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ seed;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// `Retry-After` in seconds (TMDB sends seconds; HTTP dates are not used by it).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_honours_retry_after() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
        };
        for _ in 0..50 {
            let d1 = b.delay(1, None);
            assert!(d1 >= Duration::from_millis(50) && d1 < Duration::from_millis(100));
            let d3 = b.delay(3, None);
            assert!(d3 >= Duration::from_millis(200) && d3 < Duration::from_millis(400));
            assert!(b.delay(30, None) <= Duration::from_secs(2));
        }
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(60))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn retry_after_parses_seconds_only() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
