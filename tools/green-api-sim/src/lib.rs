//! Loopback fake of Green-API (green-api.com), for end-to-end tests and local simulation.
//!
//! - [`webhook`] builds what Green-API POSTs to the bridge (one event per POST, told apart by
//!   `typeWebhook`), shaped like the real samples in `reference/providers/green-api/`.
//! - [`GreenApiSim`] is an in-process HTTP server for the instance methods the bridge calls
//!   (`sendMessage`, `sendFileByUrl`, `sendFileByUpload`, `downloadFile`), with Green-API's
//!   validation texts, error bodies, quota answer (466), fault injection, and the webhooks a real
//!   instance would send after each send (API echo and delivery statuses).

pub mod webhook;

mod clock;
mod reference;
mod sim;

pub use sim::{GreenApiSim, GreenApiSimConfig, GreenFailure, RecordedRequest, SentFile, SentMessage};
