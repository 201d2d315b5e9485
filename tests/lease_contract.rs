//! The lease helper's contract (`bridge_core::lease::with_lease`: claim → work → complete on
//! success, release on failure), for each kind of lease — a provider message, a do-once job, a
//! conversation's link — on every store adapter: the embedded SQLite store (a file in a temp
//! dir) and DynamoDB through the real SDK on moto. One generic body per scenario runs every
//! lease kind on the store it is given.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bridge_core::config::Settings;
use bridge_core::domain::{unix_now, AccountId, InboundMessage, MessageContent, Phone};
use bridge_core::lease::{with_lease, JobLease, Lease, LeaseFailure, LeaseTiming, Leased, LinkLease, MessageLease};
use bridge_core::ports::{
    ClaimOutcome, ConversationLink, DeadLetter, DrainNext, DrainStart, InboxEntry, LinkLock, LinkRecord, ReactionNote,
    RecordOutcome, SentRecord, SlotGrant, Store, StoreError, TaskConversation,
};
use bridge_embedded::{SqliteDb, SqliteStore};
use tokio::time::Instant;

/// The work's own error, or the store's (what `with_lease` needs of an error type).
#[derive(Debug)]
enum WorkError {
    Store(StoreError),
    Work(&'static str),
}

impl From<StoreError> for WorkError {
    fn from(e: StoreError) -> Self {
        WorkError::Store(e)
    }
}

impl fmt::Display for WorkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkError::Store(e) => write!(f, "store: {e}"),
            WorkError::Work(why) => write!(f, "work: {why}"),
        }
    }
}

type Outcome = Result<Leased<u32>, LeaseFailure<WorkError>>;

/// The lease is claimed by whoever claims first, without waiting for another holder.
fn no_wait() -> LeaseTiming {
    LeaseTiming { lease_secs: 60, wait: Duration::ZERO, poll: Duration::from_millis(25) }
}

/// Waits up to `WAIT` for another holder, polling often.
const WAIT: Duration = Duration::from_millis(1500);
fn waiting() -> LeaseTiming {
    LeaseTiming { lease_secs: 60, wait: WAIT, poll: Duration::from_millis(25) }
}

/// How long the other holder keeps its lease in the waiting scenarios.
const HOLD: Duration = Duration::from_millis(300);

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A fresh account per scenario: scenarios share a store without seeing each other's items.
fn fresh_account() -> AccountId {
    AccountId::parse(&format!("lease-{}", uuid::Uuid::new_v4().simple())).unwrap()
}

/// One kind of lease, and what its claim, completion and release look like in the store when
/// another worker does them (straight through the store's own conditional writes).
trait Subject {
    type L: Lease;
    fn name(&self) -> &'static str;
    fn account(&self) -> &AccountId;
    fn lease(&self) -> Self::L;
    /// What the work produces for the lease to record.
    fn done(&self) -> <Self::L as Lease>::Done;
    /// Whether the claim counts attempts (a message or a job: 1, 2, …; a link lease is always 1).
    fn counts_attempts(&self) -> bool;
    /// What a second `with_lease` sees once the work is complete.
    fn after_done(&self) -> Leased<u32>;
    /// What must exist before the first claim (a message is recorded at intake).
    async fn prepare(&self, store: &dyn Store);
    /// Another worker takes the lease (`now`: its clock).
    async fn hold(&self, store: &dyn Store, owner: &str, now: i64);
    async fn holder_completes(&self, store: &dyn Store, owner: &str);
    async fn holder_releases(&self, store: &dyn Store, owner: &str);
    /// The store shows the completed work.
    async fn assert_done(&self, store: &dyn Store);
    /// The store shows no completed work and no live lease (it was released or never taken).
    async fn assert_not_done(&self, store: &dyn Store);
}

struct Message {
    account: AccountId,
    id: &'static str,
}

fn message() -> Message {
    Message { account: fresh_account(), id: leak(format!("wamid.{}", uuid::Uuid::new_v4().simple())) }
}

impl Message {
    fn inbound(&self) -> InboundMessage {
        InboundMessage {
            id: self.id.to_owned(),
            from: Phone::parse("79051234567").unwrap(),
            profile_name: None,
            timestamp: 1_700_000_000,
            content: MessageContent::Text { body: "hi".into() },
            origin: Default::default(),
            reply_to: None,
        }
    }
}

impl Subject for Message {
    type L = MessageLease<'static>;
    fn name(&self) -> &'static str {
        "MessageLease"
    }
    fn account(&self) -> &AccountId {
        &self.account
    }
    fn lease(&self) -> Self::L {
        MessageLease(self.id)
    }
    fn done(&self) -> (i64, i64) {
        (70, 700)
    }
    fn counts_attempts(&self) -> bool {
        true
    }
    fn after_done(&self) -> Leased<u32> {
        Leased::AlreadyDone
    }
    async fn prepare(&self, store: &dyn Store) {
        assert_eq!(store.record_message(&self.account, &self.inbound(), unix_now()).await.unwrap(), RecordOutcome::New);
    }
    async fn hold(&self, store: &dyn Store, owner: &str, now: i64) {
        let claimed = store.claim_message(&self.account, self.id, owner, now, 60).await.unwrap();
        assert!(matches!(claimed, ClaimOutcome::Claimed { .. }), "{claimed:?}");
    }
    async fn holder_completes(&self, store: &dyn Store, owner: &str) {
        store.complete_message(&self.account, self.id, owner, 71, 710).await.unwrap();
    }
    async fn holder_releases(&self, store: &dyn Store, owner: &str) {
        store.release_message(&self.account, self.id, owner, "holder failed").await.unwrap();
    }
    async fn assert_done(&self, store: &dyn Store) {
        // The provider's redelivery is acknowledged without work.
        let again = store.record_message(&self.account, &self.inbound(), unix_now()).await.unwrap();
        assert_eq!(again, RecordOutcome::AlreadyDone);
    }
    async fn assert_not_done(&self, store: &dyn Store) {
        // The redelivery is processed again (the dedupe mark does not swallow it).
        let again = store.record_message(&self.account, &self.inbound(), unix_now()).await.unwrap();
        assert_eq!(again, RecordOutcome::Pending);
    }
}

struct Job {
    account: AccountId,
    key: &'static str,
}

fn job() -> Job {
    Job { account: fresh_account(), key: leak(format!("OUT#{}", uuid::Uuid::new_v4().as_u128() % 1_000_000_000)) }
}

impl Subject for Job {
    type L = JobLease<'static>;
    fn name(&self) -> &'static str {
        "JobLease"
    }
    fn account(&self) -> &AccountId {
        &self.account
    }
    fn lease(&self) -> Self::L {
        JobLease(self.key)
    }
    fn done(&self) -> String {
        "sent wamid.out".into()
    }
    fn counts_attempts(&self) -> bool {
        true
    }
    fn after_done(&self) -> Leased<u32> {
        Leased::AlreadyDone
    }
    async fn prepare(&self, _store: &dyn Store) {
        // A job's item is created by its first claim.
    }
    async fn hold(&self, store: &dyn Store, owner: &str, now: i64) {
        let claimed = store.claim_job(&self.account, self.key, owner, now, 60).await.unwrap();
        assert!(matches!(claimed, ClaimOutcome::Claimed { .. }), "{claimed:?}");
    }
    async fn holder_completes(&self, store: &dyn Store, owner: &str) {
        store.complete_job(&self.account, self.key, owner, "done by the holder").await.unwrap();
    }
    async fn holder_releases(&self, store: &dyn Store, owner: &str) {
        store.release_job(&self.account, self.key, owner, "holder failed").await.unwrap();
    }
    async fn assert_done(&self, store: &dyn Store) {
        let claim = store.claim_job(&self.account, self.key, "inspector", unix_now(), 60).await.unwrap();
        assert_eq!(claim, ClaimOutcome::Done);
    }
    async fn assert_not_done(&self, _store: &dyn Store) {
        // A job has no read but its claim, which would count an attempt: the scenarios' next
        // claim (at once, attempt 2) is what shows the job free and not done.
    }
}

struct Link {
    account: AccountId,
    phone: &'static Phone,
}

fn link() -> Link {
    Link { account: fresh_account(), phone: Box::leak(Box::new(Phone::parse("4915112345678").unwrap())) }
}

fn committed() -> ConversationLink {
    ConversationLink { contact_id: 7, task_id: 70, task_count: 1, updated_at: 1_700_000_000, task_closed: false }
}

impl Subject for Link {
    type L = LinkLease<'static>;
    fn name(&self) -> &'static str {
        "LinkLease"
    }
    fn account(&self) -> &AccountId {
        &self.account
    }
    /// A new conversation: no link yet.
    fn lease(&self) -> Self::L {
        LinkLease { phone: self.phone, expected_task: None }
    }
    fn done(&self) -> ConversationLink {
        committed()
    }
    fn counts_attempts(&self) -> bool {
        false
    }
    /// The link now exists, so a lease expecting none is refused (the caller re-reads the link).
    fn after_done(&self) -> Leased<u32> {
        Leased::Busy
    }
    async fn prepare(&self, _store: &dyn Store) {}
    async fn hold(&self, store: &dyn Store, owner: &str, now: i64) {
        let lock = store.lock_link(&self.account, self.phone, None, owner, now, 60).await.unwrap();
        assert!(matches!(lock, LinkLock::Acquired { .. }), "{lock:?}");
    }
    async fn holder_completes(&self, store: &dyn Store, owner: &str) {
        store.commit_link(&self.account, self.phone, owner, &committed()).await.unwrap();
    }
    async fn holder_releases(&self, store: &dyn Store, owner: &str) {
        store.unlock_link(&self.account, self.phone, owner).await.unwrap();
    }
    async fn assert_done(&self, store: &dyn Store) {
        let record = store.get_link(&self.account, self.phone).await.unwrap();
        assert_eq!(record, Some(LinkRecord { link: Some(committed()), lease_until: None }));
    }
    async fn assert_not_done(&self, store: &dyn Store) {
        let record = store.get_link(&self.account, self.phone).await.unwrap();
        // DynamoDB keeps the (empty) item its lock created; the file store may too.
        let (link, lease) = record.map(|r| (r.link, r.lease_until)).unwrap_or((None, None));
        assert_eq!((link, lease), (None, None), "no link and no lease");
    }
}

/// Runs `with_lease` with work that succeeds (returning `value`) and counts its runs.
async fn succeed<S: Subject>(store: &dyn Store, s: &S, timing: &LeaseTiming, value: u32, runs: &AtomicU32) -> Outcome {
    with_lease(store, s.account(), &s.lease(), timing, |claim| async move {
        runs.fetch_add(1, Ordering::SeqCst);
        assert!(!claim.owner.is_empty());
        Ok::<_, WorkError>((value * 100 + claim.attempt, s.done()))
    })
    .await
}

/// Runs `with_lease` with work that fails with `WorkError::Work("boom")`.
async fn fail<S: Subject>(store: &dyn Store, s: &S, timing: &LeaseTiming, runs: &AtomicU32) -> Outcome {
    with_lease(store, s.account(), &s.lease(), timing, |_| async move {
        runs.fetch_add(1, Ordering::SeqCst);
        Err::<(u32, <S::L as Lease>::Done), _>(WorkError::Work("boom"))
    })
    .await
}

fn assert_work_error(outcome: Outcome, attempt: u32, what: &str) {
    match outcome {
        Err(LeaseFailure { error: WorkError::Work("boom"), attempt: Some(a) }) if a == attempt => {}
        other => panic!("{what}: expected the work's own error in claim {attempt}, got {other:?}"),
    }
}

/// Success completes: the work runs once, its result is recorded, and a second try finds it done.
async fn success_completes<S: Subject>(store: &dyn Store, s: S) {
    let name = s.name();
    s.prepare(store).await;
    let runs = AtomicU32::new(0);
    let first = succeed(store, &s, &no_wait(), 4, &runs).await;
    assert_eq!(first.unwrap(), Leased::Ran { value: 401, attempt: 1 }, "{name}");
    s.assert_done(store).await;
    let second = succeed(store, &s, &no_wait(), 5, &runs).await;
    assert_eq!(second.unwrap(), s.after_done(), "{name}: a second with_lease after completion");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "{name}: the work ran once");
}

/// Failure releases: the work's error is returned with its claim, the lease is given back, and
/// the next claim (attempt 2 where attempts count) runs and completes.
async fn failure_releases<S: Subject>(store: &dyn Store, s: S) {
    let name = s.name();
    s.prepare(store).await;
    let runs = AtomicU32::new(0);
    assert_work_error(fail(store, &s, &no_wait(), &runs).await, 1, name);
    s.assert_not_done(store).await;
    let retry = succeed(store, &s, &no_wait(), 6, &runs).await.unwrap();
    let attempt = if s.counts_attempts() { 2 } else { 1 };
    assert_eq!(retry, Leased::Ran { value: 600 + attempt, attempt }, "{name}: the retry claims at once");
    s.assert_done(store).await;
    assert_eq!(runs.load(Ordering::SeqCst), 2, "{name}");
}

/// A live lease held by another owner: without a wait the claim gives up at once, Busy, and
/// the work never runs.
async fn live_lease_is_busy_without_wait<S: Subject>(store: &dyn Store, s: S) {
    let name = s.name();
    s.prepare(store).await;
    s.hold(store, "other-worker", unix_now()).await;
    let runs = AtomicU32::new(0);
    let started = Instant::now();
    assert_eq!(succeed(store, &s, &no_wait(), 7, &runs).await.unwrap(), Leased::Busy, "{name}");
    assert!(started.elapsed() < Duration::from_secs(1), "{name}: no waiting ({:?})", started.elapsed());
    assert_eq!(runs.load(Ordering::SeqCst), 0, "{name}: the work did not run");
    // The holder's lease is untouched: it can still complete.
    s.holder_completes(store, "other-worker").await;
    s.assert_done(store).await;
}

/// With a wait, the waiter polls while the holder works; once the holder completes, the waiter
/// learns the work is done (a message, a job) without running it. A link lease expects no link,
/// so once the holder has committed one the waiter keeps being refused until its wait is over.
async fn waiter_sees_the_holders_completion<S: Subject>(store: &dyn Store, s: S) {
    let name = s.name();
    s.prepare(store).await;
    s.hold(store, "holder", unix_now()).await;
    let runs = AtomicU32::new(0);
    let started = Instant::now();
    let timing = waiting();
    let (waited, ()) = tokio::join!(succeed(store, &s, &timing, 8, &runs), async {
        tokio::time::sleep(HOLD).await;
        s.holder_completes(store, "holder").await;
    });
    let elapsed = started.elapsed();
    assert_eq!(waited.unwrap(), s.after_done(), "{name}");
    assert_eq!(runs.load(Ordering::SeqCst), 0, "{name}: the waiter did not redo the work");
    if s.after_done() == Leased::AlreadyDone {
        assert!(elapsed >= HOLD && elapsed < WAIT, "{name}: answered once the holder completed ({elapsed:?})");
    } else {
        assert!(elapsed >= WAIT, "{name}: refused until the wait was over ({elapsed:?})");
    }
    s.assert_done(store).await;
}

/// With a wait, a holder that fails (releases) hands the work to the waiter, which runs it.
async fn waiter_takes_over_a_released_lease<S: Subject>(store: &dyn Store, s: S) {
    let name = s.name();
    s.prepare(store).await;
    s.hold(store, "holder", unix_now()).await;
    let runs = AtomicU32::new(0);
    let started = Instant::now();
    let timing = waiting();
    let (waited, ()) = tokio::join!(succeed(store, &s, &timing, 9, &runs), async {
        tokio::time::sleep(HOLD).await;
        s.holder_releases(store, "holder").await;
    });
    let attempt = if s.counts_attempts() { 2 } else { 1 };
    assert_eq!(waited.unwrap(), Leased::Ran { value: 900 + attempt, attempt }, "{name}");
    assert!(started.elapsed() < WAIT, "{name}: ran as soon as the lease was free ({:?})", started.elapsed());
    assert_eq!(runs.load(Ordering::SeqCst), 1, "{name}");
    s.assert_done(store).await;
}

/// The lease expired during the work and another worker took it over: completing fails (the
/// lease is lost) and `with_lease` says so instead of reporting the work as recorded.
async fn a_lost_lease_fails_completion<S: Subject>(store: &dyn Store, s: S) {
    let name = s.name();
    s.prepare(store).await;
    let short = LeaseTiming { lease_secs: 1, ..no_wait() };
    let outcome = with_lease(store, s.account(), &s.lease(), &short, |_| async {
        // Ten seconds later by the other worker's clock, the lease has long expired.
        s.hold(store, "usurper", unix_now() + 10).await;
        Ok::<_, WorkError>((1, s.done()))
    })
    .await;
    match outcome {
        Err(LeaseFailure { error: WorkError::Store(StoreError::LeaseLost), attempt: Some(1) }) => {}
        other => panic!("{name}: expected the lost lease, got {other:?}"),
    }
    // The usurper still owns the work and records it.
    s.holder_completes(store, "usurper").await;
    s.assert_done(store).await;
}

async fn succeed_with<L: Lease>(
    store: &dyn Store,
    account: &AccountId,
    lease: &L,
    done: L::Done,
    runs: &AtomicU32,
) -> Outcome {
    with_lease(store, account, lease, &no_wait(), |claim| async move {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, WorkError>((claim.attempt, done))
    })
    .await
}

/// LinkLease moving a conversation to a new task: the lease expects the current task; once the
/// link moved on, a lease still expecting the old task is refused.
async fn link_rotation_expects_the_current_task(store: &dyn Store) {
    let s = link();
    let runs = AtomicU32::new(0);
    assert!(matches!(succeed(store, &s, &no_wait(), 1, &runs).await.unwrap(), Leased::Ran { .. }));
    let rotate = LinkLease { phone: s.phone, expected_task: Some(70) };
    let next =
        ConversationLink { contact_id: 7, task_id: 71, task_count: 2, updated_at: 1_700_000_100, task_closed: false };
    let moved = with_lease(store, &s.account, &rotate, &no_wait(), |_| async { Ok::<_, WorkError>((2, next.clone())) })
        .await
        .unwrap();
    assert_eq!(moved, Leased::Ran { value: 2, attempt: 1 });
    let record = store.get_link(&s.account, s.phone).await.unwrap();
    assert_eq!(record, Some(LinkRecord { link: Some(next.clone()), lease_until: None }));
    let stale = succeed_with(store, &s.account, &rotate, next.clone(), &runs).await.unwrap();
    assert_eq!(stale, Leased::Busy, "a lease expecting a task the link no longer points at");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the stale rotation did not run");
    // A failed rotation leaves the link where it was, without a lease.
    let rotate = LinkLease { phone: s.phone, expected_task: Some(71) };
    let failed = with_lease(store, &s.account, &rotate, &no_wait(), |_| async {
        Err::<(u32, ConversationLink), _>(WorkError::Work("boom"))
    })
    .await;
    assert_work_error(failed, 1, "rotation");
    assert_eq!(
        store.get_link(&s.account, s.phone).await.unwrap(),
        Some(LinkRecord { link: Some(next), lease_until: None })
    );
}

/// A store that works like the real one it wraps but cannot give a lease back (`release_*`,
/// `unlock_link` fail), and counts the attempts.
struct ReleaseRefused {
    inner: Arc<dyn Store>,
    releases: AtomicUsize,
}

type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

impl ReleaseRefused {
    fn refuse(&self) -> Fut<'static, ()> {
        self.releases.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err(StoreError::Unavailable("injected: the release write failed".into())) })
    }
}

/// `Store` is an `#[async_trait]` trait; this crate has no async-trait dependency, so the methods
/// are written in the form the macro expands to: one lifetime per reference, all outliving the
/// future's.
macro_rules! forward {
    ($( $name:ident [$($lt:lifetime),*] ($($arg:ident : $ty:ty),*) -> $ret:ty; )*) => {$(
        fn $name<'s, $($lt,)* 'at>(&'s self, $($arg: $ty),*) -> Fut<'at, $ret>
        where 's: 'at, $($lt: 'at,)* Self: 'at
        {
            self.inner.$name($($arg),*)
        }
    )*};
}

impl Store for ReleaseRefused {
    forward! {
        record_message['a, 'b](account: &'a AccountId, msg: &'b InboundMessage, now: i64) -> RecordOutcome;
        claim_message['a, 'b, 'c](account: &'a AccountId, message_id: &'b str, owner: &'c str, now: i64, lease_secs: i64) -> ClaimOutcome;
        complete_message['a, 'b, 'c](account: &'a AccountId, message_id: &'b str, owner: &'c str, task_id: i64, comment_id: i64) -> ();
        record_inbound['a, 'b](account: &'a AccountId, entry: &'b InboxEntry, now: i64) -> RecordOutcome;
        begin_drain['a, 'b, 'c](account: &'a AccountId, phone: &'b Phone, owner: &'c str, now: i64, lease_secs: i64) -> DrainStart;
        finish_message['a, 'b, 'c](account: &'a AccountId, entry: &'b InboxEntry, owner: &'c str, comment: Option<(i64, i64)>, next: DrainNext) -> ();
        end_drain['a, 'b, 'c](account: &'a AccountId, phone: &'b Phone, owner: &'c str) -> ();
        add_to_inbox['a, 'b](account: &'a AccountId, entry: &'b InboxEntry) -> ();
        inbox['a, 'b](account: &'a AccountId, phone: &'b Phone, limit: usize) -> Vec<InboxEntry>;
        remove_from_inbox['a, 'b, 'c](account: &'a AccountId, phone: &'b Phone, order: &'c str) -> ();
        stale_inboxes['a](account: &'a AccountId, older_than: i64, limit: usize) -> Vec<InboxEntry>;
        put_dead_letter['a, 'b](account: &'a AccountId, letter: &'b DeadLetter) -> ();
        list_dead_letters['a](account: &'a AccountId) -> Vec<DeadLetter>;
        remove_dead_letter['a, 'b](account: &'a AccountId, key: &'b str) -> ();
        get_link['a, 'b](account: &'a AccountId, phone: &'b Phone) -> Option<LinkRecord>;
        lock_link['a, 'b, 'c](account: &'a AccountId, phone: &'b Phone, expected_task: Option<i64>, owner: &'c str, now: i64, lease_secs: i64) -> LinkLock;
        commit_link['a, 'b, 'c, 'd](account: &'a AccountId, phone: &'b Phone, owner: &'c str, link: &'d ConversationLink) -> ();
        set_task_closed['a, 'b](account: &'a AccountId, phone: &'b Phone, task_id: i64, closed: bool) -> bool;
        put_task_conversation['a, 'b](account: &'a AccountId, task_id: i64, conv: &'b TaskConversation) -> ();
        get_task_conversation['a](account: &'a AccountId, task_id: i64) -> Option<TaskConversation>;
        claim_job['a, 'b, 'c](account: &'a AccountId, job: &'b str, owner: &'c str, now: i64, lease_secs: i64) -> ClaimOutcome;
        complete_job['a, 'b, 'c, 'd](account: &'a AccountId, job: &'b str, owner: &'c str, outcome: &'d str) -> ();
        put_sent['a, 'b, 'c](account: &'a AccountId, provider_message_id: &'b str, record: &'c SentRecord) -> ();
        get_sent['a, 'b](account: &'a AccountId, provider_message_id: &'b str) -> Option<SentRecord>;
        reaction_note['a, 'b](account: &'a AccountId, key: &'b str) -> Option<ReactionNote>;
        put_reaction_note['a, 'b, 'c](account: &'a AccountId, key: &'b str, note: &'c ReactionNote) -> ();
        advance_delivery_status['a, 'b, 'c](account: &'a AccountId, provider_message_id: &'b str, status: &'c str, rank: u8) -> bool;
        reserve_slot['a, 'b](account: &'a AccountId, key: &'b str, now_ms: i64, interval_ms: i64) -> i64;
        reserve_slots['a, 'b](account: &'a AccountId, key: &'b str, now_ms: i64, interval_ms: i64, count: u32, max_wait_ms: i64) -> SlotGrant;
        get_settings['a](account: &'a AccountId) -> Option<Settings>;
        put_settings['a, 'b](account: &'a AccountId, settings: &'b Settings) -> ();
    }

    fn release_message<'s, 'a, 'b, 'c, 'd, 'at>(
        &'s self,
        _account: &'a AccountId,
        _message_id: &'b str,
        _owner: &'c str,
        _error: &'d str,
    ) -> Fut<'at, ()>
    where
        's: 'at,
        'a: 'at,
        'b: 'at,
        'c: 'at,
        'd: 'at,
        Self: 'at,
    {
        self.refuse()
    }

    fn release_job<'s, 'a, 'b, 'c, 'd, 'at>(
        &'s self,
        _account: &'a AccountId,
        _job: &'b str,
        _owner: &'c str,
        _error: &'d str,
    ) -> Fut<'at, ()>
    where
        's: 'at,
        'a: 'at,
        'b: 'at,
        'c: 'at,
        'd: 'at,
        Self: 'at,
    {
        self.refuse()
    }

    fn unlock_link<'s, 'a, 'b, 'c, 'at>(
        &'s self,
        _account: &'a AccountId,
        _phone: &'b Phone,
        _owner: &'c str,
    ) -> Fut<'at, ()>
    where
        's: 'at,
        'a: 'at,
        'b: 'at,
        'c: 'at,
        Self: 'at,
    {
        self.refuse()
    }
}

/// Log lines written while a closure runs on this thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A release that fails does not replace the work's error: `with_lease` still returns it (with
/// its claim), logs the failed release, and the lease stays taken until it expires (so nobody
/// else can claim it meanwhile — the documented cost).
async fn a_failed_release_keeps_the_works_error<S: Subject>(real: Arc<dyn Store>, s: S) {
    let name = s.name();
    let store = ReleaseRefused { inner: real.clone(), releases: AtomicUsize::new(0) };
    s.prepare(&store).await;
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(captured.clone()).finish();
    let runs = AtomicU32::new(0);
    let outcome = {
        // This test runs on a current-thread runtime: every poll of the future is on this thread.
        let _logs = tracing::subscriber::set_default(subscriber);
        fail(&store, &s, &no_wait(), &runs).await
    };
    assert_work_error(outcome, 1, name);
    assert_eq!(store.releases.load(Ordering::SeqCst), 1, "{name}: the release was tried once");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("could not release the lease"), "{name}: the failed release is logged: {logs:?}");
    assert!(logs.contains("injected: the release write failed"), "{name}: with the store's error: {logs:?}");
    // Still leased: another worker is refused until the lease expires; the work is not done.
    assert_eq!(succeed(real.as_ref(), &s, &no_wait(), 1, &runs).await.unwrap(), Leased::Busy, "{name}");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "{name}");
}

/// Each scenario, for each kind of lease, on one store (`$store`: an expression evaluated in
/// each test, giving the store and what cleans it up).
macro_rules! contract {
    ($store:expr) => {
        #[tokio::test]
        async fn success_completes() {
            let (store, _cleanup): (Arc<dyn Store>, Cleanup) = $store;
            super::success_completes(store.as_ref(), message()).await;
            super::success_completes(store.as_ref(), job()).await;
            super::success_completes(store.as_ref(), link()).await;
        }

        #[tokio::test]
        async fn failure_releases() {
            let (store, _cleanup): (Arc<dyn Store>, Cleanup) = $store;
            super::failure_releases(store.as_ref(), message()).await;
            super::failure_releases(store.as_ref(), job()).await;
            super::failure_releases(store.as_ref(), link()).await;
        }

        #[tokio::test]
        async fn live_lease_is_busy_without_wait() {
            let (store, _cleanup): (Arc<dyn Store>, Cleanup) = $store;
            super::live_lease_is_busy_without_wait(store.as_ref(), message()).await;
            super::live_lease_is_busy_without_wait(store.as_ref(), job()).await;
            super::live_lease_is_busy_without_wait(store.as_ref(), link()).await;
        }

        #[tokio::test]
        async fn waiter_sees_the_holders_completion() {
            let (store, _cleanup): (Arc<dyn Store>, Cleanup) = $store;
            // Side by side (each account its own): each may wait up to WAIT.
            tokio::join!(
                super::waiter_sees_the_holders_completion(store.as_ref(), message()),
                super::waiter_sees_the_holders_completion(store.as_ref(), job()),
                super::waiter_sees_the_holders_completion(store.as_ref(), link()),
            );
        }

        #[tokio::test]
        async fn waiter_takes_over_a_released_lease() {
            let (store, _cleanup): (Arc<dyn Store>, Cleanup) = $store;
            super::waiter_takes_over_a_released_lease(store.as_ref(), message()).await;
            super::waiter_takes_over_a_released_lease(store.as_ref(), job()).await;
            super::waiter_takes_over_a_released_lease(store.as_ref(), link()).await;
        }

        #[tokio::test]
        async fn a_lost_lease_fails_completion() {
            let (store, _cleanup): (Arc<dyn Store>, Cleanup) = $store;
            super::a_lost_lease_fails_completion(store.as_ref(), message()).await;
            super::a_lost_lease_fails_completion(store.as_ref(), job()).await;
            super::a_lost_lease_fails_completion(store.as_ref(), link()).await;
        }

        #[tokio::test]
        async fn link_rotation_expects_the_current_task() {
            let (store, _cleanup): (Arc<dyn Store>, Cleanup) = $store;
            super::link_rotation_expects_the_current_task(store.as_ref()).await;
        }

        #[tokio::test]
        async fn a_failed_release_keeps_the_works_error() {
            let (store, _cleanup): (Arc<dyn Store>, Cleanup) = $store;
            super::a_failed_release_keeps_the_works_error(store.clone(), message()).await;
            super::a_failed_release_keeps_the_works_error(store.clone(), job()).await;
            super::a_failed_release_keeps_the_works_error(store, link()).await;
        }
    };
}

/// Removes a test's store folder when the test ends.
struct Cleanup(Option<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

/// The embedded SQLite store, on a database file in a temp dir of its own.
fn sqlite_store() -> (Arc<dyn Store>, Cleanup) {
    let dir = std::env::temp_dir().join(format!("bridge-lease-sqlite-{}", uuid::Uuid::new_v4()));
    let db = SqliteDb::open(dir.join("bridge.db")).expect("the database opens");
    (Arc::new(SqliteStore::new(db)), Cleanup(Some(dir)))
}

mod sqlite {
    use super::*;
    contract!(crate::sqlite_store());
}

/// DynamoDB through the real SDK, on a table of its own in moto.
mod dynamodb {
    use super::*;
    contract!((Arc::new(e2e_tests::fresh_dynamo_store().await), Cleanup(None)));
}
