//! `bridge-local serve --config` with a broken account, as the real binary: a person started it
//! at a terminal, so it refuses to start, naming every broken account and field, and quotes no
//! secret (on AWS the same account would be isolated instead, the others serving).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A mistyped secret the output must never repeat.
const TYPO: &str = "typo-SECRET-51e2d0c9";

#[test]
fn a_config_with_a_broken_account_refuses_to_start() {
    let dir = std::env::temp_dir().join(format!(
        "bridge-local-refusal-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let account = |id: &str, webhook_secret: &str, app_secret: &str| {
        format!(
            r#"
[[accounts]]
id = "{id}"

[accounts.planfix]
base_url = "http://127.0.0.1:9/rest"
token = "planfix-token"
webhook_secret = {webhook_secret}

[accounts.provider]
kind = "meta"
app_secret = {app_secret}
verify_token = "refusal-test-verify-token"
access_token = "graph-token"
phone_number_id = "1122334455667"
"#
        )
    };
    let config = format!(
        "[store]\nkind = \"sqlite\"\npath = {db:?}\n[files]\ndir = {files:?}\n{}{}{}",
        account("acme", r#""""#, r#""0123456789abcdef0123456789abcdef""#),
        account("shop", r#""refusal-test-hook-secret""#, &format!("[\"{TYPO}\"]")),
        account("cafe", r#""refusal-test-hook-secret""#, r#""0123456789abcdef0123456789abcdef""#),
        db = dir.join("bridge.db").to_str().unwrap(),
        files = dir.join("files").to_str().unwrap(),
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, config).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_bridge-local"))
        .args(["serve", "--config", path.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bridge-local starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("bridge-local started serving with a broken account");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let out = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!status.success(), "refused with a non-zero exit:\n{out}");
    assert!(out.contains("2 account(s) cannot be served"), "{out}");
    assert!(out.contains("account acme: planfix.webhook_secret: is empty"), "{out}");
    assert!(out.contains("account shop: provider.app_secret: a value of the wrong type"), "{out}");
    assert!(!out.contains("account cafe"), "the good account is not named:\n{out}");
    assert!(!out.contains(TYPO), "a secret was printed:\n{out}");
    assert!(!dir.join("bridge.db").exists(), "nothing was opened");
    std::fs::remove_dir_all(&dir).ok();
}
