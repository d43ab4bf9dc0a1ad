//! One rate limiter shared by every request of a run. Requests are spaced evenly at the
//! configured rate, so bursts never trip TMDB's limit.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: Mutex<Instant>,
}

impl RateLimiter {
    /// `per_second` requests a second; 0 or less means unlimited.
    pub fn new(per_second: f64) -> Self {
        let interval = if per_second > 0.0 {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::ZERO
        };
        RateLimiter {
            interval,
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this request's slot.
    pub async fn acquire(&self) {
        if self.interval.is_zero() {
            return;
        }
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // This test runs in real time. Tokio's paused clock would need its test-util
    // feature in every build. That would give the tests other artifacts of tokio, and
    // of all above it, than the demo's.
    #[tokio::test]
    async fn spaces_requests_at_the_rate() {
        let limiter = std::sync::Arc::new(RateLimiter::new(200.0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..41 {
            let l = limiter.clone();
            tasks.push(tokio::spawn(async move { l.acquire().await }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let elapsed = start.elapsed();
        // 41 requests at 200/s, so the last waits 40 intervals of 5 ms. The upper bound
        // only catches a limiter that waits far too long. A busy machine adds delay.
        assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    }
}
