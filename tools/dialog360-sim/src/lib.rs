//! Loopback fake of 360dialog's WhatsApp Cloud API (`https://waba-v2.360dialog.io`), for
//! end-to-end tests and local simulation (facts: `reference/providers/NOTES.md` §4).
//!
//! - [`webhook`] builds what 360dialog POSTs to the bridge. 360dialog forwards Meta's Cloud API
//!   payloads, so these wrap `meta-sim`'s builders for a 360dialog business.
//! - [`Dialog360Sim`] is an in-process server for the endpoints the bridge calls: `POST /messages`,
//!   `POST /media`, `GET /{media-id}` (with 360dialog's error-based blocking), the attachment
//!   download on 360dialog's own host, and `POST /v1/configs/webhook`. It answers 360dialog's own
//!   errors in `{"meta":{…}}` and Meta's passed-through errors in `{"error":{…}}`, queues the
//!   status webhooks that follow each send, and can POST them to the configured webhook URL.

pub mod webhook;

mod clock;
mod reference;
mod sim;

pub use sim::{Dialog360Failure, Dialog360Sim, Dialog360SimConfig, RecordedRequest, SentMessage, WebhookConfig};
