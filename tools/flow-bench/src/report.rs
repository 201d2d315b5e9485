//! The results as a Markdown table (for people and `scripts/bench.sh`) or JSON (for scripts).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::proxy::{ITEMS_SERVICE, PACING_SUFFIX};
use crate::MARKER;
use crate::{harness_sqs_operation, FlowResult, Options};

/// DynamoDB requests on the Planfix pacing clock.
fn pacing_requests(r: &FlowResult) -> u64 {
    r.aws.operations("dynamodb").iter().filter(|(op, _)| op.ends_with(PACING_SUFFIX)).map(|(_, n)| n).sum()
}

fn unit(r: &FlowResult) -> &'static str {
    match r.flow {
        crate::Flow::Reply => "reply",
        crate::Flow::Status => "callback",
        _ => "message",
    }
}

fn ops(r: &FlowResult, service: &str) -> Map<String, Value> {
    r.aws.operations(service).into_iter().map(|(op, n)| (op, json!(r.per_unit(n)))).collect()
}

fn sqs_split(r: &FlowResult) -> (u64, u64) {
    let ops = r.aws.operations("sqs");
    let harness = ops.iter().filter(|(op, _)| harness_sqs_operation(op)).map(|(_, n)| n).sum();
    let bridge = ops.iter().filter(|(op, _)| !harness_sqs_operation(op)).map(|(_, n)| n).sum();
    (bridge, harness)
}

pub fn json(opts: &Options, results: &[FlowResult], probe_installed: bool) -> Value {
    let flows: Vec<Value> = results
        .iter()
        .map(|r| {
            let (bridge, harness) = sqs_split(r);
            let ms = |d: std::time::Duration| r.per_unit(d.as_micros() as u64) / 1000.0;
            json!({
                "flow": r.flow.key(),
                "name": r.flow.name(),
                "unit": unit(r),
                "units": r.units,
                "per_unit": {
                    "planfix": r.per_unit(r.planfix as u64),
                    "provider": r.per_unit(r.provider as u64),
                    "dynamodb": {
                        "total": r.per_unit(r.aws.service_total("dynamodb")),
                        "pacing": r.per_unit(pacing_requests(r)),
                        "operations": ops(r, "dynamodb"),
                    },
                    "sqs": {
                        "bridge": r.per_unit(bridge),
                        "harness": r.per_unit(harness),
                        "operations": ops(r, "sqs"),
                    },
                    "s3": { "total": r.per_unit(r.aws.service_total("s3")), "operations": ops(r, "s3") },
                    "dynamodb_transaction_items": ops(r, ITEMS_SERVICE),
                    "webhook_phase": {
                        "dynamodb": r.per_unit(r.webhook_aws.service_total("dynamodb")),
                        "sqs": r.per_unit(r.webhook_aws.service_total("sqs")),
                        "s3": r.per_unit(r.webhook_aws.service_total("s3")),
                        "dynamodb_operations": r.webhook_aws.operations("dynamodb").into_iter()
                            .map(|(op, c)| (op, json!(r.per_unit(c)))).collect::<Map<String, Value>>(),
                    },
                    "other_aws": r.per_unit(r.aws.service_total("other") + r.aws.service_total("ssm")),
                    "pacing_sleep_ms": r.per_unit(r.probe.pacing_ms),
                    "pacing_waits": r.per_unit(r.probe.pacing_waits),
                    "log_lines": r.per_unit(r.probe.log_lines),
                    "log_bytes": r.per_unit(r.probe.log_bytes),
                    "webhook_ms": ms(r.webhook),
                    "worker_ms": ms(r.worker),
                },
            })
        })
        .collect();
    json!({
        "provider": format!("{:?}", opts.provider),
        "messages_per_flow": opts.messages,
        "planfix_requests_per_second": opts.planfix_rps,
        "log_probe": probe_installed,
        "flows": flows,
    })
}

/// A count per unit: whole numbers plain, fractions to two places.
fn n(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{}", value.round() as i64)
    } else {
        format!("{value:.2}")
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn list(ops: &Value) -> String {
    let Some(ops) = ops.as_object().filter(|o| !o.is_empty()) else { return "–".to_owned() };
    ops.iter().map(|(op, c)| format!("{op} {}", n(num(c)))).collect::<Vec<_>>().join(", ")
}

/// Adds what the bridge printed as CloudWatch metric lines (EMF, `BRIDGE_EMF=1`) during each
/// flow's measured run, read from the stdout of a run with [`crate::Options::markers`] on.
pub fn attach_emf(report: &mut Value, stdout: &str) {
    let mut per_flow: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in stdout.lines() {
        if let Some(mark) = line.strip_prefix(MARKER) {
            current = mark.strip_prefix("begin:").map(str::to_owned);
            continue;
        }
        if let (Some(flow), true) =
            (&current, line.starts_with('{') && line.contains("\"_aws\":{\"CloudWatchMetrics\""))
        {
            let entry = per_flow.entry(flow.clone()).or_default();
            entry.0 += 1;
            entry.1 += line.len() as u64 + 1;
        }
    }
    let Some(flows) = report.get_mut("flows").and_then(Value::as_array_mut) else { return };
    for flow in flows {
        let key = flow["flow"].as_str().unwrap_or_default().to_owned();
        let units = flow["units"].as_f64().unwrap_or(1.0).max(1.0);
        let (lines, bytes) = per_flow.get(&key).copied().unwrap_or_default();
        if let Some(per) = flow.get_mut("per_unit").and_then(Value::as_object_mut) {
            per.insert("emf_lines".into(), json!(lines as f64 / units));
            per.insert("emf_bytes".into(), json!(bytes as f64 / units));
        }
    }
    if let Some(obj) = report.as_object_mut() {
        obj.insert("emf_measured".into(), json!(true));
    }
}

pub fn markdown(report: &Value) -> String {
    let empty = Vec::new();
    let flows = report["flows"].as_array().unwrap_or(&empty);
    let dynamo_ops: BTreeSet<String> = flows
        .iter()
        .filter_map(|f| f["per_unit"]["dynamodb"]["operations"].as_object())
        .flat_map(|o| o.keys().cloned())
        .collect();
    let mut out = String::new();
    out.push_str(&format!(
        "### Requests per message — provider {}, {} measured per flow after a warm-up, Planfix paced at {}/s\n\n",
        report["provider"].as_str().unwrap_or("?"),
        report["messages_per_flow"],
        report["planfix_requests_per_second"]
    ));
    let mut head = vec!["flow", "per", "Planfix", "provider", "DynamoDB", "of it pacing", "of it in webhook"];
    head.extend(dynamo_ops.iter().map(String::as_str));
    head.extend(["SQS (bridge)", "SQS (event source)", "S3", "pacing sleep ms"]);
    out.push_str(&format!("| {} |\n", head.join(" | ")));
    out.push_str(&format!("|{}\n", head.iter().map(|_| "---|").collect::<String>()));
    for f in flows {
        let p = &f["per_unit"];
        let mut row = vec![
            f["name"].as_str().unwrap_or("?").to_owned(),
            f["unit"].as_str().unwrap_or("?").to_owned(),
            n(num(&p["planfix"])),
            n(num(&p["provider"])),
            n(num(&p["dynamodb"]["total"])),
            n(num(&p["dynamodb"]["pacing"])),
            n(num(&p["webhook_phase"]["dynamodb"])),
        ];
        row.extend(dynamo_ops.iter().map(|op| n(num(&p["dynamodb"]["operations"][op]))));
        row.extend([
            n(num(&p["sqs"]["bridge"])),
            n(num(&p["sqs"]["harness"])),
            n(num(&p["s3"]["total"])),
            format!("{:.0}", num(&p["pacing_sleep_ms"])),
        ]);
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    let emf = report["emf_measured"].as_bool().unwrap_or(false);
    out.push_str("\n| flow | items in DynamoDB transactions | SQS operations | S3 operations | log lines | log bytes (JSON, info) | EMF lines | EMF bytes | webhook ms | worker + relay ms |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    for f in flows {
        let p = &f["per_unit"];
        let (emf_lines, emf_bytes) = if emf {
            (n(num(&p["emf_lines"])), format!("{:.0}", num(&p["emf_bytes"])))
        } else {
            ("–".to_owned(), "–".to_owned())
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.0} | {emf_lines} | {emf_bytes} | {:.1} | {:.1} |\n",
            f["name"].as_str().unwrap_or("?"),
            list(&p["dynamodb_transaction_items"]),
            list(&p["sqs"]["operations"]),
            list(&p["s3"]["operations"]),
            n(num(&p["log_lines"])),
            num(&p["log_bytes"]),
            num(&p["webhook_ms"]),
            num(&p["worker_ms"]),
        ));
    }
    out.push_str(
        "\nSQS (event source): ReceiveMessage/DeleteMessage/GetQueueAttributes the harness makes in the Lambda \
         service's place (and its idle polls); in production the event source mapping makes the receive and \
         delete. \"of it pacing\": DynamoDB requests on the Planfix pacing clock. Pacing sleep: time the \
         worker slept waiting for a Planfix slot (billed Lambda time). Times are over loopback moto and \
         simulators, not AWS latencies.\n",
    );
    if !report["log_probe"].as_bool().unwrap_or(false) {
        out.push_str("\n(Another tracing subscriber was set: pacing sleep and log figures read zero.)\n");
    }
    out
}
