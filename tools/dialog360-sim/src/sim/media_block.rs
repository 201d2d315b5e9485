//! 360dialog's error-based throttle on `GET /{media-id}` (D3): "20 error responses within a
//! 60-minute window" block the endpoint "for 30 minutes". Counted per phone number, i.e. per sim.
//!
//! Inferred **(unconfirmed)**: the answer that trips the threshold is itself still served (the
//! block applies to the requests after it); the 403s of a block are not counted again; the count
//! starts afresh when a block ends.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

const DEFAULT_THRESHOLD: usize = 20;
const DEFAULT_WINDOW: Duration = Duration::from_secs(60 * 60);
const DEFAULT_BLOCK_FOR: Duration = Duration::from_secs(30 * 60);

pub(crate) struct MediaBlock {
    threshold: usize,
    window: Duration,
    block_for: Duration,
    /// When each error in the window was answered, oldest first.
    errors: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

impl Default for MediaBlock {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            window: DEFAULT_WINDOW,
            block_for: DEFAULT_BLOCK_FOR,
            errors: VecDeque::new(),
            blocked_until: None,
        }
    }
}

impl MediaBlock {
    /// A threshold of 0 is read as 1: every error blocks.
    pub fn configure(&mut self, threshold: usize, window: Duration, block_for: Duration) {
        self.threshold = threshold.max(1);
        self.window = window;
        self.block_for = block_for;
    }

    pub fn is_blocked(&mut self, now: Instant) -> bool {
        match self.blocked_until {
            Some(until) if now < until => true,
            Some(_) => {
                self.blocked_until = None;
                self.errors.clear();
                false
            }
            None => false,
        }
    }

    /// Errors counted within the window ending `now`.
    pub fn errors(&mut self, now: Instant) -> usize {
        self.is_blocked(now);
        self.prune(now);
        self.errors.len()
    }

    pub fn record_error(&mut self, now: Instant) {
        self.prune(now);
        self.errors.push_back(now);
        if self.errors.len() >= self.threshold {
            self.blocked_until = Some(now + self.block_for);
        }
    }

    fn prune(&mut self, now: Instant) {
        while self.errors.front().is_some_and(|at| now.duration_since(*at) >= self.window) {
            self.errors.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_at_threshold_and_unblocks_after_block_time() {
        let mut block = MediaBlock::default();
        block.configure(3, Duration::from_secs(60), Duration::from_secs(30));
        let start = Instant::now();
        block.record_error(start);
        block.record_error(start + Duration::from_secs(1));
        assert!(!block.is_blocked(start + Duration::from_secs(2)));
        block.record_error(start + Duration::from_secs(2));
        assert!(block.is_blocked(start + Duration::from_secs(3)));
        assert!(block.is_blocked(start + Duration::from_secs(31)));
        assert!(!block.is_blocked(start + Duration::from_secs(32)));
        assert_eq!(block.errors(start + Duration::from_secs(32)), 0, "a finished block starts a fresh count");
    }

    #[test]
    fn errors_outside_the_window_do_not_count() {
        let mut block = MediaBlock::default();
        block.configure(2, Duration::from_secs(60), Duration::from_secs(30));
        let start = Instant::now();
        block.record_error(start);
        block.record_error(start + Duration::from_secs(60));
        assert!(!block.is_blocked(start + Duration::from_secs(61)));
        assert_eq!(block.errors(start + Duration::from_secs(61)), 1);
    }
}
