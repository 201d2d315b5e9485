use std::sync::Arc;

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use planfix_sim::{Failure, PlanfixSim, PlanfixSimConfig, SpecValidator};

use bridge_core::config::{PlanfixConfig, Secret};
use bridge_core::ports::planfix::*;
use bridge_core::ports::ByteStream;
use bridge_core::retry::Retry;
use serde_json::json;

use crate::PlanfixRest;

const TOKEN: &str = "files-token";

/// Every request to the REST API is checked against the spec; a missing spec fails the test.
/// The storage URL `/file/{id}/download` redirects to is not part of the REST API (nor of the
/// spec) and is served outside the checking gate; the tests count its requests instead.
async fn start() -> (PlanfixSim, PlanfixRest) {
    let spec = Arc::new(SpecValidator::from_file(&planfix_sim::spec_path()).expect("the spec compiles"));
    let sim = PlanfixSim::new(PlanfixSimConfig { token: TOKEN.into(), spec: Some(spec) });
    let base_url = sim.serve(None).await.expect("serve");
    let cfg = PlanfixConfig {
        base_url,
        token: Secret::new(TOKEN),
        webhook_secret: Secret::new("unused"),
        requests_per_second: 1.0,
    };
    (sim, PlanfixRest::new(PlanfixRest::default_http_client(), &cfg))
}

/// A task whose requester is a new contact, created through the adapter.
async fn new_task(sim: &PlanfixSim, rest: &PlanfixRest) -> i64 {
    let task = NewTask {
        name: "t".into(),
        description_html: String::new(),
        assigner_contact_id: sim.add_contact("Ivan", "+79051234567"),
        assignee_user_ids: vec![],
        template_id: None,
        source_object_id: uuid::Uuid::new_v4().to_string(),
    };
    rest.create_task(&task).await.expect("task")
}

/// `data` as a stream of `chunk`-sized pieces, as a provider download would arrive.
fn chunked(data: &[u8], chunk: usize) -> ByteStream {
    let pieces: Vec<Result<Bytes, std::io::Error>> =
        data.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    Box::pin(stream::iter(pieces))
}

async fn collect(mut body: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

#[tokio::test]
async fn files_round_trip_through_the_simulator() {
    let (sim, rest) = start().await;
    let data: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let id = rest
        .upload_file("scan.pdf", "application/pdf", data.len() as u64, chunked(&data, 64 * 1024))
        .await
        .expect("upload");
    assert_eq!(sim.file(id), Some(("scan.pdf".to_owned(), data.clone())));

    let info = rest.file_info(id).await.expect("file_info");
    assert_eq!(info, Some(FileInfo { id, name: "scan.pdf".into(), size: data.len() as u64 }));
    assert_eq!(rest.file_info(id + 1000).await.expect("file_info"), None);

    let (content_type, body) = rest.download_file(id).await.expect("download");
    assert_eq!(content_type.as_deref(), Some("application/pdf"));
    assert_eq!(collect(body).await, data);
    assert_eq!(sim.storage_requests(), 1);
    assert_eq!(sim.storage_requests_with_auth(), 0, "the bearer token reached the storage URL");
    let missing = rest.download_file(id + 1000).await.err();
    assert!(matches!(missing, Some(PlanfixError::Api { http: 400, code: Some(7000), .. })), "{missing:?}");

    // A server that answers with the bytes directly instead of redirecting.
    sim.fail_matching("GET", "/download", 1, Failure::Status { http: 200, body: json!({"raw": true}) });
    let (content_type, body) = rest.download_file(id).await.expect("direct download");
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(collect(body).await, br#"{"raw":true}"#);

    let task = new_task(&sim, &rest).await;
    let note = sim.add_file("note.txt", b"hi".to_vec());
    let comment = sim.add_employee_comment_with_files(task, 7, "<p>draft</p>", &[], &[note]);
    rest.update_comment(task, comment, "<p>with files</p>", &[note, id]).await.expect("update");
    let read = rest.get_comment(comment).await.expect("get").expect("exists");
    assert_eq!((read.description_html.as_str(), read.file_ids), ("<p>with files</p>", vec![note, id]));
    let unknown = rest.update_comment(task, comment + 1000, "x", &[]).await.err();
    assert!(matches!(unknown, Some(PlanfixError::Api { code: Some(5000), .. })), "{unknown:?}");

    assert_eq!(sim.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn uploads_over_the_plan_limit_are_refused_with_7002() {
    let (sim, rest) = start().await;
    sim.set_max_file_size(100 * 1024);
    let data = vec![1u8; 300 * 1024];
    let refused =
        rest.upload_file("big.bin", "not a mime type", data.len() as u64, chunked(&data, 16 * 1024)).await.err();
    assert!(matches!(&refused, Some(PlanfixError::Api { http: 400, code: Some(7002), .. })), "{refused:?}");
    assert!(refused.is_some_and(|e| e.retry() == Retry::Never));
    let id = rest.upload_file("ok.bin", "not a mime type", 10, chunked(&data[..10], 4)).await.expect("upload");
    assert_eq!(sim.snapshot()["files"][0]["id"], json!(id));
    assert_eq!(sim.violations(), Vec::<String>::new());
}

/// A loopback listener standing for whatever a redirect must not reach (another service on the
/// machine, the Lambda runtime API): counts the connections it accepts.
async fn bystander() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    (port, seen)
}

fn refusal(result: Result<(Option<String>, ByteStream), PlanfixError>) -> String {
    match result {
        Err(e @ PlanfixError::Decode(_)) => {
            assert_eq!(e.retry(), Retry::Never, "a refused redirect is not worth a retry");
            e.to_string()
        }
        Err(other) => panic!("expected a refusal, got {other:?}"),
        Ok(_) => panic!("the download went through"),
    }
}

#[tokio::test]
async fn downloads_follow_redirects_only_to_the_simulator_itself_or_public_https_hosts() {
    let (sim, rest) = start().await;
    let id = sim.add_file("scan.pdf", b"%PDF-1.7".to_vec());
    let (port, seen) = bystander().await;

    // Another port on the same machine, plainly or over https, and its name: refused unsent.
    for target in [
        format!("http://127.0.0.1:{port}/"),
        format!("https://127.0.0.1:{port}/"),
        format!("https://localhost:{port}/x"),
    ] {
        sim.redirect_downloads(Some(&target));
        let why = refusal(rest.download_file(id).await);
        assert!(why.contains("refused to follow") && why.contains(&port.to_string()), "{target}: {why}");
        assert!(!why.contains("/x"), "the refusal names the host, not the path: {why}");
    }
    // The cloud metadata service.
    for target in ["http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/latest/meta-data/"] {
        sim.redirect_downloads(Some(target));
        let why = refusal(rest.download_file(id).await);
        assert!(why.contains("169.254.169.254"), "{target}: {why}");
    }
    let why = refusal(rest.download_file(id).await);
    assert!(why.contains("link-local"), "{why}");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 0, "a refused target received a connection");

    // Three redirects on the simulator itself (its own 302 and two more): followed.
    sim.redirect_downloads(Some("/redirect/2/{token}"));
    let (_, body) = rest.download_file(id).await.expect("three redirects are followed");
    assert_eq!(collect(body).await, b"%PDF-1.7");
    assert_eq!(sim.storage_requests(), 1);
    // Four: refused before the fourth target is asked.
    sim.redirect_downloads(Some("/redirect/3/{token}"));
    let why = refusal(rest.download_file(id).await);
    assert!(why.contains("more than 3 redirects"), "{why}");
    assert_eq!(sim.storage_requests(), 1, "the storage URL behind the fourth redirect was fetched");
    assert_eq!(sim.storage_requests_with_auth(), 0, "the bearer token went past the first hop");
    assert_eq!(sim.violations(), Vec::<String>::new());
}

/// The reply-context and reaction calls, checked against the spec: a comment keeps the provider
/// message id in `sourceDataVersion` (one longer than the spec's 100 characters is left out),
/// the listing is newest first without deleted comments, and an edit changes only the text.
#[tokio::test]
async fn comments_keep_their_message_id_list_newest_first_and_edit_in_place() {
    let (sim, rest) = start().await;
    let task = new_task(&sim, &rest).await;
    let comment = |html: &str, id: Option<String>| NewComment {
        description_html: html.into(),
        owner: CommentOwner::Bridge,
        source_object_id: uuid::Uuid::new_v4().to_string(),
        source_message_id: id,
    };
    let first = rest.add_comment(task, &comment("<p>first</p>", Some("wamid.A".into()))).await.expect("add");
    let long = rest.add_comment(task, &comment("long id", Some("x".repeat(101)))).await.expect("a long id is left out");
    let employee = sim.add_employee_comment(task, 7, "<p>answer</p>", &[]);
    let listed = rest.recent_comments(task, 50).await.expect("list");
    let ids: Vec<(i64, Option<&str>)> = listed.iter().map(|c| (c.id, c.source_message_id.as_deref())).collect();
    assert_eq!(ids, vec![(employee, None), (long, None), (first, Some("wamid.A"))]);
    assert_eq!(listed[2].description_html, "<p>first</p>");

    assert!(rest.edit_comment(task, first, "<p>edited</p>").await.expect("edit"));
    let read = rest.get_comment(first).await.expect("get").expect("exists");
    assert_eq!(read.description_html, "<p>edited</p>");
    assert!(!rest.edit_comment(task, first + 1000, "x").await.expect("a missing comment is no error"));
    assert_eq!(sim.violations(), Vec::<String>::new());
}
