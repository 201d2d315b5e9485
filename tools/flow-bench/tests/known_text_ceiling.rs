//! A text in a known conversation, run once through the counting proxy over moto: its
//! DynamoDB requests must not exceed the ceiling set to what the code does now (the work to
//! cut them lowers it). Counts are deterministic, so this is a correctness test, not a timed one.

use e2e_tests::providers::Kind;
use flow_bench::probe::Probe;
use flow_bench::{run, Flow, Options};

/// DynamoDB requests of one known-conversation text (webhook + worker), measured on this code.
const DYNAMODB_CEILING: u64 = 13;
/// Planfix calls of the same text: the task's status, then the comment.
const PLANFIX_CALLS: usize = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_conversation_text_stays_within_its_request_ceiling() {
    // Fast pacing: the count does not depend on the rate, the run time does.
    let opts = Options { provider: Kind::Meta, flows: vec![Flow::KnownText], messages: 1, planfix_rps: 200.0 };
    let results = run(&opts, &Probe::default()).await.expect("the flow runs against moto");
    let r = &results[0];
    assert_eq!(r.units, 1);
    let dynamodb = r.aws.service_total("dynamodb");
    let by_op = r.aws.operations("dynamodb");
    assert!(dynamodb > 0, "the text went through the store: {by_op:?}");
    assert!(
        dynamodb <= DYNAMODB_CEILING,
        "a known-conversation text made {dynamodb} DynamoDB requests (ceiling {DYNAMODB_CEILING}): {by_op:?}"
    );
    assert_eq!(r.planfix, PLANFIX_CALLS, "Planfix calls of a known-conversation text");
    assert_eq!(r.provider, 0, "a text needs nothing from the provider");
    let sends: u64 = r.aws.operations("sqs").iter().filter(|(op, _)| op.starts_with("SendMessage")).map(|(_, n)| n).sum();
    assert_eq!(sends, 1, "one work item queued: {:?}", r.aws.operations("sqs"));
}
