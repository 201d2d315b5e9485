//! One lease sequence for all "one worker at a time" work: claim → work → complete on success,
//! release on failure. A release that fails is logged and counted, never dropped silently (the
//! lease then expires, and the work waits that long).
//!
//! What is leased is a [`Lease`]: a provider message ([`MessageLease`]), a do-once job
//! ([`JobLease`]) or a conversation's link ([`LinkLease`]); each maps the sequence onto its own
//! conditional writes in the [`Store`].

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::{sleep, Instant};

use crate::domain::{unix_now, AccountId, Phone};
use crate::metrics::{self, Metric};
use crate::ports::{ClaimOutcome, ConversationLink, LinkLock, Store, StoreError};

/// How long a lease lasts and how long a worker waits for someone else's.
#[derive(Clone, Debug)]
pub struct LeaseTiming {
    /// Must outlive the slowest work under the lease.
    pub lease_secs: i64,
    /// How long to wait for another worker's live lease before giving up with
    /// [`Leased::Busy`]; zero: do not wait.
    pub wait: Duration,
    pub poll: Duration,
}

impl Default for LeaseTiming {
    fn default() -> Self {
        Self { lease_secs: 60, wait: Duration::from_secs(10), poll: Duration::from_millis(150) }
    }
}

impl LeaseTiming {
    /// The same lease length, without waiting for another holder.
    pub fn no_wait(&self) -> Self {
        Self { wait: Duration::ZERO, ..self.clone() }
    }
}

/// Something leased, in the store's terms.
#[async_trait]
pub trait Lease: Send + Sync {
    /// What completing records: the effect the work produced.
    type Done: Send + Sync;

    /// Names the lease in logs.
    fn describe(&self) -> String;
    async fn claim(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        now: i64,
        secs: i64,
    ) -> Result<ClaimOutcome, StoreError>;
    async fn complete(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        done: &Self::Done,
    ) -> Result<(), StoreError>;
    async fn release(&self, store: &dyn Store, account: &AccountId, owner: &str, error: &str)
        -> Result<(), StoreError>;
}

/// What the work under a lease is told: who holds it and which claim this is (1 on the first).
#[derive(Clone, Debug)]
pub struct Claim {
    pub owner: String,
    pub attempt: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Leased<T> {
    /// This worker did the work and recorded it.
    Ran { value: T, attempt: u32 },
    /// Someone did it before.
    AlreadyDone,
    /// Someone else holds a live lease (past the wait, if any).
    Busy,
}

/// A failure under a lease; `attempt` is the claim it happened in (None: before claiming).
#[derive(Debug)]
pub struct LeaseFailure<E> {
    pub error: E,
    pub attempt: Option<u32>,
}

/// Claims `lease` (waiting up to `timing.wait` for another holder), runs `work`, and completes
/// the lease with the [`Lease::Done`] it returns, or releases it with the error.
pub async fn with_lease<L, T, E, F, Fut>(
    store: &dyn Store,
    account: &AccountId,
    lease: &L,
    timing: &LeaseTiming,
    work: F,
) -> Result<Leased<T>, LeaseFailure<E>>
where
    L: Lease,
    E: From<StoreError> + std::fmt::Display,
    F: FnOnce(Claim) -> Fut,
    Fut: Future<Output = Result<(T, L::Done), E>>,
{
    let owner = uuid::Uuid::new_v4().to_string();
    let deadline = Instant::now() + timing.wait;
    let before = |e: StoreError| LeaseFailure { error: E::from(e), attempt: None };
    let attempt = loop {
        match lease.claim(store, account, &owner, unix_now(), timing.lease_secs).await.map_err(before)? {
            ClaimOutcome::Claimed { attempt } => break attempt,
            ClaimOutcome::Done => return Ok(Leased::AlreadyDone),
            ClaimOutcome::Busy { .. } if Instant::now() < deadline => sleep(timing.poll).await,
            ClaimOutcome::Busy { .. } => return Ok(Leased::Busy),
        }
    };
    let failed = |error| LeaseFailure { error, attempt: Some(attempt) };
    match work(Claim { owner: owner.clone(), attempt }).await {
        Ok((value, done)) => {
            lease.complete(store, account, &owner, &done).await.map_err(|e| failed(e.into()))?;
            Ok(Leased::Ran { value, attempt })
        }
        Err(error) => {
            if let Err(release) = lease.release(store, account, &owner, &error.to_string()).await {
                metrics::count(account.as_str(), Metric::LeaseReleaseFailures, 1.0);
                tracing::warn!(account = %account, lease = %lease.describe(), error = %release,
                    "could not release the lease; the work waits until it expires");
            }
            Err(failed(error))
        }
    }
}

/// One provider message: completing records the Planfix comment it became.
pub struct MessageLease<'a>(pub &'a str);

#[async_trait]
impl Lease for MessageLease<'_> {
    /// (task id, comment id).
    type Done = (i64, i64);

    fn describe(&self) -> String {
        format!("message {}", self.0)
    }
    async fn claim(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        now: i64,
        secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        store.claim_message(account, self.0, owner, now, secs).await
    }
    async fn complete(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        done: &(i64, i64),
    ) -> Result<(), StoreError> {
        store.complete_message(account, self.0, owner, done.0, done.1).await
    }
    async fn release(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        store.release_message(account, self.0, owner, error).await
    }
}

/// A do-once job (`OUT#<comment>`, `NOTE#<message>`, a file job): completing records a short
/// outcome for operators.
pub struct JobLease<'a>(pub &'a str);

#[async_trait]
impl Lease for JobLease<'_> {
    type Done = String;

    fn describe(&self) -> String {
        format!("job {}", self.0)
    }
    async fn claim(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        now: i64,
        secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        store.claim_job(account, self.0, owner, now, secs).await
    }
    async fn complete(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        done: &String,
    ) -> Result<(), StoreError> {
        store.complete_job(account, self.0, owner, done).await
    }
    async fn release(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        store.release_job(account, self.0, owner, error).await
    }
}

/// A conversation's link, taken only while it still points at `expected_task` (None: no link
/// yet): creating a conversation or moving it to a new task. Completing writes the new link.
pub struct LinkLease<'a> {
    pub phone: &'a Phone,
    pub expected_task: Option<i64>,
}

#[async_trait]
impl Lease for LinkLease<'_> {
    type Done = ConversationLink;

    fn describe(&self) -> String {
        format!("link of {}", self.phone)
    }
    async fn claim(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        now: i64,
        secs: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        Ok(match store.lock_link(account, self.phone, self.expected_task, owner, now, secs).await? {
            LinkLock::Acquired { .. } => ClaimOutcome::Claimed { attempt: 1 },
            LinkLock::Contended(record) => ClaimOutcome::Busy { until: record.lease_until.unwrap_or(now) },
        })
    }
    async fn complete(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        link: &ConversationLink,
    ) -> Result<(), StoreError> {
        store.commit_link(account, self.phone, owner, link).await
    }
    async fn release(
        &self,
        store: &dyn Store,
        account: &AccountId,
        owner: &str,
        _error: &str,
    ) -> Result<(), StoreError> {
        store.unlock_link(account, self.phone, owner).await
    }
}
