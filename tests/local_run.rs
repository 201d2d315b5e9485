//! The local run's embedded equivalent of the queue and the worker: the file-backed store plus
//! in-process lanes (one per conversation, in order), through the same webhook handler; and the
//! local run on every provider at once (Meta, Twilio, Green-API in one config), with the
//! providers' simulators calling back over HTTP and fetching reply files from the presigned
//! `/blobs` URLs of the folder blob store.

use std::sync::Arc;
use std::time::Duration;

use bridge_app::local_config::{FilesConfig, LocalConfig, StoreConfig};
use bridge_core::config::{AccountConfig, Settings};
use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::BlobStore;
use bridge_core::retry::RetryPolicy;
use bridge_core::Bridge;
use bridge_embedded::local_worker::{run_files, run_work};
use bridge_embedded::DirBlobStore;
use bridge_http::{handle, Surface};
use e2e_tests::providers::{Driver, Kind, GREEN_HOOK_TOKEN, TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN};
use e2e_tests::{
    account_config, checked_planfix, meta_sample, text_from_sample, SpecGuard, APP_SECRET, GRAPH_TOKEN,
    PHONE_NUMBER_ID, PLANFIX_HOOK_SECRET, PLANFIX_TOKEN,
};
use meta_sim::{GraphSim, GraphSimConfig};
use planfix_sim::{Failure, PlanfixSim};

struct Local {
    planfix: PlanfixSim,
    config: LocalConfig,
    /// Fails the test at its end if a request broke the Planfix spec.
    _spec_guard: SpecGuard,
}

async fn local() -> Local {
    let (planfix, spec_guard) = checked_planfix(PLANFIX_TOKEN);
    let pf_url = planfix.serve(None).await.unwrap();
    let graph =
        GraphSim::new(GraphSimConfig { access_token: GRAPH_TOKEN.into(), phone_number_id: PHONE_NUMBER_ID.into() });
    let g_url = graph.serve(None).await.unwrap();
    let dir = std::env::temp_dir().join(format!("bridge-local-test-{}", uuid::Uuid::new_v4()));
    let config = LocalConfig {
        store: StoreConfig::File { path: dir.join("store.json") },
        accounts: vec![account_config("acme", &pf_url, &g_url, Settings::default())],
        files: FilesConfig { dir: dir.join("files") },
        public_url: None,
    };
    Local { planfix, config, _spec_guard: spec_guard }
}

async fn post(app: &Arc<Bridge>, payload: &serde_json::Value) -> u16 {
    let body = payload.to_string();
    let sig = meta_sim::webhook::sign(APP_SECRET.as_bytes(), body.as_bytes());
    let req = http::Request::post("/webhooks/meta/acme")
        .header("x-hub-signature-256", sig)
        .body(bytes::Bytes::from(body))
        .unwrap();
    handle(app, Surface::All, req).await.status().as_u16()
}

fn texts(planfix: &PlanfixSim) -> Vec<String> {
    planfix
        .tasks()
        .first()
        .map(|t| planfix.comments(t.id).into_iter().map(|c| c.description).collect())
        .unwrap_or_default()
}

async fn wait_for_comments(planfix: &PlanfixSim, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let t = texts(planfix);
        if t.len() >= n {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("only {:?} arrived", texts(planfix));
}

const QUICK: RetryPolicy = RetryPolicy {
    attempts: 5,
    min_delay: Duration::from_millis(10),
    max_delay: Duration::from_millis(50),
    max_pause: Duration::from_millis(50),
};

#[tokio::test]
async fn local_worker_retries_and_keeps_order() {
    let sample = meta_sample("inbound_text.json");
    let l = local().await;
    let rt = bridge_app::local::app_from_local(l.config.clone(), "http://127.0.0.1:1").await.unwrap();
    let app = Arc::new(rt.app);
    tokio::spawn(run_work(app.clone(), rt.work, QUICK));
    tokio::spawn(run_files(app.clone(), rt.file_jobs));
    l.planfix.fail_next(
        2,
        Failure::Status { http: 500, body: serde_json::json!({"result":"fail","code":0,"error":"down"}) },
    );
    let message = |i: i64| {
        text_from_sample(&sample, &format!("wamid.local-{i}"), "972555555555", 1_700_000_000 + i, &format!("l{i}"))
    };
    let phone = Phone::parse("972555555555").unwrap();
    for i in 0..5 {
        assert_eq!(post(&app, &message(i)).await, 200);
    }
    let first_five: Vec<String> = (0..5).map(|i| format!("l{i}")).collect();
    assert_eq!(wait_for_comments(&l.planfix, 5).await, first_five);
    wait_until_processed(&app, &phone).await;
    // A later message of the same conversation: its lane runs its work after all of the work
    // queued before it, retries included, so once it is processed any duplicate of l0..l4
    // would already be in the task.
    assert_eq!(post(&app, &message(5)).await, 200);
    let all: Vec<String> = (0..6).map(|i| format!("l{i}")).collect();
    assert_eq!(wait_for_comments(&l.planfix, 6).await, all, "once each, in order");
    wait_until_processed(&app, &phone).await;
    assert_eq!(texts(&l.planfix), all, "once each, in order");
}

/// Waits (bounded) until the conversation's inbox is empty: every message recorded so far has
/// been processed and marked done.
async fn wait_until_processed(app: &Bridge, phone: &Phone) {
    let acme = AccountId::parse("acme").unwrap();
    for _ in 0..200 {
        if app.store.inbox(&acme, phone, 10).await.unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the inbox of {phone} did not drain");
}

#[tokio::test]
async fn messages_recorded_before_a_restart_are_commented_after_it() {
    let sample = meta_sample("inbound_text.json");
    let l = local().await;
    {
        // Accepted (200) by a bridge that stops before its worker ran.
        let rt = bridge_app::local::app_from_local(l.config.clone(), "http://127.0.0.1:1").await.unwrap();
        let stopped = Arc::new(rt.app);
        for i in 0..3 {
            assert_eq!(
                post(
                    &stopped,
                    &text_from_sample(
                        &sample,
                        &format!("wamid.restart-{i}"),
                        "972566666666",
                        1_700_000_000 + i,
                        &format!("r{i}")
                    )
                )
                .await,
                200
            );
        }
    }
    assert!(l.planfix.requests().is_empty());
    let rt = bridge_app::local::app_from_local(l.config.clone(), "http://127.0.0.1:1").await.unwrap();
    let app = Arc::new(rt.app);
    tokio::spawn(run_work(app.clone(), rt.work, QUICK));
    assert_eq!(wait_for_comments(&l.planfix, 3).await, ["r0", "r1", "r2"]);
}

// ---------------------------------------------------------------------------------------------
// Every provider in one local run.

const EMPLOYEE: i64 = 5;

/// What `bridge-local serve` puts in front of the bridge, as far as providers see it: the
/// bridge's routes (`bridge_http`, every surface) and the presigned `GET /blobs/{key}` URLs of the
/// folder blob store (`DirBlobStore::open_presigned`). Plain HTTP/1.1 on tokio, one request per
/// connection (`Connection: close`), since this crate has no HTTP server dependency; the real
/// local server is axum (`tools/bridge-local`, tested there through its commands).
mod front {
    use std::sync::Arc;

    use bridge_core::ports::BlobError;
    use bridge_core::Bridge;
    use bridge_embedded::DirBlobStore;
    use bytes::Bytes;
    use futures_util::StreamExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    const MAX_HEAD: usize = 64 * 1024;

    pub fn spawn(listener: TcpListener, app: Arc<Bridge>, blobs: Arc<DirBlobStore>) {
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (app, blobs) = (app.clone(), blobs.clone());
                tokio::spawn(async move {
                    if let Err(error) = connection(socket, &app, &blobs).await {
                        tracing::debug!(%error, "front connection failed");
                    }
                });
            }
        });
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    /// `%XX` escapes of a URL path decoded (the blob key after `/blobs/`).
    fn percent_decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'%', Some(b)) => {
                    out.push(b);
                    i += 3;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    async fn connection(mut socket: TcpStream, app: &Arc<Bridge>, blobs: &DirBlobStore) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        let head_end = loop {
            let n = socket.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > MAX_HEAD {
                return Ok(());
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let (method, target) = (request_line.next().unwrap_or_default(), request_line.next().unwrap_or_default());
        let mut request = http::Request::builder().method(method).uri(target);
        let mut length = 0usize;
        for (name, value) in lines.filter_map(|line| line.split_once(':')) {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            }
            request = request.header(name.trim(), value);
        }
        let mut body = buf[head_end..].to_vec();
        while body.len() < length {
            let n = socket.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(length);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if let (true, Some(key)) = (method == "GET", path.strip_prefix("/blobs/")) {
            let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
            return blob(&mut socket, blobs, &percent_decode(key), &query).await;
        }
        let request = request.body(Bytes::from(body)).map_err(std::io::Error::other)?;
        let resp = bridge_http::handle(app, bridge_http::Surface::All, request).await;
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter(|(name, _)| *name != http::header::CONTENT_LENGTH)
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or_default().to_owned()))
            .collect();
        write_head(&mut socket, resp.status().as_u16(), &headers, resp.body().len() as u64).await?;
        socket.write_all(resp.body()).await?;
        socket.shutdown().await
    }

    async fn write_head(
        socket: &mut TcpStream,
        status: u16,
        headers: &[(String, String)],
        length: u64,
    ) -> std::io::Result<()> {
        let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {length}\r\nconnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        socket.write_all(head.as_bytes()).await
    }

    /// 200 with the stored type, length and (when the URL names the file) disposition, the body
    /// streamed; 403 on a bad or expired signature; 404 when missing.
    async fn blob(
        socket: &mut TcpStream,
        blobs: &DirBlobStore,
        key: &str,
        query: &[(String, String)],
    ) -> std::io::Result<()> {
        let json = vec![("content-type".to_owned(), "application/json".to_owned())];
        match blobs.open_presigned(key, query).await {
            Ok(Some((meta, disposition, mut body))) => {
                let mut headers = vec![("content-type".to_owned(), meta.content_type)];
                headers.extend(disposition.map(|d| ("content-disposition".to_owned(), d)));
                write_head(socket, 200, &headers, meta.size).await?;
                while let Some(chunk) = body.next().await {
                    socket.write_all(&chunk?).await?;
                }
            }
            Ok(None) => {
                let body = br#"{"error":"invalid or expired signature"}"#;
                write_head(socket, 403, &json, body.len() as u64).await?;
                socket.write_all(body).await?;
            }
            Err(BlobError::NotFound(_)) => {
                let body = br#"{"error":"no such file"}"#;
                write_head(socket, 404, &json, body.len() as u64).await?;
                socket.write_all(body).await?;
            }
            Err(error) => return Err(std::io::Error::other(error.to_string())),
        }
        socket.shutdown().await
    }
}

/// One provider's account in the shared local run.
struct Line {
    driver: Driver,
    account: &'static str,
    /// The customer writing through it.
    customer: &'static str,
}

impl Line {
    fn name(&self) -> &'static str {
        self.account
    }

    fn path(&self) -> String {
        format!("/webhooks/{}/{}", self.driver.provider_config().kind(), self.account)
    }

    /// The customer's message (text, or a file stored in the simulator first) as the provider
    /// POSTs it to `front`: signed or with the instance's token, as the provider does.
    fn webhook(&self, front: &str, text: &str, file: Option<(&[u8], &str, &str)>) -> reqwest::RequestBuilder {
        let id = self.driver.new_id();
        let ts = 1_700_000_000;
        let url = format!("{front}{}", self.path());
        let client = reqwest::Client::new();
        match &self.driver {
            Driver::Meta(graph) => {
                let sender =
                    meta_sim::webhook::Sender { wa_id: self.customer.into(), profile_name: "Anna Schmidt".into() };
                let business = meta_sim::webhook::Business {
                    phone_number_id: PHONE_NUMBER_ID.into(),
                    display_phone_number: "15550001111".into(),
                    waba_id: "200300400500600".into(),
                };
                let payload = match file {
                    None => meta_sim::webhook::text_message(&business, &sender, &id, ts, text),
                    Some((bytes, mime, name)) => {
                        let media = graph.add_media(bytes.to_vec(), mime);
                        let caption = Some(text).filter(|t| !t.is_empty());
                        meta_sim::webhook::media_message(
                            &business,
                            &sender,
                            &id,
                            ts,
                            "document",
                            &media,
                            mime,
                            caption,
                            Some(name),
                            false,
                        )
                    }
                };
                let (body, signature) = meta_sim::webhook::signed_body(APP_SECRET.as_bytes(), &payload);
                client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", signature)
                    .body(body)
            }
            Driver::Twilio(twilio) => {
                let inbound = twilio_sim::webhook::Inbound {
                    account_sid: TWILIO_SID.into(),
                    from: format!("+{}", self.customer),
                    to: TWILIO_FROM.into(),
                    profile_name: Some("Anna Schmidt".into()),
                };
                let params = match file {
                    None => twilio_sim::webhook::text(&inbound, &id, text),
                    Some((bytes, mime, _)) => {
                        let sid = twilio_sim::webhook::message_sid(true);
                        let media = twilio.add_message_media(&sid, bytes.to_vec(), mime);
                        twilio_sim::webhook::media(&inbound, &sid, text, &[(media, mime.to_owned())])
                    }
                };
                // Twilio signs the URL it calls: the local public URL plus the route.
                let signature = twilio_sim::webhook::sign(TWILIO_TOKEN, &url, &params);
                client
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("x-twilio-signature", signature)
                    .body(twilio_sim::webhook::encode(&params))
            }
            Driver::GreenApi(green) => {
                let chat = green_api_sim::webhook::Chat {
                    chat_id: format!("{}@c.us", self.customer),
                    sender_name: "Anna Schmidt".into(),
                };
                let payload = match file {
                    None => green_api_sim::webhook::incoming_text(&green.instance(), &chat, &id, ts, text),
                    Some((bytes, mime, name)) => {
                        let url = green.add_media(bytes.to_vec(), mime);
                        let caption = Some(text).filter(|t| !t.is_empty());
                        green_api_sim::webhook::incoming_file(
                            &green.instance(),
                            &chat,
                            &id,
                            ts,
                            "documentMessage",
                            &url,
                            mime,
                            name,
                            caption,
                        )
                    }
                };
                client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {GREEN_HOOK_TOKEN}"))
                    .body(payload.to_string())
            }
            _ => unreachable!("this test plays Meta, Twilio and Green-API"),
        }
    }
}

/// Polls `probe` every 50 ms for at most 30 s; the panic says what never happened.
async fn eventually<T>(what: impl std::fmt::Display, mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..600 {
        if let Some(found) = probe() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up after 30 s waiting for {what}");
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(seed) % 251) as u8).collect()
}

/// The Planfix scenario "comment added → HTTP request", for the account whose task it is.
async fn scenario(front: &str, account: &str, task: i64, comment: i64) {
    let resp = reqwest::Client::new()
        .post(format!("{front}/planfix/{account}"))
        .header("x-bridge-token", PLANFIX_HOOK_SECRET)
        .json(&serde_json::json!({ "task": task.to_string(), "comment": comment.to_string() }))
        .send()
        .await
        .expect("the front answers");
    assert_eq!(resp.status(), 200, "{account}: the scenario's call is accepted: {:?}", resp.text().await);
}

#[tokio::test]
async fn one_local_config_runs_meta_twilio_and_green_api_end_to_end() {
    // One Planfix for every account, as one company with three WhatsApp numbers.
    let (planfix, _spec_guard): (PlanfixSim, SpecGuard) = checked_planfix(PLANFIX_TOKEN);
    let planfix_url = planfix.serve(None).await.unwrap();
    let lines = [
        Line { driver: Driver::start(Kind::Meta).await, account: "acme-meta", customer: "4915100000010" },
        Line { driver: Driver::start(Kind::Twilio).await, account: "acme-twilio", customer: "4915100000011" },
        Line { driver: Driver::start(Kind::GreenApi).await, account: "acme-green", customer: "4915100000012" },
    ];
    let accounts: Vec<AccountConfig> = lines
        .iter()
        .map(|line| {
            let mut account = account_config(line.account, &planfix_url, "unused", Settings::default());
            account.provider = line.driver.provider_config();
            account
        })
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front_url = format!("http://{}", listener.local_addr().unwrap());
    let dir = std::env::temp_dir().join(format!("bridge-local-providers-{}", uuid::Uuid::new_v4()));
    let config = LocalConfig {
        store: StoreConfig::File { path: dir.join("store.json") },
        accounts,
        files: FilesConfig { dir: dir.join("files") },
        // The listen URL is the public URL: Twilio signs it, presigned links point at it.
        public_url: None,
    };
    let rt = bridge_app::local::app_from_local(config, &front_url).await.expect("the local run starts");
    let app = Arc::new(rt.app);
    let blobs: Arc<DirBlobStore> = rt.blob;
    tokio::spawn(run_work(app.clone(), rt.work, QUICK));
    tokio::spawn(run_files(app.clone(), rt.file_jobs));
    front::spawn(listener, app.clone(), blobs.clone());
    // The simulators call the bridge themselves, as the providers do.
    for line in &lines {
        match &line.driver {
            Driver::Twilio(twilio) => twilio.deliver_callbacks(true),
            Driver::GreenApi(green) => {
                green.deliver_webhooks(Some((format!("{front_url}{}", line.path()), Some(GREEN_HOOK_TOKEN.to_owned()))))
            }
            _ => {}
        }
    }

    for line in &lines {
        let who = line.name();
        let account = AccountId::parse(line.account).unwrap();

        // The customer's first message: a contact, a task (this account's), a comment.
        let hello = format!("Hello from {who}");
        let resp = line.webhook(&front_url, &hello, None).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{who}: {:?}", resp.text().await);
        let task = eventually(format!("{who}: the message as a comment"), || {
            planfix.tasks().into_iter().find(|t| planfix.comments(t.id).iter().any(|c| c.description.contains(&hello)))
        })
        .await;
        let conv = app.store.get_task_conversation(&account, task.id).await.unwrap();
        assert_eq!(conv.map(|c| c.phone.digits().to_owned()).as_deref(), Some(line.customer), "{who}: its task");
        let contact_id: i64 = task.assigner.trim_start_matches("contact:").parse().expect("the requester is a contact");
        let contact = planfix.contacts().into_iter().find(|c| c.id == contact_id).expect("the contact exists");
        assert!(contact.phones.iter().any(|p| p.contains(line.customer)), "{who}: {:?}", contact.phones);

        // An employee's notifying reply reaches the customer through this account's provider.
        let text = format!("Your order from {who} <b>ships</b> today");
        let comment = planfix.add_employee_comment(task.id, EMPLOYEE, &text, &[contact_id]);
        scenario(&front_url, line.account, task.id, comment).await;
        let expected = (line.customer.to_owned(), format!("Your order from {who} *ships* today"));
        eventually(format!("{who}: the reply on WhatsApp"), || {
            line.driver.sent_texts().contains(&expected).then_some(())
        })
        .await;

        // The customer's file reaches Planfix with the same bytes.
        let pdf = pattern(180_000, 7);
        let resp =
            line.webhook(&front_url, "signed", Some((&pdf, "application/pdf", "contract.pdf"))).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{who}: {:?}", resp.text().await);
        let file = eventually(format!("{who}: the customer's file in Planfix"), || {
            let comments = planfix.comments(task.id);
            comments.iter().find(|c| c.description.contains("signed") && !c.files.is_empty()).map(|c| c.files[0])
        })
        .await;
        let (_, bytes) = planfix.file(file).expect("the file is in Planfix");
        assert!(bytes == pdf, "{who}: the customer's file arrives whole ({} of {} bytes)", bytes.len(), pdf.len());

        // A file on a reply reaches the customer; Twilio and Green-API fetch it by its presigned
        // `/blobs` URL from the front.
        let invoice = pattern(140_000, 13);
        let planfix_file = planfix.add_file("invoice 42.pdf", invoice.clone());
        let comment =
            planfix.add_employee_comment_with_files(task.id, EMPLOYEE, "Your invoice", &[contact_id], &[planfix_file]);
        scenario(&front_url, line.account, task.id, comment).await;
        let sent =
            eventually(format!("{who}: the reply's file on WhatsApp"), || line.driver.sent_files().into_iter().next())
                .await;
        assert_eq!(sent.to, line.customer, "{who}");
        assert!(
            sent.bytes == invoice,
            "{who}: the reply's file arrives whole ({} of {} bytes)",
            sent.bytes.len(),
            invoice.len()
        );
        assert_eq!(sent.name.as_deref(), Some("invoice 42.pdf"), "{who}");
        match &line.driver {
            Driver::Twilio(twilio) => {
                let media = twilio.sent().into_iter().find_map(|m| m.media).unwrap();
                assert!(media.url.starts_with(&format!("{front_url}/blobs/")), "{who}: fetched from {}", media.url);
                assert_eq!(media.http_status, Some(200), "{who}");
            }
            Driver::GreenApi(green) => {
                let file = green.sent().into_iter().find_map(|m| m.file).unwrap();
                assert_eq!(file.via, "url", "{who}: sendFileByUrl, fetched from the front");
            }
            _ => {}
        }
        // No warning notes: nothing failed on the way.
        let notes: Vec<_> = planfix.comments(task.id).into_iter().filter(|c| c.description.contains('⚠')).collect();
        assert!(notes.is_empty(), "{who}: {notes:?}");
    }

    // The delivery statuses the simulators posted by themselves (Twilio to the status route its
    // sends named, Green-API to the instance's webhook URL with its token) reached the store.
    let store_file = dir.join("store.json");
    let status_of = |account: &str, id: &str| -> Option<String> {
        let store: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&store_file).ok()?).ok()?;
        store.pointer(&format!("/sent/{account}#{id}/status"))?.as_str().map(str::to_owned)
    };
    for line in &lines {
        let id = match &line.driver {
            Driver::Twilio(twilio) => twilio.sent()[0].sid.clone(),
            Driver::GreenApi(green) => green.sent()[0].id_message.clone(),
            _ => continue,
        };
        eventually(format!("{}: the provider's own `delivered` status", line.name()), || {
            (status_of(line.account, &id).as_deref() == Some("delivered")).then_some(())
        })
        .await;
    }

    // A presigned link with a wrong signature, or none, is refused; a missing file is a 404.
    let url = blobs.presign_get("acme-twilio/missing.pdf", Duration::from_secs(60), None).await.unwrap();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 404);
    let forged = url.replace("sig=", "sig=00");
    assert_eq!(reqwest::get(&forged).await.unwrap().status(), 403);
}
