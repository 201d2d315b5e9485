//! Loopback fake of the Wazzup API v3 (wazzup24.com), for end-to-end tests and local simulation.
//!
//! - [`webhook`] builds what Wazzup POSTs to the CRM's `webhooksUri` (`{"messages":[…]}`,
//!   `{"statuses":[…]}`, both at once, or the `{"test": true}` probe), shaped like the samples in
//!   `reference/providers/wazzup/`.
//! - [`WazzupSim`] is an in-process HTTP server for the routes the bridge calls
//!   (`POST /v3/message`, `GET /v3/channels`, `PATCH`/`GET /v3/webhooks`), with Wazzup's
//!   validation codes, the 60-second `crmMessageId` guard, the 500-per-5-seconds rate limit, fault
//!   injection, and the webhooks a real account would send after each send (echo and statuses).
//!
//! What the docs leave open is marked **unconfirmed** where the sim had to pick a behaviour.

pub mod webhook;

mod clock;
mod reference;
mod sim;

pub use sim::{Channel, RecordedRequest, SentMessage, WazzupFailure, WazzupSim, WazzupSimConfig};
