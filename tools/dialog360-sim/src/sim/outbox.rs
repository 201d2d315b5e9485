//! The webhooks 360dialog forwards after accepting a send: Meta's `sent`, then `delivered`
//! status for the number's business (D1 "Status" payloads; `read` is left to the test, which can
//! push one with [`super::Dialog360Sim::push_webhook`]).

use super::state::SimState;
use crate::clock;
use crate::webhook;

pub(crate) fn after_send(state: &mut SimState, wa_id: &str, wamid: &str) {
    let now = clock::unix_seconds();
    for status in ["sent", "delivered"] {
        let webhook = webhook::status(&state.business, wa_id, wamid, status, now, None);
        state.queue_webhook(webhook);
    }
}
