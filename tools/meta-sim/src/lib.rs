//! Loopback fake of the Meta WhatsApp Cloud API, for end-to-end tests and local simulation.
//!
//! - [`webhook`] builds (and signs) what Meta POSTs to the bridge: inbound messages and
//!   delivery statuses, shaped like the documented samples.
//! - [`graph`] is an in-process Graph API server: message sends, media metadata/download and
//!   uploads, with Meta's validation rules, error envelope and fault injection.

pub mod graph;
pub mod webhook;

mod encoding;

pub use graph::{GraphFailure, GraphSim, GraphSimConfig, RecordedRequest, SentMessage};
pub use webhook::{Business, Sender};
