//! The SQLite store of the local run under load, measured on this machine with a baseline of
//! the same run (the machine may be shared and noisy: the ratios matter more than the numbers).
//!
//! For each `synchronous` setting (FULL, the default of [`SqliteDb::open`], and NORMAL):
//!
//! 1. **File size** — the store is pre-filled through its API with processed messages
//!    (recorded, claimed, completed) of many conversations; the file and its WAL are measured,
//!    then again after a `wal_checkpoint(TRUNCATE)` from a connection of our own.
//! 2. **Ack latency** — on a copy of that file, the real route table served over loopback HTTP
//!    takes concurrent signed Meta text webhooks while the worker runs against a Planfix
//!    simulator that answers every request late; baseline: the same requests to a route on the
//!    same server that answers 200 without touching the store.
//! 3. **Throughput** — on another copy, messages from the first POST until the worker has
//!    commented every one of them in Planfix (simulator without delay, no rate limit);
//!    baseline: intake alone (acknowledged webhooks per second, no worker), on a third copy.
//!    Once more with the Planfix pacing clock answered without a store write: the account's
//!    pacing (`StoreThrottle`, one store write per Planfix request, 1 ms slots at the least)
//!    stays in the path however high `requests_per_second` is, and this shows its share.
//!
//! The app is built with [`bridge_app::bootstrap::build_app`] over [`SqliteStore`] and the
//! SQLite queues, and the worker loop is driven here: receive → `worker::handle` → delete or
//! `retry_later`, as the local run's worker does.

mod counting;
mod machine;
mod report;
mod rig;
mod scenarios;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bridge_embedded::sqlite::{SqliteOptions, Synchronous};

pub use counting::Pacing;
pub use machine::{Machine, WriterCpu};
pub use report::markdown;
pub use scenarios::{AckReport, FlowReport, IntakeReport, Latencies, SizeReport};

/// What one run does (sizes of each scenario).
#[derive(Clone, Debug)]
pub struct Plan {
    /// Label printed in the header (`full`, `quick`).
    pub name: &'static str,
    /// Processed messages in the store before the measurements.
    pub prefill: usize,
    /// Conversations the pre-filled messages belong to.
    pub prefill_customers: usize,
    /// Ack latency: customers × messages each, all posted at once.
    pub ack_customers: usize,
    pub ack_per_customer: usize,
    /// Bursts measured (each with its baseline just before, distinct messages each time): the
    /// report shows the median round and the spread.
    pub ack_rounds: usize,
    /// How late the Planfix simulator answers during the ack measurement.
    pub ack_planfix_delay: Duration,
    /// Throughput: customers × messages each.
    pub flow_customers: usize,
    pub flow_per_customer: usize,
    /// Webhooks in flight at once during the throughput runs (the provider's concurrency).
    pub post_concurrency: usize,
    /// Work items the worker handles at once.
    pub worker_concurrency: usize,
    /// The settings measured, one row each.
    pub modes: Vec<Synchronous>,
}

impl Plan {
    /// The measurement: 100,000 messages stored, 200 concurrent acks, 5,000 messages through.
    pub fn full() -> Self {
        Self {
            name: "full",
            prefill: 100_000,
            prefill_customers: 1_000,
            ack_customers: 20,
            ack_per_customer: 10,
            ack_rounds: 5,
            ack_planfix_delay: Duration::from_secs(2),
            flow_customers: 100,
            flow_per_customer: 50,
            post_concurrency: 64,
            worker_concurrency: 100,
            modes: vec![Synchronous::Full, Synchronous::Normal],
        }
    }

    /// A smoke run of every code path (the test runs it in debug): the numbers mean little.
    pub fn quick() -> Self {
        Self {
            name: "quick",
            prefill: 10_000,
            prefill_customers: 100,
            ack_customers: 10,
            ack_per_customer: 5,
            ack_rounds: 2,
            ack_planfix_delay: Duration::from_secs(2),
            flow_customers: 10,
            flow_per_customer: 30,
            post_concurrency: 32,
            worker_concurrency: 20,
            modes: vec![Synchronous::Full, Synchronous::Normal],
        }
    }

    pub fn ack_messages(&self) -> usize {
        self.ack_customers * self.ack_per_customer
    }

    pub fn flow_messages(&self) -> usize {
        self.flow_customers * self.flow_per_customer
    }
}

/// Everything measured for one `synchronous` setting.
#[derive(Clone, Debug)]
pub struct ModeReport {
    pub mode: Synchronous,
    pub size: SizeReport,
    pub acks: AckReport,
    pub intake: IntakeReport,
    /// Pacing through the store, as in the local run.
    pub flow: FlowReport,
    /// The same with the Planfix pacing clock answered without a store write.
    pub flow_unpaced: FlowReport,
}

impl ModeReport {
    /// The sanity checks: every webhook acknowledged with a 200, every acknowledged message in
    /// the store, every message commented in Planfix exactly once, nothing dead-lettered.
    pub fn problems(&self) -> Vec<String> {
        let mode = mode_name(self.mode);
        let mut out = Vec::new();
        let mut check = |ok: bool, what: String| {
            if !ok {
                out.push(format!("{mode}: {what}"));
            }
        };
        let a = &self.acks;
        let total = a.total();
        check(a.acks_ok == total, format!("{} of {total} webhooks acknowledged with 200", a.acks_ok));
        check(a.baseline_ok == total, format!("{} of {total} baseline answers 200", a.baseline_ok));
        check(a.recorded == total, format!("{} of {total} acknowledged messages in the store", a.recorded));
        let i = &self.intake;
        check(i.acks_ok == i.messages, format!("intake: {} of {} webhooks acknowledged", i.acks_ok, i.messages));
        for (f, run) in [(&self.flow, "throughput"), (&self.flow_unpaced, "throughput, pacing bypassed")] {
            check(f.acks_ok == f.messages, format!("{run}: {} of {} webhooks acknowledged", f.acks_ok, f.messages));
            check(
                f.comments_found == f.messages,
                format!("{run}: {} of {} messages commented in Planfix", f.comments_found, f.messages),
            );
            check(f.duplicate_comments == 0, format!("{run}: {} duplicate comments", f.duplicate_comments));
            check(f.dead_lettered == 0, format!("{run}: {} dead letters", f.dead_lettered));
        }
        out
    }
}

pub fn mode_name(mode: Synchronous) -> &'static str {
    match mode {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    }
}

/// The options of [`bridge_embedded::SqliteDb::open_with`] for `mode`, the rest as the default.
pub fn options(mode: Synchronous) -> SqliteOptions {
    SqliteOptions { synchronous: mode, ..SqliteOptions::default() }
}

/// A folder of its own under the system's temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("store-bench-{label}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs every scenario for one setting in a fresh temp folder. Err: the rig could not start or
/// the store failed; what the scenarios got wrong is in [`ModeReport::problems`].
pub async fn run_mode(plan: &Plan, mode: Synchronous) -> Result<ModeReport, String> {
    let dir = TempDir::new(&mode_name(mode).to_ascii_lowercase()).map_err(|e| format!("temp dir: {e}"))?;
    let prefilled = dir.path().join("prefilled.db");
    let size = scenarios::prefill(plan, mode, &prefilled).await?;
    let copy = |name: &str| -> Result<PathBuf, String> {
        let to = dir.path().join(name);
        std::fs::copy(&prefilled, &to).map_err(|e| format!("copy of the pre-filled file: {e}"))?;
        Ok(to)
    };
    let acks = scenarios::ack_latency(plan, mode, &copy("acks.db")?).await?;
    let intake = scenarios::intake_only(plan, mode, &copy("intake.db")?).await?;
    let flow = scenarios::throughput(plan, mode, &copy("flow.db")?, Pacing::Store).await?;
    let flow_unpaced = scenarios::throughput(plan, mode, &copy("flow-unpaced.db")?, Pacing::Bypassed).await?;
    Ok(ModeReport { mode, size, acks, intake, flow, flow_unpaced })
}

/// Every setting of the plan, in order.
pub async fn run(plan: &Plan) -> Result<Vec<ModeReport>, String> {
    let mut reports = Vec::new();
    for &mode in &plan.modes {
        reports.push(run_mode(plan, mode).await?);
    }
    Ok(reports)
}
