//! The one retry rule. Every failure is classified once, where it is understood — the adapter
//! that read Planfix's or the provider's answer, the store that saw its own error — into a
//! [`Retry`]; every worker (the Lambda worker, the file relay, the local run) acts on it with
//! the one backoff policy, [`RetryPolicy`].

use std::time::Duration;

/// What a failure says about trying the work again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Another try may succeed: network trouble, a 5xx, a rate limit, another worker holding
    /// the work. `not_before`: the other side said how long to wait (a daily quota spent).
    Later { not_before: Option<Duration> },
    /// No retry can fix it (refused, malformed, misconfigured): report it instead.
    Never,
}

impl Retry {
    /// Retry with the usual backoff.
    pub const SOON: Retry = Retry::Later { not_before: None };

    pub fn is_retryable(self) -> bool {
        matches!(self, Retry::Later { .. })
    }
}

/// Exponential backoff with jitter, bounded: the delay before try `n + 1` after try `n` failed
/// is drawn from `[cap/2, cap]` with `cap = min_delay·2^(n-1)` capped at `max_delay`, so the
/// retries of many conversations do not hit Planfix in lockstep. A failure's `not_before`
/// lengthens the wait, up to `max_pause`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all (the first one included) before the work is given up (dead-lettered or
    /// reported).
    pub attempts: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// The longest a `not_before` may hold work back; past it the work is tried anyway (and
    /// waits again if it is still refused).
    pub max_pause: Duration,
}

impl Default for RetryPolicy {
    /// In-process retries of one call (a WhatsApp send): short, a few seconds in all.
    fn default() -> Self {
        Self {
            attempts: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_pause: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait after try `attempt` (1 for the first) failed with `retry`.
    pub fn delay(&self, attempt: u32, retry: Retry) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let cap = self.min_delay.saturating_mul(1u32 << exponent).min(self.max_delay);
        let half = cap / 2;
        let jittered = half + half.mul_f64(fastrand::f64());
        match retry {
            Retry::Later { not_before: Some(pause) } => jittered.max(pause.min(self.max_pause)),
            _ => jittered,
        }
    }

    /// Whether try `attempt` was the last one.
    pub fn exhausted(&self, attempt: u32) -> bool {
        usize::try_from(attempt).unwrap_or(usize::MAX) >= self.attempts
    }

    /// Runs `op` until it succeeds, fails with [`Retry::Never`] or the tries are spent,
    /// sleeping [`Self::delay`] in between (backon drives the loop; the delays are ours).
    pub async fn run<T, E, F, Fut>(&self, mut op: F, classify: impl Fn(&E) -> Retry) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        use backon::Retryable;
        let policy = self.clone();
        let classify = &classify;
        let attempt = std::sync::atomic::AtomicU32::new(1);
        (|| op())
            .retry(Delays { policy: policy.clone(), attempt: 0 })
            .when(|e| classify(e).is_retryable())
            .adjust(|e, planned| {
                let n = attempt.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // Our delay, with the error's not-before; `planned` is None once tries are spent.
                planned.map(|_| policy.delay(n, classify(e)))
            })
            .notify(|e, wait| tracing::info!(error = %e, ?wait, "call failed; retrying"))
            .await
    }
}

/// The policy as backon's delay sequence (any `Backoff` iterator is a builder): `attempts - 1` waits.
#[derive(Debug)]
struct Delays {
    policy: RetryPolicy,
    attempt: u32,
}

impl Iterator for Delays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        self.attempt += 1;
        if self.policy.exhausted(self.attempt) {
            return None;
        }
        Some(self.policy.delay(self.attempt, Retry::SOON))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn policy(min: u64, max: u64) -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            min_delay: Duration::from_secs(min),
            max_delay: Duration::from_secs(max),
            max_pause: Duration::from_secs(900),
        }
    }

    #[test]
    fn backoff_grows_exponentially_within_jitter_and_cap() {
        let p = policy(2, 300);
        for attempt in 1..=12 {
            let cap = (Duration::from_secs(2) * 2u32.pow(attempt - 1)).min(Duration::from_secs(300));
            for _ in 0..50 {
                let d = p.delay(attempt, Retry::SOON);
                assert!(d >= cap / 2 && d <= cap, "attempt {attempt}: {d:?} outside [{:?}, {cap:?}]", cap / 2);
            }
        }
        assert_eq!(policy(0, 300).delay(3, Retry::SOON), Duration::ZERO);
    }

    #[test]
    fn not_before_lengthens_the_wait_up_to_the_pause_limit() {
        let p = policy(1, 4);
        let long = Retry::Later { not_before: Some(Duration::from_secs(60)) };
        assert_eq!(p.delay(1, long), Duration::from_secs(60));
        let capped = RetryPolicy { max_pause: Duration::from_secs(10), ..p.clone() };
        assert_eq!(
            capped.delay(1, Retry::Later { not_before: Some(Duration::from_secs(3600)) }),
            Duration::from_secs(10)
        );
        // A short not-before never shortens the backoff.
        let d = p.delay(3, Retry::Later { not_before: Some(Duration::from_millis(1)) });
        assert!(d >= Duration::from_secs(2), "{d:?}");
    }

    #[test]
    fn exhausted_counts_the_first_try() {
        let p = policy(1, 1);
        assert!(!p.exhausted(4));
        assert!(p.exhausted(5));
    }

    #[tokio::test(start_paused = true)]
    async fn run_retries_until_success_and_stops_at_never_or_the_budget() {
        let p = RetryPolicy { attempts: 4, ..policy(1, 2) };
        let calls = AtomicU32::new(0);
        let ok: Result<u32, String> = p
            .run(
                || async {
                    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                    if n < 3 {
                        Err(format!("try {n}"))
                    } else {
                        Ok(n)
                    }
                },
                |_| Retry::SOON,
            )
            .await;
        assert_eq!(ok, Ok(3));

        calls.store(0, Ordering::SeqCst);
        let never: Result<u32, String> = p
            .run(|| async { Err(format!("try {}", calls.fetch_add(1, Ordering::SeqCst) + 1)) }, |_| Retry::Never)
            .await;
        assert_eq!(never, Err("try 1".into()), "a permanent failure is not retried");

        calls.store(0, Ordering::SeqCst);
        let spent: Result<u32, String> =
            p.run(|| async { Err(format!("try {}", calls.fetch_add(1, Ordering::SeqCst) + 1)) }, |_| Retry::SOON).await;
        assert_eq!(spent, Err("try 4".into()), "four tries in all");
    }
}
