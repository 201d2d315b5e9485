//! `bridge-local show`: the overview of `GET /sim/overview` as text for a terminal.

use std::fmt::Write as _;

use serde_json::Value;

fn provider_name(kind: &str) -> &str {
    match kind {
        "meta" => "Meta",
        "twilio" => "Twilio",
        "green-api" => "Green-API",
        "360dialog" => "360dialog",
        "wazzup" => "Wazzup",
        other => other,
    }
}

/// `1234` → `1.2 KB`.
pub fn size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / KB / KB)
    }
}

/// Planfix comment HTML as plain text: line breaks for `<br>`, paragraphs and list items,
/// other tags dropped, the common entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + len].trim().to_ascii_lowercase();
        let name = tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        match (tag.starts_with('/'), name) {
            (_, "br") | (true, "p" | "div" | "ul" | "ol") => out.push('\n'),
            (false, "li") => out.push_str("\n• "),
            _ => {}
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    let decoded = decode_entities(&out);
    let lines: Vec<&str> = decoded.lines().map(str::trim_end).collect();
    let mut text = String::new();
    for line in lines {
        if line.is_empty() && (text.is_empty() || text.ends_with("\n\n")) {
            continue;
        }
        text.push_str(line);
        text.push('\n');
    }
    text.trim_end().to_owned()
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let entity = &tail[1..e];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Writes `text` with every line after the first indented by `indent`.
fn indented(out: &mut String, indent: &str, text: &str) {
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        out.push_str(line);
    }
    out.push('\n');
}

fn file_line(file: &Value) -> String {
    let name = str_of(file, "name").unwrap_or("(unnamed)");
    let mut parts = vec![name.to_owned()];
    if let Some(bytes) = file.get("size").and_then(Value::as_u64) {
        parts.push(size(bytes));
    }
    if let Some(kind) = str_of(file, "type") {
        parts.push(kind.to_owned());
    }
    parts.join(", ")
}

/// The overview as text.
pub fn render(overview: &Value) -> String {
    let mut out = String::new();
    let tasks = overview.get("tasks").and_then(Value::as_array).cloned().unwrap_or_default();
    let _ = writeln!(out, "== Planfix (simulated): {} task{}", tasks.len(), if tasks.len() == 1 { "" } else { "s" });
    if tasks.is_empty() {
        out.push_str("   no tasks yet; play a customer: bridge-local send \"Hello\"\n");
    }
    for task in &tasks {
        let _ = write!(out, "\nTask #{}", task["id"]);
        if let Some(title) = str_of(task, "title") {
            let _ = write!(out, "  {title}");
        }
        out.push('\n');
        let mut about = Vec::new();
        if let Some(customer) = str_of(task, "customer") {
            about.push(format!("customer {customer}"));
        }
        if let Some(phone) = str_of(task, "phone") {
            about.push(phone.to_owned());
        }
        if let (Some(kind), Some(account)) = (str_of(task, "provider"), str_of(task, "account")) {
            about.push(format!("via {} (account {account})", provider_name(kind)));
        }
        if !about.is_empty() {
            let _ = writeln!(out, "  {}", about.join(" · "));
        }
        let comments = task.get("comments").and_then(Value::as_array).cloned().unwrap_or_default();
        if comments.is_empty() {
            out.push_str("  (no comments)\n");
        }
        for c in &comments {
            let time = str_of(c, "time").unwrap_or("");
            let author = str_of(c, "author").unwrap_or("?");
            let marker = if c["to_customer"].as_bool() == Some(true) {
                "  → WhatsApp"
            } else if c["from_phone"].as_bool() == Some(true) {
                // Written on the company's own WhatsApp phone: the company's word, already sent.
                "  ← the company's WhatsApp phone"
            } else {
                ""
            };
            let _ = writeln!(out, "  #{} {time}  {author}{marker}", c["id"]);
            let text = html_to_text(str_of(c, "html").unwrap_or(""));
            if !text.is_empty() {
                out.push_str("      ");
                indented(&mut out, "      ", &text);
            }
            for f in c.get("files").and_then(Value::as_array).into_iter().flatten() {
                let _ = writeln!(out, "      [file] {}", file_line(f));
            }
        }
    }
    let users = overview.get("whatsapp").and_then(Value::as_array).cloned().unwrap_or_default();
    let _ = writeln!(out, "\n== WhatsApp (simulated): what each customer received");
    if users.is_empty() {
        out.push_str("   nothing yet; answer as an employee: bridge-local reply \"Hello\"\n");
    }
    for user in &users {
        let _ = writeln!(out, "\n+{}", str_of(user, "user").unwrap_or("?"));
        for p in user.get("providers").and_then(Value::as_array).into_iter().flatten() {
            let kind = str_of(p, "provider").unwrap_or("?");
            let _ = writeln!(out, "  {} (account {})", provider_name(kind), str_of(p, "account").unwrap_or("?"));
            for item in p.get("received").and_then(Value::as_array).into_iter().flatten() {
                if let Some(file) = item.get("file").filter(|f| f.is_object()) {
                    let _ = write!(out, "    file  {}", file_line(file));
                    if let Some(caption) = str_of(item, "caption") {
                        let _ = write!(out, ": \"{caption}\"");
                    }
                    out.push('\n');
                } else {
                    out.push_str("    text  ");
                    indented(&mut out, "          ", str_of(item, "text").unwrap_or(""));
                }
                if let Some(problem) = str_of(item, "problem") {
                    let _ = writeln!(out, "          ({problem})");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn html_becomes_readable_text() {
        assert_eq!(html_to_text("Hello <b>Ivan</b>,<br>it ships &amp; arrives"), "Hello Ivan,\nit ships & arrives");
        assert_eq!(html_to_text("<p>one</p><p>two</p>"), "one\ntwo");
        assert_eq!(html_to_text("<ul><li>a</li><li>b</li></ul>"), "• a\n• b");
        assert_eq!(html_to_text("a &lt; b &#233; &unknown; & c"), "a < b é &unknown; & c");
    }

    #[test]
    fn sizes() {
        assert_eq!(size(12), "12 B");
        assert_eq!(size(2048), "2.0 KB");
        assert_eq!(size(3 * 1024 * 1024), "3.0 MB");
    }

    #[test]
    fn a_task_and_what_the_customer_received() {
        let overview = json!({
            "tasks": [{
                "id": 101, "title": "WhatsApp: Ivan Petrov", "account": "demo-twilio", "provider": "twilio",
                "customer": "Ivan Petrov", "phone": "+79051234567",
                "comments": [
                    { "id": 1001, "time": "01-02-2025 10:15", "author": "Ivan Petrov", "html": "Hello", "to_customer": false, "files": [] },
                    { "id": 1002, "time": "01-02-2025 10:16", "author": "Employee 1", "html": "Your <b>invoice</b>", "to_customer": true,
                      "files": [{ "id": 50001, "name": "invoice.pdf", "size": 2048 }] },
                    { "id": 1003, "time": "01-02-2025 10:17", "author": "Employee 1", "html": "Two left", "to_customer": false,
                      "from_phone": true, "files": [] }
                ]
            }],
            "whatsapp": [{ "user": "79051234567", "providers": [{ "provider": "twilio", "account": "demo-twilio", "received": [
                { "text": "Your *invoice*" },
                { "file": { "name": "invoice.pdf", "size": 2048, "type": "application/pdf" }, "caption": null }
            ]}]}]
        });
        let text = render(&overview);
        for expected in [
            "== Planfix (simulated): 1 task\n",
            "Task #101  WhatsApp: Ivan Petrov\n",
            "customer Ivan Petrov · +79051234567 · via Twilio (account demo-twilio)",
            "  #1001 01-02-2025 10:15  Ivan Petrov\n      Hello\n",
            "  #1002 01-02-2025 10:16  Employee 1  → WhatsApp\n      Your invoice\n      [file] invoice.pdf, 2.0 KB\n",
            "  #1003 01-02-2025 10:17  Employee 1  ← the company's WhatsApp phone\n      Two left\n",
            "+79051234567\n  Twilio (account demo-twilio)\n    text  Your *invoice*\n    file  invoice.pdf, 2.0 KB, application/pdf\n",
        ] {
            assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
        }
    }
}
