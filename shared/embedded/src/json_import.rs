//! A one-time import of the JSON file store of earlier versions (`.bridge-data/store.json`) into
//! the store that replaced it, through the [`Store`] port alone — so it knows the old file's
//! format and nothing of the new store's tables.
//!
//! What is carried over, and how:
//! * conversation links (phone → contact and task) and task → conversation records: without
//!   them a returning customer would get a new task and an employee's reply would reach no one;
//! * messages already commented (so a provider's redelivery stays a duplicate), messages still
//!   waiting (recorded, and back in their conversation's inbox, attempts spent forgotten);
//! * do-once jobs already done (a relayed file is not relayed twice), sent messages with their
//!   delivery status, dead letters, settings.
//!
//! What is not: leases (their holders died with the old process), unfinished jobs (their queue
//! items were in memory; the worker or the provider starts them again), the pacing clocks.
//!
//! Every step is an idempotent write, so an import interrupted half-way can simply run again.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use bridge_core::config::Settings;
use bridge_core::domain::{unix_now, AccountId, InboundMessage, Phone};
use bridge_core::ports::store::*;

/// The owner name the import's leases are taken under (released at once).
const OWNER: &str = "json-import";
/// The import's leases: short, so a run interrupted while holding one does not block the next.
const LEASE_SECS: i64 = 1;

/// The old file's top level (field names as `JsonFileStore` wrote them).
#[derive(Default, Deserialize)]
struct State {
    #[serde(default)]
    messages: BTreeMap<String, MessageRecord>,
    #[serde(default)]
    links: BTreeMap<String, LinkItem>,
    #[serde(default)]
    settings: BTreeMap<String, Settings>,
    #[serde(default)]
    tasks: BTreeMap<String, TaskConversation>,
    #[serde(default)]
    jobs: BTreeMap<String, JobRecord>,
    #[serde(default)]
    sent: BTreeMap<String, SentItem>,
    /// `{account}#{digits}` → order → entry.
    #[serde(default)]
    inbox: BTreeMap<String, BTreeMap<String, InboxEntry>>,
    /// account → work key → letter.
    #[serde(default)]
    dead: BTreeMap<String, BTreeMap<String, DeadLetter>>,
}

#[derive(Deserialize)]
struct MessageRecord {
    message: InboundMessage,
    #[serde(default)]
    done: bool,
    task_id: Option<i64>,
    comment_id: Option<i64>,
}

#[derive(Deserialize)]
struct LinkItem {
    link: Option<ConversationLink>,
}

#[derive(Deserialize)]
struct JobRecord {
    #[serde(default)]
    done: bool,
    outcome: Option<String>,
}

#[derive(Deserialize)]
struct SentItem {
    record: SentRecord,
    status: Option<String>,
    #[serde(default)]
    rank: u8,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: String },
    #[error("{path} is not a JSON file store of an earlier version: {error}")]
    Format { path: String, error: String },
    #[error("{what} could not be imported: {error}")]
    Store { what: String, error: StoreError },
}

/// What an import carried over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub links: usize,
    pub tasks: usize,
    /// Messages already commented.
    pub messages_done: usize,
    /// Messages back in their conversation's inbox.
    pub messages_waiting: usize,
    pub jobs_done: usize,
    pub sent: usize,
    pub dead_letters: usize,
    pub settings: usize,
    /// Records skipped because their key did not parse (an account or phone the old store
    /// should never have held).
    pub skipped: usize,
    /// The conversations with waiting messages: they need a poke on the work queue.
    pub waiting: Vec<(AccountId, Phone)>,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} link(s), {} task record(s), {} message(s) done and {} waiting in {} conversation(s), {} job(s) done, \
             {} sent message(s), {} dead letter(s), {} account setting(s)",
            self.links,
            self.tasks,
            self.messages_done,
            self.messages_waiting,
            self.waiting.len(),
            self.jobs_done,
            self.sent,
            self.dead_letters,
            self.settings
        )?;
        if self.skipped > 0 {
            write!(f, "; {} unreadable record(s) skipped", self.skipped)?;
        }
        Ok(())
    }
}

/// `{account}#{rest}` (the old file's keys; account ids hold no `#`).
fn split_key(key: &str) -> Option<(AccountId, &str)> {
    let (account, rest) = key.split_once('#')?;
    Some((AccountId::parse(account).ok()?, rest))
}

fn step<T>(what: impl FnOnce() -> String, result: Result<T, StoreError>) -> Result<T, ImportError> {
    result.map_err(|error| ImportError::Store { what: what(), error })
}

/// Reads the JSON file store at `path` and writes what it holds into `store` (see the module
/// documentation). The file itself is left as it is.
pub async fn import_json_store(path: &Path, store: &dyn Store) -> Result<ImportReport, ImportError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImportError::Read { path: shown.clone(), error: e.to_string() })?;
    let state: State =
        serde_json::from_slice(&bytes).map_err(|e| ImportError::Format { path: shown, error: e.to_string() })?;
    let mut report = ImportReport::default();
    let now = unix_now();

    for (account, settings) in &state.settings {
        let Ok(account) = AccountId::parse(account) else {
            report.skipped += 1;
            continue;
        };
        step(|| format!("settings of {account}"), store.put_settings(&account, settings).await)?;
        report.settings += 1;
    }

    for (key, item) in &state.links {
        let Some(link) = &item.link else { continue };
        let Some((account, digits)) = split_key(key) else {
            report.skipped += 1;
            continue;
        };
        let Ok(phone) = Phone::parse(digits) else {
            report.skipped += 1;
            continue;
        };
        let what = || format!("the link of {account} {phone}");
        match step(what, store.lock_link(&account, &phone, None, OWNER, now, LEASE_SECS).await)? {
            LinkLock::Acquired { .. } => step(what, store.commit_link(&account, &phone, OWNER, link).await)?,
            // Already there (an earlier, interrupted import): keep what is stored.
            LinkLock::Contended(_) => {}
        }
        report.links += 1;
    }

    for (key, conversation) in &state.tasks {
        let Some((account, task)) = split_key(key) else {
            report.skipped += 1;
            continue;
        };
        let Ok(task) = task.parse::<i64>() else {
            report.skipped += 1;
            continue;
        };
        step(|| format!("task {task} of {account}"), store.put_task_conversation(&account, task, conversation).await)?;
        report.tasks += 1;
    }

    for (key, record) in &state.messages {
        let Some((account, _)) = split_key(key) else {
            report.skipped += 1;
            continue;
        };
        let id = &record.message.id;
        let what = || format!("message {id} of {account}");
        let received = step(what, store.record_message(&account, &record.message, now).await)?;
        if !record.done {
            // Waiting: its inbox entry (below) gets it commented.
            continue;
        }
        if received != RecordOutcome::AlreadyDone {
            if let ClaimOutcome::Claimed { .. } =
                step(what, store.claim_message(&account, id, OWNER, now, LEASE_SECS).await)?
            {
                let (task, comment) = (record.task_id.unwrap_or_default(), record.comment_id.unwrap_or_default());
                step(what, store.complete_message(&account, id, OWNER, task, comment).await)?;
            }
        }
        report.messages_done += 1;
    }

    for (key, entries) in &state.inbox {
        let Some((account, digits)) = split_key(key) else {
            report.skipped += entries.len();
            continue;
        };
        let Ok(phone) = Phone::parse(digits) else {
            report.skipped += entries.len();
            continue;
        };
        for entry in entries.values() {
            let what = || format!("a waiting message of {account} {phone}");
            // Recorded too (the messages map of a very old file may lack it).
            step(what, store.record_message(&account, &entry.message, now).await)?;
            step(what, store.add_to_inbox(&account, entry).await)?;
            report.messages_waiting += 1;
        }
        if !entries.is_empty() {
            report.waiting.push((account, phone));
        }
    }

    for (key, job) in &state.jobs {
        if !job.done {
            continue;
        }
        let Some((account, name)) = split_key(key) else {
            report.skipped += 1;
            continue;
        };
        let what = || format!("job {name} of {account}");
        if let ClaimOutcome::Claimed { .. } = step(what, store.claim_job(&account, name, OWNER, now, LEASE_SECS).await)?
        {
            let outcome = job.outcome.as_deref().unwrap_or("done");
            step(what, store.complete_job(&account, name, OWNER, outcome).await)?;
        }
        report.jobs_done += 1;
    }

    for (key, item) in &state.sent {
        let Some((account, id)) = split_key(key) else {
            report.skipped += 1;
            continue;
        };
        let what = || format!("sent message {id} of {account}");
        step(what, store.put_sent(&account, id, &item.record).await)?;
        if let Some(status) = &item.status {
            step(what, store.advance_delivery_status(&account, id, status, item.rank).await)?;
        }
        report.sent += 1;
    }

    for (account, letters) in &state.dead {
        let Ok(account) = AccountId::parse(account) else {
            report.skipped += letters.len();
            continue;
        };
        for letter in letters.values() {
            step(|| format!("dead letter {}", letter.key), store.put_dead_letter(&account, letter).await)?;
            report.dead_letters += 1;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::{SqliteDb, SqliteStore};
    use bridge_core::domain::Work;

    /// Written by the JSON file store itself (before it was removed): one commented message
    /// with its link and task, two messages waiting (one under a dead worker's lease), a done and
    /// an unfinished job, two sent messages (one delivered), a dead reply, settings.
    const FIXTURE: &str = include_str!("testdata/store-json-v1.json");

    fn temp_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("bridge-import-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn everything_the_old_file_held_is_in_the_new_store() {
        let dir = temp_dir();
        let json = dir.join("store.json");
        std::fs::write(&json, FIXTURE).unwrap();
        let store = SqliteStore::new(SqliteDb::open(dir.join("bridge.db")).unwrap());
        let acme = AccountId::parse("acme").unwrap();
        let (known, waiting) = (Phone::parse("79051234567").unwrap(), Phone::parse("4915112345678").unwrap());

        let report = import_json_store(&json, &store).await.unwrap();
        let expected = ImportReport {
            links: 1,
            tasks: 1,
            messages_done: 1,
            messages_waiting: 2,
            jobs_done: 1,
            sent: 2,
            dead_letters: 1,
            settings: 1,
            skipped: 0,
            waiting: vec![(acme.clone(), waiting.clone())],
        };
        assert_eq!(report, expected);

        let link = store.get_link(&acme, &known).await.unwrap().unwrap();
        assert_eq!(link.link.map(|l| (l.contact_id, l.task_id, l.task_count)), Some((42, 815, 1)));
        assert_eq!(link.lease_until, None, "no lease left behind");
        let task = store.get_task_conversation(&acme, 815).await.unwrap().unwrap();
        assert_eq!((task.phone, task.contact_id), (known.clone(), 42));
        let done = InboundMessage { id: "wamid.done1".into(), ..store_message(&known) };
        assert_eq!(store.record_message(&acme, &done, 1).await.unwrap(), RecordOutcome::AlreadyDone);
        let inbox: Vec<String> =
            store.inbox(&acme, &waiting, 10).await.unwrap().into_iter().map(|e| e.message.id).collect();
        assert_eq!(inbox, ["wamid.wait1", "wamid.wait2"], "in send order");
        // The dead worker's lease did not come along: the message can be claimed at once.
        let claim = store.claim_message(&acme, "wamid.wait1", "w", unix_now(), 30).await.unwrap();
        assert_eq!(claim, ClaimOutcome::Claimed { attempt: 1 });
        assert_eq!(store.claim_job(&acme, "file#815#4711", "w", unix_now(), 30).await.unwrap(), ClaimOutcome::Done);
        let unfinished = store.claim_job(&acme, "file#815#4712", "w", unix_now(), 30).await.unwrap();
        assert!(matches!(unfinished, ClaimOutcome::Claimed { .. }), "{unfinished:?}");
        assert_eq!(store.get_sent(&acme, "wamid.out1").await.unwrap().unwrap().author.as_deref(), Some("user:5"));
        assert_eq!(store.delivery_status(&acme, "wamid.out1").await.unwrap().as_deref(), Some("delivered"));
        assert_eq!(store.delivery_status(&acme, "wamid.out2").await.unwrap(), None);
        let letters = store.list_dead_letters(&acme).await.unwrap();
        assert_eq!(letters.len(), 1);
        assert_eq!(letters[0].work, Work::Reply { account: acme.clone(), task_id: Some(815), comment_id: 5002 });
        assert!(store.get_settings(&acme).await.unwrap().unwrap().single_task);

        // Interrupted and run again: the same result, nothing doubled.
        assert_eq!(import_json_store(&json, &store).await.unwrap(), expected);
        assert_eq!(store.inbox(&acme, &waiting, 10).await.unwrap().len(), 2);
        assert_eq!(store.list_dead_letters(&acme).await.unwrap().len(), 1);
        std::fs::remove_dir_all(dir).ok();
    }

    fn store_message(from: &Phone) -> InboundMessage {
        InboundMessage {
            id: String::new(),
            from: from.clone(),
            profile_name: None,
            timestamp: 1_700_000_000,
            content: bridge_core::domain::MessageContent::Text { body: String::new() },
            origin: Default::default(),
            reply_to: None,
        }
    }

    #[tokio::test]
    async fn a_file_that_is_no_json_store_is_refused() {
        let dir = temp_dir();
        let json = dir.join("store.json");
        std::fs::write(&json, "[1, 2, 3]").unwrap();
        let store = SqliteStore::new(SqliteDb::open(dir.join("bridge.db")).unwrap());
        let err = import_json_store(&json, &store).await.unwrap_err();
        assert!(matches!(err, ImportError::Format { .. }), "{err}");
        let missing = import_json_store(&dir.join("nope.json"), &store).await.unwrap_err();
        assert!(matches!(missing, ImportError::Read { .. }), "{missing}");
        std::fs::remove_dir_all(dir).ok();
    }
}
