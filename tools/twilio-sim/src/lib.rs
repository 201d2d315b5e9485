//! Loopback fake of Twilio's Programmable Messaging API for the WhatsApp channel, for end-to-end
//! tests and local simulation.
//!
//! - [`webhook`] builds (and signs) what Twilio POSTs to the bridge: inbound messages and status
//!   callbacks, form-encoded and shaped like the captured samples (`reference/providers/twilio`).
//! - [`TwilioSim`] is an in-process server for `POST /2010-04-01/Accounts/{sid}/Messages.json` and
//!   inbound media URLs, with Twilio's validation codes, error JSON, asynchronous failures delivered
//!   as status callbacks, and fault injection.

pub mod webhook;

mod address;
mod codes;
mod ids;
mod reference;
mod sim;

pub use sim::{Callback, FetchedMedia, RecordedRequest, SentMessage, TwilioFailure, TwilioSim, TwilioSimConfig};
