//! A local run's queue dead letters, in its SQLite database: file jobs the relay could not do in
//! its receives, and work items received too often without the worker recording an outcome (the
//! local stand-ins of the two SQS dead-letter queues). Listed with ids and counts only, and put
//! back at the end of their queue (and FIFO group) with a fresh receive count; a running
//! `bridge-local serve` picks them up within its long poll.

use bridge_app::local::LocalDatabase;
use bridge_embedded::sqlite::{DeadItem, QueueItem, SqliteQueue};

use super::{body_summary, QueueKind};
use crate::{utc, Result};

fn what(kind: QueueKind) -> &'static str {
    match kind {
        QueueKind::Files => "file job(s)",
        QueueKind::Work => "work item(s)",
    }
}

async fn dead(db: &LocalDatabase, kind: QueueKind) -> Result<Vec<DeadItem>> {
    match kind {
        QueueKind::Files => db.file_jobs.dead_letters().await,
        QueueKind::Work => db.work.dead_letters().await,
    }
    .map_err(|e| e.to_string())
}

/// `id  <item>  receives=N  failed=<time>  reason: <why>`.
fn line(item: &DeadItem, kind: QueueKind) -> String {
    format!(
        "{}  {}  receives={}  failed={}  reason: {}",
        item.id,
        body_summary(&item.body, kind),
        item.receive_count,
        utc(item.failed_at_ms / 1000),
        item.reason
    )
}

pub async fn list(db: &LocalDatabase, kind: QueueKind, max: usize) -> Result<String> {
    let items = dead(db, kind).await?;
    let place = db.db.path().display();
    let mut out = format!(
        "{} {} in the dead letters of {place}{}\n",
        items.len(),
        what(kind),
        if items.len() > max { format!(" ({max} shown; raise --max)") } else { String::new() }
    );
    for item in items.iter().take(max) {
        out.push_str(&line(item, kind));
        out.push('\n');
    }
    Ok(out)
}

async fn replay_in<T: QueueItem>(queue: &SqliteQueue<T>, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    let mut moved = Vec::new();
    for &id in ids {
        match queue.replay_dead(id).await {
            Ok(Some(new_id)) => moved.push((id, new_id)),
            Ok(None) => {}
            Err(e) => return Err(format!("dead letter {id}: not replayed: {e} ({} replayed before)", moved.len())),
        }
    }
    Ok(moved)
}

pub async fn replay(db: &LocalDatabase, kind: QueueKind, only: Option<&str>) -> Result<String> {
    let items = dead(db, kind).await?;
    let ids: Vec<i64> = match only {
        Some(raw) => {
            let id: i64 =
                raw.parse().map_err(|_| format!("--id {raw}: a local run's dead letters have numeric ids"))?;
            if !items.iter().any(|i| i.id == id) {
                return Err(format!("no dead letter with id {id} in {}", db.db.path().display()));
            }
            vec![id]
        }
        None => items.iter().map(|i| i.id).collect(),
    };
    let moved = match kind {
        QueueKind::Files => replay_in(&db.file_jobs, &ids).await?,
        QueueKind::Work => replay_in(&db.work, &ids).await?,
    };
    let mut out = format!(
        "moved {} {} from the dead letters back to the queue in {}",
        moved.len(),
        what(kind),
        db.db.path().display()
    );
    for (old, new) in moved {
        out.push_str(&format!("\n{old}: queued again as {new}"));
    }
    Ok(out)
}
