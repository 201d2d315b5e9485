//! Runs the quick plan (in debug, under `cargo test`) so the bench keeps compiling and working.
//! Asserts what must hold on any machine — every webhook acknowledged with 200 and stored,
//! every message commented in Planfix exactly once — and nothing about timing.

use store_bench::{markdown, run, Machine, Plan};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quick_run_acknowledges_and_comments_every_message() {
    let plan = Plan::quick();
    let reports = run(&plan).await.expect("the quick run completes");
    assert_eq!(reports.len(), plan.modes.len(), "one report per synchronous setting");
    for r in &reports {
        let sent = plan.ack_messages() * plan.ack_rounds;
        assert_eq!(r.acks.acks_ok, sent, "every webhook of the bursts answered 200");
        assert_eq!(r.acks.baseline_ok, sent, "every baseline request answered 200");
        assert_eq!(r.acks.recorded, sent, "every acknowledged message is in the store");
        assert!(r.acks.planfix_requests_before > 0, "the worker was busy with Planfix during the bursts");
        assert_eq!(r.intake.acks_ok, plan.flow_messages(), "intake alone: every webhook answered 200");
        for flow in [&r.flow, &r.flow_unpaced] {
            assert_eq!(
                flow.acks_ok,
                plan.flow_messages(),
                "throughput ({:?}): every webhook answered 200",
                flow.pacing
            );
            assert_eq!(flow.comments_found, plan.flow_messages(), "every message commented in Planfix");
            assert_eq!(flow.duplicate_comments, 0, "no message commented twice");
            assert_eq!(flow.dead_lettered, 0, "no dead letters");
        }
        // The flow's account allows 1,000,000 requests/s: beyond the pacing clock's millisecond
        // resolution, so it takes no slot at all (bridge_core::throttle).
        assert_eq!(r.flow.pacing_reservations, 0, "an unpaceable rate takes no pacing slot");
        assert!(r.size.db_bytes_checkpointed > 0, "the pre-filled file was measured");
        assert!(r.problems().is_empty(), "{:?}", r.problems());
    }
    let table = markdown(&plan, &Machine::detect(), &reports);
    assert!(table.contains("| FULL |") && table.contains("| NORMAL |"), "{table}");
}
