//! The markdown the binary prints.

use std::fmt::Write;
use std::time::Duration;

use bridge_embedded::sqlite::Synchronous;

use crate::{mode_name, Machine, ModeReport, Pacing, Plan};

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() {
        format!("{:.2}×", a / b)
    } else {
        "—".into()
    }
}

/// `ns` as a percentage of `secs`.
fn share(ns: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        ns as f64 / 1e9 / secs * 100.0
    } else {
        0.0
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn count(n: usize) -> String {
    let digits: Vec<char> = n.to_string().chars().rev().collect();
    let groups: Vec<String> = digits.chunks(3).map(|g| g.iter().rev().collect()).collect();
    groups.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn goal(met: bool) -> &'static str {
    if met {
        "yes"
    } else {
        "**no**"
    }
}

/// The FULL and NORMAL rows, when both were measured.
fn full_and_normal(reports: &[ModeReport]) -> Option<(&ModeReport, &ModeReport)> {
    let find = |m: Synchronous| reports.iter().find(|r| r.mode == m);
    Some((find(Synchronous::Full)?, find(Synchronous::Normal)?))
}

pub fn markdown(plan: &Plan, machine: &Machine, reports: &[ModeReport]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# store-bench ({}) — the SQLite store of the local run\n", plan.name);
    let _ = writeln!(
        s,
        "- machine: {} CPUs (nproc), {}, kernel {}\n- databases under {} ({}); build: {}\n- store pre-filled through \
         its API with {} processed messages of {} conversations (and their links); each measurement on its own copy \
         of that file",
        machine.cpus,
        machine.cpu_model,
        machine.kernel,
        machine.temp_dir,
        machine.temp_fs,
        if machine.release { "release" } else { "debug (numbers meaningless)" },
        count(plan.prefill),
        count(plan.prefill_customers),
    );
    let _ =
        writeln!(s, "- synchronous: FULL is the default of `SqliteDb::open`; NORMAL through `SqliteDb::open_with`\n");

    let _ = writeln!(
        s,
        "## 1. Ack latency\n\n{} concurrent signed Meta text webhooks ({} customers × {}, distinct messages) over \
         loopback HTTP to the real route table, the worker running (same conversations) against a Planfix simulator \
         answering every request after {:.0} s. Baseline: the same requests, just before, to a route on the same \
         server that answers 200 without touching the store. {} rounds (new messages each): the median round's \
         figures, and the spread of p99 over the rounds.\n",
        plan.ack_messages(),
        plan.ack_customers,
        plan.ack_per_customer,
        plan.ack_planfix_delay.as_secs_f64(),
        plan.ack_rounds,
    );
    let _ = writeln!(
        s,
        "| synchronous | webhook p50 | webhook p99 | webhook max | p99 range | baseline p50 | baseline p99 | \
         baseline max | p50 ÷ baseline | p99 ÷ baseline | p99 < 50 ms |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
    for r in reports {
        let (w, b) = (r.acks.webhook(), r.acks.baseline());
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {}–{} | {} | {} | {} | {} | {} | {} |",
            mode_name(r.mode),
            ms(w.median.p50),
            ms(w.median.p99),
            ms(w.median.max),
            ms(w.p99_min),
            ms(w.p99_max),
            ms(b.median.p50),
            ms(b.median.p99),
            ms(b.median.max),
            ratio(w.median.p50.as_secs_f64(), b.median.p50.as_secs_f64()),
            ratio(w.median.p99.as_secs_f64(), b.median.p99.as_secs_f64()),
            goal(w.median.p99 < Duration::from_millis(50)),
        );
    }
    if let Some((full, normal)) = full_and_normal(reports) {
        let (f, n) = (full.acks.webhook().median, normal.acks.webhook().median);
        let _ = writeln!(
            s,
            "| FULL ÷ NORMAL | {} | {} | {} | | | | | | | |",
            ratio(f.p50.as_secs_f64(), n.p50.as_secs_f64()),
            ratio(f.p99.as_secs_f64(), n.p99.as_secs_f64()),
            ratio(f.max.as_secs_f64(), n.max.as_secs_f64()),
        );
    }
    let planfix: Vec<String> = reports
        .iter()
        .map(|r| format!("{} {}→{}", mode_name(r.mode), r.acks.planfix_requests_before, r.acks.planfix_requests_after))
        .collect();
    let _ = writeln!(s, "\nPlanfix requests made by the worker, first burst → last: {}.", planfix.join(", "));
    let busy: Vec<String> = reports
        .iter()
        .map(|r| {
            let (w, secs) = (r.acks.writer, r.acks.bursts_secs);
            format!(
                "{} on a CPU {:.0}% and runnable but waiting for one {:.0}% of the bursts' {:.0} ms",
                mode_name(r.mode),
                share(w.on_cpu_ns, secs),
                share(w.waiting_ns, secs),
                secs * 1000.0
            )
        })
        .collect();
    let _ = writeln!(s, "The SQLite writer thread during the webhook bursts: {}.", busy.join("; "));

    let _ = writeln!(
        s,
        "\n## 2. Throughput\n\n{} messages of {} customers, {} webhooks in flight, Planfix simulator without delay or \
         rate limit (account `requests_per_second` 1,000,000); intake + processing from the first POST until the \
         last comment reached Planfix (work is held back 1 s before its first delivery, as in production). Baseline: \
         intake alone (no worker), acknowledged webhooks per second. The second row of each setting answers the \
         Planfix pacing clock (`reserve_slot`) without touching the store. Store operations counted at the `Store` \
         port (queue operations not included).\n",
        count(plan.flow_messages()),
        count(plan.flow_customers),
        plan.post_concurrency,
    );
    let _ = writeln!(
        s,
        "| synchronous | intake + processing | intake only (baseline) | processing ÷ intake | acks/s while the worker \
         ran | queue empty after | Planfix requests | pacing reservations / request | store writes / message | \
         worker retries | ≥ 1,000 msg/s |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
    for r in reports {
        let i = &r.intake;
        for f in [&r.flow, &r.flow_unpaced] {
            let label = match f.pacing {
                Pacing::Store => mode_name(r.mode).to_owned(),
                Pacing::Bypassed => format!("{}, pacing bypassed", mode_name(r.mode)),
            };
            let _ = writeln!(
                s,
                "| {label} | {:.0} msg/s ({:.2} s) | {:.0} acks/s ({:.2} s) | {} | {:.0} | {:.2} s | {} | {:.2} | {:.1} | {} \
                 | {} |",
                f.messages_per_sec(),
                f.secs,
                i.acks_per_sec(),
                i.secs,
                ratio(f.messages_per_sec(), i.acks_per_sec()),
                f.messages as f64 / f.intake_secs,
                f.drained_secs,
                count(f.planfix_requests),
                f.pacing_reservations as f64 / f.planfix_requests.max(1) as f64,
                f.per_message(f.store_writes),
                f.retried,
                goal(f.messages_per_sec() >= 1000.0),
            );
        }
    }
    if let Some((full, normal)) = full_and_normal(reports) {
        let _ = writeln!(
            s,
            "| FULL ÷ NORMAL | {} | {} | | {} | | | | | | |",
            ratio(full.flow.messages_per_sec(), normal.flow.messages_per_sec()),
            ratio(full.intake.acks_per_sec(), normal.intake.acks_per_sec()),
            ratio(
                full.flow.messages as f64 / full.flow.intake_secs,
                normal.flow.messages as f64 / normal.flow.intake_secs
            ),
        );
        let _ = writeln!(
            s,
            "| FULL ÷ NORMAL, pacing bypassed | {} | | | {} | | | | | | |",
            ratio(full.flow_unpaced.messages_per_sec(), normal.flow_unpaced.messages_per_sec()),
            ratio(
                full.flow_unpaced.messages as f64 / full.flow_unpaced.intake_secs,
                normal.flow_unpaced.messages as f64 / normal.flow_unpaced.intake_secs
            ),
        );
    }
    let details: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            [&r.flow, &r.flow_unpaced].map(|f| {
                format!(
                    "{}{}: {:.1} store reads and {:.2} work items received per message ({} receives)",
                    mode_name(r.mode),
                    if f.pacing == Pacing::Bypassed { " unpaced" } else { "" },
                    f.per_message(f.store_reads),
                    f.per_message(f.work_received),
                    count(f.work_receives),
                )
            })
        })
        .collect();
    let intake_writes: Vec<String> = reports
        .iter()
        .map(|r| format!("{} {:.1}", mode_name(r.mode), r.intake.store_writes as f64 / r.intake.messages.max(1) as f64))
        .collect();
    let intake_writer: Vec<String> = reports
        .iter()
        .map(|r| {
            let (w, secs) = (r.intake.writer, r.intake.secs);
            format!(
                "{} on a CPU {:.0}%, waiting for one {:.0}%",
                mode_name(r.mode),
                share(w.on_cpu_ns, secs),
                share(w.waiting_ns, secs)
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "\n{}. Intake alone: store writes per message {}; the SQLite writer thread {}.",
        details.join("; "),
        intake_writes.join(", "),
        intake_writer.join("; ")
    );

    let _ = writeln!(
        s,
        "\n## 3. File size\n\n{} processed messages written through the store API ({} writes in flight); the \
         database file and its -wal right after, then after `PRAGMA wal_checkpoint(TRUNCATE)`.\n",
        count(plan.prefill),
        crate::scenarios::PREFILL_CONCURRENCY,
    );
    let _ = writeln!(
        s,
        "| synchronous | db + wal after the pre-fill | after the checkpoint | per 100,000 messages (checkpointed) | \
         pre-fill rate |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    for r in reports {
        let z = &r.size;
        let _ = writeln!(
            s,
            "| {} | {} + {} | {} + {} | {} | {:.0} msg/s ({:.1} s) |",
            mode_name(r.mode),
            mib(z.db_bytes),
            mib(z.wal_bytes),
            mib(z.db_bytes_checkpointed),
            mib(z.wal_bytes_checkpointed),
            mib(z.per_100k(z.db_bytes_checkpointed + z.wal_bytes_checkpointed) as u64),
            z.messages as f64 / z.prefill_secs,
            z.prefill_secs,
        );
    }
    if let Some((full, normal)) = full_and_normal(reports) {
        let rate = |r: &ModeReport| r.size.messages as f64 / r.size.prefill_secs;
        let _ = writeln!(s, "| FULL ÷ NORMAL | | | | {} |", ratio(rate(full), rate(normal)));
    }

    let problems: Vec<String> = reports.iter().flat_map(ModeReport::problems).collect();
    let _ = writeln!(s);
    if problems.is_empty() {
        let _ = writeln!(
            s,
            "Sanity: every webhook answered 200 and was in the store; every message of the throughput runs was \
             commented in Planfix exactly once; no dead letters."
        );
    } else {
        let _ = writeln!(s, "**Sanity checks failed:**\n");
        for p in problems {
            let _ = writeln!(s, "- {p}");
        }
    }
    s
}
