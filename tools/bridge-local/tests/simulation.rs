//! Simulation mode end to end, through the real local server and the commands a person types:
//! `serve` (all five demo accounts on one simulated Planfix), `send --provider …` (text and file),
//! `send --from-phone` (the company's own phone), `reply` (text and file, answered through the
//! task's own provider), the `/blobs` route the Twilio, Green-API and Wazzup simulators fetch
//! reply files from, the providers' own status callbacks and echoes, and what `show` prints.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bridge_core::ports::BlobStore;
use bridge_local::cli::{Provider, ReplyArgs, SendArgs, ServeArgs};
use bridge_local::demo::{account_of, Simulation};
use bridge_local::{commands, server};
use serde_json::Value;

struct Running {
    url: String,
    server: server::Server,
    /// The bridge's store (the simulation's SQLite database).
    store: bridge_embedded::SqliteStore,
    dir: PathBuf,
    /// What `serve` prints at start.
    banner: String,
}

impl Running {
    fn sim(&self) -> &Simulation {
        self.server.sim.as_deref().expect("simulation mode")
    }
}

async fn serve(provider: Option<Provider>) -> Running {
    let dir = std::env::temp_dir().join(format!(
        "bridge-local-sim-{}",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let args = ServeArgs {
        config: None,
        listen: any,
        provider,
        planfix_sim: any,
        graph_sim: any,
        twilio_sim: any,
        green_api_sim: any,
        dialog360_sim: any,
        wazzup_sim: any,
        // Every request the bridge (and `show`) makes must be one the Planfix spec allows.
        planfix_spec: Some(planfix_sim::spec_path()),
        sim_store: dir.join("sim.db"),
    };
    let started = server::start(&args).await.expect("the local bridge starts");
    let banner = server::banner(&started);
    let store = started.local.sqlite.clone().expect("simulation mode runs on the SQLite store");
    let running = Running { url: started.url.clone(), server: started.server.clone(), store, dir, banner };
    server::spawn(started);
    running
}

/// Polls `probe` every 50 ms for at most 30 s.
async fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..600 {
        if let Some(found) = probe() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up after 30 s waiting for {what}");
}

fn send_args(r: &Running, provider: Provider, from: &str, text: &str, file: Option<&Path>) -> SendArgs {
    SendArgs {
        text: text.to_owned(),
        provider: Some(provider),
        file: file.map(Path::to_path_buf),
        from: from.to_owned(),
        name: "Anna Schmidt".to_owned(),
        from_phone: false,
        bridge: r.url.clone(),
    }
}

fn reply_args(r: &Running, task: Option<i64>, text: &str, file: Option<&Path>) -> ReplyArgs {
    ReplyArgs {
        text: text.to_owned(),
        task,
        internal: false,
        quote: None,
        file: file.map(Path::to_path_buf),
        bridge: r.url.clone(),
    }
}

/// (text, file name, file bytes) the provider's simulator delivered to `phone`.
#[derive(Debug)]
enum Got {
    Text(String),
    File(Option<String>, Vec<u8>),
}

fn received(sim: &Simulation, provider: Provider, phone: &str) -> Vec<Got> {
    match provider {
        Provider::Meta => {
            let graph = sim.meta.as_ref().unwrap();
            graph
                .sent()
                .into_iter()
                .filter(|m| m.to == phone)
                .filter_map(|m| match m.text() {
                    Some(text) => Some(Got::Text(text.to_owned())),
                    None => {
                        let media = m.body.get(&m.kind)?;
                        let bytes = graph.media_bytes(media.get("id")?.as_str()?)?;
                        Some(Got::File(media.get("filename").and_then(Value::as_str).map(str::to_owned), bytes))
                    }
                })
                .collect()
        }
        Provider::Twilio => sim
            .twilio
            .as_ref()
            .unwrap()
            .sent()
            .into_iter()
            .filter(|m| m.to == format!("whatsapp:+{phone}"))
            .map(|m| match m.media {
                Some(media) => Got::File(media.filename, media.bytes),
                None => Got::Text(m.body.unwrap_or_default()),
            })
            .collect(),
        Provider::GreenApi => sim
            .green
            .as_ref()
            .unwrap()
            .sent()
            .into_iter()
            .filter(|m| m.chat_id == format!("{phone}@c.us"))
            .map(|m| match m.file {
                Some(file) => Got::File(Some(file.file_name), file.bytes),
                None => Got::Text(m.message.unwrap_or_default()),
            })
            .collect(),
        Provider::Dialog360 => {
            let d360 = sim.dialog360.as_ref().unwrap();
            d360.sent()
                .into_iter()
                .filter(|m| m.to == phone)
                .filter_map(|m| match m.text() {
                    Some(text) => Some(Got::Text(text.to_owned())),
                    None => {
                        let media = m.body.get(&m.kind)?;
                        let bytes = d360.media_bytes(media.get("id")?.as_str()?)?;
                        Some(Got::File(media.get("filename").and_then(Value::as_str).map(str::to_owned), bytes))
                    }
                })
                .collect()
        }
        Provider::Wazzup => sim
            .wazzup
            .as_ref()
            .unwrap()
            .sent()
            .into_iter()
            .filter(|m| m.chat_id == phone)
            .map(|m| match m.content {
                Some((bytes, _, name)) => Got::File(name, bytes),
                None => Got::Text(m.text.unwrap_or_default()),
            })
            .collect(),
    }
}

/// Comments the bridge wrote as the company's own phone messages, in any task.
fn phone_comments(sim: &Simulation) -> Vec<String> {
    sim.planfix
        .tasks()
        .into_iter()
        .flat_map(|t| sim.planfix.comments(t.id))
        .filter(|c| c.description.contains("Sent from the company's WhatsApp phone"))
        .map(|c| c.description)
        .collect()
}

/// The task whose comments include `text`.
fn task_with(sim: &Simulation, text: &str) -> Option<i64> {
    sim.planfix
        .tasks()
        .into_iter()
        .find(|t| sim.planfix.comments(t.id).iter().any(|c| c.description.contains(text)))
        .map(|t| t.id)
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(seed) % 251) as u8).collect()
}

/// Waits (at most 30 s) until the bridge recorded `delivered` for a provider message id.
async fn wait_for_delivered(r: &Running, what: &str, account: &str, id: &str) {
    let account = bridge_core::domain::AccountId::parse(account).unwrap();
    for _ in 0..600 {
        if r.store.delivery_status(&account, id).await.unwrap().as_deref() == Some("delivered") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up after 30 s waiting for {what}");
}

#[tokio::test]
async fn every_provider_round_trip_through_the_local_server_and_its_commands() {
    let r = serve(None).await;
    let sim = r.sim();
    assert_eq!(sim.providers(), Provider::ALL.to_vec(), "all five demo accounts by default");
    let accounts = sim.account_ids();
    // The start banner lists every demo account with its webhook URL and a `send` to try.
    for provider in Provider::ALL {
        let (kind, account) = (provider.kind(), account_of(provider));
        let webhook = format!("  {account} ({}, simulator http://127.0.0.1:", provider.name());
        assert!(r.banner.contains(&webhook), "{webhook:?} missing in:\n{}", r.banner);
        let webhook = format!("    webhook: {}/webhooks/{kind}/{account}\n", r.url);
        assert!(r.banner.contains(&webhook), "{webhook:?} missing in:\n{}", r.banner);
        assert!(r.banner.contains(&format!("send --provider {kind} --bridge {}", r.url)), "{}", r.banner);
    }
    assert!(r.banner.contains("--from-phone"), "{}", r.banner);

    for (n, provider) in Provider::ALL.into_iter().enumerate() {
        let phone = format!("49151000000{n}");
        let account = account_of(provider);
        let what = provider.kind();

        // A customer writes: contact, task, comment.
        let hello = format!("Hello through {what}");
        commands::send(send_args(&r, provider, &phone, &hello, None)).await.expect("send is accepted");
        let task = wait_for(&format!("{what}: the message as a comment"), || task_with(sim, &hello)).await;
        let owner = server::owner_of_task(&r.server.app, &accounts, task).await;
        assert_eq!(owner.as_ref().map(|a| a.as_str()), Some(account), "{what}: the task is its account's");
        let contact = sim.planfix.tasks().into_iter().find(|t| t.id == task).unwrap().assigner;
        assert!(contact.starts_with("contact:"), "{what}: the requester is the customer: {contact}");

        // The customer's file reaches Planfix with the same bytes.
        let pdf = pattern(150_000 + n, 7 + n as u32);
        let path = r.dir.join(format!("contract-{what}.pdf"));
        std::fs::write(&path, &pdf).unwrap();
        commands::send(send_args(&r, provider, &phone, "signed contract", Some(&path))).await.expect("file send");
        let file = wait_for(&format!("{what}: the customer's file in Planfix"), || {
            sim.planfix
                .comments(task)
                .into_iter()
                .find(|c| c.description.contains("signed contract"))?
                .files
                .first()
                .copied()
        })
        .await;
        let (name, bytes) = sim.planfix.file(file).expect("stored in Planfix");
        assert!(bytes == pdf, "{what}: the file's bytes are equal ({} vs {} bytes)", bytes.len(), pdf.len());
        assert!(name.ends_with(".pdf"), "{what}: {name}");

        // An employee answers the latest task: it goes out through this task's provider.
        commands::reply(reply_args(&r, None, "Your order <b>ships</b> today", None)).await.expect("reply");
        wait_for(&format!("{what}: the reply on WhatsApp"), || {
            received(sim, provider, &phone)
                .iter()
                .any(|g| matches!(g, Got::Text(t) if t == "Your order *ships* today"))
                .then_some(())
        })
        .await;

        // A file on a reply: fetched by URL (Twilio, Green-API, Wazzup) from the local `/blobs` route.
        let invoice = pattern(120_000 + n, 13 + n as u32);
        let path = r.dir.join(format!("invoice-{what}.pdf"));
        std::fs::write(&path, &invoice).unwrap();
        commands::reply(reply_args(&r, Some(task), "Your invoice", Some(&path))).await.expect("reply with a file");
        let (name, bytes) = wait_for(&format!("{what}: the reply's file on WhatsApp"), || {
            received(sim, provider, &phone).into_iter().find_map(|g| match g {
                Got::File(name, bytes) => Some((name, bytes)),
                Got::Text(_) => None,
            })
        })
        .await;
        assert!(bytes == invoice, "{what}: the reply's file bytes are equal ({} vs {})", bytes.len(), invoice.len());
        assert_eq!(name.as_deref(), Some(format!("invoice-{what}.pdf").as_str()), "{what}");
    }

    // The Twilio simulator fetched the file through the bridge's presigned URL.
    let twilio_file = sim.twilio.as_ref().unwrap().sent().into_iter().find_map(|m| m.media).unwrap();
    assert!(twilio_file.url.starts_with(&format!("{}/blobs/", r.url)), "{}", twilio_file.url);

    // Statuses come back by themselves, as in production: Twilio to the status route its sends
    // named, Green-API to the instance's webhook URL with its token.
    let twilio_sid = sim.twilio.as_ref().unwrap().sent()[0].sid.clone();
    wait_for_delivered(&r, "Twilio's delivered callback", "demo-twilio", &twilio_sid).await;
    let green_id = sim.green.as_ref().unwrap().sent()[0].id_message.clone();
    wait_for_delivered(&r, "Green-API's delivered status", "demo-green", &green_id).await;
    // 360dialog to the webhook URL set with `POST /v1/configs/webhook`, with `X-Bridge-Secret`;
    // Wazzup to its `webhooksUri` with the crmKey, after the echo of each send.
    let d360_id = sim.dialog360.as_ref().unwrap().sent()[0].wamid.clone();
    wait_for_delivered(&r, "360dialog's delivered status", "demo-360dialog", &d360_id).await;
    let wazzup = sim.wazzup.as_ref().unwrap();
    let wazzup_id = wazzup.sent()[0].message_id.clone();
    wait_for_delivered(&r, "Wazzup's delivered status", "demo-wazzup", &wazzup_id).await;
    wait_for("every queued 360dialog and Wazzup webhook delivered", || {
        (sim.dialog360.as_ref().unwrap().pending_webhooks() == 0 && wazzup.pending_webhooks() == 0).then_some(())
    })
    .await;
    // Wazzup's echoes of the bridge's own sends are recognised: no phone message is mirrored.
    let mirrored = phone_comments(sim);
    assert!(mirrored.is_empty(), "echoes of the bridge's sends were taken for phone messages: {mirrored:?}");

    // `show`: per task its provider, the comments and files; per customer what they got.
    let overview: Value = reqwest::get(format!("{}/sim/overview", r.url)).await.unwrap().json().await.unwrap();
    let text = bridge_local::show::render(&overview);
    for expected in [
        "== Planfix (simulated): 5 tasks",
        "via Meta (account demo)",
        "via Twilio (account demo-twilio)",
        "via Green-API (account demo-green)",
        "via 360dialog (account demo-360dialog)",
        "via Wazzup (account demo-wazzup)",
        "Employee 1  → WhatsApp",
        "      Your order ships today\n",
        "[file] invoice-twilio.pdf",
        // The comment's text goes first, then its file.
        "+491510000001\n  Twilio (account demo-twilio)\n    text  Your order *ships* today\n    text  Your invoice\n    file  invoice-twilio.pdf, 117.2 KB, application/pdf\n",
        "+491510000002\n  Green-API (account demo-green)\n",
        "+491510000003\n  360dialog (account demo-360dialog)\n    text  Your order *ships* today\n",
        "+491510000004\n  Wazzup (account demo-wazzup)\n    text  Your order *ships* today\n",
        "file  invoice-wazzup.pdf",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
    }
    // `reply --quote`: the answer goes as a WhatsApp reply to the quoted message, without the quote.
    let meta_task = task_with(sim, "Hello through meta").expect("the Meta task");
    let quoted =
        ReplyArgs { quote: Some("Hello through meta".into()), ..reply_args(&r, Some(meta_task), "Glad to help", None) };
    commands::reply(quoted).await.expect("reply with a quote");
    let graph = sim.meta.as_ref().unwrap();
    let answer =
        wait_for("Meta: the quoted answer", || graph.sent().into_iter().find(|m| m.text() == Some("Glad to help")))
            .await;
    assert!(
        answer.reply_to().is_some_and(|id| id.starts_with("wamid.")),
        "a reply to the customer's message: {:?}",
        answer.body
    );

    let violations = sim.planfix.violations();
    assert!(violations.is_empty(), "requests the Planfix spec does not allow: {violations:#?}");
}

#[tokio::test]
async fn the_company_writing_on_its_own_phone() {
    let r = serve(None).await;
    let sim = r.sim();
    let phoned: Vec<Provider> = Provider::ALL.into_iter().filter(|p| p.reports_phone_messages()).collect();
    assert_eq!(phoned, [Provider::Meta, Provider::GreenApi, Provider::Dialog360, Provider::Wazzup]);
    for (n, provider) in phoned.into_iter().enumerate() {
        let what = provider.kind();
        let phone = format!("49152000000{n}");
        let question = format!("Is it in stock? ({what})");
        commands::send(send_args(&r, provider, &phone, &question, None)).await.expect("the customer's message");
        let task = wait_for(&format!("{what}: the customer's message"), || task_with(sim, &question)).await;

        // An employee answers on the company's WhatsApp phone; the provider reports it.
        let answer = format!("Yes, two left ({what})");
        let mut args = send_args(&r, provider, &phone, &answer, None);
        args.from_phone = true;
        commands::send(args).await.expect("the phone message is accepted");
        let mirror = wait_for(&format!("{what}: the phone message in the task"), || {
            sim.planfix.comments(task).into_iter().find(|c| c.description.contains(&answer))
        })
        .await;
        assert!(mirror.description.contains("Sent from the company's WhatsApp phone"), "{}", mirror.description);
        assert_eq!(mirror.owner, "user:1", "{what}: the company's comment, not the customer's");
        assert!(!mirror.recipients.to_string().contains("contact:"), "{what}: notifies no one: {}", mirror.recipients);
        assert_eq!(sim.planfix.tasks().len(), n + 1, "{what}: the same conversation, no new task");
        assert!(received(sim, provider, &phone).is_empty(), "{what}: nothing is sent back to WhatsApp");
    }

    // `show` marks them as the company's, without the bridge's note around them.
    let overview: Value = reqwest::get(format!("{}/sim/overview", r.url)).await.unwrap().json().await.unwrap();
    let text = bridge_local::show::render(&overview);
    for what in ["meta", "green-api", "360dialog", "wazzup"] {
        let expected = format!("← the company's WhatsApp phone\n      Yes, two left ({what})\n");
        assert!(text.contains(&expected), "{expected:?} missing in:\n{text}");
    }

    // Twilio reports no such message; a file is not a phone text.
    let mut args = send_args(&r, Provider::Twilio, "491520000009", "hello", None);
    args.from_phone = true;
    let refused = commands::send(args).await.expect_err("Twilio has no phone messages");
    assert!(refused.contains("Twilio"), "{refused}");
    let path = r.dir.join("photo.jpg");
    std::fs::write(&path, pattern(100, 3)).unwrap();
    let mut args = send_args(&r, Provider::Meta, "491520000009", "hello", Some(&path));
    args.from_phone = true;
    assert!(commands::send(args).await.is_err(), "--from-phone takes no file");
}

#[tokio::test]
async fn one_provider_only_and_the_blob_route() {
    let r = serve(Some(Provider::GreenApi)).await;
    let sim = r.sim();
    assert_eq!(sim.providers(), vec![Provider::GreenApi]);
    assert!(sim.meta.is_none() && sim.twilio.is_none());
    let accounts: Value = reqwest::get(format!("{}/sim/accounts", r.url)).await.unwrap().json().await.unwrap();
    assert_eq!(accounts[0]["account"], "demo-green", "{accounts}");
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");
    // Without --provider, `send` takes the one provider served.
    let mut args = send_args(&r, Provider::GreenApi, "4915100000009", "only green", None);
    args.provider = None;
    commands::send(args).await.expect("send goes to the Green-API account");
    wait_for("the message in Planfix", || task_with(sim, "only green")).await;

    // A webhook without the instance's token is refused.
    let resp = reqwest::Client::new()
        .post(format!("{}/webhooks/green-api/demo-green", r.url))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // /blobs: 200 with type, length and name; 403 on a bad signature; 404 when missing.
    let blobs = &r.server.blobs;
    let body = pattern(70_000, 3);
    let chunk = bytes::Bytes::from(body.clone());
    let stream: bridge_core::ports::ByteStream = Box::pin(futures_util::stream::once(async move { Ok(chunk) }));
    blobs.put("demo-green/out/x/report.pdf", "application/pdf", stream).await.unwrap();
    let url = blobs
        .presign_get("demo-green/out/x/report.pdf", Duration::from_secs(60), Some("Bericht März.pdf"))
        .await
        .unwrap();
    assert!(url.starts_with(&format!("{}/blobs/", r.url)), "{url}");
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(header("content-type").as_deref(), Some("application/pdf"));
    assert_eq!(header("content-length").as_deref(), Some("70000"));
    let disposition = header("content-disposition").unwrap_or_default();
    assert!(disposition.contains("filename*=UTF-8''Bericht%20M%C3%A4rz.pdf"), "{disposition}");
    assert!(resp.bytes().await.unwrap().to_vec() == body, "the body is the stored file");

    let forged = url.replace("sig=", "sig=00");
    let resp = reqwest::get(&forged).await.unwrap();
    assert_eq!(resp.status(), 403);
    let answer: Value = resp.json().await.unwrap();
    assert!(answer["error"].as_str().is_some_and(|e| e.contains("signature")), "{answer}");
    let unsigned = url.split('?').next().unwrap().to_owned();
    assert_eq!(reqwest::get(&unsigned).await.unwrap().status(), 403);

    let missing = blobs.presign_get("demo-green/out/x/missing.pdf", Duration::from_secs(60), None).await.unwrap();
    assert_eq!(reqwest::get(&missing).await.unwrap().status(), 404);
}
