//! 360dialog blocks `GET /{media-id}` for 30 minutes after 20 error answers within an hour (D3;
//! another revision says 5 errors block it for an hour). A block would stop every customer's
//! files on the number, so failed look-ups are never retried blindly:
//! - an answer that says the media is gone or refused (4xx) is final (the Meta client classifies
//!   it as not retryable): retrying cannot help;
//! - this instance stops asking after [`MAX_FAILURES`] failures within the hour and answers
//!   "retry later" until the window has moved on — below both published thresholds.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bridge_core::ports::SendFailure;

/// Below the stricter published threshold (5 per hour), so even that revision is never reached
/// by one instance.
pub const MAX_FAILURES: usize = 4;
const WINDOW: Duration = Duration::from_secs(3600);

#[derive(Default)]
pub struct MediaGuard {
    failures: Mutex<VecDeque<Instant>>,
}

impl MediaGuard {
    fn recent(&self, now: Instant) -> std::sync::MutexGuard<'_, VecDeque<Instant>> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        while failures.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            failures.pop_front();
        }
        failures
    }

    /// Ok if a look-up may go out now.
    pub fn admit(&self) -> Result<(), SendFailure> {
        if self.recent(Instant::now()).len() >= MAX_FAILURES {
            return Err(SendFailure::Transient {
                reason: "media look-ups paused after repeated failures, to stay clear of 360dialog's block".into(),
            });
        }
        Ok(())
    }

    pub fn record_failure(&self, _failure: &SendFailure) {
        let now = Instant::now();
        self.recent(now).push_back(now);
    }

    pub fn failures(&self) -> usize {
        self.recent(Instant::now()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_asking_before_360dialog_would_block() {
        let guard = MediaGuard::default();
        let failure = SendFailure::Transient { reason: "502".into() };
        for _ in 0..MAX_FAILURES {
            assert!(guard.admit().is_ok());
            guard.record_failure(&failure);
        }
        assert!(matches!(guard.admit(), Err(SendFailure::Transient { .. })));
        assert_eq!(guard.failures(), MAX_FAILURES);
    }
}
