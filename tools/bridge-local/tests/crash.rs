//! `bridge-local serve --config` killed with SIGKILL (`kill -9`) and started again, as the real
//! binary: nothing it acknowledged is lost, and it resumes where it stopped — work still held
//! back when it died is done once after the restart, and work it had received and put off for a
//! long retry delay is taken up again at once (what a dead process had in hand is released at
//! start, not left to its visibility timeout).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use meta_sim::webhook::{signed_body, text_message, Business, Sender};
use meta_sim::{GraphSim, GraphSimConfig};
use planfix_sim::{Failure, PlanfixSim, PlanfixSimConfig};

const APP_SECRET: &str = "crash-test-app-secret";
const PLANFIX_TOKEN: &str = "crash-test-planfix-token";
const GRAPH_TOKEN: &str = "crash-test-graph-token";
const PHONE_NUMBER_ID: &str = "1122334455667";

struct Rig {
    planfix: PlanfixSim,
    _graph: GraphSim,
    dir: PathBuf,
    config: PathBuf,
    port: u16,
}

impl Drop for Rig {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// The simulators, and a config with one Meta account on them, its database in a temp dir.
async fn rig(hold_back_ms: u64) -> Rig {
    let planfix = PlanfixSim::new(PlanfixSimConfig { token: PLANFIX_TOKEN.into(), spec: None });
    let planfix_url = planfix.serve(None).await.unwrap();
    let graph =
        GraphSim::new(GraphSimConfig { access_token: GRAPH_TOKEN.into(), phone_number_id: PHONE_NUMBER_ID.into() });
    let graph_url = graph.serve(None).await.unwrap();
    let dir = std::env::temp_dir().join(format!(
        "bridge-local-crash-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bridge.toml");
    let toml = format!(
        r#"[store]
kind = "sqlite"
path = {db:?}

[files]
dir = {files:?}

[worker]
hold_back_ms = {hold_back_ms}

[[accounts]]
id = "acme"

[accounts.planfix]
base_url = "{planfix_url}"
token = "{PLANFIX_TOKEN}"
webhook_secret = "crash-test-hook-secret"
requests_per_second = 100.0

[accounts.provider]
kind = "meta"
app_secret = "{APP_SECRET}"
verify_token = "crash-test-verify-token"
access_token = "{GRAPH_TOKEN}"
phone_number_id = "{PHONE_NUMBER_ID}"
graph_base_url = "{graph_url}"
"#,
        db = dir.join("bridge.db").to_str().unwrap(),
        files = dir.join("files").to_str().unwrap(),
    );
    std::fs::write(&config, toml).unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    Rig { planfix, _graph: graph, dir, config, port }
}

impl Rig {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the built binary, its output into `log`.
    fn start(&self, log: &str) -> Child {
        let log = std::fs::File::create(self.dir.join(log)).unwrap();
        Command::new(env!("CARGO_BIN_EXE_bridge-local"))
            .args(["serve", "--config", self.config.to_str().unwrap(), "--listen", &format!("127.0.0.1:{}", self.port)])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("bridge-local starts")
    }

    /// What the processes logged (shown when a test fails).
    fn logs(&self) -> String {
        ["first.log", "second.log"]
            .iter()
            .map(|name| format!("== {name}\n{}", std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()))
            .collect()
    }

    /// POSTs a customer's text as Meta does, waiting (at most 60 s) for the server to listen.
    async fn send(&self, id: &str, ts: i64, text: &str) {
        let business = Business {
            phone_number_id: PHONE_NUMBER_ID.into(),
            display_phone_number: "15550001111".into(),
            waba_id: "200300400500600".into(),
        };
        let sender = Sender { wa_id: "4915100000099".into(), profile_name: "Anna".into() };
        let (body, signature) = signed_body(APP_SECRET.as_bytes(), &text_message(&business, &sender, id, ts, text));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let sent = reqwest::Client::new()
                .post(format!("{}/webhooks/meta/acme", self.url()))
                .header("content-type", "application/json")
                .header("x-hub-signature-256", &signature)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(resp) => {
                    assert_eq!(resp.status(), 200, "{:?}\n{}", resp.text().await, self.logs());
                    return;
                }
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("the server never answered: {e}\n{}", self.logs()),
            }
        }
    }

    fn comments(&self) -> Vec<String> {
        let tasks = self.planfix.tasks();
        tasks
            .first()
            .map(|t| self.planfix.comments(t.id).into_iter().map(|c| c.description).collect())
            .unwrap_or_default()
    }

    /// Waits (at most `within`) for `n` comments.
    async fn wait_for_comments(&self, n: usize, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.comments().len() >= n {
                return self.comments();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("only {:?} after {within:?}\n{}", self.comments(), self.logs());
    }
}

/// SIGKILL, as `kill -9` sends it: no shutdown of any kind.
fn kill_9(child: &mut Child) {
    child.kill().expect("the process is killed");
    child.wait().expect("the process is reaped");
}

fn database_exists(dir: &Path) -> bool {
    dir.join("bridge.db").is_file()
}

#[tokio::test]
async fn work_held_back_when_the_process_was_killed_is_done_once_after_a_restart() {
    // Held back long enough to kill the server before its worker takes anything.
    let rig = rig(4000).await;
    let mut first = rig.start("first.log");
    for i in 0..3 {
        rig.send(&format!("wamid.crash-{i}"), 1_700_000_000 + i, &format!("c{i}")).await;
    }
    kill_9(&mut first);
    assert!(rig.planfix.requests().is_empty(), "killed before it worked on anything\n{}", rig.logs());
    assert!(database_exists(&rig.dir));

    let mut second = rig.start("second.log");
    let comments = rig.wait_for_comments(3, Duration::from_secs(30)).await;
    assert_eq!(comments, ["c0", "c1", "c2"], "{}", rig.logs());
    // The two other pokes find the inbox empty: nothing is commented twice.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rig.comments(), ["c0", "c1", "c2"], "once each\n{}", rig.logs());
    kill_9(&mut second);
}

#[tokio::test]
async fn work_put_off_by_a_killed_process_is_taken_up_at_once_after_a_restart() {
    let rig = rig(200).await;
    // Planfix says the day's request limit is spent: the worker puts the work off for its
    // longest pause (two minutes), far beyond this test's patience.
    rig.planfix.fail_next(
        1,
        Failure::Status {
            http: 400,
            body: serde_json::json!({"result": "fail", "code": 22, "error": "daily request limit reached"}),
        },
    );
    let mut first = rig.start("first.log");
    rig.send("wamid.limit", 1_700_000_000, "after the limit").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while rig.planfix.fired_faults().is_empty() {
        assert!(Instant::now() < deadline, "the worker never called Planfix\n{}", rig.logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the worker record the delay, then kill it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    kill_9(&mut first);
    assert!(rig.comments().is_empty());

    let mut second = rig.start("second.log");
    let comments = rig.wait_for_comments(1, Duration::from_secs(30)).await;
    assert_eq!(comments, ["after the limit"], "{}", rig.logs());
    kill_9(&mut second);
}
