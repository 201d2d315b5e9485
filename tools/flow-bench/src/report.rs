//! The results as a Markdown table (for people and `scripts/bench.sh`) or JSON (for scripts).

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::proxy::PACING_SUFFIX;
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

fn list(r: &FlowResult, service: &str) -> String {
    let ops = r.aws.operations(service);
    if ops.is_empty() {
        return "–".to_owned();
    }
    ops.iter().map(|(op, c)| format!("{op} {}", n(r.per_unit(*c)))).collect::<Vec<_>>().join(", ")
}

pub fn markdown(opts: &Options, results: &[FlowResult], probe_installed: bool) -> String {
    let dynamo_ops: BTreeSet<String> =
        results.iter().flat_map(|r| r.aws.operations("dynamodb").into_keys()).collect::<BTreeSet<_>>();
    let mut out = String::new();
    out.push_str(&format!(
        "### Requests per message — provider {:?}, {} measured per flow after a warm-up, Planfix paced at {}/s\n\n",
        opts.provider, opts.messages, opts.planfix_rps
    ));
    let mut head = vec!["flow", "per", "Planfix", "provider", "DynamoDB", "of it pacing"];
    head.extend(dynamo_ops.iter().map(String::as_str));
    head.extend(["SQS (bridge)", "SQS (event source)", "S3", "pacing sleep ms"]);
    out.push_str(&format!("| {} |\n", head.join(" | ")));
    out.push_str(&format!("|{}\n", head.iter().map(|_| "---|").collect::<String>()));
    for r in results {
        let (bridge, harness) = sqs_split(r);
        let dynamo = r.aws.operations("dynamodb");
        let mut row = vec![
            r.flow.name().to_owned(),
            unit(r).to_owned(),
            n(r.per_unit(r.planfix as u64)),
            n(r.per_unit(r.provider as u64)),
            n(r.per_unit(r.aws.service_total("dynamodb"))),
            n(r.per_unit(pacing_requests(r))),
        ];
        row.extend(dynamo_ops.iter().map(|op| n(r.per_unit(dynamo.get(op).copied().unwrap_or(0)))));
        row.extend([
            n(r.per_unit(bridge)),
            n(r.per_unit(harness)),
            n(r.per_unit(r.aws.service_total("s3"))),
            format!("{:.0}", r.per_unit(r.probe.pacing_ms)),
        ]);
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out.push_str("\n| flow | SQS operations | S3 operations | log lines | log bytes (JSON, info) | webhook ms | worker + relay ms |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for r in results {
        let ms = |d: std::time::Duration| r.per_unit(d.as_micros() as u64) / 1000.0;
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.0} | {:.1} | {:.1} |\n",
            r.flow.name(),
            list(r, "sqs"),
            list(r, "s3"),
            n(r.per_unit(r.probe.log_lines)),
            r.per_unit(r.probe.log_bytes),
            ms(r.webhook),
            ms(r.worker),
        ));
    }
    out.push_str(
        "\nSQS (event source): ReceiveMessage/DeleteMessage/GetQueueAttributes the harness makes in the Lambda \
         service's place (and its idle polls); in production the event source mapping makes the receive and \
         delete. Times are over loopback moto and simulators, not AWS latencies.\n",
    );
    if !probe_installed {
        out.push_str("\n(Another tracing subscriber was set: pacing sleep and log figures read zero.)\n");
    }
    out
}
