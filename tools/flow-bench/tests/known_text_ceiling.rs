//! A text in a known conversation, run once through the counting proxy over moto: its
//! DynamoDB requests must not exceed the ceilings set to what the code does now (the work to
//! cut them lowers them). Counts are deterministic, so this is a correctness test, not a timed
//! one: the store's own requests exactly so, the pacing clock's within its bound per call.

use e2e_tests::providers::Kind;
use flow_bench::probe::Probe;
use flow_bench::proxy::PACING_SUFFIX;
use flow_bench::{run, Flow, Options};

/// DynamoDB requests of one known-conversation text (webhook + worker), pacing clock included,
/// measured on this code.
const DYNAMODB_CEILING: u64 = 8;
/// The same without the pacing clock's writes.
const STORE_CEILING: u64 = 4;
/// Planfix calls of the same text with the "task status changed" scenario set up: the comment.
const PLANFIX_CALLS: usize = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_conversation_text_stays_within_its_request_ceiling() {
    // Planfix's own rate (1/s), as production paces it: at test-sized rates the clock's slots
    // are shorter than a store round trip and every call takes several reservations.
    let opts = Options {
        provider: Kind::Meta,
        flows: vec![Flow::KnownText],
        messages: 1,
        planfix_rps: 1.0,
        task_status_webhook: true,
        markers: false,
    };
    let results = run(&opts, &Probe::default()).await.expect("the flow runs against moto");
    let r = &results[0];
    assert_eq!(r.units, 1);
    let by_op = r.aws.operations("dynamodb");
    let total = r.aws.service_total("dynamodb");
    let pacing: u64 = by_op.iter().filter(|(op, _)| op.ends_with(PACING_SUFFIX)).map(|(_, n)| n).sum();
    assert!(total > pacing, "the text went through the store: {by_op:?}");
    assert!(total - pacing <= STORE_CEILING, "{} store requests (ceiling {STORE_CEILING}): {by_op:?}", total - pacing);
    assert!(total <= DYNAMODB_CEILING, "{total} DynamoDB requests (ceiling {DYNAMODB_CEILING}): {by_op:?}");
    assert_eq!(r.planfix, PLANFIX_CALLS, "Planfix calls of a known-conversation text");
    assert_eq!(r.provider, 0, "a text needs nothing from the provider");
    let sends: u64 =
        r.aws.operations("sqs").iter().filter(|(op, _)| op.starts_with("SendMessage")).map(|(_, n)| n).sum();
    assert_eq!(sends, 1, "one work item queued: {:?}", r.aws.operations("sqs"));
}
