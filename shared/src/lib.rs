//! Core of the Planfix ⇄ WhatsApp bridge.
//!
//! * [`domain`] — accounts, phone numbers, normalized messages; no I/O.
//! * [`ports`] — the traits the core talks to (store, Planfix, providers).
//! * [`adapters`] — real implementations of the ports (DynamoDB, file store, Planfix REST, Meta).
//! * [`core`] — intake (verify, parse, dedupe, record) and processing (Planfix calls).
//! * [`web`] — framework-free HTTP routing on `http` types, shared by Lambda and the local server.
//!
//! Nothing here imports Lambda; the binaries in `functions/` are thin wrappers around [`web`].

pub mod adapters;
pub mod bootstrap;
pub mod config;
pub mod core;
pub mod domain;
pub mod local_worker;
pub mod metrics;
pub mod ports;
pub mod telemetry;
pub mod web;
