//! W3: "The limit is no more than 500 requests every 5 seconds. The counter resets every 5
//! seconds" — a fixed window, opened by the first request after the previous one closed.

use std::time::{Duration, Instant};

pub(crate) struct RateLimit {
    limit: u32,
    window: Duration,
    opened: Option<Instant>,
    count: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::new(500, Duration::from_secs(5))
    }
}

impl RateLimit {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window, opened: None, count: 0 }
    }

    /// Counts one request at `now`; false when it is over the limit (answer 429).
    pub fn admit(&mut self, now: Instant) -> bool {
        let expired = self.opened.is_none_or(|opened| now.saturating_duration_since(opened) >= self.window);
        if expired {
            self.opened = Some(now);
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count <= self.limit
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::RateLimit;

    #[test]
    fn counts_within_a_window_and_resets_after_it() {
        let mut limit = RateLimit::new(2, Duration::from_secs(5));
        let start = Instant::now();
        assert!(limit.admit(start));
        assert!(limit.admit(start + Duration::from_secs(1)));
        assert!(!limit.admit(start + Duration::from_secs(4)));
        assert!(limit.admit(start + Duration::from_secs(5)));
    }
}
