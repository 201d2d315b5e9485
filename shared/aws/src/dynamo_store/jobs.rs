//! Job items: a keyed unit of work (e.g. a file relay) with the same lease as messages.

use aws_sdk_dynamodb::types::AttributeValue;

use bridge_core::domain::AccountId;
use bridge_core::ports::store::{ClaimOutcome, StoreError};

use super::attrs::{n, s};
use super::keys::job_key;
use super::{DynamoStore, MARK_RETENTION_SECS};

pub(super) async fn claim(
    store: &DynamoStore,
    account: &AccountId,
    job: &str,
    owner: &str,
    now: i64,
    lease_secs: i64,
) -> Result<ClaimOutcome, StoreError> {
    // Create, then claim: the claim stays a conditional update of an existing item, the
    // same single-writer decision as for messages. An expired job starts afresh.
    let (pk, sk) = job_key(account, job);
    let extra =
        [("done", AttributeValue::Bool(false)), ("attempts", n(0)), ("expires_at", n(now + MARK_RETENTION_SECS))];
    store.put_unless_alive(pk.clone(), sk.clone(), now, extra).await?;
    store.claim_lease((pk, sk), owner, now, lease_secs).await
}

pub(super) async fn complete(
    store: &DynamoStore,
    account: &AccountId,
    job: &str,
    owner: &str,
    outcome: &str,
) -> Result<(), StoreError> {
    store.complete_lease(job_key(account, job), owner, "outcome = :out", &[], [(":out", s(outcome))]).await
}

pub(super) async fn release(
    store: &DynamoStore,
    account: &AccountId,
    job: &str,
    owner: &str,
    error: &str,
) -> Result<(), StoreError> {
    store.release_lease(job_key(account, job), owner, error).await
}
