//! The per-item properties every provider target asserts (issue 16), so a violation crashes it:
//! a refused item's `body` is read by the same `parse` as holding only that item — Ok, no
//! events, exactly one refused item under the same body (a replay keeps the dead letter's key) —
//! and no refusal reason repeats a phone-long digit run of its input.

use bridge_core::ports::{Parsed, ProviderWebhook, WebhookRequest};

/// Shortest digit run treated as possibly a phone number (E.164 numbers have 8 to 15 digits;
/// 7 leaves a margin for local numbers).
const PHONE_DIGITS: usize = 7;

/// Parses `req` (never a panic: a panic is the crash) and, when it reads, checks its refusals.
pub fn parse_and_check(hook: &dyn ProviderWebhook, req: &WebhookRequest<'_>) {
    if let Ok(parsed) = hook.parse(req) {
        check_rejected(hook, req, &parsed);
    }
}

/// Every refused item: its reason holds none of the input's phone-long digit runs, and its body
/// parses again (same route and headers) as that one refused item, under the same body.
pub fn check_rejected(hook: &dyn ProviderWebhook, req: &WebhookRequest<'_>, parsed: &Parsed) {
    for item in &parsed.rejected {
        assert_no_input_digits(&item.reason, req.body);
        let replay = WebhookRequest {
            route: req.route,
            public_url: req.public_url,
            headers: req.headers,
            body: item.body.as_bytes(),
        };
        let again = match hook.parse(&replay) {
            Ok(again) => again,
            Err(e) => panic!("a refused item's body does not parse: {e}\nbody: {}", item.body),
        };
        assert!(
            again.events.is_empty(),
            "a refused item's body reads as {} event(s)\nbody: {}",
            again.events.len(),
            item.body
        );
        assert_eq!(
            again.rejected.len(),
            1,
            "a refused item's body refuses {} items\nbody: {}",
            again.rejected.len(),
            item.body
        );
        assert_eq!(again.rejected[0].body, item.body, "a replayed refusal changed its body (and so its key)");
        assert_no_input_digits(&again.rejected[0].reason, replay.body);
    }
}

/// No maximal digit run of `PHONE_DIGITS` or more in `reason` occurs in `input`.
///
/// Narrowed: a reason that quotes a time value the parser could not read (Meta's `timestamp
/// "…" is not Unix seconds`, quoted only when at most 24 characters; Wazzup's `"…" is not an
/// ISO 8601 time`) is skipped — a quoted time is digits by nature (`"1700000001.5"`), and the
/// parsers quote it on purpose (Meta's own unit test asserts the quote). Nothing else in those
/// reasons comes from the input.
pub fn assert_no_input_digits(reason: &str, input: &[u8]) {
    if quotes_a_time(reason) {
        return;
    }
    for run in digit_runs(reason).filter(|r| r.len() >= PHONE_DIGITS) {
        assert!(
            !input.windows(run.len()).any(|w| w == run.as_bytes()),
            "a refusal reason repeats the input's digits {run:?}: {reason:?}"
        );
    }
}

fn quotes_a_time(reason: &str) -> bool {
    (reason.starts_with("timestamp \"") && reason.ends_with("\" is not Unix seconds"))
        || (reason.starts_with('"') && reason.ends_with("\" is not an ISO 8601 time"))
}

/// The maximal runs of ASCII digits of `s`.
fn digit_runs(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_digit()).filter(|r| !r.is_empty())
}

/// A header value from the start of the fuzz input (for the verification paths that must
/// refuse it), if those bytes are a valid header value.
pub fn header_from(data: &[u8], max: usize) -> Option<http::HeaderValue> {
    http::HeaderValue::from_bytes(&data[..data.len().min(max)]).ok()
}
