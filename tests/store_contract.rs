//! The store contract, run against every adapter: DynamoDB through the real SDK on moto and
//! the embedded SQLite store. Conditional writes are what make exactly-once work, so they are
//! exercised under real concurrency here — for SQLite also across two handles on one file (two
//! processes: the server and the admin CLI).

use std::sync::Arc;

use bridge_core::config::Settings;
use bridge_core::domain::{AccountId, InboundMessage, MessageContent, Phone, Work};
use bridge_core::ports::store::{MessageReference, RefAuthor};
use bridge_core::ports::{
    ClaimOutcome, ConversationLink, DeadLetter, DrainNext, DrainStart, InboxEntry, LinkLock, LinkRecord, ReactionNote,
    RecordOutcome, SentRecord, Store, StoreError, TaskConversation,
};
use bridge_embedded::{SqliteDb, SqliteStore};
use e2e_tests::fresh_dynamo_store;

fn acct(id: &str) -> AccountId {
    AccountId::parse(id).unwrap()
}

fn msg(id: &str) -> InboundMessage {
    InboundMessage {
        id: id.into(),
        from: Phone::parse("79051234567").unwrap(),
        profile_name: Some("Ivan".into()),
        timestamp: 1_700_000_000,
        content: MessageContent::Text { body: "hi".into() },
        origin: Default::default(),
        reply_to: None,
    }
}

async fn message_lifecycle(store: &dyn Store) {
    let a = acct("a1");
    let now = 1_000;
    assert_eq!(store.record_message(&a, &msg("m1"), now).await.unwrap(), RecordOutcome::New);
    assert_eq!(store.record_message(&a, &msg("m1"), now).await.unwrap(), RecordOutcome::Pending);
    // The same id in another account is a different message.
    assert_eq!(store.record_message(&acct("a2"), &msg("m1"), now).await.unwrap(), RecordOutcome::New);

    assert_eq!(store.claim_message(&a, "m1", "w1", now, 30).await.unwrap(), ClaimOutcome::Claimed { attempt: 1 });
    assert!(matches!(store.claim_message(&a, "m1", "w2", now + 1, 30).await.unwrap(), ClaimOutcome::Busy { .. }));
    // A failed worker releases: the retry can claim at once (the dedupe mark does not swallow it).
    store.release_message(&a, "m1", "w1", "planfix down").await.unwrap();
    assert_eq!(store.claim_message(&a, "m1", "w2", now + 2, 30).await.unwrap(), ClaimOutcome::Claimed { attempt: 2 });
    // Only the owner completes.
    assert!(matches!(store.complete_message(&a, "m1", "w1", 1, 2).await, Err(StoreError::LeaseLost)));
    store.complete_message(&a, "m1", "w2", 10, 20).await.unwrap();
    assert_eq!(store.claim_message(&a, "m1", "w3", now + 3, 30).await.unwrap(), ClaimOutcome::Done);
    assert_eq!(store.record_message(&a, &msg("m1"), now).await.unwrap(), RecordOutcome::AlreadyDone);

    // An expired lease (crashed worker) is taken over.
    store.record_message(&a, &msg("m2"), now).await.unwrap();
    assert!(matches!(store.claim_message(&a, "m2", "dead", now, 30).await.unwrap(), ClaimOutcome::Claimed { .. }));
    assert_eq!(store.claim_message(&a, "m2", "w4", now + 31, 30).await.unwrap(), ClaimOutcome::Claimed { attempt: 2 });
}

async fn link_lifecycle(store: &dyn Store) {
    let a = acct("a1");
    let p = Phone::parse("79051234567").unwrap();
    assert_eq!(store.get_link(&a, &p).await.unwrap(), None);
    assert_eq!(store.lock_link(&a, &p, None, "w1", 100, 30).await.unwrap(), LinkLock::Acquired { current: None });
    assert!(matches!(store.lock_link(&a, &p, None, "w2", 101, 30).await.unwrap(), LinkLock::Contended(_)));
    let link = ConversationLink { contact_id: 7, task_id: 70, task_count: 1, updated_at: 102, task_closed: false };
    assert!(matches!(store.commit_link(&a, &p, "w2", &link).await, Err(StoreError::LeaseLost)));
    store.commit_link(&a, &p, "w1", &link).await.unwrap();
    let rec = store.get_link(&a, &p).await.unwrap().unwrap();
    assert_eq!(rec.link, Some(link.clone()));
    assert_eq!(rec.lease_until, None);

    // Creation is refused once a link exists; rotation needs the current task id.
    assert!(matches!(store.lock_link(&a, &p, None, "w3", 103, 30).await.unwrap(), LinkLock::Contended(_)));
    assert!(matches!(store.lock_link(&a, &p, Some(69), "w3", 103, 30).await.unwrap(), LinkLock::Contended(_)));
    assert_eq!(
        store.lock_link(&a, &p, Some(70), "w3", 103, 30).await.unwrap(),
        LinkLock::Acquired { current: Some(link.clone()) }
    );
    store.unlock_link(&a, &p, "w3").await.unwrap();
    assert_eq!(store.get_link(&a, &p).await.unwrap().unwrap().lease_until, None);

    // Accounts never see each other's links.
    assert_eq!(store.get_link(&acct("other"), &p).await.unwrap(), None);
}

async fn settings_roundtrip(store: &dyn Store) {
    let a = acct("a1");
    assert_eq!(store.get_settings(&a).await.unwrap(), None);
    let s = Settings { single_task: true, assignee_user_ids: vec![5], ..Settings::default() };
    store.put_settings(&a, &s).await.unwrap();
    assert_eq!(store.get_settings(&a).await.unwrap(), Some(s));
}

/// 16 workers race for the same new conversation: exactly one wins.
async fn concurrent_link_lock(store: Arc<dyn Store>) {
    let a = acct("race");
    let p = Phone::parse("4915112345678").unwrap();
    let mut handles = Vec::new();
    for i in 0..16 {
        let (store, a, p) = (store.clone(), a.clone(), p.clone());
        handles
            .push(tokio::spawn(async move { store.lock_link(&a, &p, None, &format!("w{i}"), 500, 30).await.unwrap() }));
    }
    let mut winners = 0;
    for h in handles {
        if matches!(h.await.unwrap(), LinkLock::Acquired { .. }) {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

/// 16 deliveries of one message race for its lease: exactly one claims it.
async fn concurrent_message_claim(store: Arc<dyn Store>) {
    let a = acct("race");
    store.record_message(&a, &msg("dup"), 1).await.unwrap();
    let mut handles = Vec::new();
    for i in 0..16 {
        let (store, a) = (store.clone(), a.clone());
        handles
            .push(tokio::spawn(async move { store.claim_message(&a, "dup", &format!("w{i}"), 2, 30).await.unwrap() }));
    }
    let mut claimed = 0;
    for h in handles {
        if matches!(h.await.unwrap(), ClaimOutcome::Claimed { .. }) {
            claimed += 1;
        }
    }
    assert_eq!(claimed, 1);
}

async fn reply_loop_records(store: &dyn Store) {
    let a = acct("a1");
    let p = Phone::parse("79051234567").unwrap();
    assert_eq!(store.get_task_conversation(&a, 70).await.unwrap(), None);
    let conv = TaskConversation { phone: p.clone(), contact_id: 7 };
    store.put_task_conversation(&a, 70, &conv).await.unwrap();
    assert_eq!(store.get_task_conversation(&a, 70).await.unwrap(), Some(conv));
    assert_eq!(store.get_task_conversation(&acct("other"), 70).await.unwrap(), None);

    // Jobs: created on first claim, leased, released on failure, done once.
    assert_eq!(store.claim_job(&a, "OUT#1", "w1", 10, 30).await.unwrap(), ClaimOutcome::Claimed { attempt: 1 });
    assert!(matches!(store.claim_job(&a, "OUT#1", "w2", 11, 30).await.unwrap(), ClaimOutcome::Busy { .. }));
    store.release_job(&a, "OUT#1", "w1", "boom").await.unwrap();
    assert_eq!(store.claim_job(&a, "OUT#1", "w2", 12, 30).await.unwrap(), ClaimOutcome::Claimed { attempt: 2 });
    assert!(matches!(store.complete_job(&a, "OUT#1", "w1", "x").await, Err(StoreError::LeaseLost)));
    store.complete_job(&a, "OUT#1", "w2", "sent").await.unwrap();
    assert_eq!(store.claim_job(&a, "OUT#1", "w3", 13, 30).await.unwrap(), ClaimOutcome::Done);

    // Sent messages and delivery statuses that never go backwards.
    let rec = SentRecord { comment_id: 5, task_id: 70, author: Some("user:2".into()), excerpt: None };
    assert!(!store.advance_delivery_status(&a, "wamid.x", "sent", 1).await.unwrap(), "unknown message");
    store.put_sent(&a, "wamid.x", &rec).await.unwrap();
    assert_eq!(store.get_sent(&a, "wamid.x").await.unwrap(), Some(rec));
    assert!(store.advance_delivery_status(&a, "wamid.x", "read", 3).await.unwrap());
    assert!(!store.advance_delivery_status(&a, "wamid.x", "delivered", 2).await.unwrap(), "late delivered after read");
    assert!(store.advance_delivery_status(&a, "wamid.x", "failed", 4).await.unwrap());
    assert!(!store.advance_delivery_status(&a, "wamid.x", "failed", 4).await.unwrap());
}

/// The pacing clock: an idle clock gives "now"; busy, consecutive slots one interval apart;
/// 16 concurrent callers all get different slots.
async fn pacing_clock(store: Arc<dyn Store>) {
    let a = acct("pace");
    assert_eq!(store.reserve_slot(&a, "planfix", 10_000, 1_000).await.unwrap(), 10_000);
    assert_eq!(store.reserve_slot(&a, "planfix", 10_001, 1_000).await.unwrap(), 11_000);
    assert_eq!(store.reserve_slot(&a, "planfix", 10_002, 1_000).await.unwrap(), 12_000);
    // Idle again later: now.
    assert_eq!(store.reserve_slot(&a, "planfix", 50_000, 1_000).await.unwrap(), 50_000);
    let mut handles = Vec::new();
    for _ in 0..16 {
        let (store, a) = (store.clone(), a.clone());
        handles.push(tokio::spawn(async move { store.reserve_slot(&a, "planfix", 60_000, 100).await.unwrap() }));
    }
    let mut slots = Vec::new();
    for h in handles {
        slots.push(h.await.unwrap());
    }
    slots.sort_unstable();
    assert_eq!(slots, (0..16).map(|i| 60_000 + i * 100).collect::<Vec<_>>());
}

/// A conversation's inbox: send order (not insertion order), idempotent adds, per phone and
/// per account; dead letters listed and removed per account.
async fn inbox_and_dead_letters(store: &dyn Store) {
    let a = acct("inbox");
    let at = |id: &str, ts: i64, phone: &str| InboundMessage {
        timestamp: ts,
        from: Phone::parse(phone).unwrap(),
        ..msg(id)
    };
    let late = InboxEntry::new(at("late", 1_700_000_005, "79051234567"), 0);
    let early = InboxEntry::new(at("early", 1_700_000_001, "79051234567"), 0);
    let same_second_second = InboxEntry::new(at("b", 1_700_000_001, "79051234567"), 1);
    let other_phone = InboxEntry::new(at("x", 1_700_000_000, "79051234568"), 0);
    for e in [&late, &early, &same_second_second, &early, &other_phone] {
        store.add_to_inbox(&a, e).await.unwrap();
    }
    store.add_to_inbox(&acct("inbox-other"), &early).await.unwrap();
    let phone = Phone::parse("79051234567").unwrap();
    let ids = |entries: Vec<InboxEntry>| entries.into_iter().map(|e| e.message.id).collect::<Vec<_>>();
    assert_eq!(ids(store.inbox(&a, &phone, 10).await.unwrap()), ["early", "b", "late"]);
    assert_eq!(ids(store.inbox(&a, &phone, 2).await.unwrap()), ["early", "b"]);
    store.remove_from_inbox(&a, &phone, &early.order).await.unwrap();
    store.remove_from_inbox(&a, &phone, &early.order).await.unwrap();
    assert_eq!(ids(store.inbox(&a, &phone, 10).await.unwrap()), ["b", "late"]);
    assert_eq!(ids(store.inbox(&acct("inbox-other"), &phone, 10).await.unwrap()), ["early"]);

    let letter = |key: &str| DeadLetter {
        key: key.into(),
        work: Work::Conversation { account: a.clone(), phone: phone.clone(), message_id: key.into() },
        entry: Some(late.clone()),
        error: "planfix down".into(),
        attempts: 5,
        failed_at: 1_700_000_100,
    };
    assert!(store.list_dead_letters(&a).await.unwrap().is_empty());
    store.put_dead_letter(&a, &letter("k1")).await.unwrap();
    store.put_dead_letter(&a, &letter("k2")).await.unwrap();
    store.put_dead_letter(&acct("inbox-other"), &letter("k3")).await.unwrap();
    let listed = store.list_dead_letters(&a).await.unwrap();
    assert_eq!(listed, vec![letter("k1"), letter("k2")]);
    store.remove_dead_letter(&a, "k1").await.unwrap();
    assert_eq!(store.list_dead_letters(&a).await.unwrap(), vec![letter("k2")]);
}

/// The sweeper's query: the conversations holding an entry added before the cut-off, as the
/// first entry of each inbox in send order, the longest waiting first, at most `limit`, per
/// account; a drained inbox drops out.
async fn stale_inboxes(store: &dyn Store) {
    let a = acct("sweep");
    let at = |id: &str, ts: i64, phone: &str| InboundMessage {
        timestamp: ts,
        from: Phone::parse(phone).unwrap(),
        ..msg(id)
    };
    let (first, second) = ("79051234570", "79051234571");
    // `first` waits longest; its entries arrive out of send order.
    let first_late = InboxEntry::new(at("f-late", 1_700_000_009, first), 0);
    let first_early = InboxEntry::new(at("f-early", 1_700_000_001, first), 0);
    store.add_to_inbox(&a, &first_late).await.unwrap();
    store.add_to_inbox(&a, &first_early).await.unwrap();
    store.add_to_inbox(&acct("sweep-other"), &first_late).await.unwrap();
    // Added a whole second later (the stores keep when an entry came in seconds).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second_only = InboxEntry::new(at("s", 1_700_000_000, second), 0);
    store.add_to_inbox(&a, &second_only).await.unwrap();

    let ids = |entries: Vec<InboxEntry>| entries.into_iter().map(|e| e.message.id).collect::<Vec<_>>();
    let now = bridge_core::domain::unix_now();
    assert_eq!(ids(store.stale_inboxes(&a, now + 1, 10).await.unwrap()), ["f-early", "s"]);
    assert_eq!(ids(store.stale_inboxes(&a, now + 1, 1).await.unwrap()), ["f-early"], "the longest waiting first");
    assert!(store.stale_inboxes(&a, now - 60, 10).await.unwrap().is_empty(), "nothing waited a minute");
    assert_eq!(ids(store.stale_inboxes(&acct("sweep-other"), now + 1, 10).await.unwrap()), ["f-late"]);
    assert!(store.stale_inboxes(&acct("sweep-none"), now + 1, 10).await.unwrap().is_empty());

    store.remove_from_inbox(&a, &Phone::parse(second).unwrap(), &second_only.order).await.unwrap();
    store.remove_from_inbox(&a, &Phone::parse(first).unwrap(), &first_early.order).await.unwrap();
    assert_eq!(ids(store.stale_inboxes(&a, now + 1, 10).await.unwrap()), ["f-late"], "drained inboxes drop out");
    // Added again (a replay): it waits from then on.
    let before = bridge_core::domain::unix_now();
    store.add_to_inbox(&a, &first_late).await.unwrap();
    assert!(store.stale_inboxes(&a, before, 10).await.unwrap().is_empty(), "re-added: waiting from now");
}

/// References: a customer's message is found once commented (with its first words, kept after
/// the payload goes), a sent message by its record (with the words sent), anything else not.
async fn message_references(store: &dyn Store) {
    let a = acct("refs");
    let now = bridge_core::domain::unix_now();
    let long = "Hello there, I would like to order three boxes of the green tea you showed me yesterday";
    let mut m = msg("wamid.cust");
    m.content = MessageContent::Text { body: long.into() };
    store.record_message(&a, &m, now).await.unwrap();
    assert_eq!(store.message_reference(&a, "wamid.cust").await.unwrap(), None, "not commented yet");
    store.claim_message(&a, "wamid.cust", "w", now, 30).await.unwrap();
    store.complete_message(&a, "wamid.cust", "w", 70, 701).await.unwrap();
    assert_eq!(
        store.message_reference(&a, "wamid.cust").await.unwrap(),
        Some(MessageReference {
            task_id: 70,
            comment_id: 701,
            excerpt: Some("Hello there, I would like to order three boxes of the green…".into()),
            by: RefAuthor::Customer,
        })
    );
    // A message without words (a reaction) is still found, without an excerpt.
    let mut r = msg("wamid.react");
    r.content = MessageContent::Reaction { to_message_id: "wamid.cust".into(), emoji: "👍".into() };
    store.record_message(&a, &r, now).await.unwrap();
    store.claim_message(&a, "wamid.react", "w", now, 30).await.unwrap();
    store.complete_message(&a, "wamid.react", "w", 70, 702).await.unwrap();
    let found = store.message_reference(&a, "wamid.react").await.unwrap().unwrap();
    assert_eq!((found.comment_id, found.excerpt, found.by), (702, None, RefAuthor::Customer));

    let sent =
        SentRecord { comment_id: 801, task_id: 70, author: Some("user:2".into()), excerpt: Some("It ships".into()) };
    store.put_sent(&a, "wamid.sent", &sent).await.unwrap();
    assert_eq!(store.get_sent(&a, "wamid.sent").await.unwrap(), Some(sent));
    assert_eq!(
        store.message_reference(&a, "wamid.sent").await.unwrap(),
        Some(MessageReference {
            task_id: 70,
            comment_id: 801,
            excerpt: Some("It ships".into()),
            by: RefAuthor::Business
        })
    );
    assert_eq!(store.message_reference(&a, "wamid.unknown").await.unwrap(), None);
    assert_eq!(store.message_reference(&acct("other"), "wamid.sent").await.unwrap(), None, "per account");
}

/// Intake's one write: mark and entry together; a redelivery keeps the message's one entry
/// (never a second, never beside a done mark); the drain lease returns the link, is exclusive,
/// and a message finished under it is done, out of the inbox, and quotable.
async fn drain_lifecycle(store: &dyn Store) {
    let a = acct("drain");
    let phone = msg("d1").from;
    // Marks expire by the wall clock (as on AWS): record at the real time.
    let t = bridge_core::domain::unix_now();
    let first = InboxEntry::new(msg("d1"), 1);
    assert_eq!(store.record_inbound(&a, &first, t).await.unwrap(), RecordOutcome::New);
    // Redelivered (another arrival, so another order key): still one entry, the first one.
    let again = InboxEntry::new(msg("d1"), 2);
    assert_eq!(store.record_inbound(&a, &again, t + 1).await.unwrap(), RecordOutcome::Pending);
    let inbox = store.inbox(&a, &phone, 10).await.unwrap();
    assert_eq!(inbox.iter().map(|e| e.order.as_str()).collect::<Vec<_>>(), vec![first.order.as_str()]);
    // A failed try counted on the entry survives a redelivery.
    store.add_to_inbox(&a, &InboxEntry { attempts: 2, ..first.clone() }).await.unwrap();
    assert_eq!(store.record_inbound(&a, &again, t + 2).await.unwrap(), RecordOutcome::Pending);
    assert_eq!(store.inbox(&a, &phone, 10).await.unwrap()[0].attempts, 2);
    // Removed (dead-lettered), a redelivery puts it back under its first order.
    store.remove_from_inbox(&a, &phone, &first.order).await.unwrap();
    assert_eq!(store.record_inbound(&a, &again, t + 3).await.unwrap(), RecordOutcome::Pending);
    assert_eq!(store.inbox(&a, &phone, 10).await.unwrap()[0].order, first.order);

    // No link yet: the lease is taken all the same, and is exclusive until it expires.
    let now = 2_000;
    let started = store.begin_drain(&a, &phone, "w1", now, 30).await.unwrap();
    assert_eq!(
        started,
        DrainStart::Acquired { record: LinkRecord { link: None, lease_until: None }, interrupted: false }
    );
    assert_eq!(store.begin_drain(&a, &phone, "w2", now + 1, 30).await.unwrap(), DrainStart::Busy { until: now + 30 });
    let second = InboxEntry::new(msg("d2"), 3);
    store.record_inbound(&a, &second, t).await.unwrap();
    // Only the holder finishes; someone else's finish writes nothing.
    let lost = store.finish_message(&a, &first, "w2", Some((7, 70)), DrainNext::Release).await;
    assert!(matches!(lost, Err(StoreError::LeaseLost)), "{lost:?}");
    assert_eq!(store.inbox(&a, &phone, 10).await.unwrap().len(), 2);
    store.finish_message(&a, &first, "w1", Some((7, 70)), DrainNext::Extend { until: now + 60 }).await.unwrap();
    assert_eq!(store.inbox(&a, &phone, 10).await.unwrap(), vec![second.clone()]);
    assert_eq!(store.record_inbound(&a, &again, t).await.unwrap(), RecordOutcome::AlreadyDone);
    assert_eq!(store.inbox(&a, &phone, 10).await.unwrap().len(), 1, "no entry beside a done mark");
    let quoted = store.message_reference(&a, "d1").await.unwrap().expect("the finished message is quotable");
    assert_eq!((quoted.task_id, quoted.comment_id), (7, 70));
    // Extended: still busy past the first expiry; released with the last message.
    assert!(matches!(store.begin_drain(&a, &phone, "w2", now + 45, 30).await.unwrap(), DrainStart::Busy { .. }));
    store.finish_message(&a, &second, "w1", None, DrainNext::Release).await.unwrap();
    assert!(store.inbox(&a, &phone, 10).await.unwrap().is_empty());
    assert_eq!(store.record_inbound(&a, &second, t).await.unwrap(), RecordOutcome::AlreadyDone);

    // The link comes with the lease; a lease that expired without ending reads as interrupted.
    let link = ConversationLink { contact_id: 5, task_id: 9, task_count: 1, updated_at: 3, task_closed: false };
    store.lock_link(&a, &phone, None, "setup", now, 30).await.unwrap();
    store.commit_link(&a, &phone, "setup", &link).await.unwrap();
    let started = store.begin_drain(&a, &phone, "w3", now + 100, 30).await.unwrap();
    assert_eq!(
        started,
        DrainStart::Acquired { record: LinkRecord { link: Some(link.clone()), lease_until: None }, interrupted: false }
    );
    let taken_over = store.begin_drain(&a, &phone, "w4", now + 200, 30).await.unwrap();
    assert!(matches!(taken_over, DrainStart::Acquired { interrupted: true, .. }), "{taken_over:?}");
    // The old holder's end leaves the new holder's lease alone.
    store.end_drain(&a, &phone, "w3").await.unwrap();
    assert!(matches!(store.begin_drain(&a, &phone, "w5", now + 201, 30).await.unwrap(), DrainStart::Busy { .. }));
    store.end_drain(&a, &phone, "w4").await.unwrap();
    let clean = store.begin_drain(&a, &phone, "w5", now + 202, 30).await.unwrap();
    assert_eq!(
        clean,
        DrainStart::Acquired { record: LinkRecord { link: Some(link), lease_until: None }, interrupted: false }
    );
}

/// 16 workers race for one conversation's drain lease: exactly one gets it.
async fn concurrent_drains(store: Arc<dyn Store>) {
    let a = acct("race");
    let p = Phone::parse("4915112345670").unwrap();
    let mut handles = Vec::new();
    for i in 0..16 {
        let (store, a, p) = (store.clone(), a.clone(), p.clone());
        handles.push(tokio::spawn(async move { store.begin_drain(&a, &p, &format!("w{i}"), 500, 30).await.unwrap() }));
    }
    let mut winners = 0;
    for h in handles {
        if matches!(h.await.unwrap(), DrainStart::Acquired { .. }) {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

/// 16 deliveries of one new message at once: one inbox entry, one New.
async fn concurrent_intake(store: Arc<dyn Store>) {
    let a = acct("race");
    let mut handles = Vec::new();
    for i in 0..16 {
        let (store, a) = (store.clone(), a.clone());
        handles.push(tokio::spawn(async move {
            store.record_inbound(&a, &InboxEntry::new(msg("burst"), 100 + i), 600).await.unwrap()
        }));
    }
    let mut new = 0;
    for h in handles {
        if h.await.unwrap() == RecordOutcome::New {
            new += 1;
        }
    }
    assert_eq!(new, 1);
    assert_eq!(
        store.inbox(&a, &msg("burst").from, 50).await.unwrap().iter().filter(|e| e.message.id == "burst").count(),
        1
    );
}

/// `set_task_closed`: conditional on the link's task, leaving the rest of the link and any lease.
async fn task_closed_flag(store: &dyn Store) {
    let a = acct("closed");
    let p = Phone::parse("79057654321").unwrap();
    assert!(!store.set_task_closed(&a, &p, 70, true).await.unwrap(), "no link: nothing written");
    assert_eq!(store.get_link(&a, &p).await.unwrap().and_then(|r| r.link), None);
    let first = ConversationLink { contact_id: 7, task_id: 70, task_count: 1, updated_at: 5, task_closed: false };
    assert!(matches!(store.lock_link(&a, &p, None, "w", 100, 30).await.unwrap(), LinkLock::Acquired { .. }));
    store.commit_link(&a, &p, "w", &first).await.unwrap();

    assert!(store.set_task_closed(&a, &p, 70, true).await.unwrap());
    let closed = ConversationLink { task_closed: true, ..first.clone() };
    assert_eq!(
        store.get_link(&a, &p).await.unwrap(),
        Some(LinkRecord { link: Some(closed.clone()), lease_until: None })
    );
    assert!(!store.set_task_closed(&a, &p, 69, false).await.unwrap(), "another task: left alone");
    assert_eq!(store.get_link(&a, &p).await.unwrap().and_then(|r| r.link), Some(closed.clone()));
    // The drain reads the flag with the link.
    match store.begin_drain(&a, &p, "d", 200, 30).await.unwrap() {
        DrainStart::Acquired { record, .. } => assert_eq!(record.link, Some(closed.clone())),
        other => panic!("{other:?}"),
    }
    store.end_drain(&a, &p, "d").await.unwrap();

    // Under a link lease: the flag changes, the lease stays, and the rotation's link wins.
    assert!(matches!(store.lock_link(&a, &p, Some(70), "w2", 300, 30).await.unwrap(), LinkLock::Acquired { .. }));
    assert!(store.set_task_closed(&a, &p, 70, false).await.unwrap());
    let record = store.get_link(&a, &p).await.unwrap().unwrap();
    assert_eq!((record.link, record.lease_until), (Some(first.clone()), Some(330)));
    assert!(store.set_task_closed(&a, &p, 70, true).await.unwrap());
    let rotated = ConversationLink { contact_id: 7, task_id: 71, task_count: 2, updated_at: 301, task_closed: false };
    store.commit_link(&a, &p, "w2", &rotated).await.unwrap();
    assert_eq!(
        store.get_link(&a, &p).await.unwrap(),
        Some(LinkRecord { link: Some(rotated.clone()), lease_until: None })
    );
    assert!(!store.set_task_closed(&a, &p, 70, true).await.unwrap(), "the old task no longer counts");
    assert_eq!(store.get_link(&a, &p).await.unwrap().and_then(|r| r.link), Some(rotated));
}

/// A reaction note is found again by its key, replaced whole by the next put (the trail in
/// order, emoji and removals verbatim), and kept apart per account and per key.
async fn reaction_notes(store: &dyn Store) {
    let a = acct("a1");
    let key = "customer:wamid.X";
    assert_eq!(store.reaction_note(&a, key).await.unwrap(), None);
    let first = ReactionNote { task_id: 7, comment_id: 70, trail: vec!["👍".into()] };
    store.put_reaction_note(&a, key, &first).await.unwrap();
    assert_eq!(store.reaction_note(&a, key).await.unwrap(), Some(first));
    let changed =
        ReactionNote { task_id: 7, comment_id: 70, trail: vec!["👍".into(), "".into(), "👨‍👩‍👧".into()] };
    store.put_reaction_note(&a, key, &changed).await.unwrap();
    assert_eq!(store.reaction_note(&a, key).await.unwrap(), Some(changed));
    assert_eq!(store.reaction_note(&acct("a2"), key).await.unwrap(), None, "another account's note");
    assert_eq!(store.reaction_note(&a, "business_phone:wamid.X").await.unwrap(), None, "another writer's note");
}

async fn run_contract(store: Arc<dyn Store>) {
    reaction_notes(store.as_ref()).await;
    task_closed_flag(store.as_ref()).await;
    drain_lifecycle(store.as_ref()).await;
    concurrent_drains(store.clone()).await;
    concurrent_intake(store.clone()).await;
    message_references(store.as_ref()).await;
    stale_inboxes(store.as_ref()).await;
    inbox_and_dead_letters(store.as_ref()).await;
    pacing_clock(store.clone()).await;
    reply_loop_records(store.as_ref()).await;
    message_lifecycle(store.as_ref()).await;
    link_lifecycle(store.as_ref()).await;
    settings_roundtrip(store.as_ref()).await;
    concurrent_link_lock(store.clone()).await;
    concurrent_message_claim(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_store_honours_the_contract() {
    run_contract(Arc::new(fresh_dynamo_store().await)).await;
}

/// One item of the table, as stored.
async fn raw_item(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
    sk: &str,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk.into()))
        .key("sk", AttributeValue::S(sk.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.item.unwrap_or_else(|| panic!("no item {pk} / {sk}"))
}

fn number(item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, name: &str) -> i64 {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no {name}"))
}

/// The once-only marks (message and job items) and inbox entries outlive every redelivery
/// window (400 days; sent items 30); a done message keeps its mark without the payload; an
/// item past its TTL that DynamoDB has not deleted yet counts as absent, as in SQLite.
#[tokio::test]
async fn dynamodb_marks_last_400_days_and_expired_ones_count_as_absent() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let client = aws_sdk_dynamodb::Client::new(&e2e_tests::aws_config().await);
    let table = format!("bridge-test-{}", uuid::Uuid::new_v4());
    bridge_aws::DynamoStore::create_table(&client, &table).await.unwrap();
    let store = bridge_aws::DynamoStore::new(client.clone(), table.clone());
    let a = acct("ttl");
    let now = bridge_core::domain::unix_now();
    let day = 24 * 3600;
    store.record_message(&a, &msg("m"), now).await.unwrap();
    store.add_to_inbox(&a, &InboxEntry::new(msg("m"), 0)).await.unwrap();
    store.claim_job(&a, "OUT#1", "w", now, 30).await.unwrap();
    store
        .put_sent(&a, "wamid.out", &SentRecord { comment_id: 1, task_id: 2, author: None, excerpt: None })
        .await
        .unwrap();
    let message = raw_item(&client, &table, "ttl#MSG#m", "MSG").await;
    let job = raw_item(&client, &table, "ttl#JOB#OUT#1", "JOB").await;
    let inbox = raw_item(&client, &table, "ttl#INBOX#79051234567", &InboxEntry::new(msg("m"), 0).order).await;
    let sent = raw_item(&client, &table, "ttl#SENT#wamid.out", "SENT").await;
    for (what, item) in [("message", &message), ("job", &job), ("inbox entry", &inbox)] {
        let left = number(item, "expires_at") - now;
        assert!((399 * day..=400 * day + 5).contains(&left), "{what}: {left} s left, not 400 days");
    }
    let left = number(&sent, "expires_at") - now;
    assert!((29 * day..=30 * day + 5).contains(&left), "sent: {left} s left, not 30 days");
    assert!(message.contains_key("payload"));

    store.claim_message(&a, "m", "w", now, 30).await.unwrap();
    store.complete_message(&a, "m", "w", 7, 8).await.unwrap();
    let done = raw_item(&client, &table, "ttl#MSG#m", "MSG").await;
    assert!(!done.contains_key("payload"), "done: the payload goes, the mark stays");
    assert_eq!(number(&done, "comment_id"), 8);
    assert_eq!(store.record_message(&a, &msg("m"), now).await.unwrap(), RecordOutcome::AlreadyDone);
    store.complete_job(&a, "OUT#1", "w", "sent").await.unwrap();

    // Past their TTL, not deleted yet (moto, like DynamoDB for up to days, keeps them).
    for (pk, sk) in [("ttl#MSG#m", "MSG"), ("ttl#JOB#OUT#1", "JOB")] {
        client
            .update_item()
            .table_name(&table)
            .key("pk", AttributeValue::S(pk.into()))
            .key("sk", AttributeValue::S(sk.into()))
            .update_expression("SET expires_at = :past")
            .expression_attribute_values(":past", AttributeValue::N("1".into()))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(store.record_message(&a, &msg("m"), now).await.unwrap(), RecordOutcome::New);
    assert_eq!(store.claim_job(&a, "OUT#1", "w2", now, 30).await.unwrap(), ClaimOutcome::Claimed { attempt: 1 });
    let renewed = raw_item(&client, &table, "ttl#MSG#m", "MSG").await;
    assert!(number(&renewed, "expires_at") > now + 399 * day, "the new record lives 400 days again");
}

/// A database file in a temp dir of its own, removed when the test ends.
struct TempDb {
    dir: std::path::PathBuf,
}

impl TempDb {
    fn new() -> Self {
        Self { dir: std::env::temp_dir().join(format!("bridge-sqlite-{}", uuid::Uuid::new_v4())) }
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.join("bridge.db")
    }

    fn store(&self) -> SqliteStore {
        SqliteStore::new(SqliteDb::open(self.path()).expect("the database opens"))
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_honours_the_contract() {
    let db = TempDb::new();
    run_contract(Arc::new(db.store())).await;
}

#[tokio::test]
async fn sqlite_store_survives_a_restart() {
    let db = TempDb::new();
    let a = acct("a1");
    let p = Phone::parse("79051234567").unwrap();
    {
        let store = db.store();
        store.record_message(&a, &msg("m1"), 1).await.unwrap();
        store.lock_link(&a, &p, None, "w", 1, 30).await.unwrap();
        store
            .commit_link(
                &a,
                &p,
                "w",
                &ConversationLink { contact_id: 1, task_id: 2, task_count: 1, updated_at: 3, task_closed: false },
            )
            .await
            .unwrap();
        store.add_to_inbox(&a, &InboxEntry::new(msg("m1"), 0)).await.unwrap();
        assert_eq!(store.reserve_slot(&a, "planfix", 10_000, 1_000).await.unwrap(), 10_000);
    }
    let reopened = db.store();
    assert_eq!(reopened.record_message(&a, &msg("m1"), 1).await.unwrap(), RecordOutcome::Pending);
    assert_eq!(reopened.get_link(&a, &p).await.unwrap().unwrap().link.unwrap().task_id, 2);
    assert_eq!(reopened.waiting_conversations().await.unwrap(), vec![(a.clone(), p.clone())]);
    // The pacing clock is in the file too: a second process paces with the first.
    assert_eq!(reopened.reserve_slot(&a, "planfix", 10_001, 1_000).await.unwrap(), 11_000);
}

/// Two handles on one file, as the server and the admin CLI are two processes: their
/// conditional writes race through SQLite's lock, with the outcomes of one store.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_two_handles_on_one_file_agree() {
    let db = TempDb::new();
    let stores: [Arc<dyn Store>; 2] = [Arc::new(db.store()), Arc::new(db.store())];
    let a = acct("race");
    let p = Phone::parse("4915112345678").unwrap();
    stores[0].record_message(&a, &msg("dup"), 1).await.unwrap();
    assert_eq!(stores[1].record_message(&a, &msg("dup"), 1).await.unwrap(), RecordOutcome::Pending);
    let mut handles = Vec::new();
    for i in 0..16 {
        let (store, a, p) = (stores[i % 2].clone(), a.clone(), p.clone());
        handles.push(tokio::spawn(async move {
            let owner = format!("w{i}");
            let lock = store.lock_link(&a, &p, None, &owner, 500, 30).await.unwrap();
            let claim = store.claim_message(&a, "dup", &owner, 2, 30).await.unwrap();
            let slot = store.reserve_slot(&a, "planfix", 60_000, 100).await.unwrap();
            (matches!(lock, LinkLock::Acquired { .. }), matches!(claim, ClaimOutcome::Claimed { .. }), slot)
        }));
    }
    let (mut locks, mut claims, mut slots) = (0, 0, Vec::new());
    for h in handles {
        let (locked, claimed, slot) = h.await.unwrap();
        locks += usize::from(locked);
        claims += usize::from(claimed);
        slots.push(slot);
    }
    assert_eq!((locks, claims), (1, 1), "one link lease and one message claim across both handles");
    slots.sort_unstable();
    assert_eq!(slots, (0..16).map(|i| 60_000 + i * 100).collect::<Vec<_>>());
    // What one handle wrote, the other reads at once.
    let link = ConversationLink { contact_id: 7, task_id: 70, task_count: 1, updated_at: 9, task_closed: false };
    let holder = (0..16).map(|i| format!("w{i}"));
    let mut committed = false;
    for owner in holder {
        if stores[0].commit_link(&a, &p, &owner, &link).await.is_ok() {
            committed = true;
        }
    }
    assert!(committed, "the lease holder commits through either handle");
    assert_eq!(stores[1].get_link(&a, &p).await.unwrap().unwrap().link, Some(link));
}
