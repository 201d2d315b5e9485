//! CloudWatch metrics as Embedded Metric Format log lines: no API call, no extra latency, one
//! stdout line that CloudWatch turns into metrics (namespace `PlanfixBridge`, dimension
//! `Account`). Enabled with `BRIDGE_EMF=1` (template.yaml sets it), silent elsewhere.
//!
//! Counts are summed in memory and printed by [`flush`] at the end of each invocation (the
//! entry points call it): one line per account carrying every metric, instead of one line per
//! count. Log ingestion is billed per byte and each line repeats the whole directive, so a
//! known text's 3 lines (609 bytes) become one.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{json, Map, Value};

pub const NAMESPACE: &str = "PlanfixBridge";

/// Counters the bridge reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    MessagesIn,
    Duplicates,
    StatusesIn,
    RepliesSent,
    RepliesNotDelivered,
    FilesIn,
    FilesOut,
    FilesNotTransferred,
    PlanfixCalls,
    RateLimitWaits,
    Failures,
    DeadLetters,
    /// A lease could not be given back after a failure (it expires instead).
    LeaseReleaseFailures,
    /// Conversations the sweeper queued again: their messages waited too long (work lost).
    SweptInboxes,
    /// An account whose configuration is broken, counted at every load and refresh of the
    /// accounts while it stays broken (it is not served meanwhile).
    BrokenAccounts,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::MessagesIn => "MessagesIn",
            Metric::Duplicates => "Duplicates",
            Metric::StatusesIn => "StatusesIn",
            Metric::RepliesSent => "RepliesSent",
            Metric::RepliesNotDelivered => "RepliesNotDelivered",
            Metric::FilesIn => "FilesIn",
            Metric::FilesOut => "FilesOut",
            Metric::FilesNotTransferred => "FilesNotTransferred",
            Metric::PlanfixCalls => "PlanfixCalls",
            Metric::DeadLetters => "DeadLetters",
            Metric::RateLimitWaits => "RateLimitWaits",
            Metric::Failures => "Failures",
            Metric::LeaseReleaseFailures => "LeaseReleaseFailures",
            Metric::SweptInboxes => "SweptInboxes",
            Metric::BrokenAccounts => "BrokenAccounts",
        }
    }
}

fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("BRIDGE_EMF").is_ok_and(|v| v == "1" || v == "true"))
}

/// One EMF document (see AWS's "Embedded metric format specification").
pub fn render(account: &str, values: &[(Metric, f64)], timestamp_ms: u128) -> String {
    let metrics: Vec<Value> = values.iter().map(|(m, _)| json!({ "Name": m.name(), "Unit": "Count" })).collect();
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms as u64,
            "CloudWatchMetrics": [ { "Namespace": NAMESPACE, "Dimensions": [["Account"]], "Metrics": metrics } ]
        }),
    );
    doc.insert("Account".into(), Value::from(account));
    for (m, v) in values {
        doc.insert(m.name().into(), json!(v));
    }
    Value::Object(doc).to_string()
}

/// Counts not yet printed: account → metric → sum. A BTreeMap keeps the lines' order stable.
type Pending = BTreeMap<String, BTreeMap<Metric, f64>>;

fn pending() -> &'static Mutex<Pending> {
    static PENDING: OnceLock<Mutex<Pending>> = OnceLock::new();
    PENDING.get_or_init(|| Mutex::new(BTreeMap::new()))
}

/// Adds to a metric of an account; printed at the next [`flush`].
pub fn count(account: &str, metric: Metric, value: f64) {
    if !enabled() || value == 0.0 {
        return;
    }
    add(&mut pending().lock().unwrap_or_else(|p| p.into_inner()), account, metric, value);
}

fn add(pending: &mut Pending, account: &str, metric: Metric, value: f64) {
    *pending.entry(account.to_owned()).or_default().entry(metric).or_insert(0.0) += value;
}

/// Prints what was counted since the last flush, one EMF line per account. Called at the end
/// of every invocation (HTTP request, worker batch, file-relay batch), before Lambda may freeze
/// the process; a count made after it (a task still running) goes out with the next one.
pub fn flush() {
    if !enabled() {
        return;
    }
    let taken = std::mem::take(&mut *pending().lock().unwrap_or_else(|p| p.into_inner()));
    if taken.is_empty() {
        return;
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    for line in render_pending(&taken, now) {
        println!("{line}");
    }
}

fn render_pending(pending: &Pending, timestamp_ms: u128) -> Vec<String> {
    pending
        .iter()
        .map(|(account, metrics)| {
            let values: Vec<(Metric, f64)> = metrics.iter().map(|(m, v)| (*m, *v)).collect();
            render(account, &values, timestamp_ms)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_valid_emf_document() {
        let line = render("acme", &[(Metric::MessagesIn, 2.0), (Metric::PlanfixCalls, 3.0)], 1_700_000_000_000);
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000u64);
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["Account"]]));
        assert_eq!(directive["Metrics"][1], json!({ "Name": "PlanfixCalls", "Unit": "Count" }));
        // Every dimension and metric named in the directive is a top-level member.
        assert_eq!(v["Account"], "acme");
        assert_eq!(v["MessagesIn"], 2.0);
        assert_eq!(v["PlanfixCalls"], 3.0);
        assert!(!line.contains('\n'));
    }

    #[test]
    fn counts_are_summed_into_one_line_per_account() {
        let mut pending = Pending::new();
        add(&mut pending, "acme", Metric::PlanfixCalls, 1.0);
        add(&mut pending, "acme", Metric::MessagesIn, 1.0);
        add(&mut pending, "acme", Metric::PlanfixCalls, 1.0);
        add(&mut pending, "other", Metric::Failures, 1.0);
        let lines = render_pending(&pending, 1_700_000_000_000);
        assert_eq!(lines.len(), 2);
        let acme: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(acme["Account"], "acme");
        assert_eq!(acme["PlanfixCalls"], 2.0);
        assert_eq!(acme["MessagesIn"], 1.0);
        assert!(acme.get("Failures").is_none(), "another account's count leaked: {acme}");
        let names: Vec<&str> = acme["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["MessagesIn", "PlanfixCalls"]);
        let other: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!((other["Account"].as_str(), other["Failures"].as_f64()), (Some("other"), Some(1.0)));
    }
}
