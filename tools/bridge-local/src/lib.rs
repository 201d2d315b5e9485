//! The whole bridge in one local process.
//!
//! `bridge-local serve` serves every webhook route on 127.0.0.1 on the embedded SQLite database
//! (the store and the durable work and file-job queues, drained by in-process workers with the
//! core code the Lambdas run), and the presigned blob URLs (`GET /blobs/{key}`) that providers
//! fetching files by URL need. `bridge-admin --config` opens the same database while it runs.
//! Without `--config` it runs in simulation mode: a built-in Planfix simulator and one simulator
//! per WhatsApp provider (Meta Graph, Twilio, Green-API, 360dialog, Wazzup) on loopback, with one
//! demo account per provider (`demo`, `demo-twilio`, `demo-green`, `demo-360dialog`,
//! `demo-wazzup`) all on the one simulated Planfix, so `bridge-local send --provider twilio "Hi"`
//! shows a contact, a task and a comment appear (`bridge-local show`), `bridge-local reply "…"`
//! answers through the task's provider, and `bridge-local send --from-phone "…"` plays an
//! employee writing on the company's WhatsApp phone (every provider but Twilio reports that).
//!
//! The library half is what the binary runs, reusable from tests: [`server::router`] is the
//! local server's route table, [`server::start`] boots it as `serve` does (and
//! [`server::start_config`] from a configuration in hand), [`server::spawn`] serves it.

pub mod cli;
pub mod commands;
pub mod demo;
pub mod overview;
pub mod server;
pub mod show;
