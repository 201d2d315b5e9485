//! CloudWatch metrics as Embedded Metric Format log lines: no API call, no extra latency, one
//! stdout line that CloudWatch turns into metrics (namespace `PlanfixBridge`, dimension
//! `Account`). Enabled with `BRIDGE_EMF=1` (template.yaml sets it), silent elsewhere.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

pub const NAMESPACE: &str = "PlanfixBridge";

/// Counters the bridge reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

pub fn count(account: &str, metric: Metric, value: f64) {
    if !enabled() || value == 0.0 {
        return;
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    println!("{}", render(account, &[(metric, value)], now));
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
}
